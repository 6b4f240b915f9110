"""Helpers for the DHCP, PXE and BSDP integration tests: a `netboot serve` in the server
namespace with a temporary configuration, and small scapy/raw-socket clients run in the client
namespace. Everything addresses only the 198.51.100.0/24 veth pair of the `netns` fixture."""
import json
import os
import signal
import subprocess
import textwrap
import time

from conftest import netboot_bin

PYTHON = "/usr/bin/python3"


class Server:
    """`netboot serve` in `netns.server` with a generated config; `stop()` kills it by PID."""

    def __init__(self, netns, tmp_path, mode="authoritative", range_=("198.51.100.100", "198.51.100.199"),
                 extra="", lease_time=600, images_dir=None, bsdp=True):
        self.netns = netns
        self.dir = tmp_path
        self.state = tmp_path / "state"
        self.images = images_dir or (tmp_path / "images")
        os.makedirs(self.images, exist_ok=True)
        self.log_path = tmp_path / "serve.out"
        subnets = ""
        if mode == "authoritative":
            subnets = textwrap.dedent(f"""\
              subnets:
                - subnet: {netns.prefix}.0/24
                  range: [{range_[0]}, {range_[1]}]
                  router: {netns.server_ip}
                  dns: [{netns.server_ip}]
                  domain: lab.example
                  lease-time: {lease_time}
            """)
            subnets = textwrap.indent(subnets, "  ")
        self.config = tmp_path / "netboot.yaml"
        self.config.write_text(
            f"interfaces: [{netns.server_if}]\n"
            f"state-dir: {self.state}\n"
            f"images-dir: {self.images}\n"
            f"logs:\n  dir: {tmp_path / 'log'}\n  level: info\n"
            f"dhcp:\n  mode: {mode}\n{subnets}"
            f"bsdp:\n  enabled: {'true' if bsdp else 'false'}\n"
            f"tftp:\n  enabled: false\n  root: {self.images}\n"
            f"http:\n  enabled: false\n  root: {self.images}\n"
            + extra)
        self.proc = None

    def start(self):
        self.out = open(self.log_path, "ab")
        self.proc = self.netns.popen(self.netns.server, netboot_bin(), "serve", "--config", str(self.config),
                                     stdout=self.out, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if "listening on" in self.log():
                return self
            if self.proc.poll() is not None:
                raise AssertionError("netboot serve exited:\n" + self.log())
            time.sleep(0.1)
        raise AssertionError("netboot serve did not start:\n" + self.log())

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def kill(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def leases(self):
        out = subprocess.run([netboot_bin(), "leases", "list", "--json", "--state-dir", str(self.state)],
                             capture_output=True, text=True, check=True)
        return json.loads(out.stdout)


def run_client_script(netns, script, timeout=120):
    """Runs a Python program (scapy available) in the client namespace; returns its JSON output."""
    out = netns.run(netns.client, "env", f"NBIF={netns.client_if}", "timeout", str(timeout), PYTHON, "-c", script,
                    timeout=timeout + 10, check=False)
    if out.returncode != 0:
        raise AssertionError(f"client script failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# A prelude for client scripts: build DHCP requests with scapy, send and receive on plain sockets.
PRELUDE = r'''
import json, os, random, socket, struct, sys, time
import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import BOOTP, DHCP, raw

def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))

def dhcp(mtype, mac, xid, options=(), broadcast=True, giaddr="0.0.0.0", ciaddr="0.0.0.0", hops=0):
    pkt = BOOTP(op=1, chaddr=mac_bytes(mac) + b"\0" * 10, xid=xid, flags=0x8000 if broadcast else 0,
                giaddr=giaddr, ciaddr=ciaddr, hops=hops) / DHCP(options=[("message-type", mtype)] + list(options) + ["end"])
    data = raw(pkt)
    return data + b"\0" * max(0, 300 - len(data))

def parse(data):
    try:
        pkt = BOOTP(data)
    except Exception:
        return None
    opts = {}
    if DHCP in pkt:
        for o in pkt[DHCP].options:
            if isinstance(o, tuple):
                opts.setdefault(o[0], o[1] if len(o) == 2 else o[1:])
    return pkt, opts

def udp_socket(port, bind="0.0.0.0"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    if os.environ.get("NBIF"):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, os.environ["NBIF"].encode())
    s.bind((bind, port))
    return s

def wait_reply(s, xid, timeout=3.0, want=None):
    end = time.time() + timeout
    while True:
        left = end - time.time()
        if left <= 0:
            return None
        s.settimeout(left)
        try:
            data, addr = s.recvfrom(4096)
        except socket.timeout:
            return None
        got = parse(data)
        if got is None:
            continue
        pkt, opts = got
        if pkt.xid == xid and pkt.op == 2 and (want is None or opts.get("message-type") == want):
            return pkt, opts, addr
'''
