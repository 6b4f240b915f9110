#!/usr/bin/python3
"""A virtual lab VLAN in which stock firmware network-boots (QEMU, TCG).

Topology, all inside network namespaces this script creates and always removes:

    [server ns]  srv0 203.0.113.1/24 ──veth── up0 ┐
                                                   br0 (bridge)   [lan ns]
                                    qemu ── tap0 ┘

The server namespace runs the boot services (netboot alone — DHCP, TFTP, HTTP — or dnsmasq as
the reference); the lan
namespace holds only a bridge and the VM's tap, so no other DHCP server can answer. The VM boots
with stock Debian firmware: SeaBIOS + iPXE (BIOS PXE) or OVMF (UEFI PXE, UEFI HTTP boot), and
loads the payload built by scripts/lab/build-payload, whose /init prints a marker on the serial
console and powers off.

Usage:
    scripts/lab/lab.py boot --firmware bios|uefi-pxe|uefi-http --server netboot|dnsmasq
    scripts/lab/lab.py demo

Addresses are 203.0.113.0/24 (TEST-NET-3, RFC 5737), only ever inside these namespaces.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MARKER = "NETBOOT-LAB-MARKER"
PREFIX = "203.0.113"
SERVER_IP = f"{PREFIX}.1"
LAB_CMDLINE = "console=ttyS0 panic=-1 quiet netboot.lab=1"
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"


def sh(*args, check=True):
    return subprocess.run(list(args), check=check, capture_output=True, text=True)


def log(message):
    print(f"lab: {message}", flush=True)


class Lab:
    """The namespaces, bridge, veth and tap; a context manager that tears everything down."""

    def __init__(self, workdir):
        tag = uuid.uuid4().hex[:6]
        self.server_ns = f"nblsrv{tag}"
        self.lan_ns = f"nbllan{tag}"
        self.workdir = workdir
        self.processes = []

    def __enter__(self):
        try:
            sh("ip", "netns", "add", self.server_ns)
            sh("ip", "netns", "add", self.lan_ns)
            sh("ip", "link", "add", "srv0", "netns", self.server_ns, "type", "veth",
               "peer", "name", "up0", "netns", self.lan_ns)
            sh("ip", "-n", self.server_ns, "link", "set", "lo", "up")
            sh("ip", "-n", self.server_ns, "addr", "add", f"{SERVER_IP}/24", "dev", "srv0")
            sh("ip", "-n", self.server_ns, "link", "set", "srv0", "up")
            sh("ip", "-n", self.lan_ns, "link", "set", "lo", "up")
            sh("ip", "-n", self.lan_ns, "link", "add", "br0", "type", "bridge")
            sh("ip", "-n", self.lan_ns, "link", "set", "up0", "master", "br0")
            sh("ip", "-n", self.lan_ns, "tuntap", "add", "dev", "tap0", "mode", "tap")
            sh("ip", "-n", self.lan_ns, "link", "set", "tap0", "master", "br0")
            for link in ("up0", "tap0", "br0"):
                sh("ip", "-n", self.lan_ns, "link", "set", link, "up")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        for ns in (self.lan_ns, self.server_ns):
            for pid in sh("ip", "netns", "pids", ns, check=False).stdout.split():
                sh("kill", "-9", pid, check=False)
            sh("ip", "netns", "del", ns, check=False)
        return False

    def spawn(self, ns, args, log_name):
        out = open(os.path.join(self.workdir, log_name), "w")
        process = subprocess.Popen(["ip", "netns", "exec", ns, *args], stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process


def payload_dir():
    out = os.path.join(REPO, "var", "lab", "payload")
    subprocess.run([os.path.join(REPO, "scripts", "lab", "build-payload")], check=True,
                   env={**os.environ, "OUT": out})
    return out


def prepare_root(workdir, payload):
    """The files the servers serve: payload, iPXE binaries and the iPXE scripts."""
    root = os.path.join(workdir, "root")
    os.makedirs(root, exist_ok=True)
    for name in ("vmlinuz", "initrd.img"):
        shutil.copy(os.path.join(payload, name), root)
    for name in ("undionly.kpxe", "ipxe.efi", "snponly.efi"):
        shutil.copy(os.path.join("/usr/lib/ipxe", name), root)
    cmdline = open(os.path.join(payload, "cmdline")).read().strip()
    for scheme in ("http", "tftp"):
        with open(os.path.join(root, f"boot-{scheme}.ipxe"), "w") as script:
            script.write("#!ipxe\n"
                         # initrd=: the EFI stub finds iPXE's initrd by name (ignored by BIOS).
                         f"kernel {scheme}://{SERVER_IP}/vmlinuz initrd=initrd.img {cmdline} netboot.lab=${{mac}}\n"
                         f"initrd {scheme}://{SERVER_IP}/initrd.img\n"
                         "boot\n")
    return root


def start_dnsmasq(lab, root, dhcp_only=False, script_scheme="http", pxe=True):
    """dnsmasq as the lab's DHCP server (and, unless dhcp_only, its TFTP server): the peer a
    user would pick instead, and the reference for boot-time ratios."""
    args = ["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--bind-interfaces",
            "--interface=srv0", f"--dhcp-range={PREFIX}.100,{PREFIX}.150,255.255.255.0,1h",
            "--log-dhcp", f"--pid-file={lab.workdir}/dnsmasq.pid",
            f"--dhcp-leasefile={lab.workdir}/dnsmasq.leases",
            "--dhcp-userclass=set:ipxe,iPXE",
            "--dhcp-match=set:efi64,option:client-arch,7",
            "--dhcp-match=set:efi64,option:client-arch,9",
            "--dhcp-match=set:efihttp,option:client-arch,16",
            f"--dhcp-boot=tag:ipxe,{script_scheme}://{SERVER_IP}/boot-{script_scheme}.ipxe",
            f"--dhcp-option-force=tag:efihttp,60,HTTPClient",
            f"--dhcp-boot=tag:efihttp,http://{SERVER_IP}/ipxe.efi"]
    if pxe:
        # Without these a PXE client gets an address but no boot file, so UEFI moves on to
        # HTTP boot (how the lab tests UEFI HTTP boot).
        args += ["--dhcp-boot=tag:!ipxe,tag:efi64,ipxe.efi",
                 "--dhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe"]
    if not dhcp_only:
        args += ["--enable-tftp", f"--tftp-root={root}"]
    lab.spawn(lab.server_ns, args, "dnsmasq.log")


def start_netboot(lab, root, binary):
    """The appliance alone serves the lab: authoritative DHCP with PXE/iPXE/HTTP-boot answers,
    TFTP and HTTP, over one images directory whose pxe/lab/ image iPXE is scripted to boot.
    Its command line is plain, as an admin writes it: the rendered script adds the
    `initrd=initrd.img` that UEFI's EFI stub needs."""
    image = os.path.join(root, "pxe", "lab")
    os.makedirs(image, exist_ok=True)
    for name in ("vmlinuz", "initrd.img"):
        os.link(os.path.join(root, name), os.path.join(image, name))
    config = os.path.join(lab.workdir, "netboot.yaml")
    with open(config, "w") as out:
        out.write(f"""state-dir: {lab.workdir}/var
images-dir: {root}
interfaces: [srv0]
logs: {{ dir: {lab.workdir}/log }}
dhcp:
  mode: authoritative
  subnets:
    - {{ subnet: {PREFIX}.0/24, range: [{PREFIX}.100, {PREFIX}.150], router: {SERVER_IP}, lease-time: 3600 }}
bsdp: {{ enabled: false }}
tftp: {{ root: {root} }}
http: {{ root: {root} }}
pxe:
  bios: undionly.kpxe
  uefi-x64: ipxe.efi
  http-boot-url: "http://{{server}}/ipxe.efi"
  ipxe-script-url: "http://{{server}}/boot/ipxe?mac={{mac}}"
  images:
    - {{ name: lab, kernel: vmlinuz, initrd: initrd.img, cmdline: "{LAB_CMDLINE}" }}
  default-image: lab
""")
    check = subprocess.run([binary, "config", "check", config], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"lab config rejected:\n{check.stdout}{check.stderr}")
    lab.spawn(lab.server_ns, [binary, "serve", "--config", config], "netboot.log")


