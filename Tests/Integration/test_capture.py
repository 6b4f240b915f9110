"""netboot capture / decode against real peers in network namespaces (issue 7): a scapy BSDP
client and responder (LIST then SELECT) and a tftp-hpa client fetching from dnsmasq's TFTP,
captured by `netboot capture`; the pcap opens in tshark with the same packet count and
`netboot decode` shows the exchange and the transfer. Plus the bad-input paths."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import REPO, netboot_bin, require_tool, sh

# Debian's python3 has scapy (python3-scapy); the peers run with it.
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(REPO, "Tests", "PacketCaptureTests", "Fixtures")
CLIENT_MAC = "02:00:5e:10:00:07"
# 2 BSDP exchanges (INFORM + ACK each) + TFTP of 3000 bytes in 512-byte blocks (RRQ, 6 DATA, 6 ACK).
EXPECTED = 4 + 13


def wait_for(predicate, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_capture_bsdp_and_tftp(netns, tmp_path):
    binary = netboot_bin()
    require_tool("tshark")
    require_tool("dnsmasq")
    tftp = require_tool("tftp")
    root = tmp_path / "tftp"
    root.mkdir()
    (root / "booter").write_bytes(bytes(i % 251 for i in range(3000)))
    out = tmp_path / "cap.pcap"
    netns.run(netns.client, "ip", "link", "set", netns.client_if, "address", CLIENT_MAC)

    capture = netns.popen(netns.server, binary, "capture", "-i", netns.server_if, "-w", str(out),
                          "--count", str(EXPECTED), "--duration", "60",
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    servers = []
    try:
        # libpcap prints nothing when ready; give it a moment, then check it is still running.
        time.sleep(1.5)
        assert capture.poll() is None, capture.stderr.read()
        servers.append(netns.popen(netns.server, PYTHON, os.path.join(HERE, "bsdp_peer.py"), "server",
                                   netns.server_ip, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        servers.append(netns.popen(netns.server, "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0",
                                   "--bind-interfaces", f"--interface={netns.server_if}", "--enable-tftp",
                                   f"--tftp-root={root}", "--user=root", "--group=root",
                                   f"--pid-file={tmp_path}/dnsmasq.pid",
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(1)
        client = netns.run(netns.client, PYTHON, os.path.join(HERE, "bsdp_peer.py"), "client",
                           netns.server_ip, CLIENT_MAC, netns.client_ip, check=False, timeout=30)
        assert client.returncode == 0, client.stderr
        assert client.stdout.split("\n")[:2] == ["LIST default 0x81000010", "SELECT 0x81000010"]
        got = tmp_path / "got"
        fetch = netns.run(netns.client, tftp, "-m", "binary", netns.server_ip, "-c", "get", "booter", str(got),
                          check=False, timeout=30)
        assert fetch.returncode == 0, fetch.stderr
        assert got.read_bytes() == (root / "booter").read_bytes()
        stdout, stderr = capture.communicate(timeout=30)
    finally:
        for proc in servers + [capture]:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
    assert capture.returncode == 0, stderr
    lines = stdout.strip().split("\n")
    assert len(lines) == EXPECTED + 1, stdout
    assert lines[-1].startswith(f"capture ended: {EXPECTED} packets, 2 DHCP/BSDP exchanges, 1 TFTP transfers")
    assert any(f"INFORM[LIST] {CLIENT_MAC} MacBookPro8,1" in line and
               'ACK[LIST] 3 images, default "Mojave Install" (0x81000010)' in line for line in lines), stdout

    # The file is a standard pcap: tshark opens it and counts the same packets.
    count = sh("tshark", "-r", str(out), "-T", "fields", "-e", "frame.number").stdout.split()
    assert len(count) == EXPECTED
    assert sh("tshark", "-r", str(out), "-Y", "_ws.malformed || _ws.expert.severity >= error").stdout.strip() == ""

    decoded = [json.loads(line) for line in sh(binary, "decode", "--json", str(out)).stdout.splitlines()]
    assert len(decoded) == EXPECTED
    bsdp = [packet for packet in decoded if packet["proto"] == "bsdp"]
    assert [(p["msgType"], p["bsdp"]["messageType"]) for p in bsdp] == [
        ("DHCPINFORM", "LIST"), ("DHCPACK", "LIST"), ("DHCPINFORM", "SELECT"), ("DHCPACK", "SELECT")]
    assert bsdp[1]["bsdp"]["images"] == [{"id": "0x81000010", "name": "Mojave Install"},
                                         {"id": "0x01000011", "name": "Lab Catalina"},
                                         {"id": "0x03000bb8", "name": "Hardware Test"}]
    assert bsdp[1]["bsdp"]["defaultImage"] == "0x81000010"
    assert bsdp[3]["bsdp"]["selectedImage"] == "0x81000010"
    assert all(p["chaddr"] == CLIENT_MAC for p in bsdp)
    tftp_packets = [packet for packet in decoded if packet["proto"] == "tftp"]
    assert len(tftp_packets) == 13
    assert tftp_packets[0]["opcode"] == "RRQ" and tftp_packets[0]["file"] == "booter"

    conversations = sh(binary, "decode", "--conversations", str(out)).stdout.splitlines()
    assert any(line.startswith("0x01ce0001 " + CLIENT_MAC + " bsdp INFORM[LIST] → ACK[LIST]") for line in conversations)
    assert any(line.startswith("0x01ce0002 " + CLIENT_MAC + " bsdp INFORM[SELECT] → ACK[SELECT]") for line in conversations)
    assert any(line.startswith('tftp RRQ "booter"') and "bytes 3000 retransmits 0" in line and line.endswith("complete")
               for line in conversations), conversations


def test_capture_missing_interface(tmp_path):
    binary = netboot_bin()
    result = subprocess.run([binary, "capture", "-i", "nb-missing0", "--count", "1"], capture_output=True, text=True)
    assert result.returncode == 1
    assert "no such interface: nb-missing0" in result.stderr


def test_capture_bad_filter(netns):
    binary = netboot_bin()
    result = netns.run(netns.server, binary, "capture", "-i", netns.server_if, "--filter", "udp port banana",
                       "--count", "1", check=False)
    assert result.returncode == 1
    assert "capture filter does not compile" in result.stderr and "banana" in result.stderr


def test_capture_disk_full_stops_cleanly(netns):
    binary = netboot_bin()
    capture = netns.popen(netns.server, binary, "capture", "-i", netns.server_if, "-w", "/dev/full",
                          "--count", "5", "--duration", "20", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        # A few UDP datagrams to the server namespace (inside the test's own namespaces only).
        netns.run(netns.client, PYTHON, "-c",
                  "import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                  f"[s.sendto(b'x',('{netns.server_ip}',69)) or time.sleep(0.05) for _ in range(5)]", timeout=10)
        stdout, stderr = capture.communicate(timeout=30)
    finally:
        if capture.poll() is None:
            capture.kill()
        capture.wait()
    assert capture.returncode == 1
    assert "disk full while writing /dev/full" in stderr
    assert "capture ended:" in stdout


def test_decode_bad_files():
    binary = netboot_bin()
    wlan = subprocess.run([binary, "decode", os.path.join(FIXTURES, "wlan.pcap")], capture_output=True, text=True)
    assert wlan.returncode == 1
    assert "unsupported link type IEEE802_11 (DLT 105)" in wlan.stderr
    truncated = subprocess.run([binary, "decode", os.path.join(FIXTURES, "truncated.pcap")], capture_output=True, text=True)
    assert truncated.returncode == 2
    assert "DISCOVER 02:00:5e:10:00:02" in truncated.stdout
    assert "truncated dump file" in truncated.stderr
    corrupt = subprocess.run([binary, "decode", os.path.join(FIXTURES, "corrupt.pcap")], capture_output=True, text=True)
    assert corrupt.returncode == 1
    assert "unknown file format" in corrupt.stderr


def test_decode_peer_capture_matches_tshark():
    binary = netboot_bin()
    require_tool("tshark")
    path = os.path.join(FIXTURES, "tftp-peers.pcap")
    ours = [json.loads(line) for line in sh(binary, "decode", "--json", path).stdout.splitlines()]
    theirs = json.loads(sh("tshark", "-r", path, "-T", "json", "-e", "dhcp.id", "-e", "tftp.opcode",
                           "-e", "tftp.source_file", "-e", "tftp.block").stdout)
    assert len(ours) == len(theirs) == 35
    for mine, other in zip(ours, theirs):
        layers = other["_source"]["layers"]
        if "dhcp.id" in layers:
            assert mine["xid"] == layers["dhcp.id"][0]
        if "tftp.opcode" in layers:
            assert mine["proto"] == "tftp"
            if "tftp.block" in layers:
                assert str(mine["block"]) == layers["tftp.block"][0]
            if "tftp.source_file" in layers:
                assert mine["file"] == layers["tftp.source_file"][0]


def test_flight_recorder_dump(netns, tmp_path):
    """`netboot serve` taps its TFTP packets into the flight recorder; `netboot debug
    dump-packets` (SIGUSR1) writes them out as a pcap that decodes to the transfer. A windowed
    transfer's segmented writes show up as the individual DATA datagrams."""
    binary = netboot_bin()
    tftp = require_tool("tftp")
    atftp = require_tool("atftp")
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "booter").write_bytes(bytes(i % 7 for i in range(1500)))
    (tmp_path / "images" / "windowed").write_bytes(bytes(i % 11 for i in range(14 * 1468 - 100)))
    (tmp_path / "netboot.yaml").write_text(
        "state-dir: var\nimages-dir: images\n"
        "dhcp: { enabled: false }\nbsdp: { enabled: false }\nhttp: { enabled: false }\n"
        "tftp: { enabled: true, port: 69, root: images }\n"
        "capture: { dir: var/captures, flight-recorder: 64 }\n")
    serve = netns.popen(netns.server, binary, "serve", "--config", "netboot.yaml", cwd=tmp_path,
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_for(lambda: (tmp_path / "var" / "netboot.pid").exists()), "no pid file"
        got = tmp_path / "got"
        assert wait_for(lambda: netns.run(netns.client, tftp, "-m", "binary", netns.server_ip, "-c", "get",
                                          "booter", str(got), check=False, timeout=10).returncode == 0 and got.exists())
        netns.run(netns.client, atftp, "--option", "blksize 1468", "--option", "windowsize 8", "-g", "-r",
                  "windowed", "-l", str(tmp_path / "got-windowed"), netns.server_ip, "69", timeout=30)
        assert (tmp_path / "got-windowed").read_bytes() == (tmp_path / "images" / "windowed").read_bytes()
        dump = netns.run(netns.server, binary, "debug", "dump-packets", "-w", str(tmp_path / "flight.pcap"),
                         "--config", "netboot.yaml", cwd=tmp_path, check=False)
        assert dump.returncode == 0, dump.stderr
    finally:
        serve.terminate()
        try:
            log, _ = serve.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            serve.kill()
            log, _ = serve.communicate()
    assert "flight recorder written to var/captures/flight-" in log
    decoded = [json.loads(line) for line in sh(binary, "decode", "--json", str(tmp_path / "flight.pcap")).stdout.splitlines()]
    assert [p["opcode"] for p in decoded if p["proto"] == "tftp"][:2] == ["RRQ", "DATA"]
    assert decoded[0]["file"] == "booter" and decoded[0]["src"].startswith(netns.client_ip + ":")
    conversations = sh(binary, "decode", "--conversations", str(tmp_path / "flight.pcap")).stdout
    assert 'tftp RRQ "booter"' in conversations and "bytes 1500" in conversations and "complete" in conversations
    windowed = [p for p in decoded if p["proto"] == "tftp" and p["opcode"] == "DATA" and p["dst"].split(":")[1]
                != decoded[0]["src"].split(":")[1]]
    assert len(windowed) == 14, windowed
    assert not (tmp_path / "var" / "netboot.pid").exists()


def quiet_capture(netns, tmp_path, *args):
    binary = netboot_bin()
    out = tmp_path / "quiet.pcap"
    capture = netns.popen(netns.server, binary, "capture", "-i", netns.server_if, "-w", str(out), *args,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # libpcap prints nothing when ready; wait for our start line on standard error.
    assert capture.stderr.readline().startswith(f"capturing on {netns.server_if}")
    return capture, out


def finish_capture(capture, timeout=5):
    """The capture's output once it exited by itself; a capture still running fails the test."""
    try:
        stdout, stderr = capture.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        capture.kill()
        capture.communicate()
        pytest.fail(f"netboot capture did not stop within {timeout} s on a quiet interface")
    return stdout, stderr


def packet_count(path):
    """The packet count tshark reads from `path` (which must be a valid capture file)."""
    result = sh("tshark", "-r", str(path), "-T", "fields", "-e", "frame.number", check=False)
    assert result.returncode == 0, result.stderr
    return len(result.stdout.split())


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_capture_stops_on_a_signal_with_no_traffic(netns, tmp_path, sig):
    """A quiet interface: the signal alone must end the capture, with a valid file and a summary."""
    require_tool("tshark")
    capture, out = quiet_capture(netns, tmp_path)
    time.sleep(1)
    capture.send_signal(sig)
    stdout, stderr = finish_capture(capture)
    assert capture.returncode == 0, stderr
    assert stdout.startswith("capture ended: 0 packets"), stdout
    assert packet_count(out) == 0


def test_capture_duration_ends_a_quiet_capture(netns, tmp_path):
    require_tool("tshark")
    capture, out = quiet_capture(netns, tmp_path, "--duration", "1")
    stdout, stderr = finish_capture(capture)
    assert capture.returncode == 0, stderr
    assert stdout.startswith("capture ended: 0 packets"), stdout
    assert packet_count(out) == 0


def test_capture_stops_after_traffic_went_quiet(netns, tmp_path):
    """Some packets, then silence, then SIGTERM: the summary counts what the file holds."""
    require_tool("tshark")
    capture, out = quiet_capture(netns, tmp_path)
    netns.run(netns.client, PYTHON, "-c",
              "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
              f"[s.sendto(b'x',('{netns.server_ip}',9)) for _ in range(3)]", timeout=10)
    time.sleep(1)
    capture.send_signal(signal.SIGTERM)
    stdout, stderr = finish_capture(capture)
    assert capture.returncode == 0, stderr
    assert stdout.splitlines()[-1].startswith("capture ended: 3 packets"), stdout
    assert packet_count(out) == 3


FLIGHT_CLIENT = r'''
s = udp_socket(68)
options = [("vendor_class_id", b"PXEClient:Arch:00000:UNDI:002001"), ("client_id", b"\x01\x02\x00\x00\x00\x71\x02")]
s.sendto(dhcp("discover", "02:00:00:00:71:02", 0x3102, options=options), ("255.255.255.255", 67))
offer = wait_reply(s, 0x3102, timeout=3)
t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t.settimeout(3)
t.sendto(b"\x00\x01missing-file\x00octet\x00", (sys.argv[1] if len(sys.argv) > 1 else "198.51.100.1", 69))
error = t.recvfrom(1500)[0]
print(json.dumps({"offer": offer is not None, "error": error[:4].hex()}))
'''


def test_flight_recorder_keeps_tftp_errors_and_real_dhcp_addresses(netns, tmp_path):
    """The flight recorder holds the TFTP ERROR a refused RRQ gets, and records the DHCP
    datagrams with their real addresses: a broadcast DISCOVER to 255.255.255.255:67, the
    broadcast OFFER from the server's address (issue 14 item 8)."""
    from dhcp_support import PRELUDE, Server, run_client_script
    binary = netboot_bin()
    extra = "capture: { dir: captures, flight-recorder: 64 }\n"
    server = Server(netns, tmp_path, mode="proxy", bsdp=False, extra=extra)
    server.config.write_text(server.config.read_text().replace("tftp:\n  enabled: false", "tftp:\n  enabled: true")
                             .replace("capture: { dir: captures", f"capture: {{ dir: {tmp_path}/captures"))
    server.start()
    try:
        got = run_client_script(netns, PRELUDE + FLIGHT_CLIENT)
        assert got == {"offer": True, "error": "00050001"}, server.log()
        dump = netns.run(netns.server, binary, "debug", "dump-packets", "-w", str(tmp_path / "flight.pcap"),
                         "--config", str(server.config), check=False)
        assert dump.returncode == 0, dump.stderr
    finally:
        server.kill()
    decoded = [json.loads(line) for line in sh(binary, "decode", "--json", str(tmp_path / "flight.pcap")).stdout.splitlines()]
    tftp = [(p["opcode"], p["src"].split(":")[0], p["dst"].split(":")[0]) for p in decoded if p["proto"] == "tftp"]
    assert tftp == [("RRQ", netns.client_ip, netns.server_ip), ("ERROR", netns.server_ip, netns.client_ip)], decoded
    dhcp = [(p.get("msgType"), p["src"], p["dst"]) for p in decoded if p["proto"] in ("dhcp", "bsdp")]
    assert dhcp == [("DHCPDISCOVER", f"{netns.client_ip}:68", "255.255.255.255:67"),
                    ("DHCPOFFER", f"{netns.server_ip}:67", "255.255.255.255:68")], decoded
