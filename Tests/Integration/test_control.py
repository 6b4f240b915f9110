"""The control socket (docs/control.md): `netboot serve` in a namespace, every command driven
through the CLI, junk written straight to the socket, the socket's mode and owner-only access,
stale and live sockets at start, removal at shutdown."""
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time

import pytest

from conftest import netboot_bin, require_root, require_tool
from dhcp_support import Server, run_client_script
from test_dhcp import DORA

NOT_RUNNING = 3
PERMISSION_DENIED = 4


def cli(*args, check=False, timeout=60):
    return subprocess.run([netboot_bin(), *args], capture_output=True, text=True, timeout=timeout, check=check)


def wait_for(predicate, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def exchange(path, payload, timeout=10, until_close=False):
    """Writes raw bytes to the socket and reads a reply line per request line (or, with
    `until_close`, until the server closes); returns (parsed replies, closed)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(str(path))
    try:
        s.sendall(payload)
        data = b""
        expected = payload.count(b"\n")
        closed = False
        while until_close or data.count(b"\n") < expected:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            data += chunk
        return [json.loads(line) for line in data.splitlines() if line.strip()], closed
    finally:
        s.close()


def make_nbi(images, name, index):
    folder = images / f"{name}.nbi"
    folder.mkdir(parents=True)
    (folder / "i386").mkdir()
    (folder / "i386" / "booter").write_bytes(b"\0" * 64)
    (folder / "NBImageInfo.plist").write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>Architectures</key><array><string>i386</string></array>
<key>BootFile</key><string>booter</string>
<key>Index</key><integer>{index}</integer>
<key>IsEnabled</key><true/>
<key>IsInstall</key><false/>
<key>Kind</key><integer>1</integer>
<key>Name</key><string>{name}</string>
<key>RootPath</key><string>NetInstall.dmg</string>
<key>Type</key><string>HTTP</string>
</dict></plist>
""")
    (folder / "NetInstall.dmg").write_bytes(b"\0" * 16)


def start_control_server(netns, tmp_path, extra="capture:\n  dir: {dir}\n  flight-recorder: 64\n"):
    server = Server(netns, tmp_path, mode="authoritative", extra=extra.format(dir=tmp_path / "captures"))
    server.start()
    assert wait_for(lambda: (server.state / "netboot.sock").exists()), server.log()
    return server


