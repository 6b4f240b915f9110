"""The proxy bridge end to end (docs/bridge.md, issue 15): enrollment with a one-time token,
reports stored once per sequence number, the console API, errors that name the field and say
nothing about tokens, limits, TLS with its self-signed certificate, and `netboot serve` running
the bridge when `bridge.enabled`. Requests are made with Python's http.client and ssl modules
over loopback, and with curl from another network namespace."""
import json
import os
import re
import socket
import ssl
import subprocess
import time

import pytest

from bridge_support import Bridge
from conftest import REPO, netboot_bin, require_tool

REPORT = {"sequence": 1, "kind": "status", "data": {"run": "r1", "step": "Partition", "group": "Prepare", "phase": "start"}}


@pytest.fixture
def bridge(tmp_path):
    b = Bridge(tmp_path)
    b.admin = b.token("administrator")
    try:
        yield b.start()
    finally:
        b.stop()


def enroll(bridge, mac="02:00:00:00:00:01", **fields):
    token = bridge.token("enrollment")
    status, body, _ = bridge.client("POST", "/v1/enroll", token, body={"mac": mac, **fields})
    assert status == 201, body
    return token, body["token"], body["device"]


def test_enrollment_is_single_use_and_returns_a_client_token(bridge):
    token, client_token, device = enroll(bridge, hostname="lab-1", serial="C02X", model="Macmini8,1", os_version="14.4")
    assert device["mac"] == "02:00:00:00:00:01" and device["hostname"] == "lab-1" and device["os_version"] == "14.4"
    assert client_token.startswith("nbt_") and client_token != token
    # Replayed enrollment token: refused, nothing made.
    status, body, _ = bridge.client("POST", "/v1/enroll", token, body={"mac": "02:00:00:00:00:02"})
    assert (status, body) == (401, {"error": "unauthorized"})
    status, body, _ = bridge.console("GET", "/v1/devices", bridge.admin)
    assert status == 200 and [d["mac"] for d in body["devices"]] == ["02:00:00:00:00:01"]
    # The token's text is nowhere in the state directory: only its digest.
    for name in os.listdir(bridge.state):
        data = (bridge.state / name).read_bytes()
        assert client_token.encode() not in data and token.encode() not in data, name
    # Nor in the log.
    assert client_token not in bridge.output.read_text()
    # The CLI sees the device.
    out = subprocess.run([netboot_bin(), "devices", "list", "--json", "--state-dir", str(bridge.state)],
                         capture_output=True, text=True, check=True)
    assert [d["hostname"] for d in json.loads(out.stdout)["devices"]] == ["lab-1"]
    out = subprocess.run([netboot_bin(), "devices", "show", "02-00-00-00-00-01", "--state-dir", str(bridge.state)],
                         capture_output=True, text=True, check=True)
    assert re.search(r"^hostname\s+lab-1$", out.stdout, re.M), out.stdout


