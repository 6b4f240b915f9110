"""Task-sequence runs through the bridge (issue 16 §6, docs/bridge.md "Runs",
docs/task-sequences.md "Runs through the bridge"): the client-port routes (deployed sequences,
start with variables resolved, step events stored once per sequence number, finish) and the
console's deployments and runs; then `netboot serve` with the bridge in one namespace and
`netboot-runner run --bridge` in another: apply a zstd image to a file disk, a script using
tsvar, a restart with the reboot command stood in, the bridge stopped mid-run, `resume`, finish —
watched with `netboot ts runs show --json`, every event exactly once, no secret on any disk."""
import json
import os
import re
import shutil
import stat
import subprocess
import time
import uuid

import pytest

from bridge_support import Bridge, free_port
from conftest import netboot_bin, require_tool
from test_runner import make_image, runner_bin

SECRET = "join-pw-" + uuid.uuid4().hex[:12]
MAC = "02:00:5e:" + ":".join(uuid.uuid4().hex[i:i + 2] for i in (0, 2, 4))

SEQUENCE = """name: deploy lab
variables:
  Greeting: hello
steps:
  - {{type: applyImage, id: apply, name: apply, image: base, destination: {disk}}}
  - {{type: setHostname, id: host, name: host}}
  - {{type: runScript, id: probe, name: probe, package: probe, script: run.sh}}
  - {{type: restart, id: reboot, name: reboot}}
  - type: runScript
    id: after
    name: after
    package: after
    script: run.sh
    condition: {{if: {{all: [{{variable: Role, equals: web}}]}}}}
"""

INVENTORY = """devices:
  - name: lab-{tag}
    mac: {mac}
    variables:
      OSDComputerName: lab-{tag}
collections:
  - name: Lab
    members: [lab-{tag}]
    variables:
      Site: lab
      PmmOSDJoinPassword:
        value: {secret}
        secret: true
  - name: Unknown Mac OS X Systems
    variables:
      Site: unknown
      PmmOSDJoinPassword:
        value: {secret}
        secret: true
deployments:
  - sequence: deploy-lab
    collection: Lab
"""

PROBE = """#!/bin/sh
pw=`"${PMM_TS_VARIABLE_UTIL}" --get PmmOSDJoinPassword`
echo "the password is $pw"
site=`"${PMM_TS_VARIABLE_UTIL}" --get Site`
echo "site=$site greeting=`"${PMM_TS_VARIABLE_UTIL}" --get Greeting`"
"${PMM_TS_VARIABLE_UTIL}" --set Role=web
touch "$FLAG_DIR/probe-started"
i=0
while [ ! -e "$FLAG_DIR/go" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done
exit 0
"""

AFTER = """#!/bin/sh
echo "after reboot role=`"${PMM_TS_VARIABLE_UTIL}" --get Role`"
"""


def appliance_files(tmp_path, disk="/nonexistent/disk.img"):
    sequences = tmp_path / "sequences"
    sequences.mkdir()
    (sequences / "deploy-lab.yaml").write_text(SEQUENCE.format(disk=disk))
    (sequences / "other.yaml").write_text("name: other\nsteps:\n  - {type: runScript, id: s, package: p, script: run.sh}\n")
    tag = uuid.uuid4().hex[:6]
    (tmp_path / "inventory.yaml").write_text(INVENTORY.format(tag=tag, mac=MAC, secret=SECRET))
    return f"  sequences-dir: {sequences}\n  inventory: {tmp_path / 'inventory.yaml'}\n", tag


def no_secret_under(*bases):
    for base in bases:
        for dirpath, _, files in os.walk(base):
            for name in files:
                path = os.path.join(dirpath, name)
                if stat.S_ISSOCK(os.lstat(path).st_mode):
                    continue
                data = open(path, "rb").read()
                if name.endswith(".gz"):
                    import gzip
                    data = gzip.decompress(data)
                assert SECRET.encode() not in data, f"the secret is in {path}"


def event(sequence, kind, step, name, **fields):
    return {"sequence": sequence, "kind": kind, "step": step, "name": name, "at_ms": 1_800_000_000_000 + sequence, **fields}


