"""`netboot serve` start-up and shutdown as an admin meets them (issue 14 item 1): a port that
cannot be bound stops every service and says which and why; a second instance on the same
state dir is refused; SIGTERM after a TFTP flood ends cleanly; `debug dump-packets` never
signals a process that is not the server, nor does `images rescan`. Each test runs the server
in a namespace of its own."""
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import time

import pytest

from conftest import netboot_bin, require_tool

PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"


def wait_for(predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def config(netns, base, dhcp="", tftp="", http="", extra=""):
    """A configuration serving the test veth only, everything under `base`; `dhcp`, `tftp` and
    `http` are more keys for those sections (`"enabled: false"`)."""
    def section(keys, more):
        return "{ " + ", ".join(k for k in (keys, more) if k) + " }"
    text = textwrap.dedent(f"""\
        interfaces: [{netns.server_if}]
        state-dir: {base}/var
        images-dir: {base}/images
        nice: 0
        logs: {{ dir: {base}/log }}
        capture: {{ dir: {base}/var/captures }}
        """) + "".join([
            f"dhcp: {section('', dhcp)}\n",
            f"tftp: {section(f'root: {base}/images', tftp)}\n",
            f"http: {section(f'root: {base}/images', http)}\n",
        ]) + extra
    os.makedirs(f"{base}/images", exist_ok=True)
    path = os.path.join(base, "netboot.yaml")
    with open(path, "w") as handle:
        handle.write(text)
    return path


def log_text(base):
    path = os.path.join(base, "log", "netboot.log")
    return open(path).read() if os.path.exists(path) else ""


def serve(netns, path, *launcher, **kwargs):
    return netns.popen(netns.server, *launcher, netboot_bin(), "serve", "--quiet", "--config", path,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def finish(process, timeout=20):
    """Waits for `process` to exit by itself; kills it (and fails) when it hangs."""
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"netboot serve did not exit within {timeout} s")
    return process.returncode, stderr


def stop(process, sig=signal.SIGTERM, timeout=20):
    process.send_signal(sig)
    return finish(process, timeout)


def hold_tcp_port(netns, port):
    """Another program on the server's TCP `port` (any address), as the admin's nginx would be."""
    holder = netns.popen(netns.server, PYTHON, "-c", textwrap.dedent(f"""\
        import socket, sys, time
        s = socket.socket(); s.bind(("0.0.0.0", {port})); s.listen(1)
        print("held", flush=True); time.sleep(600)
        """), stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_busy_http_port_stops_every_service_and_says_why(netns, tmp_path):
    path = config(netns, tmp_path)
    holder = hold_tcp_port(netns, 80)
    try:
        process = serve(netns, path)
        code, stderr = finish(process)
    finally:
        holder.kill()
        holder.wait()
    assert code == 1, stderr
    assert (f"netboot: not started: http: cannot listen on {netns.server_ip}:80 (TCP): Address already in use; "
            "another program holds this port") in stderr, stderr
    log = log_text(tmp_path)
    # DHCP and TFTP start beside HTTP (DHCP may not have bound yet when HTTP failed): each is
    # stopped again and says so, after whatever it had opened.
    assert "tftp listening on" in log, log
    assert log.rfind("tftp stopped") > log.index("tftp listening on"), log
    assert log.rfind("dhcp stopped") > log.rfind("dhcp (proxy) listening on"), log  # rfind: -1 if it never bound
    assert "netboot stopped" not in log


def test_busy_port_as_nobody_hints_at_capabilities(netns, tmp_path):
    require_tool("setpriv")
    # A directory nobody may write: pytest's tmp_path is private to root.
    base = tempfile.mkdtemp(prefix="nb-nobody-", dir="/tmp")
    try:
        os.chmod(base, 0o755)
        nobody = pwd.getpwnam("nobody")
        path = config(netns, base, dhcp="enabled: false", tftp="enabled: false")
        for root, dirs, _ in os.walk(base):
            for name in dirs:
                os.chown(os.path.join(root, name), nobody.pw_uid, nobody.pw_gid)
        os.chown(base, nobody.pw_uid, nobody.pw_gid)
        process = serve(netns, path, "setpriv", "--reuid", str(nobody.pw_uid), "--regid", str(nobody.pw_gid),
                        "--clear-groups", cwd=base)
        code, stderr = finish(process)
        assert code == 1, stderr
        assert f"http: cannot listen on {netns.server_ip}:80 (TCP): Permission denied" in stderr, stderr
        assert "root or CAP_NET_BIND_SERVICE" in stderr, stderr
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_second_instance_on_the_same_state_dir_is_refused(netns, tmp_path):
    path = config(netns, tmp_path, dhcp="enabled: false", http="port: 8080")
    first = serve(netns, path)
    try:
        assert wait_for(lambda: "running services:" in log_text(tmp_path)), log_text(tmp_path)
        second = serve(netns, path)
        code, stderr = finish(second)
        assert code == 1, stderr
        assert f"another netboot serve (pid {first.pid}) holds {tmp_path}/var/netboot.lock" in stderr, stderr
        assert first.poll() is None, "the first instance must keep running"
    finally:
        code, stderr = stop(first)
    assert code == 0, stderr


def hold_transfers(netns, count, server_ip):
    """`count` read requests from as many client ports, never acknowledged: transfers held open
    (the client's sockets stay open, so the server keeps retransmitting) until it is killed."""
    script = textwrap.dedent(f"""\
        import socket, time
        sockets = []
        for i in range({count}):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.sendto(b"\\x00\\x01big\\x00octet\\x00", ("{server_ip}", 69))
            sockets.append(s)
        print(len(sockets), flush=True)
        time.sleep(600)
        """)
    holder = netns.popen(netns.client, PYTHON, "-c", script, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == str(count)
    return holder


@pytest.mark.parametrize("round_", range(3))
def test_sigterm_after_a_tftp_flood_stops_cleanly(netns, tmp_path, round_):
    """The failure was a race (DHCP returned when the SIGHUP service stopped, while a slow TFTP
    stop was still awaited): three rounds, each a fresh server."""
    path = config(netns, tmp_path)
    with open(tmp_path / "images" / "big", "wb") as handle:
        handle.write(os.urandom(1 << 20))
    process = serve(netns, path)
    holder = None
    try:
        assert wait_for(lambda: "running services:" in log_text(tmp_path)), log_text(tmp_path)
        holder = hold_transfers(netns, 500, netns.server_ip)
        time.sleep(1)
        code, stderr = stop(process, timeout=40)
    finally:
        for proc in (holder, process):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
    log = log_text(tmp_path)
    assert code == 0, stderr + log
    assert "stopped on error" not in log, log
    # Every service stopped, in the reverse of the start order.
    order = [log.index(line) for line in ("http stopped", "tftp stopped", "dhcp stopped", "netboot stopped")]
    assert order == sorted(order), log


def test_dump_packets_never_signals_a_stale_pid(tmp_path):
    binary = netboot_bin()
    (tmp_path / "var").mkdir()
    victim = subprocess.Popen(["sleep", "60"])
    try:
        (tmp_path / "var" / "netboot.pid").write_text(f"{victim.pid}\n")
        (tmp_path / "netboot.yaml").write_text(f"state-dir: {tmp_path}/var\ncapture: {{ dir: {tmp_path}/cap }}\n")
        out = subprocess.run([binary, "debug", "dump-packets", "-w", str(tmp_path / "x.pcap"),
                              "--config", str(tmp_path / "netboot.yaml"), "--timeout", "1"],
                             capture_output=True, text=True, timeout=30)
        time.sleep(0.2)
        assert victim.poll() is None, "dump-packets signalled an unrelated process"
        assert out.returncode == 1
        assert f"the server is not running" in out.stderr, out.stderr
        assert f"pid {victim.pid}" in out.stderr, out.stderr
    finally:
        victim.kill()
        victim.wait()


def test_second_instance_on_another_state_dir_cannot_share_the_tftp_port(netns, tmp_path):
    """A second `netboot serve` with its own state dir bound the first one's TFTP address
    through SO_REUSEADDR and took half of its read requests; it must fail as HTTP does."""
    first_base, second_base = tmp_path / "first", tmp_path / "second"
    first = serve(netns, config(netns, first_base, dhcp="enabled: false", http="enabled: false"))
    try:
        assert wait_for(lambda: "tftp listening on" in log_text(first_base)), log_text(first_base)
        second = serve(netns, config(netns, second_base, dhcp="enabled: false", http="enabled: false"))
        code, stderr = finish(second)
        assert code == 1, stderr + log_text(second_base)
        assert (f"netboot: not started: tftp: cannot listen on {netns.server_ip}:69 (UDP): Address already in use"
                in stderr), stderr
        assert first.poll() is None, "the first instance must keep running"
    finally:
        code, stderr = stop(first)
    assert code == 0, stderr


def test_images_rescan_never_signals_a_stale_pid(tmp_path):
    """A user ran `netboot images rescan` after the server had stopped: the stale netboot.pid
    named another process by then, and the rescan's SIGHUP ended it."""
    binary = netboot_bin()
    (tmp_path / "var").mkdir()
    (tmp_path / "images").mkdir()
    victim = subprocess.Popen(["sleep", "60"])
    try:
        (tmp_path / "var" / "netboot.pid").write_text(f"{victim.pid}\n")
        (tmp_path / "netboot.yaml").write_text(f"state-dir: {tmp_path}/var\nimages-dir: {tmp_path}/images\n")
        out = subprocess.run([binary, "images", "rescan", "--config", str(tmp_path / "netboot.yaml")],
                             capture_output=True, text=True, timeout=30)
        time.sleep(0.2)
        assert victim.poll() is None, "images rescan signalled an unrelated process"
        assert out.returncode == 0, out.stdout + out.stderr
        assert "No running netboot serve" in out.stdout, out.stdout
        assert "nothing signalled" in out.stdout, out.stdout
    finally:
        victim.kill()
        victim.wait()


def test_an_unusable_log_or_state_directory_is_named_with_the_reason(tmp_path):
    (tmp_path / "logs.yaml").write_text(f"state-dir: {tmp_path}/var\nlogs: {{ dir: /proc/nb-no-logs }}\n")
    out = subprocess.run([netboot_bin(), "serve", "--config", str(tmp_path / "logs.yaml")],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert out.stderr == "netboot: not starting: cannot open the log file in /proc/nb-no-logs: No such file or directory\n"
    (tmp_path / "state.yaml").write_text("state-dir: /proc/nb-no-state\n")
    out = subprocess.run([netboot_bin(), "serve", "--config", str(tmp_path / "state.yaml")],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert out.stderr == ("netboot: not starting: cannot create the state directory /proc/nb-no-state: "
                          "No such file or directory\n")
