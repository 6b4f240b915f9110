"""Remote mode (docs/bridge.md, "Remote mode"): the appliance — `netboot serve` with its bridge —
in one namespace, a second `netboot bridge` in the other namespace pointed at the appliance's
console port with a token and the appliance's certificate pinned by its fingerprint. Images, leases and lease
release asked of the remote bridge are the appliance's; the remote bridge checks its own
callers' roles, keeps its own store (devices, audit) and the appliance audits its token."""
import json
import sqlite3
import subprocess
import time

from conftest import netboot_bin, require_tool
from dhcp_support import PYTHON, run_client_script
from test_control import make_nbi, start_control_server
from test_dhcp import DORA

APPLIANCE_CONSOLE = 18760
REMOTE_CLIENT, REMOTE_CONSOLE = 8761, 8760

# Runs in the remote bridge's namespace: each call of argv[1] (a JSON list of [method, path,
# token]) on a new TLS connection trusting the remote bridge's own certificate.
CALLS = r'''
import http.client, json, ssl, sys
context = ssl.create_default_context(cafile=sys.argv[2])
answers = []
for method, path, token in json.loads(sys.argv[1]):
    c = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[3]), timeout=40, context=context)
    c.request(method, path, headers={"Authorization": "Bearer " + token})
    r = c.getresponse()
    body = r.read()
    answers.append([r.status, json.loads(body) if body else None])
    c.close()
print(json.dumps(answers))
'''


def fingerprint(pem):
    out = subprocess.run(["openssl", "x509", "-in", str(pem), "-noout", "-fingerprint", "-sha256"],
                         capture_output=True, text=True, check=True).stdout
    return out.strip().split("=", 1)[1]


def tokens(state, role):
    return subprocess.run([netboot_bin(), "tokens", "issue", "--role", role, "--state-dir", str(state)],
                          capture_output=True, text=True, check=True).stdout.strip()


def start_appliance(netns, tmp_path):
    """`netboot serve` with its bridge in the server namespace, and an empty directory for the remote bridge."""
    require_tool("openssl")
    appliance_dir = tmp_path / "appliance"
    appliance_dir.mkdir()
    server = start_control_server(netns, appliance_dir, extra=(
        f"bridge:\n  enabled: true\n  listen-address: {netns.server_ip}\n"
        f"  console-port: {APPLIANCE_CONSOLE}\n  client-port: {APPLIANCE_CONSOLE + 1}\n"))
    remote_dir = tmp_path / "remote"
    remote_dir.mkdir()
    return server, remote_dir


