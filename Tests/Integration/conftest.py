"""Shared fixtures for integration tests: the built netboot binary, network namespaces joined
by veth pairs (always torn down, even when a test fails), and skips with a printed reason when
root or a peer tool is missing."""
import os
import shutil
import subprocess
import uuid

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def netboot_bin():
    path = os.environ.get("NETBOOT_BIN") or os.path.join(REPO, ".build", "debug", "netboot")
    if not os.access(path, os.X_OK):
        pytest.skip(f"netboot binary not built at {path}")
    return path


def require_root():
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")


def require_tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed (scripts/install-deps test)")
    return path


def sh(*args, check=True, **kwargs):
    return subprocess.run(list(args), check=check, capture_output=True, text=True, **kwargs)


class NetnsPair:
    """Two namespaces, `server` and `client`, joined by a veth pair on a private /24.
    Addresses are 198.51.100.0/24 (TEST-NET-2, RFC 5737) by default and exist only inside
    the namespaces this fixture creates."""

    def __init__(self, prefix="198.51.100"):
        tag = uuid.uuid4().hex[:6]
        self.server = f"nbs{tag}"
        self.client = f"nbc{tag}"
        self.server_if = f"vs{tag}"
        self.client_if = f"vc{tag}"
        self.server_ip = f"{prefix}.1"
        self.client_ip = f"{prefix}.2"
        self.prefix = prefix

    def up(self):
        sh("ip", "netns", "add", self.server)
        sh("ip", "netns", "add", self.client)
        sh("ip", "link", "add", self.server_if, "netns", self.server, "type", "veth",
           "peer", "name", self.client_if, "netns", self.client)
        for ns, ifname, ip in ((self.server, self.server_if, self.server_ip),
                               (self.client, self.client_if, self.client_ip)):
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", ifname)
            sh("ip", "-n", ns, "link", "set", ifname, "up")
        return self

    def down(self):
        for ns in (self.server, self.client):
            # Kill anything left in the namespace, then delete it (removes the veth too).
            pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
            for pid in pids:
                sh("kill", "-9", pid, check=False)
            sh("ip", "netns", "del", ns, check=False)

    def run(self, ns, *args, **kwargs):
        return sh("ip", "netns", "exec", ns, *args, **kwargs)

    def popen(self, ns, *args, **kwargs):
        return subprocess.Popen(["ip", "netns", "exec", ns, *args], **kwargs)


@pytest.fixture
def netns():
    require_root()
    require_tool("ip")
    pair = NetnsPair()
    try:
        pair.up()
        yield pair
    finally:
        pair.down()
