"""netboot-runner end to end on Linux (issue 16): apply a 64 MiB zstd image (half zeros) to a
file "disk" and check its SHA-256 and that it is sparse; set the hostname in a target root; a
script that uses tsvar --get/--set; a restart step with the reboot command stood in; resume;
finish. Then every log, journal and state file is searched for the secret values."""
import hashlib
import json
import os
import shutil
import stat
import subprocess
import time
import uuid

import pytest

from conftest import netboot_bin, require_tool

SECRET_PASSWORD = "join-pw-" + uuid.uuid4().hex[:12]
SECRET_TOKEN = "tok-" + uuid.uuid4().hex[:12]


def runner_bin():
    path = os.path.join(os.path.dirname(netboot_bin()), "netboot-runner")
    if not os.access(path, os.X_OK):
        pytest.skip(f"netboot-runner not built at {path}")
    if not os.access(os.path.join(os.path.dirname(path), "tsvar"), os.X_OK):
        pytest.skip("tsvar not built beside netboot-runner")
    return path


def run(*args, **kwargs):
    return subprocess.run([runner_bin(), *args], capture_output=True, text=True, timeout=120, **kwargs)


def log_of(state):
    """The executor log, for assertion messages."""
    path = os.path.join(str(state), "logs", "netboot_ts_executor.log")
    return open(path).read()[-3000:] if os.path.exists(path) else "(no log)"


@pytest.fixture
def workdir(tmp_path):
    yield tmp_path
    shutil.rmtree(tmp_path, ignore_errors=True)


SCRIPT = """#!/bin/sh
a=`"${PMM_TS_VARIABLE_UTIL}" --get Greeting`
"${PMM_TS_VARIABLE_UTIL}" --set Role=web Copy="$a" Token="$TOKEN_FROM_FILE"
eval `"${PMM_TS_VARIABLE_UTIL}" --get Role Copy`
echo "role=$Role copy=$Copy"
pw=`"${PMM_TS_VARIABLE_UTIL}" --get PmmOSDJoinPassword`
echo "the password is $pw"
"${PMM_TS_VARIABLE_UTIL}" --set _TSModel=x 2>/dev/null; echo "read-only exit $?"
"${PMM_TS_VARIABLE_UTIL}" --get NoSuchVariable 2>/dev/null; echo "unknown exit $?"
"${PMM_TS_VARIABLE_UTIL}" --frobnicate 2>/dev/null; echo "garbage exit $?"
exit 0
"""

AFTER = """#!/bin/sh
echo "after reboot role=`"${PMM_TS_VARIABLE_UTIL}" --get Role`"
"${PMM_TS_VARIABLE_UTIL}" --set Done=yes
"""


def make_image(images):
    """64 MiB: 32 MiB of pseudo-random data (compressible a little) then 32 MiB of zeros."""
    raw = os.path.join(images, "base.raw")
    digest = hashlib.sha256()
    block = hashlib.sha256(b"seed").digest() * 2048  # 64 KiB
    with open(raw, "wb") as f:
        for i in range(512):  # 32 MiB of data
            chunk = bytes((b + i) & 0xFF for b in block[:4096]) + block[4096:]
            f.write(chunk)
            digest.update(chunk)
        zeros = bytes(1 << 20)
        for _ in range(32):
            f.write(zeros)
            digest.update(zeros)
    subprocess.run(["zstd", "-q", "-3", raw, "-o", os.path.join(images, "base.img.zst")], check=True)
    os.unlink(raw)
    with open(os.path.join(images, "base.img.zst.sha256"), "w") as f:
        f.write(digest.hexdigest() + "  base.img\n")
    return digest.hexdigest()


