"""The DHCP service in authoritative mode against real clients (udhcpc, dhclient) and scapy, in a
server/client namespace pair joined by a veth (198.51.100.0/24): obtain, renew and release;
relayed requests; restart after kill -9; pool exhaustion; malformed floods."""
import os
import signal
import subprocess
import time

import pytest

from conftest import require_tool
from dhcp_support import PRELUDE, Server, run_client_script

ADDRESS_SCRIPT = """#!/bin/sh
# Records each event and (un)configures the address, without touching resolv.conf or routes.
echo "$1${reason} ip=${ip}${new_ip_address} lease=${lease}${new_dhcp_lease_time} server=${serverid}${new_dhcp_server_identifier} router=${router}${new_routers}" >> "$LOG"
case "$1$reason" in
  bound|renew|BOUND|RENEW|REBOOT|REBIND)
    ip addr replace "${ip}${new_ip_address}/24" dev "${interface}" ;;
  deconfig)
    ip addr flush dev "$interface" ;;
  RELEASE|EXPIRE|STOP)
    [ -n "$old_ip_address" ] && ip addr del "$old_ip_address/24" dev "$interface" 2>/dev/null ;;
esac
exit 0
"""


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "client-script.sh"
    log = tmp_path / "client-events.log"
    path.write_text(ADDRESS_SCRIPT.replace('"$LOG"', f'"{log}"'))
    path.chmod(0o755)
    return path, log