def start_http_peer(lab, root):
    """A plain HTTP server for the dnsmasq reference run (dnsmasq has none)."""
    lab.spawn(lab.server_ns, ["/usr/bin/python3", "-m", "http.server", "80", "--bind", SERVER_IP,
                              "--directory", root], "http-peer.log")


def wait_for_port(lab, proto, port, timeout=20):
    flag = "-lun" if proto == "udp" else "-ltn"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = sh("ip", "netns", "exec", lab.server_ns, "ss", flag, check=False).stdout
        if f":{port} " in out:
            return True
        time.sleep(0.2)
    return False


def qemu_command(lab, firmware):
    args = ["qemu-system-x86_64", "-m", "256", "-nographic", "-no-reboot", "-serial", "stdio",
            "-monitor", "none", "-display", "none",
            "-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no"]
    if firmware == "bios":
        args += ["-device", "virtio-net-pci,netdev=n0,mac=52:54:00:4e:42:01", "-boot", "n"]
    else:
        vars_copy = os.path.join(lab.workdir, "OVMF_VARS.fd")
        shutil.copy(OVMF_VARS, vars_copy)
        # romfile= empty: OVMF's own network stack (PXE / HTTP boot), not the NIC's iPXE ROM.
        args += ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
                 "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}",
                 "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:4e:42:02,romfile=,bootindex=1"]
        if firmware == "uefi-http":
            # OVMF tries PXE (IPv4, then IPv6 with long timeouts) before HTTP boot; switch PXE
            # off through OVMF's fw_cfg knobs so the test boots straight over HTTP.
            args += ["-fw_cfg", "name=opt/org.tianocore/IPv4PXESupport,string=n",
                     "-fw_cfg", "name=opt/org.tianocore/IPv6PXESupport,string=n"]
    return args


