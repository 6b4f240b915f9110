#!/usr/bin/python3
"""TFTP benchmark: netboot (release build) against atftpd, tftpd-hpa and dnsmasq, side by side.

Two network namespaces joined by a veth pair (198.51.100.0/24, TEST-NET-2, only inside them).
The same random file is fetched by the same client with the same options from each server;
every fetched file is checked by SHA-256. Prints MB/s per server and the ratio of netboot to
the best peer that ran with the same options (a peer that ignores windowsize runs lockstep and
is listed, but marked), then the CPU time each server spent per MiB sent (user + system of all
its threads, from /proc/PID/stat; not for tftpd-hpa, whose per-transfer children are never
reaped into the daemon's account): netboot's busy polling trades CPU for
lockstep latency, and this table shows the price. For the concurrent runs it also prints the
whole machine's context switches and IPIs per DATA block and its idle CPU, which decide the
aggregate rate when the clients share the server's cores; --split-cores pins the servers to
CPU 0 and the clients to the other CPUs instead.

atftpd and tftpd-hpa conflict as Debian packages: each is installed in turn (package installs
here do not start services: policy-rc.d; we also stop and disable them in case), its daemon is
copied aside and the package removed again. All servers then run by hand at once inside the
server namespace, each on its own address, and the repetitions interleave so that the noise of
a shared machine spreads evenly over them. dnsmasq runs with --port=0 --enable-tftp.
Usage (as root, from the repository):

    swift build -c release
    scripts/bench/tftp/run [--size-mib 100] [--reps 3] [--concurrent-reps 5]
                           [--servers netboot,atftpd,tftpd-hpa,dnsmasq] [--concurrency 32:16,200:2]
                           [--split-cores] [--netboot-nice -10]
"""
import argparse
import hashlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CLIENT_IP = "198.51.100.2"
# Each server listens on its own address of the server namespace, so all run at once and the
# repetitions interleave (the machine is shared; interleaving spreads its noise evenly).
SERVER_IPS = {"netboot": "198.51.100.1", "atftpd": "198.51.100.3", "tftpd-hpa": "198.51.100.4",
              "dnsmasq": "198.51.100.5"}

# (label, client, options); the atftp options are what the server is asked to negotiate.
SCENARIOS = [
    ("atftp bs512 lockstep", "atftp", ["blksize 512"]),
    ("atftp bs1468 lockstep", "atftp", ["blksize 1468"]),
    ("atftp bs1468 ws16", "atftp", ["blksize 1468", "windowsize 16"]),
    ("atftp bs1468 ws64", "atftp", ["blksize 1468", "windowsize 64"]),
    ("tftp-hpa (no options)", "tftp-hpa", []),
]


def sh(*args, check=True, **kw):
    return subprocess.run(list(args), check=check, capture_output=True, text=True, **kw)


class Namespaces:
    def __init__(self, split_cores=False):
        tag = uuid.uuid4().hex[:6]
        self.server, self.client = f"nbbs{tag}", f"nbbc{tag}"
        self.sif, self.cif = f"vbs{tag}", f"vbc{tag}"
        # --split-cores: servers on CPU 0, clients on the others, as when the clients are other
        # machines (then the clients' CPU time and wakeups no longer come out of the server's).
        cores = os.cpu_count() or 1
        self.cpus = {self.server: "0", self.client: f"1-{cores - 1}"} if split_cores and cores > 1 else {}

    def up(self):
        sh("ip", "netns", "add", self.server)
        sh("ip", "netns", "add", self.client)
        sh("ip", "link", "add", self.sif, "netns", self.server, "type", "veth", "peer", "name", self.cif,
           "netns", self.client)
        for ns, dev, ips in ((self.server, self.sif, SERVER_IPS.values()), (self.client, self.cif, [CLIENT_IP])):
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            for ip in ips:
                sh("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")

    def down(self):
        for ns in (self.server, self.client):
            for pid in sh("ip", "netns", "pids", ns, check=False).stdout.split():
                os.kill(int(pid), signal.SIGKILL)
            sh("ip", "netns", "del", ns, check=False)

    def exec(self, ns, *args):
        pin = ["taskset", "-c", self.cpus[ns]] if ns in self.cpus else []
        return ["ip", "netns", "exec", ns, *pin, *args]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def apt(*args):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "-y", "-qq", *args], check=True, env=env, stdout=subprocess.DEVNULL)


def stop_system_service(name):
    for cmd in (["systemctl", "stop", name], ["systemctl", "disable", name], ["service", name, "stop"]):
        if shutil.which(cmd[0]):
            subprocess.run(cmd, capture_output=True)