def test_reports_are_acknowledged_once_per_sequence(bridge):
    _, client_token, _ = enroll(bridge)
    finish = {"sequence": 2, "kind": "status", "data": {"run": "r1", "step": "Partition", "phase": "finish", "result": "failed"}}
    inventory = {"sequence": 3, "kind": "inventory", "data": {"ram_gb": 16, "cpu": "i7", "t2": False}}
    log = {"sequence": 4, "kind": "log", "data": {"name": "install.log", "text": "line 1\nline 2\n"}}
    answers = [bridge.client("POST", "/v1/reports", client_token, body=r)[:2] for r in (REPORT, finish, REPORT, inventory, log)]
    assert answers == [(202, {"sequence": 1, "duplicate": False}), (202, {"sequence": 2, "duplicate": False}),
                       (202, {"sequence": 1, "duplicate": True}), (202, {"sequence": 3, "duplicate": False}),
                       (202, {"sequence": 4, "duplicate": False})]
    # The same number for another report: 409, nothing stored.
    other = dict(REPORT, data=dict(REPORT["data"], step="Other"))
    status, body, _ = bridge.client("POST", "/v1/reports", client_token, body=other)
    assert status == 409 and body["field"] == "sequence"
    status, body, _ = bridge.console("GET", "/v1/devices/02:00:00:00:00:01/reports", bridge.admin)
    assert status == 200
    assert [(r["sequence"], r["kind"]) for r in body["reports"]] == [(1, "status"), (2, "status"), (3, "inventory"), (4, "log")]
    assert body["reports"][0]["data"]["step"] == "Partition" and body["reports"][2]["data"]["ram_gb"] == 16
    status, body, _ = bridge.console("GET", "/v1/devices/02:00:00:00:00:01/reports?after=2&limit=1", bridge.admin)
    assert [r["sequence"] for r in body["reports"]] == [3]
    status, body, _ = bridge.console("GET", "/v1/devices/02:00:00:00:00:01", bridge.admin)
    assert body["report_count"] == 4 and body["last_sequence"] == 4
    # The step's start and finish are paired; its failure fails its group and the run.
    status, body, _ = bridge.console("GET", "/v1/devices/02:00:00:00:00:01/runs", bridge.admin)
    assert status == 200
    assert [(r["run"], r["state"]) for r in body["runs"]] == [("r1", "failed")]
    assert body["runs"][0]["groups"] == [{"name": "Prepare", "state": "failed"}]
    assert [(s["name"], s["state"], s["started"], s["finished"]) for s in body["runs"][0]["steps"]] == [("Partition", "failed", 1, 2)]


def test_bad_bodies_get_400_naming_the_field_and_413_past_the_limit(bridge):
    _, client_token, _ = enroll(bridge)
    cases = [
        (b'{"sequence": 1, "kind": "status"', None),
        (json.dumps({"sequence": "one", "kind": "log", "data": {}}).encode(), "sequence"),
        (json.dumps({"sequence": 1, "kind": "log", "data": {"name": "a", "text": "b"}, "extra": 1}).encode(), "extra"),
        (json.dumps({"sequence": 1, "kind": "status", "data": {"run": "r", "step": "s", "phase": "finish"}}).encode(), "data.result"),
    ]
    for raw, field in cases:
        status, body, _ = bridge.client("POST", "/v1/reports", client_token, raw=raw)
        assert status == 400, (raw, body)
        assert body.get("field") == field, (raw, body)
    status, body, _ = bridge.client("POST", "/v1/reports", client_token,
                                    body={"sequence": 9, "kind": "log", "data": {"name": "big", "text": "x" * (3 << 20)}})
    assert status == 413 and body == {"error": "body too large"}
    # The bridge kept serving.
    assert bridge.client("POST", "/v1/reports", client_token, body=REPORT)[0] == 202


def test_tokens_over_the_console(bridge):
    status, issued, _ = bridge.console("POST", "/v1/tokens", bridge.admin, body={"role": "enrollers", "ttl_seconds": 600, "label": "desk"})
    assert status == 201 and issued["token"].startswith("nbt_") and issued["role"] == "enrollers"
    enroller = issued["token"]
    # Enrollers issue enrollment tokens only.
    status, body, _ = bridge.console("POST", "/v1/tokens", enroller, body={"role": "enrollment"})
    assert status == 201 and body["role"] == "enrollment"
    status, body, _ = bridge.console("POST", "/v1/tokens", enroller, body={"role": "administrator"})
    assert (status, body) == (403, {"error": "forbidden"})
    status, body, _ = bridge.console("POST", "/v1/tokens", bridge.admin, body={"role": "client"})
    assert status == 403
    status, body, _ = bridge.console("POST", "/v1/tokens", bridge.admin, body={"role": "root"})
    assert status == 400 and body["field"] == "role"
    # Lists never show a token's text.
    status, body, _ = bridge.console("GET", "/v1/tokens", bridge.admin)
    assert status == 200 and all("token" not in t for t in body["tokens"])
    assert enroller not in json.dumps(body)
    # Revoke: the token stops working at once.
    status, body, _ = bridge.console("DELETE", f"/v1/tokens/{issued['id']}", bridge.admin)
    assert status == 200 and body["state"] == "revoked"
    assert bridge.console("POST", "/v1/tokens", enroller, body={"role": "enrollment"})[0] == 401
    assert bridge.console("DELETE", "/v1/tokens/000000000000", bridge.admin)[0] == 404
    # Every change is in the audit log, newest first, without a token's text.
    status, body, _ = bridge.console("GET", "/v1/audit", bridge.admin)
    actions = [(a["action"], a["outcome"]) for a in body["audit"]]
    assert actions[0] == ("token.revoke", "allowed")
    assert ("token.issue", "forbidden") in actions
    assert enroller not in json.dumps(body)
    assert "audit: token.revoke" in bridge.output.read_text()