def wait_for(predicate, timeout=15, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def lease_of(server, address):
    return next((l for l in server.leases() if l["address"] == address), None)


def test_udhcpc_obtains_renews_and_releases(netns, tmp_path, script):
    require_tool("udhcpc")
    path, events = script
    server = Server(netns, tmp_path).start()
    netns.run(netns.client, "ip", "addr", "flush", "dev", netns.client_if)
    client = netns.popen(netns.client, "udhcpc", "-i", netns.client_if, "-f", "-s", str(path), "-t", "5", "-T", "2",
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert wait_for(lambda: events.exists() and "bound ip=198.51.100.100" in events.read_text()), events
        text = events.read_text()
        assert "lease=600" in text and "server=198.51.100.1" in text and "router=198.51.100.1" in text
        lease = lease_of(server, "198.51.100.100")
        assert lease and lease["state"] == "bound"
        # SIGUSR1: RENEWING, a unicast REQUEST with ciaddr set.
        client.send_signal(signal.SIGUSR1)
        assert wait_for(lambda: "renew ip=198.51.100.100" in events.read_text()), events.read_text()
        assert wait_for(lambda: server.log().count("DHCPREQUEST lease: ACK → 198.51.100.100:68") >= 2)
        # The renewal's ACK is IP unicast to ciaddr, not a link-layer send.
        assert "ACK → 198.51.100.100:68 (ok)" in server.log()
        # SIGUSR2: RELEASE.
        client.send_signal(signal.SIGUSR2)
        assert wait_for(lambda: (lease_of(server, "198.51.100.100") or {}).get("state") == "released"), server.leases()
        assert "released 198.51.100.100" in server.log()
    finally:
        client.kill()
        client.wait()
        server.kill()


def test_dhclient_obtains_reboots_and_releases(netns, tmp_path, script):
    require_tool("dhclient")
    path, events = script
    server = Server(netns, tmp_path).start()
    netns.run(netns.client, "ip", "addr", "flush", "dev", netns.client_if)
    leases = tmp_path / "dhclient.leases"
    common = ["-v", "-sf", str(path), "-lf", str(leases)]
    try:
        netns.run(netns.client, "timeout", "40", "dhclient", "-1", *common, "-pf", str(tmp_path / "a.pid"),
                  netns.client_if)
        assert "BOUND ip=198.51.100.100" in events.read_text()
        assert lease_of(server, "198.51.100.100")["state"] == "bound"
        # Stop the daemon (it keeps the lease), then start again: INIT-REBOOT confirms the address.
        netns.run(netns.client, "dhclient", "-x", *common, "-pf", str(tmp_path / "a.pid"), netns.client_if, check=False)
        netns.run(netns.client, "timeout", "40", "dhclient", "-1", *common, "-pf", str(tmp_path / "b.pid"),
                  netns.client_if)
        assert "REBOOT ip=198.51.100.100" in events.read_text(), events.read_text()
        # Release.
        netns.run(netns.client, "timeout", "40", "dhclient", "-r", *common, "-pf", str(tmp_path / "b.pid"),
                  netns.client_if)
        assert wait_for(lambda: lease_of(server, "198.51.100.100")["state"] == "released"), server.leases()
    finally:
        for pid_file in ("a.pid", "b.pid"):
            pid = tmp_path / pid_file
            if pid.exists():
                subprocess.run(["kill", "-9", pid.read_text().strip()], check=False, capture_output=True)
        server.kill()


RELAY = PRELUDE + r'''
server, relay = sys.argv[1], sys.argv[2]
s = udp_socket(67)
mac = "02:00:00:00:aa:01"
agent = b"\x01\x04eth7\x02\x02\x00\x2a"
req = dhcp("discover", mac, 0x1001, [("relay_agent_information", agent)], broadcast=False, giaddr=relay, hops=1)
s.sendto(req, (server, 67))
got = wait_reply(s, 0x1001, want=2)
result = {"offer": None}
if got:
    pkt, opts, addr = got
    result = {"offer": pkt.yiaddr, "from": addr[0], "port": addr[1], "giaddr": pkt.giaddr,
              "agent": opts.get("relay_agent_information", b"").hex(), "server_id": opts.get("server_id")}
    req = dhcp("request", mac, 0x1002, [("requested_addr", pkt.yiaddr), ("server_id", addr[0]),
               ("relay_agent_information", agent)], broadcast=False, giaddr=relay, hops=1)
    s.sendto(req, (server, 67))
    got = wait_reply(s, 0x1002, want=5)
    result["ack"] = got[0].yiaddr if got else None
print(json.dumps(result))
'''


def test_relayed_request_is_answered_to_giaddr(netns, tmp_path):
    server = Server(netns, tmp_path).start()
    try:
        result = run_client_script(netns, RELAY.replace("sys.argv[1], sys.argv[2]",
                                                        f"'{netns.server_ip}', '{netns.client_ip}'"))
        assert result["offer"] == "198.51.100.100"
        assert result["port"] == 67 and result["giaddr"] == netns.client_ip
        assert result["agent"] == "0104657468370202002a"
        assert result["ack"] == "198.51.100.100"
        assert "relay 198.51.100.2" in server.log() or "→ 198.51.100.2:67" in server.log()
    finally:
        server.kill()


DORA = PRELUDE + r'''
count, prefix = int(sys.argv[1]), sys.argv[2]
s = udp_socket(68)
got_addresses = []
for n in range(count):
    mac = "02:00:00:00:%02x:%02x" % (prefix, n)
    xid = 0x5000 + prefix * 256 + n
    s.sendto(dhcp("discover", mac, xid), ("255.255.255.255", 67))
    offer = wait_reply(s, xid, want=2)
    if not offer:
        got_addresses.append(None); continue
    s.sendto(dhcp("request", mac, xid, [("requested_addr", offer[0].yiaddr), ("server_id", offer[1]["server_id"])]),
             ("255.255.255.255", 67))
    ack = wait_reply(s, xid, want=5)
    got_addresses.append(ack[0].yiaddr if ack else None)
print(json.dumps(got_addresses))
'''


def test_restart_after_kill_9_keeps_leases(netns, tmp_path):
    server = Server(netns, tmp_path).start()
    try:
        first = run_client_script(netns, DORA.replace("int(sys.argv[1]), sys.argv[2]", "3, 1"))
        assert first == ["198.51.100.100", "198.51.100.101", "198.51.100.102"]
        server.kill(signal.SIGKILL)
        assert {l["address"] for l in server.leases() if l["state"] == "bound"} >= set(first)
        server.start()
        # The same clients get their addresses back; new clients never get a leased one.
        again = run_client_script(netns, DORA.replace("int(sys.argv[1]), sys.argv[2]", "3, 1"))
        assert again == first
        others = run_client_script(netns, DORA.replace("int(sys.argv[1]), sys.argv[2]", "3, 2"))
        assert None not in others and not set(others) & set(first)
    finally:
        server.kill()


FLOOD = PRELUDE + r'''
s = udp_socket(68)
offers = 0
for n in range(60):
    mac = "02:%02x:%02x:%02x:%02x:%02x" % tuple(random.randrange(256) for _ in range(5))
    xid = 0x9000 + n
    s.sendto(dhcp("discover", mac, xid), ("255.255.255.255", 67))
    if wait_reply(s, xid, timeout=0.3, want=2):
        offers += 1
print(json.dumps({"offers": offers}))
'''


def test_discover_flood_cannot_lock_out_clients_and_exhaustion_gets_no_offer(netns, tmp_path):
    server = Server(netns, tmp_path, range_=("198.51.100.100", "198.51.100.104")).start()
    try:
        # A flood of random MACs only holds offers; a real client still completes DORA.
        run_client_script(netns, FLOOD)
        bound = run_client_script(netns, DORA.replace("int(sys.argv[1]), sys.argv[2]", "5, 3"))
        assert None not in bound and len(set(bound)) == 5
        # Every address bound: the next flood gets no OFFER at all, and exhaustion is logged.
        assert run_client_script(netns, FLOOD) == {"offers": 0}
        assert "pool exhausted in 198.51.100.0/24" in server.log()
        assert server.proc.poll() is None
        # The bound clients keep being answered.
        assert run_client_script(netns, DORA.replace("int(sys.argv[1]), sys.argv[2]", "5, 3")) == bound
    finally:
        server.kill()


MALFORMED = PRELUDE + r'''
server = sys.argv[1]
random.seed(7)
s = udp_socket(68)
junk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
valid = dhcp("discover", "02:00:00:00:00:01", 1)
def malformed(i):
    kind = i % 5
    if kind == 0:
        return bytes(random.randrange(256) for _ in range(random.randrange(0, 600)))
    if kind == 1:
        return valid[:random.randrange(0, 240)]
    data = bytearray(valid)
    if kind == 2:   # option length overrun
        data[240:] = b"\x35\x01\x01\x0c\xff\x41"
    elif kind == 3: # bad cookie
        data[236:240] = b"\x00\x00\x00\x00"
    else:           # op 3 (neither BOOTREQUEST nor BOOTREPLY)
        data[0] = 3
    return bytes(data)
sent = 0
answered = 0
exchanges = 100
for n in range(exchanges):
    for _ in range(100):
        junk.sendto(malformed(sent), (server, 67)); sent += 1
    mac = "02:00:00:01:%02x:%02x" % (n // 256, n % 256)
    xid = 0x7000 + n
    s.sendto(dhcp("discover", mac, xid), ("255.255.255.255", 67))
    offer = wait_reply(s, xid, timeout=3, want=2)
    if not offer:
        continue
    s.sendto(dhcp("request", mac, xid, [("requested_addr", offer[0].yiaddr), ("server_id", offer[1]["server_id"])]),
             ("255.255.255.255", 67))
    if wait_reply(s, xid, timeout=3, want=5):
        answered += 1
print(json.dumps({"malformed": sent, "exchanges": exchanges, "answered": answered}))
'''


def test_malformed_flood_interleaved_with_valid_exchanges(netns, tmp_path):
    server = Server(netns, tmp_path, range_=("198.51.100.10", "198.51.100.250")).start()
    try:
        result = run_client_script(netns, MALFORMED.replace("sys.argv[1]", f"'{netns.server_ip}'"), timeout=300)
        assert result["malformed"] == 10000
        assert result["answered"] == result["exchanges"] == 100
        assert server.proc.poll() is None
    finally:
        server.kill()
    # Past a few lines per 10 s, the drops of one source are summarised (docs/logging.md); the
    # summaries of windows still open are written when the server stops.
    log = server.log()
    written = log.count("wire: DROP (malformed")
    summarised = sum(int(line.split("… ")[1].split(" ")[0].replace(",", ""))
                     for line in log.splitlines() if " more malformed DHCP datagrams on " in line)
    assert written <= 50 and written + summarised >= 9000, (written, summarised)