def test_run_routes_deploy_start_events_finish(tmp_path):
    extra, tag = appliance_files(tmp_path)
    b = Bridge(tmp_path, extra=extra)
    admin = b.token("administrator")
    monitor = b.token("problem-monitor-users")
    b.start()
    try:
        # A machine in the inventory: its collection Lab and the sequence deployed there.
        status, body, _ = b.client("POST", "/v1/enroll", b.token("enrollment"), body={"mac": MAC})
        assert status == 201, body
        client = body["token"]
        status, listing, _ = b.client("GET", "/v1/sequences", client)
        assert status == 200, listing
        assert listing["collections"] == ["Lab"]
        assert [s["name"] for s in listing["sequences"]] == ["deploy lab"]

        # An unknown machine falls into Unknown Mac OS X Systems: nothing deployed until the console deploys.
        status, body, _ = b.client("POST", "/v1/enroll", b.token("enrollment"), body={"mac": "02:00:00:00:00:99"})
        stranger = body["token"]
        status, listing, _ = b.client("GET", "/v1/sequences", stranger)
        assert listing["collections"] == ["Unknown Mac OS X Systems"] and listing["sequences"] == []
        deployment = {"sequence": "other", "collection": "Unknown Mac OS X Systems"}
        assert b.console("POST", "/v1/deployments", monitor, body=deployment)[0] == 403
        assert b.console("POST", "/v1/deployments", admin, body={"sequence": "nope", "collection": "Lab"})[0] == 400
        assert b.console("POST", "/v1/deployments", admin, body={"sequence": "other", "collection": "Nope"})[0] == 400
        assert b.console("POST", "/v1/deployments", admin, body=deployment)[0] == 201
        assert b.console("POST", "/v1/deployments", admin, body=deployment)[0] == 200
        status, listing, _ = b.client("GET", "/v1/sequences", stranger)
        assert [s["name"] for s in listing["sequences"]] == ["other"]
        status, deployments, _ = b.console("GET", "/v1/deployments", monitor)
        assert {(d["sequence"], d["collection"], d["source"]) for d in deployments["deployments"]} == {
            ("deploy-lab", "Lab", "inventory"), ("other", "Unknown Mac OS X Systems", "console")}
        assert b.client("POST", "/v1/runs", stranger, body={"sequence": "deploy lab"})[0] == 404

        # Start: the variables resolved for this machine, the secret only in this answer.
        status, started, _ = b.client("POST", "/v1/runs", client, body={"sequence": "deploy-lab"})
        assert status == 201, started
        run = started["run"]["id"]
        variables = {v["name"]: v for v in started["variables"]}
        assert variables["PmmOSDJoinPassword"]["value"] == SECRET and variables["PmmOSDJoinPassword"]["secret"]
        assert variables["PmmOSDJoinPassword"]["layer"] == "collection"
        assert variables["OSDComputerName"]["value"] == f"lab-{tag}" and variables["OSDComputerName"]["layer"] == "device"
        assert variables["Site"]["value"] == "lab"
        assert SECRET not in json.dumps(started["plan"])
        assert started["run"]["steps_total"] == 6 and started["next_event_sequence"] == 1
        assert "name: deploy lab" in started["source"]

        # Events: stored once per sequence number; another event under a used number is 409.
        start = event(1, "start", 0, "apply")
        assert b.client("POST", f"/v1/runs/{run}/events", client, body=start)[1] == {"sequence": 1, "duplicate": False}
        assert b.client("POST", f"/v1/runs/{run}/events", client, body=dict(reversed(list(start.items()))))[1] == {"sequence": 1, "duplicate": True}
        assert b.client("POST", f"/v1/runs/{run}/events", client, body=event(1, "log", 0, "apply", text="x"))[0] == 409
        status, body, _ = b.client("POST", f"/v1/runs/{run}/events", client, body=event(2, "finish", 0, "apply"))
        assert status == 400 and body["field"] == "result"
        assert b.client("POST", f"/v1/runs/{run}/events", client,
                        body=event(2, "progress", 0, "apply", bytes=1 << 20, rate=1 << 19, eta=3))[0] == 202
        assert b.client("POST", f"/v1/runs/{run}/events", stranger, body=event(1, "start", 0, "apply"))[0] == 404
        assert b.client("POST", f"/v1/runs/{run}/events", admin, body=event(3, "start", 0, "apply"))[0] in (401, 403)

        status, view, _ = b.console("GET", f"/v1/runs/{run}", monitor)
        assert status == 200, view
        assert view["state"] == "running" and view["current_step_number"] == 1 and view["progress"]["bytes"] == 1 << 20
        assert view["progress"]["eta"] == 3

        assert b.client("POST", f"/v1/runs/{run}/events", client, body=event(3, "finish", 0, "apply", result="success", exit_code=0))[0] == 202
        finish = {"outcome": "failed", "at_ms": 1_800_000_000_100}
        status, done, _ = b.client("POST", f"/v1/runs/{run}/finish", client, body=finish)
        assert status == 200 and done["state"] == "failed" and done["steps_done"] == 1
        assert b.client("POST", f"/v1/runs/{run}/finish", client, body=finish)[0] == 200
        assert b.client("POST", f"/v1/runs/{run}/finish", client, body={**finish, "outcome": "succeeded"})[0] == 409
        assert b.client("POST", f"/v1/runs/{run}/events", client, body=event(4, "log", 0, "apply", text="late"))[0] == 409
        # A new run numbers its events after the last one stored for this client.
        status, again, _ = b.client("POST", "/v1/runs", client, body={"sequence": "deploy lab"})
        assert again["next_event_sequence"] == 4

        status, runs, _ = b.console("GET", "/v1/runs", monitor)
        assert [r["id"] for r in runs["runs"]][1] == run
        listed = subprocess.run([netboot_bin(), "ts", "runs", "show", run, "--json", "--state-dir", str(b.state)],
                                capture_output=True, text=True)
        assert listed.returncode == 0, listed.stderr
        shown = json.loads(listed.stdout)
        assert shown["state"] == "failed" and shown["events"] == 3 and shown["steps"][0]["state"] == "success"
        text = subprocess.run([netboot_bin(), "ts", "runs", "--state-dir", str(b.state)], capture_output=True, text=True)
        assert text.returncode == 0 and "deploy lab" in text.stdout and "1 of 6 steps done" in text.stdout, text.stdout
        assert subprocess.run([netboot_bin(), "ts", "runs", "show", "nope", "--state-dir", str(b.state)],
                              capture_output=True, text=True).returncode != 0
    finally:
        b.stop()
    no_secret_under(b.state, tmp_path / "logs", b.output)