def test_files_are_served_to_token_holders_only(bridge):
    (bridge.dir / "files").mkdir()
    (bridge.dir / "files" / "agent.pkg").write_bytes(b"\x00agent" * 1000)
    (bridge.dir / "secret").write_text("no")
    _, client_token, _ = enroll(bridge)
    status, body, headers = bridge.client("GET", "/files/agent.pkg", client_token)
    assert status == 200 and body == b"\x00agent" * 1000
    assert bridge.client("GET", "/files/agent.pkg")[0] == 401
    assert bridge.client("GET", "/files/..%2Fsecret", client_token)[0] == 404
    assert bridge.client("GET", "/files/missing", client_token)[0] == 404
    assert bridge.client("GET", "/files/agent.pkg", bridge.admin)[0] == 403


def test_openapi_documents_are_public_and_committed(bridge):
    for port, name in ((bridge.client_port, "client"), (bridge.console_port, "console")):
        status, body, _ = bridge.call(port, "GET", "/openapi.json")
        assert status == 200 and body["openapi"] == "3.1.0"
        with open(os.path.join(REPO, "docs", f"openapi-{name}.json")) as f:
            assert json.load(f) == body


def test_tls_certificate_is_kept_private_and_its_fingerprint_logged(bridge):
    cert = bridge.state / "bridge-cert.pem"
    assert oct(os.stat(cert).st_mode & 0o777) == "0o600"
    assert oct(os.stat(bridge.state / "bridge-key.pem").st_mode & 0o777) == "0o600"
    openssl = require_tool("openssl")
    out = subprocess.run([openssl, "x509", "-in", str(cert), "-noout", "-fingerprint", "-sha256"],
                         capture_output=True, text=True, check=True).stdout
    fingerprint = out.strip().split("=", 1)[1]
    assert f"fingerprint {fingerprint}" in bridge.output.read_text()
    # Verified TLS works with the certificate as the only trust anchor; an unpinned client fails.
    assert bridge.console("GET", "/v1/devices", bridge.admin)[0] == 200
    with pytest.raises(ssl.SSLError):
        with socket.create_connection(("127.0.0.1", bridge.console_port)) as raw:
            ssl.create_default_context().wrap_socket(raw, server_hostname="127.0.0.1")


def test_tls_garbage_and_plain_http_are_dropped_and_the_service_lives(bridge):
    for junk in (b"GET /v1/devices HTTP/1.1\r\nHost: x\r\n\r\n", os.urandom(512), b"\x16\x03\x01\x00\x05hello"):
        with socket.create_connection(("127.0.0.1", bridge.client_port), timeout=5) as s:
            s.sendall(junk)
            try:
                data = s.recv(4096)
                while data and len(data) < 65536:
                    more = s.recv(4096)
                    if not more:
                        break
                    data += more
            except (ConnectionResetError, socket.timeout):
                data = b""
            assert b"HTTP/1.1 200" not in data
    assert bridge.console("GET", "/v1/devices", bridge.admin)[0] == 200


