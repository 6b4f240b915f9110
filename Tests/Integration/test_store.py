"""The PostgreSQL store (docs/store.md) against a real, throwaway PostgreSQL cluster: `netboot
store migrate|check`, and `netboot serve` on it with scapy clients in the namespace pair — no
ACK while the database is down, and service resumes by itself when it is back.

The cluster is made with initdb in a temporary directory (as the `postgres` user when root,
since initdb refuses root), listens only on a Unix socket there, and is stopped and removed
afterwards, also when a test fails."""
import glob
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import pytest

from conftest import netboot_bin, require_tool
from dhcp_support import PRELUDE, PYTHON, Server, run_client_script


def postgres_bin():
    for directory in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if all(os.access(os.path.join(directory, tool), os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")):
            return directory
    reason = "PostgreSQL not installed (Debian's postgresql package; scripts/install-deps test)"
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true: " + reason)
    pytest.skip(reason)


class Cluster:
    def __init__(self):
        self.bin = postgres_bin()
        self.dir = f"/tmp/nbpgi-{uuid.uuid4().hex[:8]}"
        os.mkdir(self.dir, 0o700)
        self.owner = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        if self.owner:
            shutil.chown(self.dir, "postgres")
        self.data = f"{self.dir}/data"

    def run(self, *args):
        return subprocess.run(self.owner + list(args), check=True, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=120)

    def init(self):
        self.run(f"{self.bin}/initdb", "-D", self.data, "-A", "trust", "-U", "netboot", "--no-sync")
        self.start()
        self.run(f"{self.bin}/createdb", "-h", self.dir, "-U", "netboot", "netboot")

    def start(self):
        # The server's output goes to its log file, not to our pipes (it outlives pg_ctl).
        subprocess.run(self.owner + [f"{self.bin}/pg_ctl", "-D", self.data, "-l", f"{self.dir}/log", "-w", "-t", "60",
                                     "-o", f"-k {self.dir} -c listen_addresses='' -c fsync=off", "start"],
                       check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=120)

    def stop(self, mode="fast"):
        self.run(f"{self.bin}/pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def destroy(self):
        subprocess.run(self.owner + [f"{self.bin}/pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"],
                       stdin=subprocess.DEVNULL, capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def url(self):
        return f"postgresql://netboot@/netboot?host={self.dir}"

    def psql(self, sql):
        return self.run(f"{self.bin}/psql", "-h", self.dir, "-U", "netboot", "-d", "netboot", "-At", "-c", sql).stdout


@pytest.fixture
def cluster():
    c = Cluster()
    try:
        c.init()
        yield c
    finally:
        c.destroy()


def store_config(tmp_path, cluster, extra=""):
    path = tmp_path / "netboot.yaml"
    path.write_text(f"state-dir: {tmp_path / 'state'}\nstore:\n  postgresql: \"{cluster.url}\"\n  pool: 2\n{extra}")
    return path


def netboot(*args):
    return subprocess.run([netboot_bin(), *args], capture_output=True, text=True, timeout=60)


def test_store_migrate_and_check(cluster, tmp_path):
    config = store_config(tmp_path, cluster)
    before = netboot("store", "check", "--config", str(config))
    assert before.returncode == 1 and "schema version 0" in before.stderr and "netboot store migrate" in before.stderr
    migrated = netboot("store", "migrate", "--config", str(config))
    assert migrated.returncode == 0, migrated.stderr
    assert "migrated from version 0 to 2" in migrated.stdout
    assert cluster.psql("SELECT version FROM netboot_schema ORDER BY version").split() == ["1", "2"]
    again = netboot("store", "migrate", "--config", str(config))
    assert "nothing to do" in again.stdout
    check = netboot("store", "check", "--config", str(config))
    assert check.returncode == 0 and "reachable, schema version 2 (current)" in check.stdout
    # The clock skew against the database, with the bound it is judged by (a skew beyond it is
    # StoreCheckClockTests' part: this machine's clock cannot be moved here).
    assert re.search(r"; clock skew [+-]\d+\.\d{3} s \(this machine against the database, bound 30 s\)$", check.stdout.strip()), check.stdout
    cluster.stop()
    down = netboot("store", "check", "--config", str(config))
    assert down.returncode == 1 and "unreachable" in down.stderr


def test_a_password_is_never_in_the_url_nor_in_output(cluster, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("store:\n  postgresql: \"postgresql://netboot:hunter2@/netboot?host=/tmp\"\n")
    out = netboot("store", "check", "--config", str(bad))
    assert out.returncode == 1
    assert f"{bad}:2:15: error: store.postgresql: the URL holds a password" in out.stderr
    assert "hunter2" not in out.stderr + out.stdout
    # A password from the environment: the missing variable is named, its value never printed.
    config = store_config(tmp_path, cluster, "  password-env: NB_TEST_DB_PASSWORD\n")
    missing = netboot("store", "check", "--config", str(config))
    assert missing.returncode == 1 and "NB_TEST_DB_PASSWORD, which is not set" in missing.stderr
    env = dict(os.environ, NB_TEST_DB_PASSWORD="s3cret-value")
    out = subprocess.run([netboot_bin(), "store", "migrate", "--config", str(config)], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "s3cret-value" not in out.stdout + out.stderr


# DORA for one client each, given as "mac xid" pairs; None where no ACK came within the timeout.
CLIENTS = PRELUDE + r'''
s = udp_socket(68)
got = []
for arg in sys.argv[1:]:
    mac, xid = arg.split("/")
    xid = int(xid)
    s.sendto(dhcp("discover", mac, xid), ("255.255.255.255", 67))
    offer = wait_reply(s, xid, want=2)
    if not offer:
        got.append(None); continue
    s.sendto(dhcp("request", mac, xid, [("requested_addr", offer[0].yiaddr), ("server_id", offer[1]["server_id"])]),
             ("255.255.255.255", 67))
    ack = wait_reply(s, xid, timeout=4.0, want=5)
    got.append(ack[0].yiaddr if ack else None)
print(json.dumps(got))
'''


def clients(netns, *pairs):
    return run_client_script(netns, CLIENTS.replace("sys.argv[1:]", repr(list(pairs))))


def test_no_ack_while_the_database_is_down_and_service_resumes_by_itself(netns, cluster, tmp_path):
    server = Server(netns, tmp_path, extra=f"store:\n  postgresql: \"{cluster.url}\"\n  pool: 2\n  connect-timeout: 2\n")
    server.start()
    try:
        assert clients(netns, "02:00:00:00:07:01/28929") == ["198.51.100.100"]
        assert cluster.psql("SELECT count(*) FROM dhcp_lease WHERE state = 'bound'").strip() == "1"
        cluster.stop()
        # Offers need no write; ACKs do: none while the database is down.
        assert clients(netns, "02:00:00:00:07:02/28930", "02:00:00:00:07:03/28931") == [None, None]
        assert clients(netns, "02:00:00:00:07:04/28932") == [None]
        log = server.log()
        assert log.count("lease store commit failed") == 1, log[-3000:]
        assert "no lease is acknowledged until it works again" in log
        cluster.start()
        # The same process, no restart: the next clients are acknowledged, and what the
        # database holds is exactly what was ACKed.
        acked = clients(netns, "02:00:00:00:07:02/28933", "02:00:00:00:07:05/28934")
        assert None not in acked
        assert "lease store is back after" in server.log()
        rows = cluster.psql("SELECT address FROM dhcp_lease WHERE state = 'bound' ORDER BY address").split()
        as_text = sorted(".".join(str((int(a) >> s) & 255) for s in (24, 16, 8, 0)) for a in rows)
        assert as_text == sorted(["198.51.100.100"] + acked)
        assert server.proc.poll() is None
    finally:
        server.kill()


# Each client's DORA, collecting every ACK for its xid (two servers may both answer).
ALL_ACKS = PRELUDE + r'''
s = udp_socket(68)
acks = []
for n in range(COUNT):
    mac = "02:00:00:00:%02x:%02x" % (0x30, n)
    xid = 0x7300 + n
    s.sendto(dhcp("discover", mac, xid), ("255.255.255.255", 67))
    offer = wait_reply(s, xid, want=2)
    if not offer:
        continue
    s.sendto(dhcp("request", mac, xid, [("requested_addr", offer[0].yiaddr), ("server_id", offer[1]["server_id"])]),
             ("255.255.255.255", 67))
    end = time.time() + 1.0
    while time.time() < end:
        ack = wait_reply(s, xid, timeout=max(0.01, end - time.time()), want=5)
        if ack:
            acks.append([mac, ack[0].yiaddr])
print(json.dumps(acks))
'''


def test_two_appliances_on_one_database_never_ack_one_address_to_two_clients(netns, cluster, tmp_path):
    """Two `netboot serve` (own state dirs) authoritative for one subnet on one interface of the
    server namespace, sharing one PostgreSQL: both hear every broadcast, both engines start
    offering from the same first address, and the database decides who wins."""
    store = f"store:\n  postgresql: \"{cluster.url}\"\n  pool: 2\n"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = Server(netns, tmp_path / "a", extra=store).start()
    b = None
    try:
        b = Server(netns, tmp_path / "b", extra=store).start()
        acks = run_client_script(netns, ALL_ACKS.replace("COUNT", "20"))
        holders = {}
        for mac, address in acks:
            holders.setdefault(address, set()).add(mac)
        assert acks, a.log()[-2000:] + b.log()[-2000:]
        assert all(len(macs) == 1 for macs in holders.values()), holders
        # Every ACKed lease is in the database, with the client it was ACKed to.
        rows = cluster.psql("SELECT address, mac FROM dhcp_lease WHERE state = 'bound'").split()
        stored = {}
        for row in rows:
            address, mac = row.split("|")
            text = ".".join(str((int(address) >> s) & 255) for s in (24, 16, 8, 0))
            stored[text] = ":".join(f"{(int(mac) >> s) & 255:02x}" for s in (40, 32, 24, 16, 8, 0))
        for address, macs in holders.items():
            assert stored.get(address) in macs, (address, macs, stored.get(address))
        assert len({mac for mac, _ in acks}) >= 15, acks
    finally:
        a.kill()
        if b:
            b.kill()


OFFER_ONLY = PRELUDE + r'''
s = udp_socket(68)
s.sendto(dhcp("discover", "02:00:00:00:40:01", 0x7401), ("255.255.255.255", 67))
offer = wait_reply(s, 0x7401, want=2)
print(json.dumps([offer[0].yiaddr, offer[1]["server_id"]] if offer else None))
'''

# Y takes B's offer; then X requests the address A offered it before B existed.
RACE = PRELUDE + r'''
s = udp_socket(68)
def offer_from(mac, xid, server):
    s.sendto(dhcp("discover", mac, xid), ("255.255.255.255", 67))
    end = time.time() + 3
    while time.time() < end:
        got = wait_reply(s, xid, timeout=max(0.01, end - time.time()), want=2)
        if got and got[1]["server_id"] == server:
            return got
    return None
def request(mac, xid, address, server):
    s.sendto(dhcp("request", mac, xid, [("requested_addr", address), ("server_id", server)]), ("255.255.255.255", 67))
    end = time.time() + 3
    while time.time() < end:
        reply = wait_reply(s, xid, timeout=max(0.01, end - time.time()))
        # A late OFFER for this xid (from the other server) is not the answer.
        if reply and reply[1].get("message-type") in (5, 6):
            return [reply[1].get("message-type"), reply[0].yiaddr]
    return None
y_offer = offer_from("02:00:00:00:40:02", 0x7402, "B_ADDRESS")
y_ack = request("02:00:00:00:40:02", 0x7402, y_offer[0].yiaddr, "B_ADDRESS") if y_offer else None
x_ack = request("02:00:00:00:40:01", 0x7401, "X_ADDRESS", "A_ADDRESS")
x_offer = offer_from("02:00:00:00:40:01", 0x7403, "A_ADDRESS")
x_retry = request("02:00:00:00:40:01", 0x7403, x_offer[0].yiaddr, "A_ADDRESS") if x_offer else None
print(json.dumps({"y": y_ack, "x": x_ack, "x_retry": x_retry}))
'''


class SitePair:
    """Two appliances on one database, for a `with` block: A on the namespace's server address,
    B on `b_address` (.3) with its own server identifier, each with its own state dir; both
    are killed when the block ends, also when a test fails."""

    def __init__(self, netns, cluster, tmp_path, store_extra="", **server_args):
        self.netns, self.tmp_path, self.server_args = netns, tmp_path, server_args
        self.b_address = f"{netns.prefix}.3"
        netns.run(netns.server, "ip", "addr", "add", f"{self.b_address}/24", "dev", netns.server_if)
        self.store = f"store:\n  postgresql: \"{cluster.url}\"\n  pool: 2\n{store_extra}"
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        self.a = self.b = None

    def start_a(self):
        self.a = Server(self.netns, self.tmp_path / "a", extra=self.store, **self.server_args).start()
        return self.a

    def start_b(self):
        self.b = Server(self.netns, self.tmp_path / "b", extra=self.store + f"server-address: {self.b_address}\n",
                        **self.server_args).start()
        return self.b

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for server in (self.a, self.b):
            if server:
                server.kill()


def test_the_first_writer_wins_and_the_loser_offers_another_address(netns, cluster, tmp_path):
    """A offers .100 to X; B, started after (it cannot know A's offer), offers .100 to Y, who
    takes it first. X's REQUEST to A is then refused by the database: A sends no ACK, adopts
    Y's lease, and X's next DISCOVER gets another address."""
    with SitePair(netns, cluster, tmp_path) as site:
        a, b_address = site.start_a(), site.b_address
        x_offer = run_client_script(netns, OFFER_ONLY)
        assert x_offer == [f"{netns.prefix}.100", netns.server_ip]
        b = site.start_b()
        race = run_client_script(netns, RACE.replace("B_ADDRESS", b_address).replace("A_ADDRESS", netns.server_ip)
                                 .replace("X_ADDRESS", x_offer[0]))
        assert race["y"] == [5, f"{netns.prefix}.100"], (race, b.log()[-2000:])
        # No ACK for X's address: the database holds it for Y (a NAK or silence).
        assert race["x"] is None or race["x"][0] == 6, race
        assert "lease store refused a write" in a.log()
        assert race["x_retry"] is not None and race["x_retry"][0] == 5 and race["x_retry"][1] != f"{netns.prefix}.100", race
        rows = dict(row.split("|") for row in cluster.psql(
            "SELECT address, mac FROM dhcp_lease WHERE state = 'bound'").split())
        assert rows[str(0xC6336464)] == str(0x020000004002)


# X takes .150 from A (a REQUEST naming A, as after A's OFFER); then Y asks for .150 in its
# DISCOVER. Every OFFER Y gets within 1.5 s: [[yiaddr, server_id], ...].
PEER_LEASE = PRELUDE + r'''
s = udp_socket(68)
s.sendto(dhcp("request", "02:00:00:00:41:01", 0x7501, [("requested_addr", "TAKEN"), ("server_id", "A_ADDRESS")]),
         ("255.255.255.255", 67))
ack = None
end = time.time() + 3
while time.time() < end and ack is None:
    got = wait_reply(s, 0x7501, timeout=max(0.01, end - time.time()))
    if got and got[1].get("message-type") == 5:
        ack = got[0].yiaddr
s.sendto(dhcp("discover", "02:00:00:00:41:02", 0x7502, [("requested_addr", "TAKEN")]), ("255.255.255.255", 67))
offers = []
end = time.time() + 1.5
while time.time() < end:
    got = wait_reply(s, 0x7502, timeout=max(0.01, end - time.time()), want=2)
    if got:
        offers.append([got[0].yiaddr, got[1]["server_id"]])
print(json.dumps({"ack": ack, "offers": offers}))
'''


def test_an_appliance_does_not_offer_what_a_client_just_took_from_the_other(netns, cluster, tmp_path):
    """A and B share one database. X takes .150 from A (B sees the broadcast REQUEST naming A);
    Y then asks for .150 in its DISCOVER: A knows it is X's, and B — which wrote nothing and read
    nothing since — must not offer it either (before, B offered it, and Y taking B's offer cost
    a refused write and a withheld ACK: the two-appliance drops of scripts/bench/store)."""
    taken = f"{netns.prefix}.150"
    with SitePair(netns, cluster, tmp_path) as site:
        a, b, b_address = site.start_a(), site.start_b(), site.b_address
        got = run_client_script(netns, PEER_LEASE.replace("TAKEN", taken).replace("A_ADDRESS", netns.server_ip))
        assert got["ack"] == taken, (got, a.log()[-2000:])
        servers = {server for _, server in got["offers"]}
        assert b_address in servers and netns.server_ip in servers, (got, b.log()[-2000:])
        assert all(address != taken for address, _ in got["offers"]), got


def test_kill_9_one_appliance_the_other_serves_and_the_killed_one_comes_back(netns, cluster, tmp_path):
    """A and B (distinct server identifiers) share one database; A is killed with SIGKILL: B
    alone serves new clients; A restarted serves again, knowing B's leases from the database."""
    with SitePair(netns, cluster, tmp_path) as site:
        a, b = site.start_a(), site.start_b()
        first = clients(netns, "02:00:00:00:50:01/29953", "02:00:00:00:50:02/29954")
        assert None not in first
        a.kill(signal.SIGKILL)
        during = clients(netns, "02:00:00:00:50:03/29955", "02:00:00:00:50:04/29956")
        assert None not in during and not set(during) & set(first)
        assert "50:03" in b.log() or "50:04" in b.log()
        a.start()
        after = clients(netns, "02:00:00:00:50:05/29957", "02:00:00:00:50:06/29958")
        assert None not in after and not set(after) & set(first + during)
        held = cluster.psql("SELECT count(DISTINCT address), count(*) FROM dhcp_lease WHERE state = 'bound'").strip()
        assert held == "6|6", held


# Broadcast INFORM[LIST] (or SELECT naming SELECT_SERVER of image SELECT_IMAGE) and collect
# every server's answer for 1.5 s: {server_id: {"selected": option 8 or None, "priority": n}}.
SITE_BSDP = PRELUDE + r'''
me, mac, select_server, select_image = ARGS
s = udp_socket(68)
def options43(pkt):
    out, data, i = {}, bytes(pkt)[240:], 0
    while i < len(data) and data[i] != 255:
        if data[i] == 0:
            i += 1; continue
        code, length = data[i], data[i + 1]
        if code == 43:
            inst, j = data[i + 2:i + 2 + length], 0
            while j + 2 <= len(inst):
                out[inst[j]] = inst[j + 2:j + 2 + inst[j + 1]]
                j += 2 + inst[j + 1]
        i += 2 + length
    return out
vendor = [("vendor_class_id", b"AAPLBSDPC/i386/MacBookPro11,2")]
if select_server:
    bsdp = b"\x01\x01\x02\x02\x02\x01\x01\x03\x04" + socket.inet_aton(select_server) + b"\x08\x04" + select_image.to_bytes(4, "big")
else:
    bsdp = b"\x01\x01\x01\x02\x02\x01\x01\x0c\x02\x20\x00"
s.sendto(dhcp("inform", mac, 0x4201, vendor + [("vendor_specific", bsdp)], broadcast=False, ciaddr=me),
         ("255.255.255.255", 67))
answers, end = {}, time.time() + 1.5
while time.time() < end:
    got = wait_reply(s, 0x4201, timeout=max(0.01, end - time.time()), want=5)
    if got:
        subs = options43(got[0])
        answers[got[1]["server_id"]] = {
            "selected": int.from_bytes(subs[8], "big") if 8 in subs else None,
            "priority": int.from_bytes(subs[4], "big") if 4 in subs else None, "kind": subs.get(1, b"\0")[0]}
print(json.dumps(answers))
'''


def site_bsdp(netns, mac, select_server="", select_image=0):
    args = (netns.client_ip, mac, select_server, select_image)
    return run_client_script(netns, SITE_BSDP.replace("ARGS", repr(args)))


def test_a_selection_made_through_one_appliance_is_honoured_by_the_other(netns, cluster, tmp_path):
    """A Mac selects a (non-default) image through appliance A; B, started before the selection
    and sharing A's database, answers the Mac's next LIST with that selection (option 8) and its
    DISCOVER with an OFFER* of it once A is gone — read from the shared store, no restart. B
    itself stays silent to the SELECT naming A and does not delete A's binding."""
    from test_bsdp import DISCOVER, make_images
    images = tmp_path / "images"
    make_images(images, count=5)
    mac = "00:17:f2:00:00:21"
    with SitePair(netns, cluster, tmp_path, "  binding-refresh: 1\n", mode="proxy", images_dir=images) as site:
        a, b, b_address = site.start_a(), site.start_b(), site.b_address
        before = site_bsdp(netns, mac)
        assert set(before) == {netns.server_ip, b_address}, before
        assert all(answer["selected"] is None for answer in before.values()), before
        chosen = 0x81000000 | 103  # "Install 03": not the default
        selected = site_bsdp(netns, mac, netns.server_ip, chosen)
        assert list(selected) == [netns.server_ip] and selected[netns.server_ip]["kind"] == 2, selected
        assert "selected server" in b.log()
        rows = cluster.psql("SELECT image_id, server_id FROM bsdp_binding").split()
        assert rows == [f"{chosen}|{int(ipaddress.IPv4Address(netns.server_ip))}"], rows
        # B reads the shared selections every second (binding-refresh: 1).
        time.sleep(2.5)
        after = site_bsdp(netns, mac)
        assert after[b_address]["selected"] == chosen, (after, b.log()[-2000:])
        assert after[netns.server_ip]["selected"] == chosen, after
        a.kill(signal.SIGKILL)
        alone = site_bsdp(netns, mac)
        assert list(alone) == [b_address] and alone[b_address]["selected"] == chosen, alone
        offer = run_client_script(netns, DISCOVER.replace("MAC", repr(mac)))
        assert offer and offer["yiaddr"] == "0.0.0.0" and offer["file"] == "Install 03.nbi/i386/booter", offer
        assert offer["o43"].startswith("0804%08x" % chosen), offer
        # A's binding is still in the database: B's "selected other server" deleted nothing.
        assert cluster.psql("SELECT count(*) FROM bsdp_binding").strip() == "1"


# Every DHCP reply on the client's link for SECONDS: [time, type, yiaddr, chaddr, server_id].
SNIFFER = r'''
import json, sys, time, logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import AsyncSniffer, BOOTP, DHCP
iface, seconds, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
seen = []
def keep(pkt):
    if BOOTP not in pkt or DHCP not in pkt or pkt[BOOTP].op != 2:
        return
    opts = {o[0]: o[1] for o in pkt[DHCP].options if isinstance(o, tuple) and len(o) >= 2}
    # The kernel's receive time, not the callback's: a busy machine may run this one late.
    seen.append([float(pkt.time), opts.get("message-type"), pkt[BOOTP].yiaddr,
                 pkt[BOOTP].chaddr[:6].hex(":"), opts.get("server_id")])
sniffer = AsyncSniffer(iface=iface, filter="udp and src port 67", prn=keep, store=False)
sniffer.start()
time.sleep(1)
print("ready", flush=True)
time.sleep(seconds)
sniffer.stop()
json.dump(seen, open(out, "w"))
'''


class LoadLab:
    """Two appliances (A on the server's address, B on .3) authoritative for one subnet on one
    database, perfdhcp from the client namespace and a sniffer recording every reply."""

    def __init__(self, netns, cluster, tmp_path):
        require_tool("perfdhcp")
        self.netns, self.cluster, self.tmp = netns, cluster, tmp_path
        self.b_address = f"{netns.prefix}.3"
        netns.run(netns.server, "ip", "addr", "add", f"{self.b_address}/24", "dev", netns.server_if)
        store = f"store:\n  postgresql: \"{cluster.url}\"\n  pool: 2\n  connect-timeout: 2\n"
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        wide = (f"{netns.prefix}.10", f"{netns.prefix}.250")
        self.a = Server(netns, tmp_path / "a", range_=wide, extra=store)
        self.b = Server(netns, tmp_path / "b", range_=wide, extra=store + f"server-address: {self.b_address}\n")
        self.sniffer = None

    def sniff(self, seconds):
        self.sniffed = self.tmp / f"replies-{uuid.uuid4().hex[:6]}.json"
        self.sniffer = self.netns.popen(self.netns.client, PYTHON, "-c", SNIFFER, self.netns.client_if, str(seconds),
                                        str(self.sniffed), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.sniffer.stdout.readline().strip() == "ready", self.sniffer.stderr.read()

    def replies(self):
        self.sniffer.wait(timeout=120)
        return json.loads(self.sniffed.read_text())

    def perfdhcp(self, seconds, rate=40, clients=150):
        """perfdhcp in the background: `clients` simulated Macs, broadcast, `rate` DORAs/s."""
        return self.netns.popen(self.netns.client, "perfdhcp", "-4", "-l", self.netns.client_if, "-B",
                                "-R", str(clients), "-r", str(rate), "-p", str(seconds),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def stored(self):
        """{address: mac} of the bound leases in the database."""
        rows = self.cluster.psql("SELECT address, mac FROM dhcp_lease WHERE state = 'bound'").split()
        out = {}
        for row in rows:
            address, mac = row.split("|")
            out[str(ipaddress.IPv4Address(int(address)))] = ":".join(
                f"{(int(mac) >> s) & 255:02x}" for s in (40, 32, 24, 16, 8, 0))
        return out

    def check(self, acks):
        """No address ACKed to a client while another still held it, and each client's last ACKed
        address is bound to it in the database. (A client that later takes another address —
        two appliances offer, it requests one — gives up the first: the engine writes it
        released, and the address may go to someone else.)"""
        holder, current, doubled = {}, {}, []
        for _, _, address, mac, _ in sorted(acks):
            previous = holder.get(address)
            if previous and previous != mac and current.get(previous) == address:
                doubled.append((address, previous, mac))
            old = current.get(mac)
            if old and old != address and holder.get(old) == mac:
                del holder[old]
            holder[address], current[mac] = mac, address
        assert not doubled, doubled[:10]
        stored = self.stored()
        missing = {mac: address for mac, address in current.items() if stored.get(address) != mac}
        detail = {mac: (self.cluster.psql(
            f"SELECT address, mac, state, expires, updated FROM dhcp_lease WHERE address = {int(ipaddress.IPv4Address(address))} "
            f"OR mac = {int(mac.replace(':', ''), 16)}"), [a for a in acks if a[3] == mac])
            for mac, address in list(missing.items())[:3]}
        assert not missing, (missing, detail, len(stored))

    def close(self):
        for proc in (self.sniffer,):
            if proc and proc.poll() is None:
                proc.kill()
                proc.wait()
        self.a.kill()
        self.b.kill()


def test_perfdhcp_against_two_appliances_and_kill_9_of_one_mid_load(netns, cluster, tmp_path):
    """perfdhcp against both appliances at once; A killed with SIGKILL mid-load: B keeps
    acknowledging; A restarted acknowledges again. Over the whole run no address is ACKed to two
    clients and every ACKed lease is in the database."""
    lab = LoadLab(netns, cluster, tmp_path)
    try:
        lab.a.start()
        lab.b.start()
        lab.sniff(16)
        load = lab.perfdhcp(10)
        time.sleep(4)
        killed_at = time.time()
        lab.a.kill(signal.SIGKILL)
        load.communicate(timeout=60)
        lab.a.start()
        restarted_at = time.time()
        lab.perfdhcp(3).communicate(timeout=60)
        replies = lab.replies()
        acks = [r for r in replies if r[1] == 5]
        a_ip, b_ip = netns.server_ip, lab.b_address
        assert any(r[4] == a_ip and r[0] < killed_at for r in acks), "A acknowledged nothing before the kill"
        assert any(r[4] == b_ip and r[0] < killed_at for r in acks), "B acknowledged nothing before the kill"
        assert sum(1 for r in acks if r[4] == b_ip and killed_at + 0.5 < r[0] < restarted_at) >= 20, \
            lab.b.log()[-2000:]
        assert any(r[4] == a_ip and r[0] > restarted_at for r in acks), lab.a.log()[-2000:]
        lab.check(acks)
        assert lab.b.proc.poll() is None
    finally:
        lab.close()



def test_postgresql_stopped_mid_load_no_ack_without_commit_and_both_resume(netns, cluster, tmp_path):
    """perfdhcp against both appliances; PostgreSQL stopped mid-load and started again: every ACK
    sent (before, during, after) is a lease the database holds, and both processes acknowledge
    again after it is back, without a restart."""
    lab = LoadLab(netns, cluster, tmp_path)
    try:
        lab.a.start()
        lab.b.start()
        lab.sniff(18)
        load = lab.perfdhcp(14)
        time.sleep(4)
        cluster.stop()
        stopped_at = time.time()
        time.sleep(4)
        starting_at = time.time()
        cluster.start()
        started_at = time.time()
        load.communicate(timeout=60)
        replies = lab.replies()
        acks = [r for r in replies if r[1] == 5]
        # Replies already on the wire when the stop began may land just after it.
        # While it is certainly down (stop returned, start not yet called): no ACK at all.
        during = [r for r in acks if stopped_at + 0.5 < r[0] < starting_at]
        assert not during, during[:5]
        # Each said so once if a commit of its own failed (under a busy machine perfdhcp may
        # have sent one of them no REQUEST while the database was down), and that it is back.
        down = [server for server in (lab.a, lab.b) if "no lease is acknowledged until it works again" in server.log()]
        assert down
        for server in (lab.a, lab.b):
            assert server.proc.poll() is None
        for server in down:
            assert server.log().count("lease store commit failed") == 1
            assert "lease store is back after" in server.log(), server.log()[-2000:]
        for address in (netns.server_ip, lab.b_address):
            assert any(r[4] == address and r[0] > started_at for r in acks), (address, len(acks))
        lab.check(acks)
    finally:
        lab.close()


# The bridge's records on PostgreSQL (docs/store.md "The bridge's records"): two `netboot serve`
# appliances with the bridge on (loopback ports, TLS with their own certificates), one database.

def bridge_appliance(cluster, tmp_path, name, bridge_extra=""):
    from bridge_support import Bridge, free_port
    directory = tmp_path / name
    images = directory / "images"
    images.mkdir(parents=True)
    b = Bridge(directory, extra=(f"  enabled: true\n{bridge_extra}dhcp:\n  enabled: false\ntftp:\n  enabled: false\n"
                                 f"bsdp:\n  enabled: false\n"
                                 f"http:\n  port: {free_port()}\n  listen: [127.0.0.1]\n  root: {images}\nimages-dir: {images}\n"
                                 f"store:\n  postgresql: \"{cluster.url}\"\n  pool: 2\n"))
    return b


def cli_token(b, role):
    """A token from `netboot tokens issue --config`: the records the configuration's store names."""
    out = netboot("tokens", "issue", "--role", role, "--config", str(b.config))
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_two_appliances_share_the_bridges_devices_tokens_and_reports(cluster, tmp_path):
    a, b = bridge_appliance(cluster, tmp_path, "a"), bridge_appliance(cluster, tmp_path, "b")
    try:
        a.start(command=("serve",))
        b.start(command=("serve",))
        # An administrator token made with A's configuration works on B's console.
        admin = cli_token(a, "administrator")
        status, issued, _ = b.console("POST", "/v1/tokens", admin, body={"role": "enrollment", "ttl_seconds": 600})
        assert status == 201, issued
        # A token issued via B enrolls via A; its replay on B is refused.
        status, enrolled, _ = a.client("POST", "/v1/enroll", issued["token"], body={"mac": "02:00:00:00:00:01", "hostname": "lab-1"})
        assert status == 201, enrolled
        status, body, _ = b.client("POST", "/v1/enroll", issued["token"], body={"mac": "02:00:00:00:00:02"})
        assert (status, body) == (401, {"error": "unauthorized"})
        # And the other way round: a CLI token of A's configuration, used on B, replayed on A.
        token = cli_token(a, "enrollment")
        assert b.client("POST", "/v1/enroll", token, body={"mac": "02:00:00:00:00:03"})[0] == 201
        assert a.client("POST", "/v1/enroll", token, body={"mac": "02:00:00:00:00:04"})[0] == 401
        # One token presented to both at the same moment enrolls once.
        import concurrent.futures
        token = cli_token(b, "enrollment")
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda pair: pair[0].client("POST", "/v1/enroll", token, body={"mac": pair[1]})[0],
                                    [(a, "02:00:00:00:00:05"), (b, "02:00:00:00:00:06")]))
        assert sorted(answers) == [201, 401], answers
        # A report posted to A is a duplicate on B, another under its number a conflict there, and
        # B's `netboot devices show` counts it.
        client = enrolled["token"]
        report = {"sequence": 7, "kind": "status", "data": {"run": "r1", "step": "Partition", "phase": "start"}}
        assert a.client("POST", "/v1/reports", client, body=report)[0] == 202
        assert b.client("POST", "/v1/reports", client, body=report)[0] == 202  # the same again: a duplicate
        status, body, _ = b.client("POST", "/v1/reports", client, body={**report, "data": {**report["data"], "step": "Other"}})
        assert status == 409, body
        shown = netboot("devices", "show", "02:00:00:00:00:01", "--config", str(b.config))
        assert shown.returncode == 0, shown.stderr
        assert re.search(r"^reports\s+1$", shown.stdout, re.M) and re.search(r"^hostname\s+lab-1$", shown.stdout, re.M), shown.stdout
        status, body, _ = b.console("GET", "/v1/devices/02:00:00:00:00:01/reports", admin)
        assert status == 200 and [r["sequence"] for r in body["reports"]] == [7]
        listed = netboot("devices", "list", "--json", "--config", str(a.config))
        macs = sorted(d["mac"] for d in json.loads(listed.stdout)["devices"])
        assert len(macs) == 3 and macs[:2] == ["02:00:00:00:00:01", "02:00:00:00:00:03"], macs
        # Nothing of the bridge's went to a bridge.sqlite, and no token text is in the database.
        assert not (a.state / "bridge.sqlite").exists() and not (b.state / "bridge.sqlite").exists()
        assert cluster.psql(f"SELECT count(*) FROM bridge_token WHERE digest = '{client}'").strip() == "0"
        assert int(cluster.psql("SELECT count(*) FROM bridge_audit WHERE action = 'device.enroll'").strip()) == 3
    finally:
        a.stop()
        b.stop()


def test_two_bridges_relay_one_outbox_each_event_once_in_order(cluster, tmp_path):
    """Both appliances relay the shared outbox to one upstream: every event is sent once (the
    per-pass claim; the upstream answers 409 to a repeat, none is seen) and each client's
    events arrive in order, whichever appliance took each report. The upstream answers after
    0.4 s, so without the claim the other bridge's next pass (every 0.25 s) would send the
    event being sent again."""
    from test_bridge_relay import Upstream, make_pki, report, wait_for
    from bridge_support import free_port
    make_pki(tmp_path)
    upstream = Upstream(tmp_path, free_port())
    relay = (f"  upstream: https://127.0.0.1:{upstream.port}/events\n  upstream-ca: {tmp_path / 'ca.pem'}\n"
             "  upstream-timeout: 5\n")
    a, b = bridge_appliance(cluster, tmp_path, "a", relay), bridge_appliance(cluster, tmp_path, "b", relay)
    try:
        upstream.start(delay=0.4)
        a.start(command=("serve",))
        b.start(command=("serve",))
        clients = {}
        for index, mac in enumerate(["02:00:00:00:01:01", "02:00:00:00:01:02", "02:00:00:00:01:03"]):
            via = (a, b)[index % 2]
            status, body, _ = via.client("POST", "/v1/enroll", cli_token(via, "enrollment"), body={"mac": mac})
            assert status == 201, body
            clients[mac] = body["token"]
        for sequence in range(1, 9):
            for index, (mac, token) in enumerate(clients.items()):
                via = (a, b)[(sequence + index) % 2]
                assert via.client("POST", "/v1/reports", token, body=report(sequence))[0] == 202
        total = len(clients) * 9
        assert wait_for(lambda: len(upstream.accepted_keys()) == total), upstream.received()
        assert wait_for(lambda: cluster.psql(
            "SELECT count(*) FROM bridge_outbox WHERE delivered_at IS NULL AND rejected_at IS NULL").strip() == "0")
        time.sleep(1)  # a second sender's repeat, were there one, would land now
    finally:
        a.stop()
        b.stop()
        upstream.kill()
    received = upstream.received()
    keys = [r["key"] for r in received]
    assert len(keys) == len(set(keys)) == total, keys
    assert all(r["status"] == 202 for r in received)
    for mac in clients:
        mine = [k for k in keys if k.startswith(mac + "/")]
        assert "/enroll/" in mine[0] and mine[1:] == [f"{mac}/report/{n}" for n in range(1, 9)], mine


def test_a_run_started_through_one_appliance_is_reported_through_the_other(cluster, tmp_path):
    from test_bridge_runs import MAC, appliance_files, event
    extra, _ = appliance_files(tmp_path)
    a, b = bridge_appliance(cluster, tmp_path, "a", extra), bridge_appliance(cluster, tmp_path, "b", extra)
    try:
        a.start(command=("serve",))
        b.start(command=("serve",))
        status, body, _ = a.client("POST", "/v1/enroll", cli_token(a, "enrollment"), body={"mac": MAC})
        assert status == 201, body
        client = body["token"]
        status, started, _ = a.client("POST", "/v1/runs", client, body={"sequence": "deploy-lab"})
        assert status == 201, started
        run = started["run"]["id"]
        start = event(1, "start", 0, "apply")
        assert b.client("POST", f"/v1/runs/{run}/events", client, body=start)[1] == {"sequence": 1, "duplicate": False}
        assert a.client("POST", f"/v1/runs/{run}/events", client, body=start)[1] == {"sequence": 1, "duplicate": True}
        assert a.client("POST", f"/v1/runs/{run}/events", client, body=event(1, "log", 0, "apply", text="x"))[0] == 409
        assert b.client("POST", f"/v1/runs/{run}/events", client,
                        body=event(2, "finish", 0, "apply", result="success", exit_code=0))[0] == 202
        finish = {"outcome": "failed", "at_ms": 1_800_000_000_100}
        assert b.client("POST", f"/v1/runs/{run}/finish", client, body=finish)[0] == 200
        assert a.client("POST", f"/v1/runs/{run}/finish", client, body={**finish, "outcome": "succeeded"})[0] == 409
        # A new run started through B numbers its events after the last one A and B stored.
        status, again, _ = b.client("POST", "/v1/runs", client, body={"sequence": "deploy lab"})
        assert status == 201 and again["next_event_sequence"] == 3, again
        shown = netboot("ts", "runs", "show", run, "--json", "--config", str(a.config))
        assert shown.returncode == 0, shown.stderr
        view = json.loads(shown.stdout)
        assert view["state"] == "failed" and view["events"] == 2 and view["steps"][0]["state"] == "success", view
    finally:
        a.stop()
        b.stop()
