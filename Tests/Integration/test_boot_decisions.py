"""The appliance's side of a zero-touch boot (issue 17 items 2 and 3, docs/pxe.md "Boot decisions"
and "Enrollment token in the boot script"): `netboot serve` with the bridge renders, for an
unknown MAC, an iPXE script whose kernel line carries the bridge's URL, its fingerprint and a
one-time enrollment token bound to that MAC; the token enrolls once; once a run's image step has
succeeded the script for that MAC boots the local disk and `netboot explain --mac` says why; a
failed run brings the menu back; a new deployment too."""
import json
import re
import subprocess
import time
import urllib.request
import uuid

from bridge_support import Bridge, free_port
from conftest import netboot_bin

MAC = "02:00:5e:" + ":".join(uuid.uuid4().hex[i:i + 2] for i in (0, 2, 4))

SEQUENCE = """name: deploy lab
steps:
  - {type: applyImage, id: apply, name: apply, image: base, destination: /nonexistent/disk.img}
  - {type: setHostname, id: host, name: host, hostname: lab}
"""

INVENTORY = """devices:
  - name: lab-{tag}
    mac: {mac}
collections:
  - name: Lab
    members: [lab-{tag}]
deployments:
  - sequence: deploy-lab
    collection: Lab
"""


def serve(tmp_path, enrollment=True):
    http_port = free_port()
    images = tmp_path / "images"
    (images / "pxe" / "debian").mkdir(parents=True)
    (images / "pxe" / "debian" / "vmlinuz").write_bytes(b"k")
    sequences = tmp_path / "sequences"
    sequences.mkdir()
    (sequences / "deploy-lab.yaml").write_text(SEQUENCE)
    (sequences / "capture.yaml").write_text("name: capture\nsteps:\n  - {type: setHostname, id: h, hostname: x}\n")
    (tmp_path / "inventory.yaml").write_text(INVENTORY.format(tag=uuid.uuid4().hex[:6], mac=MAC))
    b = Bridge(tmp_path, extra=(f"  enabled: true\n  boot-enrollment: {'true' if enrollment else 'false'}\n"
                                f"  sequences-dir: {sequences}\n  inventory: {tmp_path / 'inventory.yaml'}\n"
                                f"dhcp:\n  enabled: false\ntftp:\n  enabled: false\n"
                                f"http:\n  port: {http_port}\n  listen: [127.0.0.1]\n  root: {images}\nimages-dir: {images}\n"
                                "pxe:\n  images:\n    - { name: debian, kernel: vmlinuz, cmdline: quiet }\n"))
    b.http_port = http_port
    b.admin = b.token("administrator")
    b.start(command=("serve",))
    return b


def script(b, mac=MAC):
    deadline = time.time() + 10
    while True:
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{b.http_port}/boot/ipxe?mac={mac}", timeout=5).read().decode()
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def kernel_token(text):
    match = re.search(r"^kernel .* netboot\.token=(nbt_[A-Za-z0-9_-]{43})$", text, re.M)
    assert match, text
    return match.group(1)