def test_idle_connections_are_closed(tmp_path):
    b = Bridge(tmp_path, extra="  idle-timeout: 1\n")
    b.admin = b.token("administrator")
    b.start()
    try:
        raw = socket.create_connection(("127.0.0.1", b.client_port), timeout=10)
        tls = b.context().wrap_socket(raw, server_hostname="127.0.0.1")
        tls.sendall(b"GET /v1/dev")
        started = time.time()
        assert tls.recv(1024) == b""
        assert time.time() - started < 8
        tls.close()
        assert b.console("GET", "/v1/devices", b.admin)[0] == 200
    finally:
        b.stop()


def test_slowloris_dripping_a_head_is_closed(tmp_path):
    b = Bridge(tmp_path, extra="  request-timeout: 2\n  idle-timeout: 30\n")
    b.admin = b.token("administrator")
    b.start()
    try:
        raw = socket.create_connection(("127.0.0.1", b.client_port), timeout=10)
        tls = b.context().wrap_socket(raw, server_hostname="127.0.0.1")
        started = time.time()
        closed = False
        for byte in b"GET /v1/devices HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 40:
            try:
                tls.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                closed = True
                break
            time.sleep(0.25)  # never silent long enough for the idle timeout
            if time.time() - started > 8:
                break
        if not closed:
            tls.settimeout(5)
            try:
                closed = tls.recv(1024) == b""
            except (ConnectionResetError, ssl.SSLError):
                closed = True
        assert closed and time.time() - started < 9
        tls.close()
        # A keep-alive client that asks in time is served, twice on one connection.
        connection = b.connection(b.console_port)
        for _ in range(2):
            connection.request("GET", "/v1/devices", headers={"Authorization": f"Bearer {b.admin}"})
            assert connection.getresponse().read() and True
        connection.close()
        assert b.console("GET", "/v1/devices", b.admin)[0] == 200
    finally:
        b.stop()


def test_rate_limit_answers_429_with_retry_after(tmp_path):
    b = Bridge(tmp_path, extra="  rate-limit: 1\n  rate-burst: 3\n")
    b.admin = b.token("administrator")
    b.start()
    try:
        statuses = [b.console("GET", "/v1/devices", b.admin) for _ in range(5)]
        assert [s[0] for s in statuses[:3]] == [200, 200, 200]
        assert statuses[4][0] == 429 and int(statuses[4][2]["Retry-After"]) >= 1
    finally:
        b.stop()


def test_plain_http_only_when_configured_and_with_a_warning(tmp_path):
    b = Bridge(tmp_path, plain=True)
    b.admin = b.token("administrator")
    b.start()
    try:
        assert b.console("GET", "/v1/devices", b.admin)[0] == 200
        assert "plain HTTP" in b.output.read_text() and "warning" in b.output.read_text()
        assert not (b.state / "bridge-cert.pem").exists()
    finally:
        b.stop()


