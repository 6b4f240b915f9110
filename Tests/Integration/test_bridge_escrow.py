"""Escrowed secrets (docs/bridge.md, "Escrow"; seed-catalog C32, P16, P29): a machine escrows
its FileVault recovery key on the client port; Key Administrators and Administrators read it
back on the console port, every read an audit line naming the device and never the key; no
other role reads it; the key is never in the log, the audit log, the device record, status or
the database file in clear."""
import json
import os
import stat
import subprocess
import uuid

import pytest

from bridge_support import Bridge
from conftest import netboot_bin


@pytest.fixture
def bridge(tmp_path):
    b = Bridge(tmp_path)
    b.tokens = {role: b.token(role) for role in ("administrator", "key-administrators", "problem-monitor-users", "enrollers")}
    enrollments = [b.token("enrollment"), b.token("enrollment")]
    b.start()
    b.machines = {}
    for mac, enrollment in zip(("02:00:00:00:0e:01", "02:00:00:00:0e:02"), enrollments):
        status, body, _ = b.client("POST", "/v1/enroll", enrollment, body={"mac": mac, "serial": "C02ESCROW"})
        assert status == 201, body
        b.machines[mac] = body["token"]
    yield b
    b.stop()


def recovery_key():
    # The FileVault recovery key format, made unique per run so a search for it cannot hit by chance.
    text = uuid.uuid4().hex.upper()[:24]
    return "-".join(text[i:i + 4] for i in range(0, 24, 4))


def test_machine_escrows_and_key_administrators_read_back(bridge):
    mac, other = list(bridge.machines)
    first, second = recovery_key(), recovery_key()
    status, body, _ = bridge.client("POST", "/v1/escrow", bridge.machines[mac], body={"kind": "filevault-recovery-key", "secret": first})
    assert status == 201, body
    assert body["mac"] == mac and body["kind"] == "filevault-recovery-key" and first not in str(body)
    status, body, _ = bridge.client("POST", "/v1/escrow", bridge.machines[mac], body={"kind": "filevault-recovery-key", "secret": second})
    assert status == 201, body

    for role in ("key-administrators", "administrator"):
        status, body, headers = bridge.console("GET", f"/v1/devices/{mac}/escrow", bridge.tokens[role])
        assert status == 200, body
        assert headers.get("Cache-Control") == "no-store"
        assert [s["secret"] for s in body["secrets"]] == [second, first]  # newest first, none deleted
        assert all(s["kind"] == "filevault-recovery-key" and not s["sealed_by_another_key"] for s in body["secrets"])

    for role in ("problem-monitor-users", "enrollers"):
        status, body, _ = bridge.console("GET", f"/v1/devices/{mac}/escrow", bridge.tokens[role])
        assert (status, body) == (403, {"error": "forbidden"})
    # A machine reads nothing back, its own key included: the console route is not on its port.
    assert bridge.client("GET", f"/v1/devices/{mac}/escrow", bridge.machines[mac])[0] == 404
    # Nothing escrowed for the other machine; an unenrolled or malformed MAC is not found either.
    assert bridge.console("GET", f"/v1/devices/{other}/escrow", bridge.tokens["key-administrators"])[0] == 404
    assert bridge.console("GET", "/v1/devices/nonsense/escrow", bridge.tokens["key-administrators"])[0] == 404
    # Case and separators of the MAC do not matter.
    status, body, _ = bridge.console("GET", f"/v1/devices/{mac.upper().replace(':', '-')}/escrow", bridge.tokens["key-administrators"])
    assert status == 200 and len(body["secrets"]) == 2

    # The audit log says who read which device's secrets, and never a secret.
    status, body, _ = bridge.console("GET", "/v1/audit", bridge.tokens["administrator"])
    reads = [a for a in body["audit"] if a["action"] == "escrow.read"]
    assert {(a["target"], a["role"], a["outcome"]) for a in reads} >= {
        (mac, "key-administrators", "allowed"), (mac, "administrator", "allowed"), (other, "key-administrators", "not-found")}
    for text in (str(body), str(bridge.console("GET", f"/v1/devices/{mac}", bridge.tokens["administrator"])[1]),
                 str(bridge.console("GET", "/v1/bridge", bridge.tokens["administrator"])[1]),
                 str(bridge.console("GET", f"/v1/devices/{mac}/reports", bridge.tokens["administrator"])[1])):
        assert first not in text and second not in text

    # Not in the log, not in clear in the database or its WAL; the key file is the bridge's alone.
    bridge.stop()
    logs = bridge.output.read_text() + "".join(p.read_text(errors="replace") for p in (bridge.dir / "logs").glob("*") if p.is_file())
    assert "escrowed a filevault-recovery-key" in logs
    assert first not in logs and second not in logs
    for name in ("bridge.sqlite", "bridge.sqlite-wal"):
        path = bridge.state / name
        if path.exists():
            data = path.read_bytes()
            assert first.encode() not in data and second.encode() not in data, name
    key = bridge.state / "bridge-escrow.key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600 and key.stat().st_size == 32

    # The CLI on the appliance reads the same, and audits it as `cli`.
    out = subprocess.run([netboot_bin(), "devices", "escrow", mac, "--json", "--state-dir", str(bridge.state)],
                         capture_output=True, text=True, check=True)
    assert [s["secret"] for s in json.loads(out.stdout)["secrets"]] == [second, first]
    table = subprocess.run([netboot_bin(), "devices", "escrow", mac, "--state-dir", str(bridge.state)],
                           capture_output=True, text=True, check=True).stdout
    assert first in table and "filevault-recovery-key" in table
    missing = subprocess.run([netboot_bin(), "devices", "escrow", other, "--state-dir", str(bridge.state)], capture_output=True, text=True)
    assert missing.returncode == 64 and "nothing escrowed" in missing.stderr
    bridge.start()
    status, body, _ = bridge.console("GET", "/v1/audit", bridge.tokens["administrator"])
    assert {(a["actor"], a["target"], a["outcome"]) for a in body["audit"] if a["action"] == "escrow.read"} >= {
        ("cli", mac, "allowed"), ("cli", other, "not-found")}


