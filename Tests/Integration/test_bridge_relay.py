"""The bridge's upstream relay (docs/bridge.md, "Outbox"): reports and enrollments are committed
to the outbox before the client's 202 and delivered to an HTTPS upstream (a small Python server
with certificates made here by openssl) once each, in order per client, with an idempotency
key — through upstream errors, an upstream that is killed for a while, and a bridge restart."""
import json
import os
import subprocess
import sys
import time

import pytest

from bridge_support import Bridge, free_port
from conftest import require_tool

HERE = os.path.dirname(__file__)


def make_pki(directory):
    openssl = require_tool("openssl")
    run = lambda *a: subprocess.run([openssl, *a], check=True, capture_output=True, cwd=directory)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=test upstream CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "up.key", "-out", "up.csr", "-subj", "/CN=127.0.0.1")
    (directory / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "up.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "up.pem",
        "-days", "2", "-extfile", "ext.cnf")


class Upstream:
    def __init__(self, directory, port):
        self.directory, self.port = directory, port
        self.log = directory / "received.jsonl"
        self.process = None

    def start(self, fail=0, late=0, delay=0):
        self.process = subprocess.Popen([sys.executable, os.path.join(HERE, "upstream_server.py"), str(self.port),
                                         str(self.directory / "up.pem"), str(self.directory / "up.key"), str(self.log),
                                         "--fail", str(fail), "--late", str(late), "--late-seconds", "5",
                                         "--delay", str(delay)],
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "ready"

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def received(self):
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def accepted_keys(self):
        return [r["key"] for r in self.received() if r["accepted"]]


def wait_for(predicate, seconds=40):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def report(sequence):
    return {"sequence": sequence, "kind": "status",
            "data": {"run": "r1", "step": f"step {sequence}", "phase": "start"}}


def test_every_event_arrives_once_in_order_through_outages_and_a_restart(tmp_path):
    make_pki(tmp_path)
    upstream = Upstream(tmp_path, free_port())
    bridge = Bridge(tmp_path, extra=f"  upstream: https://127.0.0.1:{upstream.port}/events\n"
                                    f"  upstream-ca: {tmp_path / 'ca.pem'}\n  upstream-retry-max: 1\n"
                                    "  upstream-timeout: 3\n")
    admin = bridge.token("administrator")
    enrollment = bridge.token("enrollment")
    try:
        # The first three deliveries get 500; the next is accepted but answered after the
        # bridge's 3 s timeout, so the bridge sends it again and must get 409, not a duplicate.
        upstream.start(fail=3, late=1)
        bridge.start()
        status, body, _ = bridge.client("POST", "/v1/enroll", enrollment, body={"mac": "02:00:00:00:00:07"})
        assert status == 201
        client = body["token"]
        for sequence in range(1, 6):
            assert bridge.client("POST", "/v1/reports", client, body=report(sequence))[0] == 202
        # A repeat is acknowledged and not forwarded twice.
        assert bridge.client("POST", "/v1/reports", client, body=report(3))[1]["duplicate"] is True
        assert wait_for(lambda: len(upstream.accepted_keys()) == 6), upstream.received()

        upstream.kill()
        for sequence in range(6, 11):
            assert bridge.client("POST", "/v1/reports", client, body=report(sequence))[0] == 202
        time.sleep(1.5)  # deliveries fail while the upstream is away
        bridge.stop()
        bridge.start()
        for sequence in range(11, 13):
            assert bridge.client("POST", "/v1/reports", client, body=report(sequence))[0] == 202
        upstream.start()
        assert wait_for(lambda: len(upstream.accepted_keys()) == 13), upstream.received()
        assert wait_for(lambda: bridge.console("GET", "/v1/bridge", admin)[1]["outbox"]["pending"] == 0)
    finally:
        bridge.stop()
        upstream.kill()

    received = upstream.received()
    expected = [k for k in upstream.accepted_keys() if "/enroll/" in k] + [f"02:00:00:00:00:07/report/{n}" for n in range(1, 13)]
    assert upstream.accepted_keys() == expected
    assert expected[0].startswith("02:00:00:00:00:07/enroll/")
    # The 500s were retried; the late answer was retried and refused as a repeat (409);
    # nothing was accepted twice; events carry their data.
    assert [r["status"] for r in received[:3]] == [500, 500, 500]
    assert received[3]["status"] == 202 and any(r["status"] == 409 and r["key"] == received[3]["key"] for r in received[4:])
    accepted = [r for r in received if r["accepted"]]
    assert accepted[1]["event"]["data"]["step"] == "step 1" and accepted[1]["kind"] == "status"
    assert accepted[0]["kind"] == "enrollment" and accepted[0]["event"]["data"]["mac"] == "02:00:00:00:00:07"
    status, body, _ = bridge_console_after(bridge, admin)
    assert body["outbox"] == {"pending": 0, "delivered": 13, "rejected": 0}


def bridge_console_after(bridge, admin):
    bridge.start()
    try:
        return bridge.console("GET", "/v1/bridge", admin)
    finally:
        bridge.stop()