def test_serve_runs_the_bridge_and_hands_out_its_url_and_fingerprint(tmp_path):
    from bridge_support import free_port
    import urllib.request
    http_port = free_port()
    images = tmp_path / "images"
    (images / "pxe" / "debian").mkdir(parents=True)
    (images / "pxe" / "debian" / "vmlinuz").write_bytes(b"k")
    b = Bridge(tmp_path, extra=(f"  enabled: true\ndhcp:\n  enabled: false\ntftp:\n  enabled: false\n"
                                f"http:\n  port: {http_port}\n  listen: [127.0.0.1]\n  root: {images}\nimages-dir: {images}\n"
                                "pxe:\n  images:\n    - { name: debian, kernel: vmlinuz, cmdline: quiet }\n"))
    b.admin = b.token("administrator")
    b.start(command=("serve",))
    try:
        assert b.console("GET", "/v1/devices", b.admin)[0] == 200
        fingerprint = re.search(r"fingerprint ([0-9A-F:]{95})", b.output.read_text()).group(1)
        deadline = time.time() + 10
        while True:
            try:
                script = urllib.request.urlopen(f"http://127.0.0.1:{http_port}/boot/ipxe?mac=52:54:00:00:00:01", timeout=5).read().decode()
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        assert f"set netboot-bridge https://127.0.0.1:{b.client_port}\n" in script, script
        assert f"set netboot-bridge-fingerprint {fingerprint}\n" in script, script
        assert re.search(rf"^kernel \S+vmlinuz quiet netboot.bridge=https://127.0.0.1:{b.client_port} netboot.bridge_fp={fingerprint}$",
                         script, re.M), script
        zone = (b.state / "bridge-dns-sd.zone").read_text()
        assert re.search(rf"\._netboot-bridge\._tcp\.\S+ 3600 IN SRV 0 0 {b.client_port} \S+\.$", zone, re.M), zone
        assert f'"sha256={fingerprint}"' in zone and f'"console={b.console_port}"' in zone
        assert re.search(r"^_netboot-bridge\._tcp\.\S+ 3600 IN PTR ", zone, re.M), zone
    finally:
        b.stop()


def test_a_machine_in_another_namespace_enrolls_with_curl(tmp_path, netns):
    curl = require_tool("curl")
    b = Bridge(tmp_path, listen="0.0.0.0")
    token = b.token("enrollment")
    b.start(wrap=("ip", "netns", "exec", netns.server))
    try:
        out = netns.run(netns.client, curl, "-sS", "--cacert", str(b.state / "bridge-cert.pem"),
                        "--resolve", f"localhost:{b.client_port}:{netns.server_ip}",
                        "-H", f"Authorization: Bearer {token}", "-H", "Content-Type: application/json",
                        "-d", json.dumps({"mac": "52:54:00:aa:bb:cc", "hostname": "ns-client"}),
                        "-w", "\n%{http_code}", f"https://localhost:{b.client_port}/v1/enroll")
        body, status = out.stdout.rsplit("\n", 1)
        assert status == "201", out
        assert json.loads(body)["device"]["hostname"] == "ns-client"
    finally:
        b.stop()


def test_tokens_and_devices_read_the_configurations_state_dir(tmp_path):
    """`tokens` and `devices` find bridge.sqlite where `serve` and `bridge` write it: in the
    configuration's state-dir (issue 14 item 7: every command reads the same file the same way)."""
    state = tmp_path / "elsewhere"
    config = tmp_path / "netboot.yaml"
    config.write_text(f"state-dir: {state}\n")
    issued = subprocess.run([netboot_bin(), "tokens", "issue", "--role", "enrollment", "--json", "--config", str(config)],
                            capture_output=True, text=True, cwd=tmp_path)
    assert issued.returncode == 0, issued.stderr
    assert (state / "bridge.sqlite").exists()
    listed = subprocess.run([netboot_bin(), "tokens", "list", "--json", "--config", str(config)],
                            capture_output=True, text=True, cwd=tmp_path)
    assert json.loads(issued.stdout)["id"] in [t["id"] for t in json.loads(listed.stdout)["tokens"]]
    devices = subprocess.run([netboot_bin(), "devices", "list", "--json", "--config", str(config)],
                             capture_output=True, text=True, cwd=tmp_path)
    assert devices.returncode == 0 and json.loads(devices.stdout)["devices"] == []
    broken = tmp_path / "broken.yaml"
    broken.write_text("state-dirr: x\n")
    refused = subprocess.run([netboot_bin(), "tokens", "list", "--config", str(broken)], capture_output=True, text=True)
    assert refused.returncode == 1 and "broken.yaml:1:1" in refused.stderr, refused.stderr