def ts_runs(state, *args):
    out = subprocess.run([netboot_bin(), "ts", "runs", *args, "--json", "--state-dir", str(state)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def wait_for(predicate, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_runner_runs_a_deployed_sequence_through_the_bridge_across_an_outage(tmp_path, netns):
    require_tool("zstd")
    runner = runner_bin()
    work = tmp_path / "client"
    images, packages, root, state, flags = work / "images", work / "packages", work / "root", work / "state", work / "flags"
    for d in (images, packages / "probe", packages / "after", root, flags):
        d.mkdir(parents=True)
    expected = make_image(str(images))
    (packages / "probe" / "run.sh").write_text(PROBE)
    (packages / "after" / "run.sh").write_text(AFTER)
    disk = work / "disk.img"
    marker = work / "rebooted"
    appliance = tmp_path / "appliance"
    appliance.mkdir()
    extra, tag = appliance_files(appliance, disk=str(disk))
    http_port = free_port()
    b = Bridge(appliance, listen="0.0.0.0",
               extra=extra + ("  enabled: true\ndhcp:\n  enabled: false\ntftp:\n  enabled: false\n"
                              f"http:\n  port: {http_port}\n  root: {appliance / 'www'}\nimages-dir: {appliance / 'www'}\n"))
    (appliance / "www").mkdir()
    enrollment = b.token("enrollment")
    serve = dict(command=("serve",), wrap=("ip", "netns", "exec", netns.server))
    b.start(**serve)
    fingerprint = re.search(r"fingerprint ([0-9A-F:]{95})", b.output.read_text()).group(1)
    url = f"https://{netns.server_ip}:{b.client_port}"
    common = ["--state-dir", str(state), "--target-root", str(root), "--bridge-wait", "90"]
    env = {**os.environ, "FLAG_DIR": str(flags)}
    first = None
    try:
        first = netns.popen(netns.client, runner, "run", "--bridge", url, "--token", enrollment, "--fingerprint", fingerprint,
                            "--mac", MAC, "--images", str(images), "--packages", str(packages),
                            "--reboot-command", f"touch {marker}", *common,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        wait_for(lambda: (flags / "probe-started").exists() or first.poll() is not None, 90, "the probe step")
        assert first.poll() is None, first.communicate()[1]

        # Watched during the run: the image applied, the probe running, step 3 of 5.
        listing = wait_for(lambda: [r for r in ts_runs(b.state)["runs"] if r.get("current_step_name") == "probe"], 30, "probe in ts runs")
        run = listing[0]["id"]
        during = ts_runs(b.state, "show", run)
        assert during["state"] == "running" and during["current_step_number"] == 3 and during["steps_total"] == 6, during
        apply = during["steps"][0]
        assert apply["state"] == "success" and apply["finished_at_milliseconds"] >= apply["started_at_milliseconds"], during
        assert during["elapsed_milliseconds"] > 0

        # The bridge goes away while the run goes on: the rest is queued.
        b.stop()
        (flags / "go").touch()
        out, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
        assert marker.exists(), "the stand-in reboot command did not run"
        outbox = [json.loads(line) for line in (state / "outbox.jsonl").read_text().splitlines()]
        sent = int((state / "outbox.sent").read_text())
        assert sent < outbox[-1]["sequence"], "nothing was queued while the bridge was down"
        log = (state / "logs" / "netboot_ts_executor.log").read_text()
        assert "queued, retrying" in log

        # The image is on the disk, sparse.
        import hashlib
        h = hashlib.sha256()
        with open(disk, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        assert h.hexdigest() == expected
        assert os.stat(disk).st_blocks * 512 <= (33 << 20)

        # Back: resume delivers the queue, agrees with the appliance on which steps ran, finishes.
        b.start(**serve)
        second = netns.run(netns.client, runner, "resume", *common, check=False, env=env, timeout=180)
        assert second.returncode == 0, second.stderr + (state / "logs" / "netboot_ts_executor.log").read_text()[-3000:]
        final = wait_for(lambda: (lambda v: v if v["state"] != "running" else None)(ts_runs(b.state, "show", run)), 30, "the finish")
        assert final["state"] == "succeeded", final
        assert final["steps_done"] == 6 and final.get("current_step") is None
        for step in final["steps"]:
            assert step["state"] == "success" and step["attempts"] == 1, json.dumps(final["steps"])
            assert step["started_at_milliseconds"] <= step["finished_at_milliseconds"], step
        # Every event exactly once: as many stored as the runner wrote, none lost, none twice.
        outbox = [json.loads(line) for line in (state / "outbox.jsonl").read_text().splitlines()]
        assert final["events"] == len(outbox) == len({e["sequence"] for e in outbox})
        assert int((state / "outbox.sent").read_text()) == outbox[-1]["sequence"]
        log = (state / "logs" / "netboot_ts_executor.log").read_text()
        assert "the password is ***" in log and "site=lab greeting=hello" in log and "after reboot role=web" in log
        assert (root / "etc" / "hostname").read_text().strip() == f"lab-{tag}"
        assert netns.run(netns.client, runner, "resume", *common, check=False).returncode == 3
        # The run gauge on the appliance's /metrics (issue 20), recounted every 5 s.
        def gauge():
            text = netns.run(netns.client, "curl", "-s", f"http://{netns.server_ip}:{http_port}/metrics", check=False).stdout
            return text if re.search(r'^netboot_runs\{state="succeeded"\} 1(\.0)?$', text, re.M) else None
        text = wait_for(gauge, 20, "netboot_runs on /metrics")
        assert re.search(r'^netboot_runs\{state="running"\} 0(\.0)?$', text, re.M), text
        assert "# HELP netboot_runs Task-sequence runs" in text
    finally:
        if first and first.poll() is None:
            first.kill()
            first.wait()
        b.stop()
    no_secret_under(state, root, b.state, appliance / "logs", b.output)


def test_resume_refuses_when_the_appliance_and_the_journal_disagree(tmp_path):
    runner = runner_bin()
    state, root, flags = tmp_path / "state", tmp_path / "root", tmp_path / "flags"
    root.mkdir()
    flags.mkdir()
    sequences = tmp_path / "sequences"
    sequences.mkdir()
    (sequences / "short.yaml").write_text("name: short\nsteps:\n  - {type: restart, id: reboot}\n"
                                          "  - {type: setHostname, id: host, name: host, hostname: after}\n")
    (sequences / "other.yaml").write_text("name: other\nsteps:\n  - {type: setHostname, id: host, hostname: other}\n")
    (tmp_path / "inventory.yaml").write_text("deployments:\n  - sequence: short\n    collection: Unknown Mac OS X Systems\n"
                                             "  - sequence: other\n    collection: Unknown Mac OS X Systems\n")
    b = Bridge(tmp_path, extra=f"  sequences-dir: {sequences}\n  inventory: {tmp_path / 'inventory.yaml'}\n")
    enrollment = b.token("enrollment")
    b.start()
    try:
        fingerprint = re.search(r"fingerprint ([0-9A-F:]{95})", b.output.read_text()).group(1)
        url = f"https://127.0.0.1:{b.client_port}"
        common = ["--state-dir", str(state), "--target-root", str(root), "--bridge-wait", "20"]
        # A wrong pin: nothing is sent.
        wrong = subprocess.run([runner, "run", "--bridge", url, "--token", enrollment, "--fingerprint", "AB" * 32,
                                "--mac", MAC, "--reboot-command", "true", *common], capture_output=True, text=True, timeout=60)
        assert wrong.returncode == 4 and "not the pinned" in wrong.stderr, wrong.stderr
        # Two sequences deployed and no terminal: the runner lists them and asks for --sequence.
        several = subprocess.run([runner, "run", "--bridge", url, "--token", enrollment, "--fingerprint", fingerprint,
                                  "--mac", MAC, *common], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert several.returncode == 2 and "--sequence (short, other)" in several.stderr, several.stderr
        # The enrollment token is spent by now; the client token it gave is not kept when no run started.
        enrollment = b.token("enrollment")
        unknown = subprocess.run([runner, "run", "--bridge", url, "--token", enrollment, "--fingerprint", fingerprint,
                                  "--mac", MAC, "--sequence", "nope", *common], capture_output=True, text=True, timeout=60)
        assert unknown.returncode == 2 and "'nope' is not deployed" in unknown.stderr, unknown.stderr
        enrollment = b.token("enrollment")
        first = subprocess.run([runner, "run", "--bridge", url, "--token", enrollment, "--fingerprint", fingerprint,
                                "--mac", MAC, "--sequence", "short", "--reboot-command", f"touch {flags / 'rebooted'}", *common],
                               capture_output=True, text=True, timeout=60)
        assert first.returncode == 0, first.stderr
        link = json.loads((state / "bridge.json").read_text())
        # The appliance is told the step after the restart finished, which the journal says did not run.
        last = max(json.loads(line)["sequence"] for line in (state / "outbox.jsonl").read_text().splitlines())
        status, body, _ = b.client("POST", f"/v1/runs/{link['run']}/events", link["token"],
                                   body=event(last + 1, "finish", 1, "host", result="success"))
        assert status == 202, body
        refused = subprocess.run([runner, "resume", *common], capture_output=True, text=True, timeout=60)
        assert refused.returncode == 3, refused.stderr
        assert "disagree" in refused.stderr and "step 1 'host': journal not-run, appliance success" in refused.stderr
        assert not (root / "etc" / "hostname").exists()
    finally:
        b.stop()


def test_an_image_steps_bytes_rate_and_eta_show_in_ts_runs_while_it_runs(tmp_path):
    """The runner on loopback applies an image from a slow HTTP image server; `netboot ts runs
    show --json` shows the image step's progress (bytes, rate, ETA) while it runs, none after."""
    import http.server
    import threading
    require_tool("zstd")
    runner = runner_bin()
    source, images = tmp_path / "src", tmp_path / "images"
    source.mkdir()
    images.mkdir()
    expected = make_image(str(source))
    added = subprocess.run([netboot_bin(), "images", "add", str(source / "base.img.zst"), "--name", "base",
                            "--images-dir", str(images)], capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    stored = (images / "disk" / "base.img.zst").read_bytes()
    record = (images / "disk" / "base.json").read_bytes()

    class Slow(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = record if self.path == "/disk/base.json" else stored if self.path == "/disk/base.img.zst" else None
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            step = max(1, len(body) // 24)
            for offset in range(0, len(body), step):
                self.wfile.write(body[offset:offset + step])
                self.wfile.flush()
                if body is stored:
                    time.sleep(0.25)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sequences = tmp_path / "sequences"
    sequences.mkdir()
    disk = tmp_path / "disk.img"
    (sequences / "slow.yaml").write_text(f"name: slow\nsteps:\n  - {{type: applyImage, name: apply, image: base, destination: {disk}}}\n")
    (tmp_path / "inventory.yaml").write_text("deployments:\n  - sequence: slow\n    collection: Unknown Mac OS X Systems\n")
    b = Bridge(tmp_path, extra=f"  sequences-dir: {sequences}\n  inventory: {tmp_path / 'inventory.yaml'}\n")
    enrollment = b.token("enrollment")
    b.start()
    runner_process = None
    try:
        fingerprint = re.search(r"fingerprint ([0-9A-F:]{95})", b.output.read_text()).group(1)
        state = tmp_path / "state"
        runner_process = subprocess.Popen([runner, "run", "--bridge", f"https://127.0.0.1:{b.client_port}", "--token", enrollment,
                                           "--fingerprint", fingerprint, "--mac", MAC, "--images", f"http://127.0.0.1:{server.server_address[1]}/",
                                           "--state-dir", str(state), "--bridge-wait", "30"],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        running = wait_for(lambda: [r for r in ts_runs(b.state)["runs"] if r.get("progress", {}).get("bytes", 0) > 0]
                           or runner_process.poll() is not None, 60, "progress in ts runs")
        assert runner_process.poll() is None, runner_process.communicate()
        progress = running[0]["progress"]
        assert progress["rate"] > 0 and "eta" in progress, running[0]
        assert running[0]["current_step_name"] == "apply" and running[0]["current_step_number"] == 1
        text = subprocess.run([netboot_bin(), "ts", "runs", "show", running[0]["id"], "--state-dir", str(b.state)],
                              capture_output=True, text=True).stdout
        assert re.search(r"progress: \d+\.\d MiB, \d+\.\d MiB/s, ETA \d+ s", text), text
        _, err = runner_process.communicate(timeout=120)
        assert runner_process.returncode == 0, err
        final = wait_for(lambda: (lambda v: v if v["state"] != "running" else None)(ts_runs(b.state, "show", running[0]["id"])), 30, "finish")
        assert final["state"] == "succeeded" and "progress" not in final, final
    finally:
        if runner_process and runner_process.poll() is None:
            runner_process.kill()
            runner_process.wait()
        b.stop()
        server.shutdown()
        server.server_close()
    import hashlib
    assert hashlib.sha256(disk.read_bytes()).hexdigest() == expected


def test_ts_runs_reads_a_store_from_before_runs(tmp_path):
    """A bridge.sqlite written before the run tables (read-only: not migrated) lists no runs."""
    import sqlite3
    state = tmp_path / "var"
    subprocess.run([netboot_bin(), "tokens", "issue", "--role", "administrator", "--state-dir", str(state)],
                   capture_output=True, check=True)
    with sqlite3.connect(state / "bridge.sqlite") as db:
        db.executescript("DROP TABLE run; DROP TABLE run_event; DROP TABLE deployment;")
    listed = subprocess.run([netboot_bin(), "ts", "runs", "--json", "--state-dir", str(state)], capture_output=True, text=True)
    assert listed.returncode == 0 and json.loads(listed.stdout) == {"runs": []}, listed.stderr
    shown = subprocess.run([netboot_bin(), "ts", "runs", "show", "x", "--state-dir", str(state)], capture_output=True, text=True)
    assert shown.returncode == 1 and "no run x" in shown.stderr, shown.stderr
