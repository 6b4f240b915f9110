"""TFTP against real clients: the server runs `netboot tftp-serve` in one namespace, the clients
(tftp-hpa, atftp, curl, busybox, and raw Python sockets for what no client sends) in the other.
Every fetched file is compared by SHA-256 with the original."""
import hashlib
import os
import pathlib
import re
import shutil
import struct
import subprocess
import tempfile
import textwrap
import time

import pytest

from conftest import netboot_bin, require_tool

BLOCK_512_FILE = 512 * 8           # an exact multiple of the default block size
ROLLOVER_SIZE = 65536 * 512 + 1000  # more than 65535 blocks at blksize 512


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Server:
    """`netboot tftp-serve` inside the server namespace, stopped by its PID."""

    def __init__(self, netns, tmp_path, *extra, root=None, launcher=()):
        self.netns = netns
        self.root = root or tmp_path / "root"
        self.root.mkdir(exist_ok=True)
        self.log_path = tmp_path / "server.log"
        self.log = open(self.log_path, "w")
        # launcher: a command that execs the server in place (taskset, setpriv), so the PID stays its.
        self.proc = netns.popen(netns.server, *launcher, netboot_bin(), "tftp-serve", "--root", str(self.root),
                                "--port", "69", *extra, stdout=self.log, stderr=subprocess.STDOUT)
        self.ip = netns.server_ip

    def add(self, name, size=None, data=None):
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            if data is not None:
                handle.write(data)
            else:
                left = size
                while left > 0:
                    chunk = os.urandom(min(left, 1 << 20))
                    handle.write(chunk)
                    left -= len(chunk)
        return path

    def wait_ready(self):
        for _ in range(100):
            if "tftp listening" in self.text():
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.text()}")
            time.sleep(0.05)
        raise AssertionError(f"server did not start: {self.text()}")

    def text(self):
        self.log.flush()
        return self.log_path.read_text()

    def wait_for(self, pattern, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            match = re.search(pattern, self.text())
            if match:
                return match
            time.sleep(0.05)
        raise AssertionError(f"no log line matching {pattern!r} in:\n{self.text()}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()


@pytest.fixture
def server_factory(netns, tmp_path):
    servers = []

    def start(*extra, root=None, launcher=()):
        server = Server(netns, tmp_path, *extra, root=root, launcher=launcher)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def server(server_factory):
    return server_factory()


# A raw TFTP client for what no packaged client sends (wrong TIDs, bad options, floods).
PRELUDE = textwrap.dedent("""
    import socket, struct, sys, time
    SERVER = sys.argv[1]
    def rrq(name, mode=b"octet", options=()):
        body = struct.pack("!H", 1) + name + b"\\0" + mode + b"\\0"
        for key, value in options:
            body += key + b"\\0" + value + b"\\0"
        return body
    def sock(timeout=3.0):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(timeout)
        return s
    def parse(packet):
        opcode = struct.unpack("!H", packet[:2])[0]
        if opcode == 6:
            parts = packet[2:].split(b"\\0")[:-1]
            return ("OACK", dict(zip([p.decode().lower() for p in parts[0::2]], [p.decode() for p in parts[1::2]])))
        if opcode == 5:
            return ("ERROR", struct.unpack("!H", packet[2:4])[0], packet[4:-1].decode(errors="replace"))
        if opcode == 3:
            return ("DATA", struct.unpack("!H", packet[2:4])[0], packet[4:])
        return ("OTHER", opcode)
""")


def probe(netns, server, script, *args, timeout=120):
    code = PRELUDE + textwrap.dedent(script)
    result = netns.run(netns.client, "/usr/bin/python3", "-c", code, server.ip, *args, check=False,
                       timeout=timeout)
    assert result.returncode == 0, f"probe failed:\n{result.stdout}\n{result.stderr}\n{server.text()}"
    return result.stdout


def fetch_tftp_hpa(netns, server, name, local, mode="binary"):
    require_tool("tftp")
    netns.run(netns.client, "tftp", server.ip, "-m", mode, "-c", "get", name, str(local), timeout=300)


def fetch_atftp(netns, server, name, local, *options):
    require_tool("atftp")
    args = []
    for option in options:
        args += ["--option", option]
    netns.run(netns.client, "atftp", *args, "-g", "-r", name, "-l", str(local), server.ip, "69", timeout=300)


# --- real clients ------------------------------------------------------------------------------

def test_tftp_hpa_without_options_including_rollover(server, tmp_path):
    files = {"empty.bin": 0, "multiple.bin": BLOCK_512_FILE, "odd.bin": 3001, "rollover.bin": ROLLOVER_SIZE}
    for name, size in files.items():
        server.add(name, size)
    server.wait_ready()
    for name in files:
        local = tmp_path / f"got-{name}"
        fetch_tftp_hpa(server.netns, server, name, local)
        assert sha256(local) == sha256(server.root / name), name
    line = server.wait_for(r"tftp read .*file=rollover\.bin .*outcome=completed")
    assert "blksize=512 windowsize=1" in line.group(0)
    assert f"bytes={ROLLOVER_SIZE}" in line.group(0)


def test_atftp_with_blksize_tsize_timeout_windowsize(server, tmp_path):
    files = {"empty.bin": 0, "multiple.bin": 1428 * 20, "odd.bin": 100_003, "big.bin": 8 << 20}
    for name, size in files.items():
        server.add(name, size)
    server.wait_ready()
    for name in files:
        local = tmp_path / f"got-{name}"
        fetch_atftp(server.netns, server, name, local, "blksize 1428", "tsize", "timeout 2", "windowsize 8")
        assert sha256(local) == sha256(server.root / name), name
    line = server.wait_for(r"tftp read .*file=big\.bin .*outcome=completed").group(0)
    assert "blksize=1428 windowsize=8 timeout=2 tsize=8388608" in line


def test_atftp_rollover_at_blksize_512_with_window(server, tmp_path):
    server.add("rollover.bin", ROLLOVER_SIZE)
    server.wait_ready()
    local = tmp_path / "got"
    fetch_atftp(server.netns, server, "rollover.bin", local, "windowsize 16")
    assert sha256(local) == sha256(server.root / "rollover.bin")


def test_windows_without_segmentation_offload(server_factory, tmp_path):
    """`--gso 0`: every DATA packet its own datagram (the path kernels without UDP_SEGMENT take)."""
    server = server_factory("--gso", "0")
    server.add("big.bin", 3 << 20)
    server.wait_ready()
    local = tmp_path / "got"
    fetch_atftp(server.netns, server, "big.bin", local, "blksize 1468", "windowsize 64")
    assert sha256(local) == sha256(server.root / "big.bin")
    assert "segmentation offload refused" not in server.text()


def test_files_on_tmpfs_are_read_on_the_transfer_loop(server_factory, tmp_path):
    """tmpfs refuses preadv2(RWF_NOWAIT) with EOPNOTSUPP; the session then reads with plain pread
    on its loop (a memory file system never waits for a disk). Chunks of 64 KiB or two windows, so a
    3 MiB file takes many reads, lockstep and windowed, by two clients at once."""
    if subprocess.run(["stat", "-f", "-c", "%T", "/dev/shm"], capture_output=True, text=True).stdout.strip() != "tmpfs":
        pytest.skip("/dev/shm is not a tmpfs here")
    root = pathlib.Path(tempfile.mkdtemp(prefix="netboot-tftp-", dir="/dev/shm"))
    try:
        root.chmod(0o755)
        server = server_factory(root=root)
        server.add("big.bin", (3 << 20) + 77)
        server.wait_ready()
        first = server.netns.popen(server.netns.client, "atftp", "--option", "blksize 1468", "-g", "-r", "big.bin",
                                   "-l", str(tmp_path / "lockstep"), server.ip, "69",
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        fetch_atftp(server.netns, server, "big.bin", tmp_path / "window", "blksize 1468", "windowsize 16")
        assert first.wait(timeout=60) == 0
        expected = sha256(server.root / "big.bin")
        assert sha256(tmp_path / "lockstep") == expected
        assert sha256(tmp_path / "window") == expected
    finally:
        shutil.rmtree(root, ignore_errors=True)


def thread_nices(pid, until, timeout=5.0):
    """Thread name -> nice value (field 19 of /proc/PID/task/TID/stat) for every thread of `pid`, read
    until `until(nices)` holds (threads start and name themselves as the server comes up) or
    `timeout` has passed."""
    deadline = time.time() + timeout
    while True:
        nices = {}
        for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
            try:
                comm = (task / "comm").read_text().strip()
                stat = (task / "stat").read_text()
            except OSError:
                continue
            nices[f"{comm}/{task.name}"] = int(stat.rsplit(")", 1)[1].split()[16])
        if until(nices) or time.time() > deadline:
            return nices
        time.sleep(0.05)


def transfer_threads(nices):
    return {name.split("/")[0]: nice for name, nice in nices.items() if name.startswith("tftp-xfer-")}


def test_one_transfer_thread_per_usable_core_and_every_thread_at_nice_minus_10(server_factory, tmp_path):
    """By default the read transfers run on one thread per core the process may use (`taskset -c 0`
    leaves one core, so one thread), and every thread of the server runs at nice -10. A transfer
    still works."""
    require_tool("taskset")
    server = server_factory(launcher=("taskset", "-c", "0"))
    server.add("f.bin", 300_000)
    server.wait_ready()
    # Every thread, the runtime's workers too (re-applied every 2 s for threads started later).
    nices = thread_nices(server.proc.pid, until=lambda nices: set(nices.values()) == {-10} and transfer_threads(nices))
    assert transfer_threads(nices) == {"tftp-xfer-0": -10}, nices
    assert set(nices.values()) == {-10}, nices
    local = tmp_path / "got"
    fetch_atftp(server.netns, server, "f.bin", local, "blksize 1468")
    assert sha256(local) == sha256(server.root / "f.bin")
    assert set(thread_nices(server.proc.pid, until=lambda nices: set(nices.values()) == {-10}).values()) == {-10}


def test_nice_is_configurable_and_the_default_thread_count_follows_the_cores(server_factory):
    server = server_factory("--nice", "5")
    server.wait_ready()
    cores = len(os.sched_getaffinity(0))  # a cgroup quota may leave fewer: then this waits out the timeout
    nices = thread_nices(server.proc.pid,
                         until=lambda nices: len(transfer_threads(nices)) == cores and set(nices.values()) == {5})
    assert 1 <= len(transfer_threads(nices)) <= cores, nices
    assert set(nices.values()) == {5}, nices


def test_without_cap_sys_nice_the_server_keeps_its_nice_and_says_so_once(server_factory, tmp_path):
    """Lowering a nice value needs CAP_SYS_NICE: without it (dropped from the bounding set) the
    server says so once, keeps nice 0 and serves as before."""
    require_tool("setpriv")
    server = server_factory("--transfer-threads", "3", launcher=("setpriv", "--bounding-set", "-sys_nice"))
    server.add("f.bin", 100_000)
    server.wait_ready()
    server.wait_for(r"netboot keeps its nice value: setting -10 failed .*CAP_SYS_NICE")
    nices = thread_nices(server.proc.pid, until=lambda nices: len(transfer_threads(nices)) == 3)
    assert transfer_threads(nices) == {"tftp-xfer-0": 0, "tftp-xfer-1": 0, "tftp-xfer-2": 0}, nices
    assert set(nices.values()) == {0}, nices
    assert server.text().count("keeps its nice value") == 1
    local = tmp_path / "got"
    fetch_atftp(server.netns, server, "f.bin", local, "blksize 1468")
    assert sha256(local) == sha256(server.root / "f.bin")


def test_segmentation_offload_falls_back_when_the_route_refuses_it(server_factory, tmp_path):
    """A block larger than the link MTU cannot be sent as UDP_SEGMENT (the kernel says EMSGSIZE):
    the transfer falls back to plain (fragmented) datagrams at once, without a retransmission."""
    server = server_factory()
    for ns, ifname in ((server.netns.server, server.netns.server_if), (server.netns.client, server.netns.client_if)):
        server.netns.run(ns, "ip", "link", "set", ifname, "mtu", "1000")
    server.add("big.bin", 1 << 20)
    server.wait_ready()
    local = tmp_path / "got"
    fetch_atftp(server.netns, server, "big.bin", local, "blksize 1468", "windowsize 16")
    assert sha256(local) == sha256(server.root / "big.bin")
    assert "segmentation offload refused" in server.text()
    line = server.wait_for(r"tftp read .*file=big\.bin .*outcome=completed").group(0)
    assert "retransmits=0" in line, line


def test_curl_with_tftp_blksize(server, tmp_path):
    require_tool("curl")
    files = {"empty.bin": 0, "multiple.bin": 1468 * 7, "odd.bin": 77_777}
    for name, size in files.items():
        server.add(name, size)
    server.wait_ready()
    for name in files:
        local = tmp_path / f"got-{name}"
        server.netns.run(server.netns.client, "curl", "-sS", "--tftp-blksize", "1468", "-o", str(local),
                         f"tftp://{server.ip}/{name}", timeout=120)
        assert sha256(local) == sha256(server.root / name), name
    assert "blksize=1468" in server.wait_for(r"tftp read .*file=odd\.bin .*outcome=completed").group(0)


def test_busybox_tftp_with_blocksize(server, tmp_path):
    require_tool("busybox")
    files = {"empty.bin": 0, "multiple.bin": 1024 * 9, "odd.bin": 50_001}
    for name, size in files.items():
        server.add(name, size)
    server.wait_ready()
    for name in files:
        local = tmp_path / f"got-{name}"
        server.netns.run(server.netns.client, "busybox", "tftp", "-g", "-b", "1024", "-r", name, "-l", str(local),
                         server.ip, timeout=120)
        assert sha256(local) == sha256(server.root / name), name


def test_netascii_mode_round_trips_text(server, tmp_path):
    text = b"line one\nline two\r\nbare CR\rend\n" * 200
    server.add("notes.txt", data=text)
    server.wait_ready()
    local = tmp_path / "notes.txt"
    fetch_tftp_hpa(server.netns, server, "notes.txt", local, mode="netascii")
    assert local.read_bytes() == text


def test_concurrent_clients_all_get_their_files(server_factory, tmp_path):
    require_tool("atftp")
    server = server_factory("--max-transfers-per-client", "24")  # all 24 share one address
    server.add("shared.bin", 2 << 20)
    server.wait_ready()
    procs = []
    for index in range(24):
        options = ["--option", "blksize 1468", "--option", f"windowsize {1 + index % 16}"]
        procs.append(server.netns.popen(server.netns.client, "atftp", *options, "-g", "-r", "shared.bin", "-l",
                                        str(tmp_path / f"c{index}"), server.ip, "69",
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for proc in procs:
        proc.wait(timeout=120)
    expected = sha256(server.root / "shared.bin")
    for index in range(24):
        assert sha256(tmp_path / f"c{index}") == expected


LOSSY_RELAY = textwrap.dedent("""
    # A lossy UDP relay for kernels without netem: clients talk to 127.0.0.1:6969, the relay
    # forwards to the server (port 69, then the transfer port it answers from), dropping 5 %
    # of the datagrams each way. Stops after 20 s without traffic or 300 s in all.
    import random, select, socket, struct, sys, time
    server = (sys.argv[1], 69)
    rng = random.Random(7)
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(("127.0.0.1", 6969))
    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client, peer = None, server
    start = last = time.time()
    while time.time() - last < 20 and time.time() - start < 300:
        ready, _, _ = select.select([front, back], [], [], 1.0)
        for sock in ready:
            data, source = sock.recvfrom(70000)
            last = time.time()
            if sock is front:
                client = source
                if data[:2] in (b"\\x00\\x01", b"\\x00\\x02"):
                    peer = server
                if rng.random() >= 0.05:
                    back.sendto(data, peer)
            else:
                peer = source
                if client and rng.random() >= 0.05:
                    front.sendto(data, client)
""")


def test_lossy_link(server_factory, tmp_path):
    """5 % loss each way: tc netem on the veth when the kernel has it, else a lossy relay. Short
    retransmission timeouts keep lockstep runs (one timeout per lost packet) within seconds."""
    server = server_factory("--timeout-ms", "200", "--max-timeout-ms", "800", "--retries", "10")
    netns = server.netns
    target, port, relay = server.ip, "69", None
    netem = netns.run(netns.client, "tc", "qdisc", "add", "dev", netns.client_if, "root", "netem", "loss", "5%",
                      check=False) if shutil.which("tc") else None
    if netem is not None and netem.returncode == 0:
        netns.run(netns.server, "tc", "qdisc", "add", "dev", netns.server_if, "root", "netem", "loss", "5%")
    else:
        relay = netns.popen(netns.client, "/usr/bin/python3", "-c", LOSSY_RELAY, server.ip,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        target, port = "127.0.0.1", "6969"
        time.sleep(0.3)
    try:
        server.add("lossy.bin", 256 << 10)
        server.wait_ready()
        runs = [["--option", "blksize 1428", "--option", "windowsize 8"], ["--option", "blksize 1468"]]
        for index, options in enumerate(runs):
            local = tmp_path / f"lossy-{index}"
            netns.run(netns.client, "atftp", *options, "-g", "-r", "lossy.bin", "-l", str(local), target, port,
                      timeout=120)
            assert sha256(local) == sha256(server.root / "lossy.bin")
        local = tmp_path / "lossy-hpa"
        netns.run(netns.client, "tftp", target, port, "-m", "binary", "-c", "get", "lossy.bin", str(local),
                  timeout=120)
        assert sha256(local) == sha256(server.root / "lossy.bin")
    finally:
        if relay is not None:
            relay.kill()
            relay.wait(timeout=5)
    line = server.wait_for(r"tftp read .*windowsize=8 .*outcome=completed").group(0)
    assert int(re.search(r"retransmits=(\d+)", line).group(1)) > 0


# --- bad input ---------------------------------------------------------------------------------

def test_out_of_range_options_are_left_out_of_the_oack(server):
    server.add("f.bin", 5000)
    server.add("Image.nbi/i386/booter", 3000)
    server.wait_ready()
    out = probe(server.netns, server, """
        s = sock()
        # blksize too large for the RFC, windowsize 0, timeout 256: all ignored; tsize answered.
        s.sendto(rrq(b"f.bin", options=[(b"blksize", b"65465"), (b"windowsize", b"0"), (b"timeout", b"256"),
                                         (b"tsize", b"0"), (b"bogus", b"1")]), (SERVER, 69))
        data, peer = s.recvfrom(70000)
        print(parse(data))
        s.sendto(struct.pack("!HH", 5, 8) + b"done\\0", peer)
        # In range but above the limit: clamped to max-blksize 1468.
        s = sock()
        s.sendto(rrq(b"f.bin", mode=b"OCTET", options=[(b"BLKSIZE", b"65464"), (b"WindowSize", b"500")]), (SERVER, 69))
        data, peer = s.recvfrom(70000)
        print(parse(data))
        s.sendto(struct.pack("!HH", 5, 8) + b"done\\0", peer)
        # Apple firmware class (path inside a .nbi folder): capped at 1460.
        s = sock()
        s.sendto(rrq(b"/private/tftpboot/Image.nbi/i386/booter", options=[(b"blksize", b"1468")]), (SERVER, 69))
        data, peer = s.recvfrom(70000)
        print(parse(data))
        s.sendto(struct.pack("!HH", 5, 8) + b"done\\0", peer)
        # No acceptable option at all: no OACK, DATA 1 straight away with 512-byte blocks.
        s = sock()
        s.sendto(rrq(b"f.bin", options=[(b"blksize", b"7")]), (SERVER, 69))
        data, peer = s.recvfrom(70000)
        kind, block, payload = parse(data)
        print(kind, block, len(payload))
    """)
    lines = out.strip().splitlines()
    assert lines[0] == "('OACK', {'tsize': '5000'})"
    assert lines[1] == "('OACK', {'blksize': '1468', 'windowsize': '64'})"
    assert lines[2] == "('OACK', {'blksize': '1460'})"
    assert lines[3] == "DATA 1 512"
    server.wait_for(r"class=apple-firmware .*outcome=aborted_by_peer")


def test_garbage_and_wrong_transfer_id_leave_the_transfer_undisturbed(server):
    server.add("f.bin", 600 * 512 + 7)
    server.wait_ready()
    out = probe(server.netns, server, """
        import hashlib
        junk = sock(0.5)
        for payload in [b"", b"\\x00", b"\\x00\\x09garbage", b"\\xff" * 40, struct.pack("!H", 1) + b"noterminator",
                        struct.pack("!HH", 4, 1), struct.pack("!HH", 3, 1) + b"x"]:
            junk.sendto(payload, (SERVER, 69))
        s = sock()
        s.sendto(rrq(b"f.bin"), (SERVER, 69))
        data, peer = s.recvfrom(70000)
        got = bytearray()
        kind, block, payload = parse(data)
        assert (kind, block) == ("DATA", 1), parse(data)
        got += payload
        # A stranger acknowledges on the transfer port: ERROR 5 to the stranger only.
        stranger = sock()
        stranger.sendto(struct.pack("!HH", 4, 1), peer)
        reply, _ = stranger.recvfrom(1000)
        print("stranger", parse(reply))
        # Garbage from the stranger and from the client itself on the transfer port is dropped.
        stranger.sendto(b"\\x00\\x63zz", peer)
        s.sendto(b"\\x01", peer)
        while True:
            s.sendto(struct.pack("!HH", 4, block), peer)
            data, _ = s.recvfrom(70000)
            kind, block, payload = parse(data)
            assert kind == "DATA", parse(data)
            got += payload
            if len(payload) < 512:
                s.sendto(struct.pack("!HH", 4, block), peer)
                break
        print("sha", hashlib.sha256(got).hexdigest())
    """)
    assert "stranger ('ERROR', 5, 'Unknown transfer ID')" in out
    assert f"sha {sha256(server.root / 'f.bin')}" in out
    server.wait_for(r"file=f\.bin .*retransmits=0 outcome=completed")


def test_ten_thousand_rrqs_for_a_missing_file_while_a_transfer_completes(server, tmp_path):
    require_tool("atftp")
    server.add("big.bin", 8 << 20)
    server.wait_ready()
    fetch = server.netns.popen(server.netns.client, "atftp", "--option", "blksize 1468", "--option",
                               "windowsize 4", "-g", "-r", "big.bin", "-l", str(tmp_path / "big"), server.ip, "69",
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = probe(server.netns, server, """
        s = sock(0.002)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        errors = 0
        for i in range(10000):
            s.sendto(rrq(b"missing-%d.bin" % (i % 50)), (SERVER, 69))
            if i % 64 == 0:
                try:
                    while True:
                        data, _ = s.recvfrom(2000)
                        if parse(data)[:2] == ("ERROR", 1):
                            errors += 1
                except socket.timeout:
                    pass
        s.settimeout(1.0)
        try:
            while True:
                data, _ = s.recvfrom(2000)
                if parse(data)[:2] == ("ERROR", 1):
                    errors += 1
        except socket.timeout:
            pass
        print("errors", errors)
    """)
    assert fetch.wait(timeout=120) == 0
    assert sha256(tmp_path / "big") == sha256(server.root / "big.bin")
    errors = int(re.search(r"errors (\d+)", out).group(1))
    assert errors > 1000, out
    # The server is still healthy afterwards.
    fetch_tftp_hpa(server.netns, server, "big.bin", tmp_path / "again")
    assert sha256(tmp_path / "again") == sha256(server.root / "big.bin")


def test_a_client_that_stops_acking_times_out_and_others_go_on(server_factory, tmp_path):
    server = server_factory("--timeout-ms", "200", "--max-timeout-ms", "400", "--retries", "3")
    server.add("f.bin", 1 << 20)
    server.wait_ready()
    out = probe(server.netns, server, """
        s = sock(5)
        s.sendto(rrq(b"f.bin"), (SERVER, 69))
        seen = 0
        start = time.time()
        try:
            while time.time() - start < 4:
                data, peer = s.recvfrom(70000)
                if parse(data)[:2] == ("DATA", 1):
                    seen += 1
        except socket.timeout:
            pass
        print("data1", seen)
    """)
    # The original DATA 1 plus three retransmissions, then silence.
    assert "data1 4" in out
    server.wait_for(r"file=f\.bin .*outcome=timed_out", timeout=5)
    local = tmp_path / "ok"
    fetch_tftp_hpa(server.netns, server, "f.bin", local)
    assert sha256(local) == sha256(server.root / "f.bin")


def test_one_flooding_host_cannot_take_every_transfer_slot(server_factory, tmp_path):
    """A host sends 100 read requests (each from its own port) and acknowledges none: it gets
    at most `max-transfers-per-client` (16 by default) transfers and "Server busy" for the rest,
    while a second host still fetches its file, although the flood would fill all 32 slots."""
    server = server_factory("--max-transfers", "32")
    server.add("f.bin", 300_000)
    server.wait_ready()
    netns = server.netns
    second = netns.prefix + ".3"
    netns.run(netns.client, "ip", "addr", "add", f"{second}/24", "dev", netns.client_if)
    out = probe(netns, server, """
        flooder, second = sys.argv[2], sys.argv[3]
        socks, answers = [], {}
        for i in range(100):
            s = sock(2.0)
            s.bind((flooder, 0))
            s.sendto(rrq(b"f.bin"), (SERVER, 69))
            socks.append(s)
        for s in socks:
            try:
                kind = parse(s.recv(70000))[:2]
            except socket.timeout:
                kind = ("SILENT",)
            answers[kind] = answers.get(kind, 0) + 1
        print("flood", sorted(answers.items()))
        # The flooder never acknowledges; a second host reads the whole file in lockstep.
        c = sock(3.0)
        c.bind((second, 0))
        c.sendto(rrq(b"f.bin"), (SERVER, 69))
        received, expected = b"", 1
        while True:
            packet, peer = c.recvfrom(70000)
            answer = parse(packet)
            if answer[0] != "DATA":
                print("second", answer)
                break
            c.sendto(struct.pack("!HH", 4, answer[1]), peer)
            if answer[1] == expected:
                received += answer[2]
                expected += 1
                if len(answer[2]) < 512:
                    break
        import hashlib
        print("second got", len(received), hashlib.sha256(received).hexdigest())
    """, netns.client_ip, second)
    assert "flood [(('DATA', 1), 16), (('ERROR', 0), 84)]" in out, out
    assert f"second got 300000 {sha256(server.root / 'f.bin')}" in out, out
    assert "reason=too many transfers from this client" in server.text()


def test_path_escapes_are_refused_and_logged(server, tmp_path):
    server.add("inside.bin", 100)
    (server.root / "escape").symlink_to("/etc/passwd")
    (server.root / "fine").symlink_to(server.root / "inside.bin")
    server.wait_ready()
    out = probe(server.netns, server, """
        for name in [b"../etc/passwd", b"/etc/passwd", b"escape", b"a/../../etc/passwd", b"bad\\x01name",
                     b"/private/tftpboot/../inside.bin", b"fine", b"/private/tftpboot/inside.bin"]:
            s = sock()
            s.sendto(rrq(name), (SERVER, 69))
            data, peer = s.recvfrom(70000)
            print(name.decode(errors="replace"), parse(data)[:2])
            if parse(data)[0] == "DATA":
                s.sendto(struct.pack("!HH", 4, 1), peer)
    """)
    assert "../etc/passwd ('ERROR', 2)" in out
    assert "/etc/passwd ('ERROR', 1)" in out
    assert "escape ('ERROR', 2)" in out
    assert "a/../../etc/passwd ('ERROR', 2)" in out
    assert "name ('ERROR', 2)" in out
    assert "/private/tftpboot/../inside.bin ('ERROR', 2)" in out
    assert "fine ('DATA', 1)" in out
    assert "/private/tftpboot/inside.bin ('DATA', 1)" in out
    log = server.text()
    assert "tftp refused RRQ" in log and "reason='..' in path" in log
    assert "resolves outside the root (/etc/passwd)" in log


def test_a_fifo_in_the_root_is_refused_and_blocks_nothing(server):
    """A named pipe under tftp.root: each RRQ for it blocked a file-opening thread in open(2)
    for good, and after two of them no client got any file. It is refused like a directory."""
    server.add("inside.bin", 100)
    os.mkfifo(server.root / "pipe")
    server.wait_ready()
    out = probe(server.netns, server, """
        for _ in range(4):
            s = sock()
            s.sendto(rrq(b"pipe"), (SERVER, 69))
            try:
                print("pipe", parse(s.recvfrom(1000)[0])[:2])
            except socket.timeout:
                print("pipe no answer")
        s = sock()
        s.sendto(rrq(b"inside.bin"), (SERVER, 69))
        try:
            print("inside.bin", parse(s.recvfrom(1000)[0])[:2])
        except socket.timeout:
            print("inside.bin no answer")
    """)
    assert out.count("pipe ('ERROR', 1)") == 4, out
    assert "inside.bin ('DATA', 1)" in out, out
    assert "not a regular file" in server.text()


def test_an_unknown_mode_is_refused_without_echoing_it(server):
    """The ERROR text is the server's own words: a client's mode string (any bytes) is not sent back."""
    server.add("f.bin", 100)
    server.wait_ready()
    out = probe(server.netns, server, """
        s = sock()
        s.sendto(rrq(b"f.bin", mode=b"<script>x\\x1b[2J"), (SERVER, 69))
        data, _ = s.recvfrom(1000)
        print(repr(parse(data)))
    """)
    assert "('ERROR', 4, 'Unsupported transfer mode')" in out, out
    assert "script" not in out
    assert "reason=unsupported mode" in server.wait_for(r"tftp refused RRQ .*").group(0)


def test_write_requests_are_refused_without_an_upload_directory(server, tmp_path):
    server.wait_ready()
    out = probe(server.netns, server, """
        s = sock()
        s.sendto(struct.pack("!H", 2) + b"up.bin\\0octet\\0", (SERVER, 69))
        data, _ = s.recvfrom(1000)
        print(parse(data)[:2])
    """)
    assert "('ERROR', 2)" in out
    assert not list(server.root.iterdir())


def test_uploads_land_in_the_upload_directory_without_overwriting(server_factory, tmp_path):
    require_tool("tftp")
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    server = server_factory("--upload-dir", str(uploads))
    server.wait_ready()
    local = tmp_path / "payload.bin"
    local.write_bytes(os.urandom(200_000))
    netns = server.netns
    netns.run(netns.client, "tftp", server.ip, "-m", "binary", "-c", "put", str(local), "payload.bin", timeout=60)
    server.wait_for(r"tftp write .*outcome=completed")
    assert sha256(uploads / "payload.bin") == sha256(local)
    # A second upload of the same name is refused with ERROR 6 and leaves the file alone.
    out = probe(netns, server, """
        s = sock()
        s.sendto(struct.pack("!H", 2) + b"payload.bin\\0octet\\0", (SERVER, 69))
        data, _ = s.recvfrom(1000)
        print(parse(data)[:2])
    """)
    assert "('ERROR', 6)" in out
    assert sha256(uploads / "payload.bin") == sha256(local)
    assert sorted(p.name for p in uploads.iterdir()) == ["payload.bin"]


# --- netboot serve ------------------------------------------------------------------------------

def test_serve_runs_tftp_from_the_config_section(netns, tmp_path):
    require_tool("atftp")
    root = tmp_path / "tftproot"
    booter = root / "Lab.nbi" / "i386" / "booter"
    booter.parent.mkdir(parents=True)
    booter.write_bytes(os.urandom(300_000))
    (root / "pxelinux.0").write_bytes(os.urandom(40_000))
    logs = tmp_path / "logs"
    config = tmp_path / "netboot.yaml"
    config.write_text(f"state-dir: {tmp_path}/state\nlogs: {{ dir: {logs} }}\nnice: 3\n"
                      "dhcp: { enabled: false }\nbsdp: { enabled: false }\nhttp: { enabled: false }\n"
                      f"tftp: {{ root: {root}, max-blksize: 1400, max-windowsize: 4 }}\n")
    proc = netns.popen(netns.server, netboot_bin(), "serve", "--quiet", "--config", str(config), cwd=tmp_path,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = logs / "netboot.log"
    try:
        deadline = time.time() + 20
        while time.time() < deadline and not (log.exists() and "tftp listening" in log.read_text()):
            time.sleep(0.1)
        assert log.exists() and "tftp listening" in log.read_text(), "tftp did not start under serve"
        local = tmp_path / "pxe"
        netns.run(netns.client, "atftp", "--option", "blksize 1468", "--option", "windowsize 16", "-g", "-r",
                  "pxelinux.0", "-l", str(local), netns.server_ip, "69", timeout=60)
        assert sha256(local) == sha256(root / "pxelinux.0")
        # Apple's absolute path through the configured prefixes, capped by the AAPLBSDPC class.
        local = tmp_path / "booter"
        netns.run(netns.client, "atftp", "--option", "blksize 1468", "-g", "-r",
                  "/private/tftpboot/NetBoot/NetBootSP0/Lab.nbi/i386/booter", "-l", str(local), netns.server_ip,
                  "69", timeout=60)
        assert sha256(local) == sha256(booter)
        deadline = time.time() + 10
        while time.time() < deadline and log.read_text().count("outcome=completed") < 2:
            time.sleep(0.1)
        text = log.read_text()
        assert re.search(r"file=pxelinux\.0 .*blksize=1400 windowsize=4 .*outcome=completed", text), text
        assert re.search(r"file=/private/tftpboot/NetBoot/NetBootSP0/Lab\.nbi/i386/booter .*blksize=1460 "
                         r".*class=apple-firmware .*outcome=completed", text), text
        # `nice: 3`: every thread of the appliance, the transfer threads among them.
        nices = thread_nices(proc.pid, until=lambda nices: transfer_threads(nices) and set(nices.values()) == {3})
        assert transfer_threads(nices) and set(nices.values()) == {3}, nices
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
    assert proc.returncode == 0
