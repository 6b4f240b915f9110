"""Where `netboot serve` answers TFTP and HTTP (issue 14 item 1): on the addresses of the served
`interfaces:` only, or on `tftp.listen` / `http.listen`. The server namespace has the test
veth (served) and a second, "management" veth to a namespace of its own (not served) plus
loopback; clients on the unserved ones must get no answer at all."""
import os
import subprocess
import textwrap
import uuid

import pytest

from conftest import netboot_bin, sh
from test_serve_lifecycle import PYTHON, config, finish, log_text, stop, wait_for

MGMT_PREFIX = "192.0.2"  # TEST-NET-1 (RFC 5737), only inside the namespaces made here


@pytest.fixture
def mgmt(netns):
    """A second client namespace on its own veth to the server: 192.0.2.2 → 192.0.2.1."""
    tag = uuid.uuid4().hex[:6]
    ns, server_if, client_if = f"nbm{tag}", f"ms{tag}", f"mc{tag}"
    sh("ip", "netns", "add", ns)
    try:
        sh("ip", "link", "add", server_if, "netns", netns.server, "type", "veth", "peer", "name", client_if, "netns", ns)
        for space, ifname, ip in ((netns.server, server_if, f"{MGMT_PREFIX}.1"), (ns, client_if, f"{MGMT_PREFIX}.2")):
            sh("ip", "-n", space, "link", "set", "lo", "up")
            sh("ip", "-n", space, "addr", "add", f"{ip}/24", "dev", ifname)
            sh("ip", "-n", space, "link", "set", ifname, "up")
        yield ns
    finally:
        for pid in sh("ip", "netns", "pids", ns, check=False).stdout.split():
            sh("kill", "-9", pid, check=False)
        sh("ip", "netns", "del", ns, check=False)


TFTP_PROBE = textwrap.dedent("""\
    import socket, sys
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(b"\\x00\\x01hello\\x00octet\\x00", (sys.argv[1], 69))
    try:
        data, _ = s.recvfrom(2048)
        print("DATA" if data[:4] == b"\\x00\\x03\\x00\\x01" else "OTHER")
    except (socket.timeout, ConnectionRefusedError):
        print("NONE")
    """)

HTTP_PROBE = textwrap.dedent("""\
    import socket, sys
    try:
        s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
        s.sendall(b"GET /hello HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n")
        print(s.recv(64).split(b"\\r\\n")[0].decode())
    except (socket.timeout, ConnectionRefusedError):
        print("NONE")
    """)


def tftp_answer(netns, ns, address):
    return netns.run(ns, PYTHON, "-c", TFTP_PROBE, address, timeout=20).stdout.strip()


def http_answer(netns, ns, address, port=80):
    return netns.run(ns, PYTHON, "-c", HTTP_PROBE, address, str(port), timeout=20).stdout.strip()


def start(netns, path, base):
    with open(os.path.join(base, "images", "hello"), "w") as handle:
        handle.write("hello\n")
    process = netns.popen(netns.server, netboot_bin(), "serve", "--quiet", "--config", path,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if not wait_for(lambda: "running services:" in log_text(base) and "http listening" in log_text(base)):
        process.kill()
        pytest.fail("netboot serve did not start:\n" + log_text(base) + process.communicate()[1])
    return process


def test_tftp_and_http_answer_only_on_the_served_interfaces(netns, mgmt, tmp_path):
    path = config(netns, tmp_path, dhcp="enabled: false")
    process = start(netns, path, tmp_path)
    try:
        assert tftp_answer(netns, netns.client, netns.server_ip) == "DATA"
        assert http_answer(netns, netns.client, netns.server_ip) == "HTTP/1.1 200 OK"
        # The management network and loopback are not in `interfaces:`: no answer at all.
        assert tftp_answer(netns, mgmt, f"{MGMT_PREFIX}.1") == "NONE"
        assert http_answer(netns, mgmt, f"{MGMT_PREFIX}.1") == "NONE"
        assert tftp_answer(netns, netns.server, "127.0.0.1") == "NONE"
        assert http_answer(netns, netns.server, "127.0.0.1") == "NONE"
    finally:
        code, stderr = stop(process)
    assert code == 0, stderr
    log = log_text(tmp_path)
    assert f"tftp listening on {netns.server_ip}:69" in log and f"http listening on {netns.server_ip}:80" in log, log


def test_listen_addresses_override_the_interfaces(netns, mgmt, tmp_path):
    path = config(netns, tmp_path, dhcp="enabled: false", tftp=f"listen: [{MGMT_PREFIX}.1]",
                  http="listen: [127.0.0.1, 198.51.100.1], port: 8080")
    process = start(netns, path, tmp_path)
    try:
        assert tftp_answer(netns, mgmt, f"{MGMT_PREFIX}.1") == "DATA"
        assert tftp_answer(netns, netns.client, netns.server_ip) == "NONE"
        assert http_answer(netns, netns.server, "127.0.0.1", 8080) == "HTTP/1.1 200 OK"
        assert http_answer(netns, netns.client, netns.server_ip, 8080) == "HTTP/1.1 200 OK"
        assert http_answer(netns, mgmt, f"{MGMT_PREFIX}.1", 8080) == "NONE"
    finally:
        code, stderr = stop(process)
    assert code == 0, stderr


def test_a_listen_address_the_host_lacks_stops_start_up(netns, tmp_path):
    path = config(netns, tmp_path, dhcp="enabled: false", http="listen: [203.0.113.9]")
    process = netns.popen(netns.server, netboot_bin(), "serve", "--quiet", "--config", path,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    code, stderr = finish(process)
    assert code == 1
    assert "netboot: not started: http: cannot listen on 203.0.113.9:80 (TCP): Cannot assign requested address" in stderr, stderr
    assert "tftp stopped" in log_text(tmp_path)
