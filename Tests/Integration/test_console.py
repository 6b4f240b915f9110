"""The web console (issue 18, docs/console.md) in a real headless Chromium: `netboot serve` with
the bridge inside, in a namespace; the browser is started in that namespace too. Log in; a DHCP
exchange of a client in the other namespace appears on Overview and Clients without a reload; a
run's progress advances live as step events are posted through the client API; a Problem
Monitor User has no deploy, release or dump button and their POSTs are refused (403); an
Administrator dumps the flight recorder and downloads the pcap; no page logs a
console error; every page passes the accessibility basics."""
import http.client
import json
import ssl
import subprocess
import time
import urllib.parse

from bridge_support import free_port
from conftest import netboot_bin
from console_browser import accessibility_problems, browser, console_errors, inside, screenshot
from dhcp_support import Server, run_client_script
from test_bridge_runs import MAC, SECRET, appliance_files, event
from test_control import make_nbi
from test_dhcp import DORA


def wait_until(condition, timeout=10.0, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            value = condition()
        except Exception as error:  # an element replaced while the page loads: look again
            last, value = error, None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last error: {last})")


class Console:
    """The bridge of a `netboot serve` in the server namespace, called from inside it."""

    def __init__(self, server, console_port, client_port):
        self.server = server
        self.console_port = console_port
        self.client_port = client_port
        self.base = f"https://127.0.0.1:{console_port}"

    def token(self, role):
        out = subprocess.run([netboot_bin(), "tokens", "issue", "--role", role, "--state-dir", str(self.server.state)],
                             capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def call(self, port, method, path, token=None, body=None, raw=None, headers=None):
        context = ssl.create_default_context(cafile=str(self.server.state / "bridge-cert.pem"))
        context.check_hostname = False
        connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
        fields = dict(headers or {})
        if token:
            fields["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if body is not None:
            fields["Content-Type"] = "application/json"
        try:
            connection.request(method, path, body=data, headers=fields)
            response = connection.getresponse()
            payload = response.read()
            return response.status, payload, dict(response.getheaders())
        finally:
            connection.close()


def login(driver, console, token):
    from selenium.webdriver.common.by import By
    driver.get(console.base + "/console/login")
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    wait_until(lambda: "/console/login" not in driver.current_url, what="login")


def check_page(driver, name):
    """No console error and the accessibility basics on the page now shown; a screenshot."""
    screenshot(driver, name)
    errors = console_errors(driver)
    assert errors == [], f"{name}: {errors}"
    problems = accessibility_problems(driver)
    assert problems == [], f"{name}: {problems}"


def test_console_live_pages_roles_and_accessibility(netns, tmp_path):
    extra, tag = appliance_files(tmp_path)
    console_port, client_port = free_port(), free_port()
    bridge = (f"bridge:\n  enabled: true\n  listen-address: 127.0.0.1\n  console-port: {console_port}\n"
              f"  client-port: {client_port}\n  files-dir: {tmp_path / 'files'}\n{extra}"
              f"capture:\n  dir: {tmp_path / 'captures'}\n  flight-recorder: 64\n")
    server = Server(netns, tmp_path, extra=bridge)
    server.state.mkdir(parents=True, exist_ok=True)
    # Two NetBoot images for the client page's explanation: one offered, one disabled.
    make_nbi(server.images, "Lab", 100)
    make_nbi(server.images, "Old", 101)
    plist = server.images / "Old.nbi" / "NBImageInfo.plist"
    plist.write_text(plist.read_text().replace("<key>IsEnabled</key><true/>", "<key>IsEnabled</key><false/>"))
    console = Console(server, console_port, client_port)
    admin, monitor = console.token("administrator"), console.token("problem-monitor-users")
    enrollment = console.token("enrollment")
    server.start()
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    driver = None
    try:
        wait_until(lambda: server.log().count("port listening on") >= 2, timeout=30, what="the bridge")
        assert f"web console: https://127.0.0.1:{console_port}/console/" in server.log()
        with inside(netns.server):
            driver = browser()
            # Without a session every page leads to the login form; a wrong token is refused.
            driver.get(console.base + "/console/clients")
            assert "/console/login" in driver.current_url
            check_page(driver, "login")
            driver.find_element(By.ID, "token").send_keys("nbt_" + "A" * 43)
            driver.find_element(By.CSS_SELECTOR, "form.login button").click()
            # The click only starts the POST: wait for the answer page rather than read the old one.
            wait_until(lambda: "not a live console token" in driver.find_element(By.TAG_NAME, "main").text,
                       what="the wrong token refused")
            # The refused login is answered 401, which the browser logs as a failed load: expected here.
            assert [e["message"] for e in console_errors(driver)] == [
                f"{console.base}/console/login - Failed to load resource: the server responded with a status of 401 (Unauthorized)"]

            login(driver, console, admin)
            assert driver.find_element(By.TAG_NAME, "h1").text == "Overview"
            # TFTP transfers running, from the appliance's control socket status (none now).
            assert driver.find_element(By.ID, "count-transfers").text == "0"
            assert driver.find_element(By.ID, "count-downloads").text.isdigit()
            cookie = next(c for c in driver.get_cookies() if c["name"] == "nb_console")
            assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
            status, _, headers = console.call(console_port, "GET", "/console/login")
            policy = headers["Content-Security-Policy"]
            assert "script-src 'self'" in policy and "unsafe-inline" not in policy

            # A boot exchange shows on the Overview without a reload.
            wait_until(lambda: "Live" in driver.find_element(By.ID, "live-status").text, what="the event stream")
            driver.execute_script("window.notReloaded = true")
            got = run_client_script(netns, DORA.replace("int(sys.argv[1]), sys.argv[2]", "1, 0x31"))
            assert got == ["198.51.100.100"]
            wait_until(lambda: "02:00:00:00:31:00" in driver.find_element(By.ID, "exchanges").text, what="the exchange on Overview")
            assert driver.execute_script("return window.notReloaded === true")
            assert "ACK" in driver.find_element(By.ID, "exchanges").text
            check_page(driver, "overview")

            # And on Clients, a new client's row appears live.
            driver.get(console.base + "/console/clients")
            assert driver.find_elements(By.CSS_SELECTOR, '#clients a[href="clients/02:00:00:00:31:00"]')
            wait_until(lambda: "Live" in driver.find_element(By.ID, "live-status").text, what="the event stream")
            driver.execute_script("window.notReloaded = true")
            run_client_script(netns, DORA.replace("int(sys.argv[1]), sys.argv[2]", "1, 0x32"))
            wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, '#clients a[href="clients/02:00:00:00:32:00"]'), what="the client row")
            assert driver.execute_script("return window.notReloaded === true")
            check_page(driver, "clients")
            driver.get(console.base + "/console/clients/02:00:00:00:31:00")
            assert "198.51.100.100" in driver.find_element(By.ID, "client-leases").text
            check_page(driver, "client")

            # A run's progress advances live on its page.
            status, body, _ = console.call(client_port, "POST", "/v1/enroll", enrollment, body={"mac": MAC})
            assert status == 201, body
            client = json.loads(body)["token"]
            status, body, _ = console.call(client_port, "POST", "/v1/runs", client, body={"sequence": "deploy lab"})
            assert status == 201, body
            started = json.loads(body)
            run, sequence = started["run"]["id"], started["next_event_sequence"]
            driver.get(console.base + f"/console/runs/{run}")
            wait_until(lambda: "Live" in driver.find_element(By.ID, "live-status").text, what="the event stream")
            driver.execute_script("window.notReloaded = true")
            pointer, name = 0, "apply"
            assert console.call(client_port, "POST", f"/v1/runs/{run}/events", client,
                                body=event(sequence, "start", pointer, name))[0] == 202
            wait_until(lambda: "step 1 of" in driver.find_element(By.ID, "run-step").text, what="step 1 live")
            assert console.call(client_port, "POST", f"/v1/runs/{run}/events", client,
                                body=event(sequence + 1, "progress", pointer, name, bytes=5 * 1048576, total=10 * 1048576,
                                           rate=1048576, eta=5))[0] == 202
            wait_until(lambda: "50%" in driver.find_element(By.ID, "run-progress").text, what="progress live")
            assert "ETA 5 s" in driver.find_element(By.ID, "run-progress").text
            assert console.call(client_port, "POST", f"/v1/runs/{run}/events", client,
                                body=event(sequence + 2, "finish", pointer, name, result="failed", exit_code=3,
                                           message="disk not found"))[0] == 202
            wait_until(lambda: "failed" in driver.find_element(By.ID, "steps").text, what="the failed step live")
            assert console.call(client_port, "POST", f"/v1/runs/{run}/finish", client,
                                body={"outcome": "failed", "at_ms": 1_800_000_009_000})[0] == 200
            wait_until(lambda: driver.find_elements(By.ID, "run-failure"), what="the failure live")
            assert "failed" in driver.find_element(By.ID, "run-state").text
            assert "disk not found" in driver.find_element(By.ID, "run-failure").text
            assert driver.execute_script("return window.notReloaded === true")
            check_page(driver, "run")

            # The client page explains: the boot decision after the failed run, each image offered or
            # not with the catalog's reason (as `netboot explain --mac`), and the logs it uploaded.
            log = {"sequence": 1, "kind": "log", "data": {"name": "install.log", "text": "<b>partition 1</b>\n"}}
            assert console.call(client_port, "POST", "/v1/reports", client, body=log)[0] in (200, 201, 202)
            driver.get(console.base + f"/console/clients/{MAC}")
            decision = wait_until(lambda: driver.find_element(By.ID, "boot-decision").text, what="the boot decision")
            assert "the network" in decision and "run-failed" in decision, decision
            explained = wait_until(lambda: {row.find_elements(By.TAG_NAME, "td")[1].text: row.find_elements(By.TAG_NAME, "td")[2].text
                                            for row in driver.find_elements(By.CSS_SELECTOR, "#explain tbody tr")}, what="the explanation")
            assert explained["Lab"].startswith("yes") and explained["Old"] == "no", explained
            assert "<b>partition 1</b>" in driver.find_element(By.ID, "client-logs").text
            check_page(driver, "client-explain")

            for page in ("runs", "images", "leases", "sequences", "audit"):
                driver.get(console.base + f"/console/{page}")
                assert driver.find_element(By.TAG_NAME, "h1").text
                check_page(driver, page)
            # An Administrator releases a lease from the Leases page (through the control socket).
            driver.get(console.base + "/console/leases")
            driver.find_element(By.CSS_SELECTOR, 'input[name=lease][value="198.51.100.101"]').click()
            driver.find_element(By.CSS_SELECTOR, "button.release").click()
            wait_until(lambda: "Released 198.51.100.101" in driver.find_element(By.TAG_NAME, "main").text, what="the release")
            check_page(driver, "leases-released")
            driver.get(console.base + "/console/sequences")
            assert driver.find_elements(By.ID, "deploy")
            # The plan for a chosen MAC, as `netboot ts plan --mac` prints it; the secret as ***.
            Select(driver.find_element(By.ID, "plan-sequence")).select_by_visible_text("deploy lab")
            driver.find_element(By.ID, "plan-mac").send_keys(MAC)
            driver.find_element(By.ID, "plan-show").click()
            plan = wait_until(lambda: driver.find_element(By.ID, "plan").text, what="the plan")
            assert MAC in plan and "PmmOSDJoinPassword" in plan and "***" in plan, plan
            assert SECRET not in driver.page_source
            check_page(driver, "sequences-plan")
            # The Capture page: dump the flight recorder (control socket `capture.dump`), then the
            # download link serves the pcap from capture.dir.
            driver.get(console.base + "/console/capture")
            assert driver.find_element(By.TAG_NAME, "h1").text == "Capture"
            check_page(driver, "capture")
            driver.find_element(By.ID, "dump").click()
            wait_until(lambda: "Dumped" in driver.find_element(By.TAG_NAME, "main").text, what="the dump")
            check_page(driver, "capture-dumped")
            link = driver.find_element(By.CSS_SELECTOR, "#dumps a[download]")
            dump_path = urllib.parse.urlparse(link.get_attribute("href")).path
            assert dump_path.startswith("/console/capture/files/flight-") and dump_path.endswith(".pcap"), dump_path
            admin_session = next(c for c in driver.get_cookies() if c["name"] == "nb_console")["value"]
            status, pcap, headers = console.call(console_port, "GET", dump_path, headers={"Cookie": f"nb_console={admin_session}"})
            assert status == 200 and headers["Content-Type"] == "application/vnd.tcpdump.pcap"
            assert pcap[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"), pcap[:4]
            assert pcap == (tmp_path / "captures" / dump_path.rsplit("/", 1)[1]).read_bytes()
            # Only a dump's name in capture.dir is served: no other file, no path.
            (tmp_path / "captures" / "other.pcap").write_bytes(pcap)
            for path in ("/console/capture/files/other.pcap", "/console/capture/files/flight-1.pcap",
                         "/console/capture/files/..%2Fbridge-cert.pem"):
                assert console.call(console_port, "GET", path, headers={"Cookie": f"nb_console={admin_session}"})[0] == 404, path
            # A bounded capture on the served interface (the only one offered), 1 s at most.
            driver.get(console.base + "/console/capture")
            options = [o.get_attribute("value") for o in driver.find_elements(By.CSS_SELECTOR, "#capture-interface option")]
            assert options == [netns.server_if], options
            seconds = driver.find_element(By.ID, "capture-seconds")
            seconds.clear()
            seconds.send_keys("1")
            driver.find_element(By.ID, "capture-start").click()
            wait_until(lambda: "Captured" in driver.find_element(By.TAG_NAME, "main").text, timeout=20, what="the capture")
            check_page(driver, "capture-run")
            link = driver.find_element(By.CSS_SELECTOR, '#dumps a[href^="/console/capture/files/capture-"]')
            status, pcap, _ = console.call(console_port, "GET", urllib.parse.urlparse(link.get_attribute("href")).path,
                                           headers={"Cookie": f"nb_console={admin_session}"})
            assert status == 200 and pcap[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
            # The bounds and the interface are checked on the server, whatever the form said.
            csrf_admin = driver.find_element(By.CSS_SELECTOR, "form.logout input[name=csrf]").get_attribute("value")
            for fields in ({"interface": netns.server_if, "seconds": "61", "packets": "10"},
                           {"interface": "lo", "seconds": "1", "packets": "10"}):
                raw = urllib.parse.urlencode({"csrf": csrf_admin, **fields}).encode()
                status, page, _ = console.call(console_port, "POST", "/console/capture/run", raw=raw,
                                               headers={"Cookie": f"nb_console={admin_session}",
                                                        "Content-Type": "application/x-www-form-urlencoded"})
                assert status == 200 and b"Not captured" in page, fields

            # A Problem Monitor User: no deploy or release button, and the POSTs are refused.
            driver.find_element(By.CSS_SELECTOR, "form.logout button").click()
            wait_until(lambda: "/console/login" in driver.current_url, what="logout")
            login(driver, console, monitor)
            driver.get(console.base + "/console/leases")
            assert "198.51.100.100" in driver.find_element(By.ID, "leases").text
            assert not driver.find_elements(By.CSS_SELECTOR, "button.release")
            driver.get(console.base + "/console/sequences")
            assert not driver.find_elements(By.ID, "deploy")
            check_page(driver, "sequences-monitor")
            session = next(c for c in driver.get_cookies() if c["name"] == "nb_console")["value"]
            csrf = driver.find_element(By.CSS_SELECTOR, "form.logout input[name=csrf]").get_attribute("value")
            form = {"Cookie": f"nb_console={session}", "Content-Type": "application/x-www-form-urlencoded"}
            for path, fields in (("/console/leases/release", {"lease": "198.51.100.100"}),
                                 ("/console/sequences/deploy", {"sequence": "other", "collection": "Lab"}),
                                 ("/console/capture/dump", {}),
                                 ("/console/capture/run", {"interface": netns.server_if, "seconds": "1", "packets": "1"})):
                raw = urllib.parse.urlencode({"csrf": csrf, **fields}).encode()
                status, _, _ = console.call(console_port, "POST", path, raw=raw, headers=form)
                assert status == 403, path
            # capture.run is the Administrator's: no Capture page, no download for this role.
            assert not driver.find_elements(By.CSS_SELECTOR, 'nav a[href="/console/capture"]')
            for path in ("/console/capture", dump_path):
                status, page, _ = console.call(console_port, "GET", path, headers={"Cookie": f"nb_console={session}"})
                assert status == 403 and b'id="dump"' not in page and not page.startswith(b"\xd4\xc3"), path
            # A form without the session's CSRF token is refused too, whoever sends it.
            driver.find_element(By.CSS_SELECTOR, "form.logout button").click()
            login(driver, console, admin)
            session = next(c for c in driver.get_cookies() if c["name"] == "nb_console")["value"]
            raw = urllib.parse.urlencode({"csrf": "wrong", "lease": "198.51.100.100"}).encode()
            status, _, _ = console.call(console_port, "POST", "/console/leases/release", raw=raw,
                                        headers={**form, "Cookie": f"nb_console={session}"})
            assert status == 403
            status, leases, _ = console.call(console_port, "GET", "/v1/leases", admin)
            assert {l["address"]: l["state"] for l in json.loads(leases)["leases"]}["198.51.100.100"] == "bound"
            status, audit, _ = console.call(console_port, "GET", "/v1/audit", admin)
            lines = [(a["action"], a["outcome"]) for a in json.loads(audit)["audit"]]
            assert ("leases.release", "forbidden") in lines and ("sequence.deploy", "forbidden") in lines
            assert ("capture.dump", "allowed") in lines and ("capture.dump", "forbidden") in lines
            # No page shows a secret.
            for page in ("/console/", "/console/clients", f"/console/runs/{run}", "/console/sequences", "/console/audit",
                         f"/console/clients/{MAC}"):
                driver.get(console.base + page)
                assert SECRET not in driver.page_source
                assert admin not in driver.page_source and monitor not in driver.page_source
            # Failed logins are limited per address: after a burst of refused tokens even the right
            # token is refused from that address (429, Retry-After) until the bucket refills.
            def post_login(token):
                _, _, got = console.call(console_port, "GET", "/console/login")
                nonce = got["Set-Cookie"].split(";")[0].split("=", 1)[1]
                raw = urllib.parse.urlencode({"csrf": nonce, "token": token}).encode()
                return console.call(console_port, "POST", "/console/login", raw=raw,
                                    headers={"Cookie": f"nb_login={nonce}", "Content-Type": "application/x-www-form-urlencoded"})
            statuses = []
            while len(statuses) < 8 and 429 not in statuses:
                statuses.append(post_login("nbt_" + "B" * 43)[0])
            assert statuses[-1] == 429 and set(statuses[:-1]) == {401}, statuses
            status, page, headers = post_login(admin)
            assert status == 429 and int(headers["Retry-After"]) >= 1
            assert b"Too many failed logins" in page
            assert "too many failed logins from 127.0.0.1" in server.log()
            # An open event stream does not hold up a stop: the bridge ends it on shutdown.
            context = ssl.create_default_context(cafile=str(server.state / "bridge-cert.pem"))
            context.check_hostname = False
            stream = http.client.HTTPSConnection("127.0.0.1", console_port, timeout=10, context=context)
            stream.request("GET", "/console/events?topics=boot,runs", headers={"Cookie": f"nb_console={session}"})
            response = stream.getresponse()
            assert response.status == 200 and response.getheader("Content-Type").startswith("text/event-stream")
            assert b"retry:" in response.read1(100)
            driver.quit()
            driver = None
            started = time.time()
            server.proc.terminate()
            server.proc.wait(timeout=8)
            assert time.time() - started < 8
            stream.close()
    finally:
        if driver is not None:
            driver.quit()
        server.kill()
