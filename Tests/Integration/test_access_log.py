"""The access log under load (issue 21): `netboot serve` writes its log lines in batches, not one
`write(2)` per request, and loses none of them when it stops. Counted with /proc/PID/io `syscw`
(the process's write system calls: each answer is one, so a line per request would double it);
no timing is asserted."""
import subprocess

from test_serve_lifecycle import config, log_text, serve, stop, wait_for

REQUESTS = 400


def write_calls(pid):
    with open(f"/proc/{pid}/io") as f:
        return int(next(line for line in f if line.startswith("syscw:")).split()[1])


def test_access_log_lines_are_batched_and_all_written_at_shutdown(netns, tmp_path):
    path = config(netns, tmp_path, dhcp="enabled: false", tftp="enabled: false")
    (tmp_path / "images" / "small.txt").write_text("x" * 100)
    process = serve(netns, path)  # `ip netns exec` execs netboot: the same process
    try:
        assert wait_for(lambda: "http listening on" in log_text(tmp_path)), log_text(tmp_path)
        client = netns.popen(netns.client, "/usr/bin/python3", "-c", f"""
import http.client
c = http.client.HTTPConnection("{netns.server_ip}", 80, timeout=10)
c.request("GET", "/small.txt"); c.getresponse().read()   # the connection is open: not counted
print("ready", flush=True)
input()
for i in range({REQUESTS}):
    c.request("GET", f"/small.txt?n={{i}}")
    r = c.getresponse(); body = r.read()
    assert r.status == 200 and len(body) == 100, (r.status, len(body))
print("done", flush=True)
""", stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert client.stdout.readline().strip() == "ready"
        before = write_calls(process.pid)
        client.stdin.write("\n")
        client.stdin.flush()
        assert client.stdout.readline().strip() == "done"
        assert client.wait(timeout=30) == 0
        writes = write_calls(process.pid) - before
        # One write per answer, plus the log's batches (one per line before issue 21: 2 × REQUESTS).
        assert writes < REQUESTS * 1.5, writes
    finally:
        code, stderr = stop(process)
    assert code == 0, stderr
    log = log_text(tmp_path)
    assert log.count("GET /small.txt?n=*** - 200 100 ") == REQUESTS, log[-2000:]  # query values redacted