def test_escrow_survives_a_restart_and_refuses_bad_bodies(bridge):
    mac = list(bridge.machines)[0]
    token = bridge.machines[mac]
    secret = recovery_key()
    for body, field in (({"kind": "filevault-recovery-key"}, "secret"), ({"secret": secret}, "kind"),
                        ({"kind": "File Vault", "secret": secret}, "kind"), ({"kind": "x", "secret": ""}, "secret"),
                        ({"kind": "x", "secret": secret, "extra": 1}, "extra"), ({"kind": "x", "secret": 42}, "secret")):
        status, answer, _ = bridge.client("POST", "/v1/escrow", token, body=body)
        assert (status, answer["field"]) == (400, field), answer
        assert secret not in str(answer)
    assert bridge.client("POST", "/v1/escrow", token, body={"kind": "x", "secret": "y" * 5000})[0] == 400
    # Console and enrollment tokens do not escrow.
    assert bridge.client("POST", "/v1/escrow", bridge.tokens["administrator"], body={"kind": "x", "secret": secret})[0] == 403

    assert bridge.client("POST", "/v1/escrow", token, body={"kind": "firmware-password", "secret": secret})[0] == 201
    bridge.stop()
    bridge.start()
    status, body, _ = bridge.console("GET", f"/v1/devices/{mac}/escrow", bridge.tokens["key-administrators"])
    assert status == 200 and [(s["kind"], s["secret"]) for s in body["secrets"]] == [("firmware-password", secret)]

    # Another key file cannot open what the first sealed: shown as such, never garbage, never a crash.
    bridge.stop()
    (bridge.state / "bridge-escrow.key").write_bytes(os.urandom(32))
    bridge.start()
    status, body, _ = bridge.console("GET", f"/v1/devices/{mac}/escrow", bridge.tokens["key-administrators"])
    assert status == 200 and body["secrets"][0]["secret"] is None and body["secrets"][0]["sealed_by_another_key"]
