"""Headless Chromium for the web console tests (docs/console.md): a Selenium driver made inside
a network namespace (the test thread enters it with setns, so chromedriver and Chromium are
started there and reach the bridge on that namespace's loopback), the browser log, screenshots
under Tests/Integration/artifacts/console/, and the accessibility checks of basics."""
import contextlib
import ctypes
import os
import shutil

import pytest

ARTIFACTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "artifacts", "console")
CLONE_NEWNET = 0x40000000


@contextlib.contextmanager
def inside(namespace):
    """Runs the block with this thread in `namespace` (/var/run/netns/NAME); back after."""
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/var/run/netns/{namespace}", os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        yield
    finally:
        libc.setns(own, CLONE_NEWNET)
        os.close(own)
        os.close(target)


def browser():
    """A headless Chromium with its console log kept; skips without chromium/selenium (not in CI)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("python3-selenium is not installed (scripts/install-deps test)")
    driver_path = shutil.which("chromedriver")
    if not driver_path or not shutil.which("chromium"):
        if os.environ.get("CI") == "true":
            raise AssertionError("chromium and chromium-driver are required with CI=true")
        pytest.skip("chromium and chromium-driver are not installed (scripts/install-deps test)")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    options.accept_insecure_certs = True
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver_path), options=options)


def screenshot(driver, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    driver.save_screenshot(os.path.join(ARTIFACTS, f"{name}.png"))


def console_errors(driver):
    """The browser log's errors since the last call (CSP violations, failed loads, script errors)."""
    return [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


# The accessibility basics, checked in the page: every form control has a label, one h1 and no
# skipped heading level, text contrast of at least 4.5:1 (3:1 for large text) against the
# background it is drawn on, and every focusable element reachable and visibly focused.
A11Y = r"""
const problems = [];
function rgb(text) { const m = text.match(/rgba?\(([^)]+)\)/); if (!m) return null;
  const p = m[1].split(",").map(s => parseFloat(s)); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; }
function lum(c) { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); }
function background(el) { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
  if (c && c.a > 0.5) return c; } return {r: 255, g: 255, b: 255, a: 1}; }
if (!document.documentElement.lang) problems.push("no lang on <html>");
if (!document.title.trim()) problems.push("no title");
const h1 = document.querySelectorAll("h1"); if (h1.length !== 1) problems.push("h1 count " + h1.length);
let last = 0; for (const h of document.querySelectorAll("h1,h2,h3,h4,h5,h6")) { const level = +h.tagName[1];
  if (level > last + 1) problems.push("heading skips to " + h.tagName + ": " + h.textContent); last = level; }
for (const control of document.querySelectorAll("input:not([type=hidden]),select,textarea")) {
  const labelled = control.getAttribute("aria-label") || control.getAttribute("aria-labelledby") ||
    (control.id && document.querySelector('label[for="' + control.id + '"]')) || control.closest("label");
  if (!labelled) problems.push("control without label: " + control.outerHTML.slice(0, 80)); }
for (const button of document.querySelectorAll("button")) {
  if (!(button.textContent.trim() || button.getAttribute("aria-label"))) problems.push("button without a name"); }
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const checked = new Set();
while (walker.nextNode()) { const node = walker.currentNode; const el = node.parentElement;
  if (!node.textContent.trim() || !el || checked.has(el)) continue; checked.add(el);
  const style = getComputedStyle(el); if (style.visibility === "hidden" || el.offsetParent === null && style.position !== "fixed") continue;
  const fg = rgb(style.color), bg = background(el); if (!fg) continue;
  const a = lum(fg), b = lum(bg); const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && +style.fontWeight >= 700);
  if (ratio < (large ? 3 : 4.5)) problems.push("contrast " + ratio.toFixed(2) + " for '" + node.textContent.trim().slice(0, 30) + "'"); }
const focusable = [...document.querySelectorAll("a[href],button,input:not([type=hidden]),select,textarea,[tabindex]")]
  .filter(e => e.getAttribute("tabindex") !== "-1" && !e.disabled && !e.closest("[hidden]"));
for (const el of focusable.slice(0, 60)) { el.focus();
  if (document.activeElement !== el) { problems.push("cannot focus " + el.outerHTML.slice(0, 60)); continue; }
  const s = getComputedStyle(el);
  if ((s.outlineStyle === "none" || parseFloat(s.outlineWidth) === 0) && s.boxShadow === "none")
    problems.push("no visible focus on " + el.outerHTML.slice(0, 60)); }
if (document.activeElement) document.activeElement.blur();
return problems;
"""


def accessibility_problems(driver):
    return driver.execute_script(A11Y)
