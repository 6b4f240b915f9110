"""What `netboot` writes and who may read it (issue 14 item 5): the modes of the state
directory, database, logs, pid file, flight recordings and captures after a real serve run and
a capture; and a junk flood from a client namespace that is summarised in the log instead of
rotating the start-up lines away."""
import gzip
import os
import socket
import stat
import subprocess
import time

from conftest import netboot_bin


def wait_for(predicate, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def write_config(tmp_path, netns, extra=""):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "booter").write_bytes(b"x" * 1000)
    config = tmp_path / "netboot.yaml"
    config.write_text(
        f"state-dir: {tmp_path}/state\nimages-dir: {tmp_path}/images\ninterfaces: [{netns.server_if}]\n"
        "bsdp: { enabled: false }\n"
        f"tftp: {{ root: {tmp_path}/images }}\nhttp: {{ root: {tmp_path}/images, port: 8080 }}\n"
        f"capture: {{ dir: {tmp_path}/state/captures, flight-recorder: 64 }}\n" + extra)
    return str(config)


def serve(netns, config, cwd):
    # The umask the admin's shell happens to have must not matter: 022 makes files 0644.
    return netns.popen(netns.server, netboot_bin(), "serve", "--quiet", "--config", config, cwd=cwd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       preexec_fn=lambda: os.umask(0o022))


def stop(process):
    process.terminate()
    try:
        _, stderr = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate()
    return process.returncode, stderr


def udp_from_client(netns, port, payload, count):
    """Sends `count` copies of `payload` from the client namespace to the server's `port`."""
    script = ("import socket,sys\n"
              "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
              f"for _ in range({count}): s.sendto({payload!r},({netns.server_ip!r},{port}))\n")
    netns.run(netns.client, "/usr/bin/python3", "-c", script, timeout=120)


def test_files_netboot_writes_are_not_world_readable(netns, tmp_path):
    config = write_config(tmp_path, netns, f"logs: {{ dir: {tmp_path}/state/log }}\n")
    state = tmp_path / "state"
    process = serve(netns, config, tmp_path)
    try:
        assert wait_for(lambda: (state / "netboot.pid").exists()), "no pid file"
        assert wait_for(lambda: (state / "netboot.sqlite-wal").exists()), "no database"
        dump = netns.run(netns.server, netboot_bin(), "debug", "dump-packets", "-w", str(tmp_path / "flight.pcap"),
                         "--config", config, check=False)
        assert dump.returncode == 0, dump.stderr
        modes = {name: mode(state / name) for name in ("netboot.pid", "netboot.sqlite", "netboot.sqlite-wal",
                                                        "netboot.sqlite-shm")}
        flights = list((state / "captures").glob("flight-*.pcap"))
    finally:
        code, stderr = stop(process)
    assert code == 0, stderr
    assert mode(state) == 0o750
    assert modes == {"netboot.pid": 0o600, "netboot.sqlite": 0o600, "netboot.sqlite-wal": 0o600,
                     "netboot.sqlite-shm": 0o600}
    assert mode(state / "log") == 0o750 and mode(state / "log" / "netboot.log") == 0o640
    assert mode(state / "captures") == 0o750
    assert flights and all(mode(f) == 0o600 for f in flights)
    assert mode(tmp_path / "flight.pcap") == 0o600

    # `netboot capture` writes its file 0600 too.
    pcap = tmp_path / "cap.pcap"
    capture = netns.popen(netns.server, netboot_bin(), "capture", "-i", netns.server_if, "-w", str(pcap),
                          "--count", "1", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          preexec_fn=lambda: os.umask(0o022))
    try:
        assert wait_for(lambda: pcap.exists(), 10), "capture did not open its file"
        deadline = time.time() + 20
        while capture.poll() is None and time.time() < deadline:
            udp_from_client(netns, 9, b"hello", 1)
            time.sleep(0.3)
    finally:
        if capture.poll() is None:
            capture.kill()
        capture.communicate()
    assert mode(pcap) == 0o600


def log_text(directory):
    """The current log and its archives, oldest first."""
    text = ""
    for archive in sorted(directory.glob("netboot.*.log.gz"), reverse=True):
        text += gzip.decompress(archive.read_bytes()).decode(errors="replace")
    return text + (directory / "netboot.log").read_text(errors="replace")