def test_a_bridge_on_another_host_forwards_to_the_appliance(netns, tmp_path):
    server, remote_dir = start_appliance(netns, tmp_path)
    remote_state = remote_dir / "var"
    output = remote_dir / "bridge.out"
    remote = None
    try:
        assert (server.state / "bridge-cert.pem").exists(), server.log()
        make_nbi(server.images, "Lab", 7)
        got = run_client_script(netns, DORA.replace("int(sys.argv[1]), sys.argv[2]", "2, 7"))
        assert got == ["198.51.100.100", "198.51.100.101"]

        # The remote bridge presents an Administrator token of the appliance, pinned to its certificate.
        token_file = remote_dir / "appliance.token"
        token_file.write_text(tokens(server.state, "administrator") + "\n")
        token_file.chmod(0o600)
        config = remote_dir / "netboot.yaml"
        config.write_text(
            f"state-dir: {remote_state}\nlogs:\n  dir: {remote_dir / 'logs'}\nbridge:\n"
            f"  listen-address: 127.0.0.1\n  client-port: {REMOTE_CLIENT}\n  console-port: {REMOTE_CONSOLE}\n"
            f"  appliance: https://{netns.server_ip}:{APPLIANCE_CONSOLE}\n"
            f"  appliance-token-file: {token_file}\n  appliance-fingerprint: {fingerprint(server.state / 'bridge-cert.pem')}\n")
        admin = tokens(remote_state, "administrator")
        monitor = tokens(remote_state, "problem-monitor-users")
        remote = netns.popen(netns.client, netboot_bin(), "bridge", "--config", str(config),
                             stdout=open(output, "w"), stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while output.read_text().count("port listening on") < 2:
            assert remote.poll() is None and time.time() < deadline, output.read_text()
            time.sleep(0.1)
        assert "remote mode" in output.read_text()

        def calls(*requests):
            out = netns.run(netns.client, PYTHON, "-c", CALLS, json.dumps(requests),
                            str(remote_state / "bridge-cert.pem"), str(REMOTE_CONSOLE), timeout=120)
            return json.loads(out.stdout)

        (images_status, images), (leases_status, leases), (refused, _), (released_status, released), \
            (after_status, after), (devices_status, devices), (bogus, _) = calls(
                ["GET", "/v1/images", monitor], ["GET", "/v1/leases", monitor],
                ["DELETE", "/v1/leases/02:00:00:00:07:00", monitor], ["DELETE", "/v1/leases/02:00:00:00:07:00", admin],
                ["GET", "/v1/leases", monitor], ["GET", "/v1/devices", monitor],
                ["DELETE", "/v1/leases/02:00:00:00:07:00", admin])
        assert images_status == 200 and [i["name"] for i in images["images"]] == ["Lab"], images
        assert leases_status == 200
        assert sorted(l["address"] for l in leases["leases"] if l["state"] == "bound") == got
        assert refused == 403
        assert released_status == 200, released
        assert [r["address"] for r in released["released"]] == ["198.51.100.100"]
        assert after_status == 200
        assert {l["address"]: l["state"] for l in after["leases"]}["198.51.100.100"] == "released"
        assert (devices_status, devices) == (200, {"devices": []})
        assert bogus == 404

        # Each side audits: the remote its caller, the appliance the remote's token.
        with sqlite3.connect(f"file:{remote_state / 'bridge.sqlite'}?mode=ro", uri=True) as db:
            remote_audit = db.execute("SELECT action, target, outcome FROM audit").fetchall()
        assert ("leases.release", "02:00:00:00:07:00", "allowed") in remote_audit
        assert ("leases.release", "02:00:00:00:07:00", "not-found") in remote_audit
        with sqlite3.connect(f"file:{server.state / 'bridge.sqlite'}?mode=ro", uri=True) as db:
            appliance_audit = db.execute("SELECT action, target, outcome FROM audit").fetchall()
        assert ("leases.release", "02:00:00:00:07:00", "allowed") in appliance_audit
    finally:
        if remote and remote.poll() is None:
            remote.terminate()
            remote.wait(10)
        server.kill()


def test_a_remote_bridge_refuses_an_appliance_certificate_it_did_not_pin(netns, tmp_path):
    server, remote_dir = start_appliance(netns, tmp_path)
    remote_state = remote_dir / "var"
    output = remote_dir / "bridge.out"
    remote = None
    try:
        # Pinned to another self-signed certificate, not the appliance's.
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", str(remote_dir / "other.key"), "-out", str(remote_dir / "other.pem"),
                        "-subj", "/CN=other", "-days", "1"], check=True, capture_output=True)
        token_file = remote_dir / "appliance.token"
        token_file.write_text(tokens(server.state, "administrator"))
        config = remote_dir / "netboot.yaml"
        config.write_text(
            f"state-dir: {remote_state}\nlogs:\n  dir: {remote_dir / 'logs'}\nbridge:\n"
            f"  listen-address: 127.0.0.1\n  client-port: {REMOTE_CLIENT}\n  console-port: {REMOTE_CONSOLE}\n"
            f"  appliance: https://{netns.server_ip}:{APPLIANCE_CONSOLE}\n"
            f"  appliance-token-file: {token_file}\n  appliance-fingerprint: {fingerprint(remote_dir / 'other.pem')}\n")
        monitor = tokens(remote_state, "problem-monitor-users")
        remote = netns.popen(netns.client, netboot_bin(), "bridge", "--config", str(config),
                             stdout=open(output, "w"), stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while output.read_text().count("port listening on") < 2:
            assert remote.poll() is None and time.time() < deadline, output.read_text()
            time.sleep(0.1)
        out = netns.run(netns.client, PYTHON, "-c", CALLS, json.dumps([["GET", "/v1/leases", monitor]]),
                        str(remote_state / "bridge-cert.pem"), str(REMOTE_CONSOLE), timeout=120)
        [[status, body]] = json.loads(out.stdout)
        assert status == 502 and "certificate" in body["error"].lower(), body
    finally:
        if remote and remote.poll() is None:
            remote.terminate()
            remote.wait(10)
        server.kill()