class Server:
    """Starts one server inside the server namespace and stops it by PID."""

    def __init__(self, kind, ns, root, work, binary=None):
        self.kind, self.ns, self.root, self.work, self.binary = kind, ns, root, work, binary
        self.ip = SERVER_IPS[kind]
        self.proc = None
        self.pidfile = os.path.join(work, f"{kind}.pid")

    def start(self):
        log = open(os.path.join(self.work, f"{self.kind}.log"), "w")
        if self.kind == "netboot":
            binary = os.environ.get("NETBOOT_BIN") or os.path.join(REPO, ".build", "release", "netboot")
            self.proc = subprocess.Popen(self.ns.exec(self.ns.server, binary, "tftp-serve", "--root", self.root,
                                                      "--address", self.ip, "--port", "69", "--max-transfers",
                                                      "1000", "--max-transfers-per-client", "1000",
                                                      "--log-level", "warning", f"--nice={NETBOOT_NICE}"),
                                         stdout=log, stderr=log)
        elif self.kind == "atftpd":
            self.proc = subprocess.Popen(self.ns.exec(self.ns.server, self.binary, "--daemon", "--no-fork",
                                                      "--port", "69", "--bind-address", self.ip, "--maxthread",
                                                      "1000", "--user", "root.root", "--logfile", "/dev/null",
                                                      self.root), stdout=log, stderr=log)
        elif self.kind == "tftpd-hpa":
            # Debian's in.tftpd rejects --foreground; it daemonizes and writes its PID file.
            subprocess.run(self.ns.exec(self.ns.server, self.binary, "--listen", "--address",
                                        f"{self.ip}:69", "--pidfile", self.pidfile, "--secure", "--user", "root",
                                        self.root), check=True, stdout=log, stderr=log)
        elif self.kind == "dnsmasq":
            self.proc = subprocess.Popen(self.ns.exec(self.ns.server, "dnsmasq", "--keep-in-foreground", "--port=0",
                                                      "--conf-file=/dev/null", "--enable-tftp",
                                                      f"--tftp-root={self.root}", f"--listen-address={self.ip}",
                                                      "--bind-interfaces", "--tftp-max=1000", "--user=root",
                                                      f"--pid-file={self.pidfile}", "--log-facility=/dev/null"),
                                         stdout=log, stderr=log)
        time.sleep(1.0)

    def pid(self):
        if self.proc is not None:
            return self.proc.pid  # ip netns exec execs the server in place
        with open(self.pidfile) as f:
            return int(f.read().strip() or 0)

    def cpu_seconds(self):
        """utime + stime + cutime + cstime of the server process (all threads, reaped children)."""
        try:
            with open(f"/proc/{self.pid()}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            return None
        return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        elif os.path.exists(self.pidfile):
            with open(self.pidfile) as f:
                pid = int(f.read().strip() or 0)
            if pid > 0:
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            time.sleep(0.5)


def client_command(ns, client, options, remote, local, ip):
    if client == "tftp-hpa":
        return ns.exec(ns.client, "tftp", ip, "-m", "binary", "-c", "get", remote, local)
    args = []
    for option in options:
        args += ["--option", option]
    return ns.exec(ns.client, "atftp", *args, "-g", "-r", remote, "-l", local, ip, "69")


def fetch(ns, client, options, remote, local, expected, ip):
    if os.path.exists(local):
        os.unlink(local)
    start = time.monotonic()
    result = subprocess.run(client_command(ns, client, options, remote, local, ip), capture_output=True, timeout=900)
    elapsed = time.monotonic() - start
    ok = result.returncode == 0 and os.path.exists(local) and sha256(local) == expected
    os.unlink(local) if os.path.exists(local) else None
    return elapsed if ok else None


def scheduler_counters():
    """Machine-wide context switches, idle and total CPU ticks (/proc/stat), and the rescheduling
    and function-call IPIs (/proc/interrupts RES and CAL, summed over the CPUs)."""
    counters = {}
    with open("/proc/stat") as f:
        for line in f:
            fields = line.split()
            if fields[0] == "cpu":
                ticks = [int(x) for x in fields[1:]]
                counters["idle"] = ticks[3] + ticks[4]
                counters["total"] = sum(ticks[:8])
            elif fields[0] == "ctxt":
                counters["ctxt"] = int(fields[1])
    with open("/proc/interrupts") as f:
        cpus = len(f.readline().split())
        for line in f:
            fields = line.split()
            if fields and fields[0] in ("RES:", "CAL:"):
                counters[fields[0][:3]] = sum(int(x) for x in fields[1:1 + cpus] if x.isdigit())
    return counters


def concurrent(ns, clients, remote, size, expected, outdir, options, ip):
    procs, outs = [], []
    start = time.monotonic()
    for index in range(clients):
        local = os.path.join(outdir, f"c{index}")
        outs.append(local)
        procs.append(subprocess.Popen(client_command(ns, "atftp", options, remote, local, ip),
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    codes = [p.wait(timeout=1800) for p in procs]
    elapsed = time.monotonic() - start
    good = sum(1 for code, out in zip(codes, outs) if code == 0 and os.path.exists(out) and sha256(out) == expected)
    for out in outs:
        if os.path.exists(out):
            os.unlink(out)
    return elapsed, good, clients * size / elapsed / 1e6


NETBOOT_NICE = -10  # tftp-serve's default; --netboot-nice 0 runs it at the peers' priority


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=100)
    parser.add_argument("--reps", type=int, default=3, help="repetitions of each single-transfer scenario")
    # A concurrent run is short (about 4 s) and swings by ±10 % with the shared machine's state,
    # so it gets more repetitions than the single transfers.
    parser.add_argument("--concurrent-reps", type=int, default=5, help="repetitions of each concurrent run")
    parser.add_argument("--servers", default="netboot,atftpd,tftpd-hpa,dnsmasq")
    parser.add_argument("--concurrency", default="32:16,200:2", help="clients:MiB per run, comma-separated")
    parser.add_argument("--split-cores", action="store_true",
                        help="pin the servers to CPU 0 and the clients to the other CPUs")
    parser.add_argument("--netboot-nice", type=int, default=-10,
                        help="tftp-serve --nice (-10, its default, as shipped; 0: the peers' priority, like for like)")
    args = parser.parse_args()
    global NETBOOT_NICE
    NETBOOT_NICE = args.netboot_nice
    print(f"netboot runs at nice {NETBOOT_NICE}; the peers at 0", flush=True)
    if os.geteuid() != 0:
        sys.exit("bench needs root (network namespaces, apt-get)")
    servers = args.servers.split(",")
    work = tempfile.mkdtemp(prefix="tftp-bench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    root = os.path.join(work, "root")
    outdir = os.path.join(work, "out")
    os.makedirs(root)
    os.makedirs(outdir)
    os.chmod(work, 0o755)
    os.chmod(root, 0o755)
    size = args.size_mib << 20
    big = os.path.join(root, "big.bin")
    with open(big, "wb") as f:
        for _ in range(args.size_mib):
            f.write(os.urandom(1 << 20))
    expected = sha256(big)
    runs = []
    for spec in args.concurrency.split(","):
        clients, mib = (int(x) for x in spec.split(":"))
        path = os.path.join(root, f"c{mib}.bin")
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(os.urandom(mib << 20))
        runs.append((clients, mib, path))
    for path in os.listdir(root):
        os.chmod(os.path.join(root, path), 0o644)

    results = {}   # (server, scenario) -> MB/s or None
    installed_before = {p: sh("dpkg-query", "-W", "-f=${Status}", p, check=False).stdout.endswith("installed")
                        for p in ("atftpd", "tftpd-hpa")}
    # Peer binaries: install each package in turn, keep a copy of its daemon, remove it again.
    binaries = {"atftpd": "/usr/sbin/atftpd", "tftpd-hpa": "/usr/sbin/in.tftpd"}
    for kind, path in binaries.items():
        if kind not in servers:
            continue
        if not installed_before[kind]:
            print(f"# installing {kind} to copy {path}", flush=True)
            apt("install", "--no-install-recommends", kind)
            stop_system_service(kind)
        copy = os.path.join(work, os.path.basename(path))
        shutil.copy2(path, copy)
        binaries[kind] = copy
        if not installed_before[kind]:
            apt("remove", "--purge", kind)
    if args.split_cores and (os.cpu_count() or 1) < 2:
        sys.exit("--split-cores needs at least 2 CPUs")
    ns = Namespaces(split_cores=args.split_cores)
    started = []
    try:
        ns.up()
        for kind in servers:
            server = Server(kind, ns, root, work, binaries.get(kind))
            server.start()
            started.append(server)
        times = {}
        cpu = {}   # (server, scenario) -> [CPU seconds per MiB]
        by_kind = {server.kind: server for server in started}

        def charge(kind, label, before, mib):
            after = by_kind[kind].cpu_seconds()
            if before is not None and after is not None:
                cpu.setdefault((kind, label), []).append((after - before) / mib)

        for rep in range(args.reps):
            for label, client, options in SCENARIOS:
                for kind in servers:
                    before = by_kind[kind].cpu_seconds()
                    t = fetch(ns, client, options, "big.bin", os.path.join(outdir, "single"), expected,
                              SERVER_IPS[kind])
                    charge(kind, label, before, args.size_mib)
                    times.setdefault((kind, label), []).append(t)
                    print(f"rep {rep + 1} {kind:10} {label:24} " + (f"{size / t / 1e6:8.1f} MB/s" if t else "  FAILED"),
                          flush=True)
        for (kind, label), ts in times.items():
            good = [t for t in ts if t is not None]
            results[(kind, label)] = size / statistics.median(good) / 1e6 if len(good) == len(ts) else None
        rates = {}
        sched = {}  # (server, scenario) -> [(context switches per block, IPIs per block, idle %)]
        for rep in range(args.concurrent_reps):
            for clients, mib, path in runs:
                label = f"{clients} clients x {mib} MiB bs1468"
                for kind in servers:
                    before = by_kind[kind].cpu_seconds()
                    machine = scheduler_counters()
                    elapsed, good, rate = concurrent(ns, clients, os.path.basename(path), mib << 20, sha256(path),
                                                     outdir, ["blksize 1468"], SERVER_IPS[kind])
                    charge(kind, label, before, clients * mib)
                    after = scheduler_counters()
                    blocks = clients * ((mib << 20) // 1468 + 1)
                    delta = {k: after.get(k, 0) - machine.get(k, 0) for k in after}
                    sched.setdefault((kind, label), []).append(
                        (delta["ctxt"] / blocks, (delta.get("RES", 0) + delta.get("CAL", 0)) / blocks,
                         100 * delta["idle"] / max(1, delta["total"])))
                    rates.setdefault((kind, label), []).append(rate if good == clients else None)
                    print(f"rep {rep + 1} {kind:10} {label:24} {rate:8.1f} MB/s aggregate  "
                          f"({good}/{clients} ok, {elapsed:.2f}s)", flush=True)
        for key, values in rates.items():
            good = [v for v in values if v is not None]
            results[key] = statistics.median(good) if len(good) == len(values) else None
    finally:
        for server in started:
            server.stop()
        ns.down()
        shutil.rmtree(work, ignore_errors=True)

    # The report: MB/s per server and netboot / best peer at equal options.
    labels = [s[0] for s in SCENARIOS] + [f"{c} clients x {m} MiB bs1468" for c, m, _ in runs]
    peers = [s for s in servers if s != "netboot"]
    window_capable = {"netboot", "atftpd"}  # tftpd-hpa and dnsmasq ignore windowsize (they run lockstep)
    print()
    print(f"{'scenario':32}" + "".join(f"{s:>12}" for s in servers) + f"{'ratio':>10}  vs")
    for label in labels:
        row = f"{label:32}"
        for s in servers:
            rate = results.get((s, label))
            mark = "*" if "ws" in label and s not in window_capable else " "
            row += f"{(f'{rate:.1f}' if rate else 'fail') + mark:>12}"
        ours = results.get(("netboot", label))
        equal = [p for p in peers if results.get((p, label)) and ("ws" not in label or p in window_capable)]
        if ours and equal:
            best = max(equal, key=lambda p: results[(p, label)])
            row += f"{ours / results[(best, label)]:>9.2f}x  {best}"
        print(row)
    print("\nMB/s = 10^6 bytes/s, median of the repetitions (concurrent rows: aggregate); * = windowsize ignored by")
    print("that server (ran lockstep);")
    print("ratio = netboot / best peer that negotiated the same options.")
    print()
    print(f"{'server CPU, ms per MiB':32}" + "".join(f"{s:>12}" for s in servers))
    for label in labels:
        row = f"{label:32}"
        for s in servers:
            values = cpu.get((s, label))
            # tftpd-hpa serves each transfer in a child it does not wait for (SIGCHLD ignored),
            # so the kernel never adds the child's time to the daemon's: not measurable here.
            shown = values and s != "tftpd-hpa"
            row += f"{statistics.median(values) * 1000:12.1f}" if shown else f"{'n/a':>12}"
        print(row)
    print("\nuser + system time of the server process and its threads, median of the repetitions; clock ticks")
    print("are 10 ms, so small files read coarsely; n/a: tftpd-hpa's per-transfer children are not reaped.")
    print()
    print(f"{'machine, per DATA block':32}" + "".join(f"{s:>18}" for s in servers))
    for label in labels[len(SCENARIOS):]:
        row = f"{label:32}"
        for s in servers:
            values = sched.get((s, label))
            if values:
                ctxt, ipis, idle = (statistics.median(v[i] for v in values) for i in range(3))
                row += f"{f'{ctxt:.2f} {ipis:.3f} {idle:.0f}%':>18}"
            else:
                row += f"{'n/a':>18}"
        print(row)
    print("\ncontext switches, rescheduling + function-call IPIs (per DATA block) and idle CPU of the whole machine")
    print("during the run, clients included, median of the repetitions: when the clients share the server's")
    print("cores, these decide the aggregate rate (docs/tftp.md, \"Threads and their priority\").")


if __name__ == "__main__":
    main()