def test_every_command_through_the_cli(netns, tmp_path):
    server = start_control_server(netns, tmp_path)
    state = str(server.state)
    config = str(server.config)
    sock = server.state / "netboot.sock"
    try:
        # The socket is private to its owner.
        assert stat.S_ISSOCK(os.lstat(sock).st_mode)
        assert stat.S_IMODE(os.lstat(sock).st_mode) == 0o600

        # Two clients get leases.
        got = run_client_script(netns, DORA.replace("int(sys.argv[1]), sys.argv[2]", "2, 7"))
        assert got == ["198.51.100.100", "198.51.100.101"]

        status = cli("status", "--json", "--config", config)
        assert status.returncode == 0, status.stderr
        report = json.loads(status.stdout)
        assert report["pid"] == server.proc.pid
        assert report["configuration"] == config
        assert report["uptimeSeconds"] >= 0
        names = {s["name"]: s for s in report["services"]}
        assert names["dhcp"]["state"] == "running"
        assert f"udp {netns.server_ip}:67 ({netns.server_if})" in names["dhcp"]["addresses"]
        assert names["control"]["addresses"] == [f"unix {sock}"]
        assert report["counts"]["leases"] == 2 and report["counts"]["leasesActive"] == 2
        assert report["counts"]["dhcpExchanges"] >= 4
        assert report["counts"]["flightRecorderPackets"] > 0

        text = cli("status", "--state-dir", state)
        assert text.returncode == 0, text.stderr
        assert "running (pid" in text.stdout and "dhcp" in text.stdout and "leases:" in text.stdout

        listed = cli("leases", "list", "--json", "--state-dir", state)
        assert listed.returncode == 0, listed.stderr
        rows = json.loads(listed.stdout)
        assert sorted(r["address"] for r in rows if r["state"] == "bound") == got

        released = cli("leases", "release", "02:00:00:00:07:00", "--state-dir", state)
        assert released.returncode == 0, released.stderr
        assert "released 198.51.100.100 (02:00:00:00:07:00)" in released.stdout
        rows = {r["address"]: r for r in json.loads(cli("leases", "list", "--json", "--state-dir", state).stdout)}
        assert rows["198.51.100.100"]["state"] == "released"
        assert rows["198.51.100.101"]["state"] == "bound"
        by_address = cli("leases", "release", "198.51.100.101", "--json", "--state-dir", state)
        assert by_address.returncode == 0, by_address.stderr
        assert json.loads(by_address.stdout)["released"][0]["state"] == "released"
        again = cli("leases", "release", "198.51.100.101", "--state-dir", state)
        assert again.returncode == 1 and "not-found" in again.stderr
        bad = cli("leases", "release", "not-a-lease", "--state-dir", state)
        assert bad.returncode != 0 and "neither a MAC" in bad.stderr

        # images rescan: the running server rescans and says what it distributed.
        make_nbi(server.images, "Lab", 1001)
        rescan = cli("images", "rescan", "--config", config, "--no-resolve")
        assert rescan.returncode == 0, rescan.stderr
        assert "The running netboot serve rescanned (control socket) and serves 1 image(s)" in rescan.stdout
        assert "server: New image distributed: Lab" in rescan.stderr
        assert "New image distributed: Lab" in server.log()

        # images.list (the CLI's `images list` scans the directory itself): the served catalog.
        replies, _ = exchange(server.state / "netboot.sock", b'{"version":1,"id":"l","command":"images.list"}\n')
        assert replies[0]["ok"] is True and replies[0]["id"] == "l"
        assert [image["name"] for image in replies[0]["result"]["images"]] == ["Lab"]

        # debug dump-packets goes through capture.dump.
        pcap = tmp_path / "flight.pcap"
        dump = cli("debug", "dump-packets", "-w", str(pcap), "--config", config)
        assert dump.returncode == 0, dump.stderr
        assert "packets of" in dump.stdout
        assert pcap.read_bytes()[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4")
        decoded = cli("decode", str(pcap))
        assert "DISCOVER 02:00:00:00:07:00" in decoded.stdout

        # config reload: a changed section is named; a broken file is refused with file:line:col.
        original = server.config.read_text()
        server.config.write_text(original.replace("lease-time: 600", "lease-time: 900"))
        reload = cli("config", "reload", "--json", "--config", config)
        assert reload.returncode == 0, reload.stderr
        result = json.loads(reload.stdout)
        assert result["changed"] == ["dhcp"] and result["restartNeeded"] == ["dhcp"]
        assert result["applied"] == ["images rescanned: 1 image(s)"]
        server.config.write_text(original.replace("lease-time: 600", "lease-time: lots"))
        broken = cli("config", "reload", "--config", config)
        assert broken.returncode == 1
        assert f"{config}:" in broken.stderr and "invalid-configuration" in broken.stderr
        server.config.write_text(original)
        assert cli("status", "--state-dir", state).returncode == 0
    finally:
        server.kill()
    # A clean shutdown removes the socket, and then the CLI says the appliance is not running.
    assert not sock.exists()
    gone = cli("status", "--state-dir", state)
    assert gone.returncode == NOT_RUNNING
    assert "netboot is not running" in gone.stdout
    # The releases were committed to the store (read directly now that no server answers).
    stored = {r["address"]: r["state"] for r in json.loads(cli("leases", "list", "--json", "--state-dir", state).stdout)}
    assert stored["198.51.100.100"] == stored["198.51.100.101"] == "released"


def test_junk_on_the_socket_gets_error_replies_and_the_server_keeps_answering(netns, tmp_path):
    server = start_control_server(netns, tmp_path)
    sock = server.state / "netboot.sock"
    try:
        replies, closed = exchange(sock, b"hello\n\xff\xfe\n[1]\n{\"version\":1,\"command\":\"reboot\",\"id\":5}\n"
                                         b"{\"version\":9,\"command\":\"status\"}\n"
                                         b"{\"version\":1,\"command\":\"status\",\"id\":\"after\"}\n")
        assert not closed
        assert [r.get("error", {}).get("code") for r in replies[:5]] == [
            "malformed-json", "malformed-json", "malformed-json", "unknown-command", "unsupported-version"]
        assert replies[3]["id"] == 5
        assert replies[5]["ok"] is True and replies[5]["id"] == "after"
        # An over-long line: too-large, then the server closes that connection.
        replies, closed = exchange(sock, b"{" + b"x" * 70000 + b"\n", until_close=True)
        assert replies[0]["error"]["code"] == "too-large"
        assert closed
        # Half a request and a hang-up, then a fresh connection still works.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(sock))
        s.sendall(b'{"version":1,"comm')
        s.close()
        assert cli("status", "--state-dir", str(server.state)).returncode == 0
    finally:
        server.kill()


def test_only_the_owner_can_connect(netns, tmp_path):
    """The socket is mode 0600: another user is refused even when every directory is open to it."""
    require_tool("setpriv")
    base = tempfile.mkdtemp(prefix="nbctl-", dir="/tmp")
    try:
        os.chmod(base, 0o755)
        server = Server(netns, tmp_path)
        server.state = type(server.state)(base) / "state"
        server.config.write_text(server.config.read_text().replace(f"state-dir: {tmp_path / 'state'}",
                                                                   f"state-dir: {server.state}"))
        server.start()
        sock = server.state / "netboot.sock"
        try:
            assert wait_for(sock.exists), server.log()
            os.chmod(server.state, 0o755)  # only the socket's own mode stands in the way now
            binary = netboot_bin()
            if subprocess.run(["setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups",
                               binary, "version"], capture_output=True).returncode != 0:
                pytest.skip(f"user nobody cannot run {binary}")
            denied = subprocess.run(["setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups",
                                     binary, "status", "--state-dir", str(server.state)],
                                    capture_output=True, text=True, timeout=30)
            assert denied.returncode == PERMISSION_DENIED, denied.stderr
            assert "permission denied" in denied.stderr
            # The mode is what refuses: opened up, the same user gets through.
            os.chmod(sock, 0o666)
            allowed = subprocess.run(["setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups",
                                      binary, "status", "--state-dir", str(server.state)],
                                     capture_output=True, text=True, timeout=30)
            assert allowed.returncode == 0, allowed.stderr
            assert cli("status", "--state-dir", str(server.state)).returncode == 0
        finally:
            server.kill()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_stale_socket_is_replaced_and_a_live_one_is_kept(netns, tmp_path):
    require_root()
    config = tmp_path / "netboot.yaml"
    config.write_text(f"state-dir: {tmp_path / 'var'}\nimages-dir: {tmp_path}\nlogs:\n  dir: {tmp_path / 'log'}\n"
                      "dhcp:\n  enabled: false\nbsdp:\n  enabled: false\ntftp:\n  enabled: false\n"
                      "http:\n  enabled: false\n")
    (tmp_path / "var").mkdir()
    sock = tmp_path / "var" / "netboot.sock"
    # A socket file left by a server that died: bound, never listening, closed without unlinking.
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(sock))
    stale.close()
    assert sock.exists()
    first = netns.popen(netns.server, netboot_bin(), "serve", "--quiet", "--config", str(config),
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert wait_for(lambda: cli("status", "--config", str(config)).returncode == 0)
        # A second server with the same state dir refuses to start (the state-dir lock stops it
        # first; the socket's own live check is ControlSocketTests.aLiveSocketIsKept) and the
        # first one's socket is left alone.
        second = netns.run(netns.server, netboot_bin(), "serve", "--quiet", "--config", str(config),
                           check=False, timeout=30)
        assert second.returncode == 1
        assert "not start" in second.stdout + second.stderr
        status = json.loads(cli("status", "--json", "--config", str(config)).stdout)
        assert status["pid"] > 0
        assert {s["name"] for s in status["services"]} == {"control"}
        assert stat.S_IMODE(os.lstat(sock).st_mode) == 0o600
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=15)
    assert not sock.exists()


def test_not_running_is_exit_3_for_every_socket_command(tmp_path):
    for args in (["status"], ["status", "--json"], ["leases", "release", "02:00:00:00:00:01"], ["config", "reload"]):
        out = cli(*args, "--state-dir", str(tmp_path))
        assert out.returncode == NOT_RUNNING, (args, out.stderr)
        assert "not running" in out.stdout + out.stderr
