"""The threads of `netboot serve` and their priorities (issue 21): DHCP answers from an event loop
and a lease-store thread of its own, shared with no other service, and the HTTP event loops that
carry the image traffic run `ProcessPriority.bulkOffset` (5) nicer than the rest, so a machine
that reboots mid-deployment does not wait for a CPU behind the downloads. The timing itself is
measured by scripts/bench/dhcp-while-imaging, never asserted here. With `dhcp.realtime-priority`
(default 1) DHCP's threads run in the real-time round-robin class (SCHED_RR), every other thread
in the normal one."""
import pathlib
import time

from test_serve_lifecycle import config, log_text, serve, stop, wait_for


SCHED_OTHER, SCHED_RR = 0, 2


def threads(pid):
    """(name, nice) of every thread of `pid` (comm, and field 19 of /proc/PID/task/TID/stat)."""
    return [(name, nice) for name, nice, _ in thread_details(pid)]


def thread_details(pid):
    """(name, nice, scheduling policy) of every thread of `pid` (comm, and fields 19 and 41 of
    /proc/PID/task/TID/stat)."""
    found = []
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found.append((name, int(fields[16]), int(fields[38])))
    return found


def settled(pid, want, timeout=10.0):
    """The threads of `pid` once `want(threads)` holds (threads start, name themselves and get
    their nice value as the services come up; the keeper re-applies it every 2 s), or the last
    reading after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        found = threads(pid)
        if want(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def named(found, name):
    return [nice for thread, nice in found if thread == name]


def check(found, base, offset):
    http, dhcp, store = named(found, "http-loop"), named(found, "dhcp-loop"), named(found, "dhcp-store")
    others = [nice for thread, nice in found if thread != "http-loop"]
    return (len(http) >= 1 and set(http) == {base + offset} and dhcp == [base] and store == [base]
            and set(others) == {base})


def run_and_check(netns, tmp_path, nice, offset=5, http="", dhcp="", realtime=True):
    path = config(netns, tmp_path, http=http, dhcp=dhcp)
    text = open(path).read().replace("nice: 0", f"nice: {nice}")
    open(path, "w").write(text)
    process = serve(netns, path)  # `ip netns exec` execs netboot: the same process
    try:
        assert wait_for(lambda: "http listening on" in log_text(tmp_path)
                        and "dhcp (proxy) listening on" in log_text(tmp_path)), log_text(tmp_path)
        found = settled(process.pid, lambda found: check(found, nice, offset))
        assert check(found, nice, offset), found
        policies = {(name, policy) for name, _, policy in thread_details(process.pid)}
        dhcp_policy = SCHED_RR if realtime else SCHED_OTHER
        assert {p for name, p in policies if name in ("dhcp-loop", "dhcp-store")} == {dhcp_policy}, policies
        assert {p for name, p in policies if name not in ("dhcp-loop", "dhcp-store")} == {SCHED_OTHER}, policies
    finally:
        code, stderr = stop(process)
    assert code == 0, stderr


def test_dhcp_has_threads_of_its_own_and_the_http_loops_run_nicer(netns, tmp_path):
    run_and_check(netns, tmp_path, -10)


def test_at_nice_zero_only_the_http_loops_are_moved(netns, tmp_path):
    """`nice: 0` leaves the appliance as started; the HTTP loops still give way to DHCP and TFTP."""
    run_and_check(netns, tmp_path, 0)


def test_nice_offset_zero_keeps_one_priority_for_every_thread(netns, tmp_path):
    run_and_check(netns, tmp_path, -10, offset=0, http="nice-offset: 0")


def test_realtime_priority_zero_keeps_dhcp_in_the_normal_class(netns, tmp_path):
    run_and_check(netns, tmp_path, -10, dhcp="realtime-priority: 0", realtime=False)