def test_run_reboot_resume_finish_and_no_secret_on_disk(workdir):
    require_tool("zstd")
    images = workdir / "images"
    packages = workdir / "packages"
    root = workdir / "root"
    state = workdir / "state"
    for d in (images, packages / "probe", packages / "after", root):
        d.mkdir(parents=True)
    expected = make_image(str(images))
    (packages / "probe" / "run.sh").write_text(SCRIPT)
    (packages / "after" / "run.sh").write_text(AFTER)
    os.chmod(packages / "probe" / "run.sh", 0o755)
    disk = workdir / "disk.img"
    marker = workdir / "rebooted"
    seq = workdir / "seq.yaml"
    seq.write_text(f"""name: end to end
variables:
  Greeting: hello
  OSDComputerName: lab-{uuid.uuid4().hex[:6]}
  Token: {{secret: true}}
steps:
  - {{type: applyImage, id: apply, image: base, destination: {disk}}}
  - {{type: setHostname, id: host}}
  - {{type: runScript, id: probe, package: probe, script: run.sh}}
  - {{type: restart, id: reboot}}
  - type: runScript
    id: after
    package: after
    script: run.sh
    condition: {{if: {{all: [{{variable: Role, equals: web}}]}}}}
""")
    varfile = workdir / "secrets.env"
    varfile.write_text(f"PmmOSDJoinPassword={SECRET_PASSWORD}\nToken={SECRET_TOKEN}\n")

    common = ["--state-dir", str(state), "--target-root", str(root)]
    first = run("run", "--file", str(seq), "--var-file", str(varfile), "--images", str(images),
                "--packages", str(packages), "--reboot-command", f"touch {marker}", "--verify", *common,
                env={**os.environ, "TOKEN_FROM_FILE": SECRET_TOKEN})
    assert first.returncode == 0, first.stderr + log_of(state)
    assert marker.exists(), "the stand-in reboot command did not run"

    # The image: same content, and sparse (the 32 MiB of zeros were not written).
    h = hashlib.sha256()
    with open(disk, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    assert h.hexdigest() == expected
    st = os.stat(disk)
    assert st.st_size == 64 << 20
    assert st.st_blocks * 512 <= (33 << 20), f"not sparse: {st.st_blocks * 512} bytes allocated"
    assert (root / "etc" / "hostname").read_text().startswith("lab-")
    # The logs so far were copied into the target after the image step.
    assert "applied 67108864 bytes" in (root / "var" / "log" / "netboot" / "netboot_ts_executor.log").read_text()

    status = run("status", "--json", "--state-dir", str(state))
    assert status.returncode == 0, status.stderr
    doc = json.loads(status.stdout)
    assert doc["phase"] == "rebooting"
    by_id = {s["id"]: s for s in doc["steps"] if s.get("id")}
    assert by_id["apply"]["status"] == "succeeded"
    assert by_id["reboot"]["status"] == "succeeded"
    assert by_id["after"]["status"] == "not run"

    # While no run is active tsvar says so.
    tsvar = os.path.join(os.path.dirname(runner_bin()), "tsvar")
    outside = subprocess.run([tsvar, "--get", "Role"], capture_output=True, text=True,
                             env={"NETBOOT_TSVAR_SOCKET": str(state / "tsvar.sock")})
    assert outside.returncode == 5

    # Resume needs the sealed secrets again: the run's --var-file is read again.
    second = run("resume", *common)
    assert second.returncode == 0, second.stderr + log_of(state)
    doc = json.loads(run("status", "--json", "--state-dir", str(state)).stdout)
    assert doc["phase"] == "succeeded"
    assert {s["id"]: s["status"] for s in doc["steps"] if s.get("id")}["after"] == "succeeded"
    assert run("resume", *common).returncode == 3  # finished: nothing to resume

    executor_log = (state / "logs" / "netboot_ts_executor.log").read_text()
    assert "role=web copy=hello" in executor_log
    assert "the password is ***" in executor_log
    assert "read-only exit 4" in executor_log
    assert "unknown exit 3" in executor_log
    assert "garbage exit 2" in executor_log
    assert "after reboot role=web" in executor_log

    # No secret value in any file the runner wrote (logs, journal, outbox, target root).
    for base in (state, root):
        for dirpath, _, files in os.walk(base):
            for name in files:
                path = os.path.join(dirpath, name)
                if stat.S_ISSOCK(os.lstat(path).st_mode):
                    continue
                data = open(path, "rb").read()
                if name.endswith(".gz"):
                    import gzip
                    data = gzip.decompress(data)
                for secret in (SECRET_PASSWORD, SECRET_TOKEN):
                    assert secret.encode() not in data, f"{secret} found in {path}"


def test_missing_variables_are_listed_before_any_disk_is_touched(workdir):
    seq = workdir / "seq.yaml"
    seq.write_text("""name: prompts
variables:
  OSDComputerName: ""
  PmmOSDJoinPassword: ""
steps:
  - {type: applyImage, id: apply, image: base, destination: /nonexistent/disk}
  - {type: setHostname}
""")
    state = workdir / "state"
    result = run("run", "--file", str(seq), "--state-dir", str(state), stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    assert "OSDComputerName" in result.stderr and "PmmOSDJoinPassword" in result.stderr
    assert not state.exists(), "the state directory was created before the inputs were complete"
    # A secret on the command line is refused (it would be visible in ps).
    result = run("run", "--file", str(seq), "--var", "PmmOSDJoinPassword=x", "--var", "OSDComputerName=a",
                 "--state-dir", str(state), stdin=subprocess.DEVNULL)
    assert result.returncode == 2 and "--var-file" in result.stderr


def test_interrupted_destructive_step_and_damaged_journal_refuse_resume(workdir):
    require_tool("zstd")
    images = workdir / "images"
    images.mkdir()
    make_image(str(images))
    state = workdir / "state"
    seq = workdir / "seq.yaml"
    seq.write_text(f"""name: slow apply
steps:
  - {{type: applyImage, id: apply, image: base, destination: {workdir / 'disk.img'}}}
""")
    # Kill the runner while it applies: the journal says "apply: running".
    proc = subprocess.Popen([runner_bin(), "run", "--file", str(seq), "--images", str(images),
                             "--state-dir", str(state)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    statefile = state / "state"
    for _ in range(2000):
        if statefile.exists() and '"status" : "running"' in statefile.read_text(errors="replace"):
            break
        if proc.poll() is not None:
            break
        import time
        time.sleep(0.002)
    proc.kill()
    proc.wait()
    doc = json.loads(run("status", "--json", "--state-dir", str(state)).stdout)
    if doc["phase"] != "running":
        pytest.skip("the apply finished before it could be interrupted")
    refused = run("resume", "--state-dir", str(state))
    assert refused.returncode == 3
    assert "--retry-step" in refused.stderr
    retried = run("resume", "--retry-step", "--state-dir", str(state))
    assert retried.returncode == 0, retried.stderr + log_of(state)

    # Damage the journal: resume and status refuse, nothing runs.
    data = bytearray(statefile.read_bytes())
    data[len(data) // 2] ^= 0x01
    statefile.write_bytes(bytes(data[: len(data) - 10]))
    damaged = run("resume", "--state-dir", str(state))
    assert damaged.returncode == 3
    assert "truncated" in damaged.stderr or "checksum" in damaged.stderr


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_images_add_lists_serves_ranges_and_feeds_the_runner(workdir):
    require_tool("zstd")
    source = workdir / "src"
    source.mkdir()
    expected = make_image(str(source))
    images = workdir / "images"
    images.mkdir()
    added = subprocess.run([netboot_bin(), "images", "add", str(source / "base.img.zst"), "--name", "base",
                            "--images-dir", str(images)], capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    assert "New image distributed: base" in added.stdout
    listed = subprocess.run([netboot_bin(), "images", "list", "--json", "--images-dir", str(images)],
                            capture_output=True, text=True)
    doc = json.loads(listed.stdout)
    [disk] = doc["diskImages"]
    assert disk["name"] == "base" and disk["compression"] == "zstd"
    assert disk["sha256"] == expected and disk["rawSize"] == 64 << 20
    assert disk["size"] == os.path.getsize(source / "base.img.zst")
    text = subprocess.run([netboot_bin(), "images", "list", "--images-dir", str(images)], capture_output=True, text=True)
    assert "base: base.img.zst, zstd" in text.stdout
    # The same name again is refused; a truncated image is refused.
    again = subprocess.run([netboot_bin(), "images", "add", str(source / "base.img.zst"), "--name", "base",
                            "--images-dir", str(images)], capture_output=True, text=True)
    assert again.returncode == 2 and "--replace" in again.stderr
    cut = workdir / "cut.zst"
    cut.write_bytes((source / "base.img.zst").read_bytes()[:5000])
    broken = subprocess.run([netboot_bin(), "images", "add", str(cut), "--name", "cut", "--images-dir", str(images)],
                            capture_output=True, text=True)
    assert broken.returncode == 2 and "truncated" in broken.stderr

    # Served over HTTP with ranges (loopback only), so an interrupted apply can resume.
    import time
    import urllib.request
    port = free_port()
    server = subprocess.Popen([netboot_bin(), "http-serve", "--root", str(images), "--host", "127.0.0.1",
                               "--port", str(port), "--no-access-log"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        stored = (images / "disk" / "base.img.zst").read_bytes()
        body = None
        for _ in range(100):
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/disk/base.img.zst",
                                                 headers={"Range": "bytes=1000-1999"})
                with urllib.request.urlopen(request, timeout=5) as response:
                    assert response.status == 206
                    body = response.read()
                break
            except OSError:
                time.sleep(0.1)
        assert body == stored[1000:2000]
    finally:
        server.terminate()
        server.wait(timeout=10)

    # The runner finds catalog images under --images DIR/disk and checks their digest.
    seq = workdir / "seq.yaml"
    disk_path = workdir / "disk.img"
    seq.write_text(f"name: from catalog\nsteps:\n  - {{type: applyImage, image: base, destination: {disk_path}}}\n")
    result = run("run", "--file", str(seq), "--images", str(images), "--state-dir", str(workdir / "state"))
    assert result.returncode == 0, result.stderr + log_of(workdir / "state")
    assert "sha256 " + expected in log_of(workdir / "state")


def test_hanging_and_crashing_steps_fail_per_the_rules(workdir):
    packages = workdir / "packages" / "bad"
    packages.mkdir(parents=True)
    (packages / "hang.sh").write_text("sleep 60 &\nsleep 60\n")
    (packages / "crash.sh").write_text("kill -SEGV $$\n")
    (packages / "reboot.sh").write_text("exit 3010\n")
    seq = workdir / "seq.yaml"
    seq.write_text("""name: bad steps
steps:
  - {type: runScript, id: hang, package: bad, script: hang.sh, timeout: 1, continueOnError: true}
  - {type: runScript, id: crash, package: bad, script: crash.sh, continueOnError: true}
  - {type: runScript, id: reboot, package: bad, script: reboot.sh}
""")
    state = workdir / "state"
    marker = workdir / "rebooted"
    first = run("run", "--file", str(seq), "--packages", str(workdir / "packages"), "--state-dir", str(state),
                "--reboot-command", f"touch {marker}")
    assert first.returncode == 0, first.stderr + log_of(state)
    assert marker.exists()
    steps = {s["id"]: s for s in json.loads(run("status", "--json", "--state-dir", str(state)).stdout)["steps"] if s.get("id")}
    assert steps["hang"]["status"] == "timed out"
    assert steps["crash"]["status"] == "failed, continued" and "signal 11" in steps["crash"]["message"]
    # A script's `exit 3010` arrives as 194 and is shown as 3010, with a reboot.
    assert steps["reboot"]["exitCode"] == 3010 and steps["reboot"]["rawExitCode"] == 194
    assert steps["reboot"]["rebootRequested"] is True
    text = run("status", "--state-dir", str(state)).stdout
    assert "exit 3010 (status 194)" in text
    assert run("resume", "--state-dir", str(state)).returncode == 0


def catalog_image(workdir):
    """A zstd image registered with `netboot images add` in workdir/images: its raw content's
    SHA-256, the stored file's bytes and its catalog record."""
    require_tool("zstd")
    source = workdir / "src"
    source.mkdir()
    expected = make_image(str(source))
    images = workdir / "images"
    images.mkdir()
    added = subprocess.run([netboot_bin(), "images", "add", str(source / "base.img.zst"), "--name", "base",
                            "--images-dir", str(images)], capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    return expected, (images / "disk" / "base.img.zst").read_bytes(), (images / "disk" / "base.json").read_bytes()


def dropping_image_handler(record, stored, requests, dropped=lambda: None, tag=lambda: ()):
    """An HTTP handler for the catalog record and the image: a GET of the image without a Range
    is promised everything and gets half, then a hang-up (and `dropped()`); a ranged GET gets
    the rest (206). Each request is noted in `requests` as (path, Range) + `tag()`."""
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send_body(self, status, body, headers=()):
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            requests.append((self.path, self.headers.get("Range")) + tag())
            if self.path == "/disk/base.json":
                self.send_body(200, record)
                return
            if self.path != "/disk/base.img.zst":
                self.send_error(404)
                return
            spec = self.headers.get("Range")
            if spec is None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(stored)))
                self.end_headers()
                self.wfile.write(stored[: len(stored) // 2])
                self.wfile.flush()
                self.close_connection = True
                dropped()
                return
            start = int(spec.split("=")[1].rstrip("-"))
            self.send_body(206, stored[start:], [("Content-Range", f"bytes {start}-{len(stored) - 1}/{len(stored)}")])

    return Handler


def apply_over_http(workdir, port):
    """Runs a one-step sequence applying image `base` from http://127.0.0.1:PORT/; returns the
    disk file and the state dir."""
    disk = workdir / "disk.img"
    seq = workdir / "seq.yaml"
    seq.write_text(f"name: over http\nsteps:\n  - {{type: applyImage, image: base, destination: {disk}}}\n")
    state = workdir / "state"
    result = run("run", "--file", str(seq), "--images", f"http://127.0.0.1:{port}/", "--state-dir", str(state))
    assert result.returncode == 0, result.stderr + log_of(state)
    return disk, state


def test_apply_from_http_goes_on_after_a_dropped_connection(workdir):
    """The runner fetches the catalog record and the image over HTTP; the server drops the first
    connection half-way, and the runner asks again with a Range from where it stopped."""
    import http.server
    import threading
    expected, stored, record = catalog_image(workdir)
    requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), dropping_image_handler(record, stored, requests))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        disk, state = apply_over_http(workdir, server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
    assert ("/disk/base.img.zst", f"bytes={len(stored) // 2}-") in requests
    h = hashlib.sha256(disk.read_bytes()).hexdigest()
    assert h == expected
    assert "sha256 " + expected in log_of(state)


def test_apply_from_http_waits_for_a_server_that_went_away_and_came_back(workdir):
    """The appliance restarted in the middle of an image: the first connection drops half-way,
    the port refuses connections for 2 s (no process behind it), then a new server answers the
    runner's ranged GET. The runner waits for it instead of failing the step (issue 17)."""
    import http.server
    import threading
    expected, stored, record = catalog_image(workdir)
    requests = []
    servers = []
    gone = threading.Event()
    handler = dropping_image_handler(record, stored, requests, dropped=gone.set, tag=lambda: (len(servers),))

    def serve(port):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def restart(port):
        gone.wait(60)
        first = servers[0]
        first.shutdown()
        first.server_close()
        time.sleep(2)  # the appliance's restart: the port refuses for this long
        serve(port)

    port = serve(0).server_address[1]
    restarter = threading.Thread(target=restart, args=(port,), daemon=True)
    restarter.start()
    try:
        disk, state = apply_over_http(workdir, port)
    finally:
        restarter.join(10)
        for server in servers:
            server.shutdown()
            server.server_close()
    # The ranged GET was answered by the second server, after the pause.
    assert ("/disk/base.img.zst", f"bytes={len(stored) // 2}-", 2) in requests, requests
    assert hashlib.sha256(disk.read_bytes()).hexdigest() == expected
    steps = json.loads(run("status", "--json", "--state-dir", str(state)).stdout)["steps"]
    # One attempt: the image source waited, the step was not retried.
    assert steps[0]["status"] == "succeeded" and steps[0]["attempts"] == 1, steps


def test_dry_run_touches_nothing(workdir):
    require_tool("zstd")
    images = workdir / "images"
    images.mkdir()
    make_image(str(images))
    disk = workdir / "disk.img"
    state = workdir / "state"
    seq = workdir / "seq.yaml"
    seq.write_text(f"name: dry\nsteps:\n  - {{type: applyImage, image: base, destination: {disk}}}\n  - {{type: restart}}\n"
                   f"  - {{type: setHostname, hostname: dry-1}}\n")
    result = run("run", "--dry-run", "--file", str(seq), "--images", str(images), "--state-dir", str(state),
                 "--target-root", str(workdir / "root"), "--reboot-command", "false")
    assert result.returncode == 0, result.stderr
    assert "would apply" in result.stderr and "would reboot" in result.stderr and "would set the host name" in result.stderr
    assert not disk.exists() and not state.exists() and not (workdir / "root").exists()