def test_junk_flood_is_summarised_and_keeps_the_start_up_lines(netns, tmp_path):
    """Before: every malformed datagram was one log line, and with the smallest rotation
    (200 KB, one archive) a flood pushed the start-up lines out within seconds."""
    logs = tmp_path / "log"
    config = write_config(tmp_path, netns, f"logs: {{ dir: {logs}, size-limit: 204800, max-files: 1 }}\n")
    process = serve(netns, config, tmp_path)
    try:
        assert wait_for(lambda: (logs / "netboot.log").exists() and "running services:" in
                        (logs / "netboot.log").read_text()), "netboot did not start"
        udp_from_client(netns, 67, b"\x00junk" * 3, 30000)
        udp_from_client(netns, 69, b"\x00\x09junk", 2000)
        summary = f"more malformed DHCP datagrams on {netns.server_if} from {netns.client_ip} in the last"
        # The window is 10 s: its summary is written by a timer, flood or no flood.
        summarised = wait_for(lambda: summary in (logs / "netboot.log").read_text(errors="replace"), 30)
    finally:
        code, stderr = stop(process)
    assert code == 0, stderr
    current = (logs / "netboot.log").read_text(errors="replace")
    assert " starting configuration=" in current and "running services:" in current, current[:2000]
    assert summarised, current[-3000:]
    assert "netboot stopped" in current
    everything = log_text(logs)
    malformed = [line for line in everything.splitlines() if "MALFORMED" in line.upper() and "more malformed" not in line]
    assert 0 < len(malformed) <= 20, f"{len(malformed)} malformed lines written"
    counted = [line for line in everything.splitlines() if summary in line]
    total = sum(int(line.split("… ")[1].split(" ")[0].replace(",", "")) for line in counted)
    assert total + len(malformed) <= 30000 and total > 1000, counted


def test_http_junk_flood_is_summarised_per_client(netns, tmp_path):
    """Before: every junk request and every 404 was an access-log line; 3,000 of them pushed the
    start-up lines out of a small log. Answers of 400 and above are summarised per client and
    status like the DHCP and TFTP junk; the 200s of real clients are still each written."""
    logs = tmp_path / "log"
    config = write_config(tmp_path, netns, f"logs: {{ dir: {logs}, size-limit: 204800, max-files: 1 }}\n")
    process = serve(netns, config, tmp_path)
    try:
        assert wait_for(lambda: (logs / "netboot.log").exists() and "http listening on" in
                        (logs / "netboot.log").read_text()), "netboot did not start"
        script = ("import socket\n"
                  "for i in range(1500):\n"
                  f"    c=socket.create_connection(({netns.server_ip!r},8080)); c.sendall(b'JUNK\\r\\n\\r\\n')\n"
                  "    c.recv(1000); c.close()\n"
                  f"c=socket.create_connection(({netns.server_ip!r},8080))\n"
                  "c.sendall(b'GET /missing HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n' * 1500 + b'GET /booter HTTP/1.1\\r\\nHost: a\\r\\nConnection: close\\r\\n\\r\\n')\n"
                  "while c.recv(65536): pass\n")
        netns.run(netns.client, "/usr/bin/python3", "-c", script, timeout=120)
        assert wait_for(lambda: "GET /booter" in (logs / "netboot.log").read_text(errors="replace")), "no access line"
    finally:
        code, stderr = stop(process)
    assert code == 0, stderr
    current = (logs / "netboot.log").read_text(errors="replace")
    assert " starting configuration=" in current and "running services:" in current, current[:2000]
    everything = log_text(logs)
    lines = everything.splitlines()
    bad = [line for line in lines if f"{netns.client_ip} - - - 400 " in line]
    missing = [line for line in lines if "GET /missing - 404" in line]
    assert 0 < len(bad) <= 10 and 0 < len(missing) <= 10, f"{len(bad)} 400 lines, {len(missing)} 404 lines written"
    assert f"more HTTP 400 answers from {netns.client_ip}" in everything, everything[-3000:]
    assert f"more HTTP 404 answers from {netns.client_ip}" in everything, everything[-3000:]
    assert "GET /booter - 200" in everything