def boot(lab, firmware, timeout):
    """Boots the VM and waits for the marker. Returns (seconds, console text)."""
    console_path = os.path.join(lab.workdir, f"console-{firmware}.log")
    start = time.monotonic()
    with open(console_path, "w") as console:
        process = subprocess.Popen(["ip", "netns", "exec", lab.lan_ns, *qemu_command(lab, firmware)],
                                   stdout=console, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        lab.processes.append(process)
        seen = False
        while time.monotonic() - start < timeout:
            with open(console_path, errors="replace") as current:
                if f"{MARKER} done" in current.read():
                    seen = True
                    break
            if process.poll() is not None:
                break
            time.sleep(0.5)
        elapsed = time.monotonic() - start
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    text = open(console_path, errors="replace").read()
    return (elapsed if seen else None), text


def start_capture(lab, binary):
    """`netboot capture` on the server's side of the link, for the demo's decoded exchange."""
    pcap = os.path.join(lab.workdir, "boot.pcap")
    process = lab.spawn(lab.server_ns, [binary, "capture", "-i", "srv0", "-w", pcap], "capture.log")
    return process, pcap


def decode_capture(binary, process, pcap):
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    if not os.path.exists(pcap):
        return "(no capture was written)"
    lines = subprocess.run([binary, "decode", pcap], capture_output=True, text=True).stdout.splitlines()
    # The boot protocols; HTTP's TCP segments are summarised by the server's access log below.
    packets = "\n".join(line for line in lines if " other " not in line)
    conversations = subprocess.run([binary, "decode", "--conversations", pcap], capture_output=True,
                                   text=True).stdout
    return f"{conversations}\n{packets}"


def run_boot(firmware, server, binary=None, timeout=240, keep=False, tour=False):
    """Boots `firmware` from `server`; returns (seconds or None, text). With `tour`, the text is
    a newcomer's tour: console, the exchange decoded by `netboot decode`, the server's log."""
    workdir = tempfile.mkdtemp(prefix="netboot-lab-")
    try:
        payload = payload_dir()
        root = prepare_root(workdir, payload)
        with Lab(workdir) as lab:
            pxe = firmware != "uefi-http"
            if server == "dnsmasq":
                start_dnsmasq(lab, root, script_scheme="tftp", pxe=pxe)
                if not pxe:
                    start_http_peer(lab, root)
                ready = wait_for_port(lab, "udp", 67)
            else:
                start_netboot(lab, root, binary)
                ready = wait_for_port(lab, "udp", 67) and wait_for_port(lab, "udp", 69) \
                    and wait_for_port(lab, "tcp", 80)
            if not ready:
                return None, "servers did not start:\n" + logs(workdir)
            capture = start_capture(lab, binary) if tour else None
            if capture:
                time.sleep(1)
            seconds, console = boot(lab, firmware, timeout)
            if not capture:
                return seconds, console + "\n" + logs(workdir)
            wire = decode_capture(binary, *capture)
            marker = [line for line in console.splitlines() if MARKER in line]
            return seconds, "\n".join([
                "== 1. The VM's serial console (the payload's marker lines)", *marker, "",
                "== 2. What crossed the wire, decoded by `netboot decode` (--conversations, then per packet)",
                wire, "== 3. The servers' log lines", logs(workdir)])
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def logs(workdir):
    text = []
    for name in sorted(os.listdir(workdir)):
        if name.endswith(".log") and not name.startswith("console"):
            with open(os.path.join(workdir, name), errors="replace") as f:
                text.append(f"--- {name}\n{f.read()[-4000:]}")
    return "\n".join(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("boot", help="boot one VM and wait for the marker")
    b.add_argument("--firmware", choices=["bios", "uefi-pxe", "uefi-http"], default="bios")
    b.add_argument("--server", choices=["netboot", "dnsmasq"], default="netboot")
    b.add_argument("--timeout", type=int, default=240)
    b.add_argument("--keep", action="store_true", help="keep the work directory")
    sub.add_parser("demo", help="a newcomer's tour: BIOS PXE boot from the appliance")
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so the namespaces and QEMU are removed on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if os.geteuid() != 0:
        sys.exit("lab: needs root (network namespaces, tap devices)")
    binary = os.environ.get("NETBOOT_BIN") or os.path.join(REPO, ".build", "debug", "netboot")
    if args.command == "demo":
        args.firmware, args.server, args.timeout, args.keep = "bios", "netboot", 300, False
    seconds, output = run_boot(args.firmware, args.server, binary, args.timeout, args.keep,
                               tour=args.command == "demo")
    print(output)
    if seconds is None:
        log(f"{args.firmware} boot via {args.server}: no marker")
        sys.exit(1)
    log(f"{args.firmware} boot via {args.server}: marker after {seconds:.1f}s")


if __name__ == "__main__":
    main()