def explain(b, *extra):
    out = subprocess.run([netboot_bin(), "explain", "--mac", MAC, "--firmware", "bios", "--config", str(b.config), *extra],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def boot_tokens(b):
    out = subprocess.run([netboot_bin(), "tokens", "list", "--state-dir", str(b.state)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return [line for line in out.stdout.splitlines() if f"boot {MAC}" in line]


def test_unknown_mac_gets_a_one_time_token_bound_to_it(tmp_path):
    b = serve(tmp_path)
    try:
        fingerprint = re.search(r"fingerprint ([0-9A-F:]{95})", b.output.read_text()).group(1)
        first = script(b)
        assert re.search(rf"^kernel \S+vmlinuz quiet netboot.bridge=https://127.0.0.1:{b.client_port} "
                         rf"netboot.bridge_fp={fingerprint} netboot.token=nbt_\S+$", first, re.M), first
        # Fetching the script again replaces the unused token: one live boot token per MAC.
        token = kernel_token(script(b))
        assert token != kernel_token(first)
        assert len(boot_tokens(b)) == 1, boot_tokens(b)
        assert b.client("POST", "/v1/enroll", kernel_token(first), body={"mac": MAC})[0] == 401
        # Bound to its MAC: another machine cannot spend it (and does not use it up).
        assert b.client("POST", "/v1/enroll", token, body={"mac": "02:00:00:00:00:01"})[0] == 401
        status, body, _ = b.client("POST", "/v1/enroll", token, body={"mac": MAC})
        assert status == 201, body
        assert b.client("POST", "/v1/enroll", token, body={"mac": MAC})[0] == 401  # replayed
        # A script without a MAC carries no token; neither does any log.
        assert "netboot.token=" not in script(b, mac="nonsense")
        logs = b.output.read_text() + "".join(p.read_text(errors="replace") for p in (tmp_path / "logs").glob("*.log"))
        assert token not in logs and kernel_token(first) not in logs
        assert f"boot decision for {MAC}: network" in logs
        # Each refusal is visible, by the token's public id.
        assert re.search(r"enrollment refused: token [0-9a-f]{12} for 02:00:00:00:00:01 \(bound to another machine", logs), logs
        assert re.search(r"enrollment refused: token [0-9a-f]{12} is used", logs), logs
    finally:
        b.stop()


def test_without_boot_enrollment_the_script_has_no_token(tmp_path):
    b = serve(tmp_path, enrollment=False)
    try:
        text = script(b)
        assert "netboot.bridge=" in text and "netboot.token=" not in text, text
    finally:
        b.stop()


def post_event(b, client, run, sequence, kind, step, name, **fields):
    body = {"sequence": sequence, "kind": kind, "step": step, "name": name, "at_ms": 1_800_000_000_000 + sequence, **fields}
    status, answer, _ = b.client("POST", f"/v1/runs/{run}/events", client, body=body)
    assert status == 202, answer


def test_image_applied_boots_the_disk_until_a_failed_run_or_new_deployment(tmp_path):
    b = serve(tmp_path)
    try:
        status, body, _ = b.client("POST", "/v1/enroll", kernel_token(script(b)), body={"mac": MAC})
        assert status == 201, body
        client = body["token"]
        decision = json.loads(explain(b, "--json"))["boot_decision"]
        assert decision["action"] == "network" and decision["basis"] == "no-run", decision

        status, started, _ = b.client("POST", "/v1/runs", client, body={"sequence": "deploy-lab"})
        assert status == 201, started
        run = started["run"]["id"]
        apply = next(s for s in started["run"]["steps"] if s["type"] == "applyImage")
        post_event(b, client, run, 1, "start", apply["pointer"], "apply")
        # Running, image not applied yet: still the menu (the runner works from the network boot).
        assert "netboot.token=" in script(b)
        assert json.loads(explain(b, "--json"))["boot_decision"]["basis"] == "image-pending"

        post_event(b, client, run, 2, "finish", apply["pointer"], "apply", result="success", exit_code=0)
        text = script(b)
        assert text == f"#!ipxe\necho netboot: booting from the local disk: run {run} of 'deploy lab' applied its image (step 'apply') " \
                       "and is running (it resumes from the disk): boot from the local disk until a new deployment\nexit 1\n", text
        assert "kernel" not in text and "netboot.token" not in text
        decision = json.loads(explain(b, "--json"))["boot_decision"]
        assert decision == {"action": "local-disk", "basis": "image-applied", "run": run, "reason": decision["reason"]}
        shown = explain(b)
        assert "boot decision: local disk" in shown and f"run {run} of 'deploy lab' applied its image" in shown, shown
        # The Mac form of explain says the same.
        mac_form = subprocess.run([netboot_bin(), "explain", "--mac", MAC, "--config", str(b.config), "--json"],
                                  capture_output=True, text=True)
        assert mac_form.returncode == 0, mac_form.stderr
        assert json.loads(mac_form.stdout)["boot_decision"]["basis"] == "image-applied", mac_form.stdout

        # Finished: stays on the disk.
        status, done, _ = b.client("POST", f"/v1/runs/{run}/finish", client, body={"outcome": "succeeded", "at_ms": 1_800_000_000_100})
        assert status == 200, done
        assert script(b).endswith("\nexit 1\n")
        assert json.loads(explain(b, "--json"))["boot_decision"]["action"] == "local-disk"

        # A new deployment to its collection sends it back to the menu.
        assert b.console("POST", "/v1/deployments", b.admin, body={"sequence": "capture", "collection": "Lab"})[0] == 201
        decision = json.loads(explain(b, "--json"))["boot_decision"]
        assert decision["basis"] == "new-deployment" and "'capture'" in decision["reason"], decision
        assert "netboot.token=" in script(b)

        # A run whose image step failed (a wrong checksum): the menu again, and explain says why.
        status, again, _ = b.client("POST", "/v1/runs", client, body={"sequence": "deploy-lab"})
        assert status == 201, again
        second = again["run"]["id"]
        sequence = again["next_event_sequence"]
        post_event(b, client, second, sequence, "start", apply["pointer"], "apply")
        post_event(b, client, second, sequence + 1, "finish", apply["pointer"], "apply", result="failed", exit_code=1,
                   message="SHA-256 mismatch")
        assert b.client("POST", f"/v1/runs/{second}/finish", client, body={"outcome": "failed", "at_ms": 1_800_000_000_200})[0] == 200
        text = script(b)
        assert "netboot.token=" in text and text.endswith("\nboot\n"), text
        decision = json.loads(explain(b, "--json"))["boot_decision"]
        assert decision["action"] == "network" and decision["basis"] == "run-failed", decision
        assert "step 'apply': SHA-256 mismatch" in decision["reason"], decision
        assert "because run" in explain(b) and "failed at step 'apply'" in explain(b)
    finally:
        b.stop()


def test_the_runner_takes_bridge_pin_and_token_from_the_kernel_command_line(tmp_path):
    """`netboot-runner run` with neither --bridge nor --token: everything from the kernel line
    of the appliance's script (a file standing in for /proc/cmdline); the token enrolls once."""
    from test_runner import runner_bin
    runner = runner_bin()
    b = serve(tmp_path)
    try:
        kernel = next(line for line in script(b).splitlines() if line.startswith("kernel "))
        cmdline = tmp_path / "cmdline"
        cmdline.write_text(kernel.split(" ", 2)[2] + "\n")
        state, root = tmp_path / "state", tmp_path / "root"
        root.mkdir()
        common = ["--kernel-cmdline", str(cmdline), "--mac", MAC, "--target-root", str(root), "--bridge-wait", "20",
                  "--reboot-command", "true"]
        # The apply step of deploy-lab would fail on this machine: run only the hostname step's sequence.
        assert b.console("POST", "/v1/deployments", b.admin, body={"sequence": "capture", "collection": "Lab"})[0] == 201
        first = subprocess.run([runner, "run", "--sequence", "capture", "--state-dir", str(state), *common],
                               capture_output=True, text=True, timeout=120)
        assert first.returncode == 0, first.stderr
        assert f"enrolled {MAC} with the bridge at https://127.0.0.1:{b.client_port}" in first.stderr, first.stderr
        assert (root / "etc" / "hostname").read_text().strip() == "x"
        # The same kernel line again (a replayed token): refused, visibly.
        again = subprocess.run([runner, "run", "--sequence", "capture", "--state-dir", str(tmp_path / "state2"), *common],
                               capture_output=True, text=True, timeout=120)
        assert again.returncode == 2 and "refused the token" in again.stderr, again.stderr
        # Neither --file nor --bridge and no netboot.bridge= on the line: said so.
        cmdline.write_text("quiet\n")
        missing = subprocess.run([runner, "run", "--state-dir", str(tmp_path / "state3"), *common],
                                 capture_output=True, text=True, timeout=60)
        assert missing.returncode != 0 and "no netboot.bridge= on the kernel command line" in missing.stderr, missing.stderr
    finally:
        b.stop()
