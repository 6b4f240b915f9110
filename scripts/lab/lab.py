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
    scripts/lab/lab.py deploy [--fault checksum [--bench] | --fault used-token] [--restart-appliance] [--keep]
    scripts/lab/lab.py fallthrough [--nbp snponly.efi|ipxe.efi] [--ipv6] [--timeout S]

`deploy` is the zero-touch deployment (docs/lab.md "Deployment"): an unknown OVMF VM with an
empty 2 GiB disk boots the runner initramfs (scripts/lab/build-runner-initrd) from the
appliance, enrolls through the bridge, applies the disk image (scripts/lab/build-disk-image),
restarts into it, resumes, and a second run captures the disk back to the appliance.

Addresses are 203.0.113.0/24 (TEST-NET-3, RFC 5737), only ever inside these namespaces.
"""
import argparse
import json
import os
import re
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


def serve_checked(lab, binary, config, log_name="netboot.log"):
    """`netboot config check` the lab's config (a rejected one names file:line:col), then `netboot serve` it."""
    check = subprocess.run([binary, "config", "check", config], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"lab config rejected:\n{check.stdout}{check.stderr}")
    return lab.spawn(lab.server_ns, [binary, "serve", "--config", config], log_name)


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
    serve_checked(lab, binary, config)


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


DISK_MARKER = "NETBOOT-LAB-DISK"
DEPLOY_MAC = "52:54:00:4e:42:17"
IMAGE_NAME = "lab-disk"
CAPTURE_NAME = "lab-captured"
DEPLOY_SEQUENCE = """name: lab-deploy
steps:
  - {{type: applyImage, id: apply, name: apply image, image: {image}, destination: /dev/vda}}
  - {{type: setHostname, id: host, name: set hostname, hostname: "%OSDComputerName%"}}
  - {{type: runScript, id: probe, name: probe with tsvar, package: lab-probe, script: run.sh}}
  - {{type: restart, id: restart, name: restart into the disk}}
  - {{type: runScript, id: after, name: after the restart, package: lab-after, script: run.sh}}
"""
CAPTURE_SEQUENCE = """name: lab-capture
steps:
  - type: captureImage
    id: capture
    name: capture the deployed disk
    share: '\\\\\\\\appliance\\\\images'
    account: imaging
    directory: {name}
    sourceDisk: /dev/vda
    extent: partitions
"""
DEPLOY_INVENTORY = """collections:
  - name: Unknown Computers
    variables:
      OSDComputerName: {hostname}
      PmmOSDCaptureAccountPassword:
        value: {secret}
        secret: true
deployments:
  - sequence: lab-deploy
    collection: Unknown Computers
  - sequence: lab-capture
    collection: Unknown Computers
"""


def deploy_payload(runner, tsvar):
    """Kernel (build-payload), the runner's initramfs and the disk image, all from Debian packages."""
    payload = payload_dir()
    env = {**os.environ, "OUT": payload, "RUNNER": runner, "TSVAR": tsvar,
           "LAB_CACHE": os.path.join(REPO, "var", "lab", "cache")}
    subprocess.run([os.path.join(REPO, "scripts", "lab", "build-runner-initrd")], check=True, env=env)
    disk_dir = os.path.join(REPO, "var", "lab", "disk")
    subprocess.run([os.path.join(REPO, "scripts", "lab", "build-disk-image")], check=True,
                   env={**env, "OUT": disk_dir})
    return payload, os.path.join(disk_dir, "lab-disk.img.gz")


class Console:
    """A VM's serial console file, with the host time each awaited line first appeared; with
    `echo`, each new marker line (and the runner's step lines) is printed as it arrives."""

    def __init__(self, path, echo=None):
        self.path = path
        self.seen = {}
        self.echo = echo
        self.echoed = 0

    def text(self):
        try:
            with open(self.path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def note(self, needles):
        text = self.text()
        if self.echo:
            complete = text[:text.rfind("\n") + 1]
            for line in complete[self.echoed:].splitlines():
                if MARKER in line or DISK_MARKER in line or " step " in line:
                    self.echo("vm: " + line.strip()[:200])
            self.echoed = len(complete)
        for needle in needles:
            if needle not in self.seen and needle in text:
                self.seen[needle] = time.monotonic()
        return text


def run_vm(lab, name, args, console, until, watch, timeout, fail=(), during=None):
    """Runs QEMU until one of `until` is on the console, QEMU exits or `timeout` passes; notes the
    time of each line in `watch`; `during(text)` is called at each look at the console (a fault
    to inject at the right moment). Returns True when a line of `until` was seen."""
    with open(console.path, "a") as out:
        process = subprocess.Popen(["ip", "netns", "exec", lab.lan_ns, *args], stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    lab.processes.append(process)
    start = time.monotonic()
    console.seen[f"{name} start"] = start
    done = False
    while time.monotonic() - start < timeout:
        text = console.note([*watch, *until, *fail])
        if during:
            during(text)
        if any(line in text for line in until) or any(line in text for line in fail):
            done = any(line in text for line in until)
            break
        if process.poll() is not None:
            break
        time.sleep(0.5)
    # Give QEMU a moment to exit by itself (poweroff, reboot with -no-reboot), then stop it.
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    console.note([*watch, *until, *fail])
    console.seen[f"{name} end"] = time.monotonic()
    return done


def deploy_qemu(lab, disk, mac, network_first, vars_copy):
    return ["qemu-system-x86_64", "-m", "1024", "-nographic", "-no-reboot", "-serial", "stdio",
            "-monitor", "none", "-display", "none",
            "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
            "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}",
            "-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no",
            "-device", f"virtio-net-pci,netdev=n0,mac={mac},romfile=,bootindex={1 if network_first else 2}",
            # No IPv6 network stack in OVMF: the NIC's boot options are then PXEv4 and HTTPv4 only.
            # With it, OVMF also tries the NIC's "UEFI HTTPv6" option after the appliance's `exit 1`,
            # which waits 68 s for a DHCPv6 server this lab (and the appliance) does not have
            # (docs/lab.md "Network-first restart"). The lab has no IPv6 boot path to lose.
            "-fw_cfg", "name=opt/org.tianocore/IPv6Support,string=n",
            "-fw_cfg", "name=opt/org.tianocore/IPv6PXESupport,string=n",
            "-drive", f"if=none,id=d0,format=raw,cache=unsafe,file={disk}",
            "-device", f"virtio-blk-pci,drive=d0,bootindex={2 if network_first else 1}"]


class ApplianceRestart:
    """Fault: the appliance is killed (SIGKILL: no goodbye to any connection) while the VM streams
    its image, and started again with the same state directory and config. Deterministic, no
    sleeps: once the runner starts, the lab slows the server's side of the link to 1 MB/s
    (`tc tbf` on srv0), so the 11 MB image takes at least 10 s to send; the kill comes when the
    kernel says a connection opened since the runner started has had 1 MiB acknowledged (`ss
    -ti`, bytes_acked) — the image's GET, the only large one — i.e. in its middle; the throttle
    goes when the appliance is back."""

    def __init__(self, lab, binary, config, process, say):
        self.lab, self.binary, self.config, self.process, self.say = lab, binary, config, process, say
        self.state = "waiting for the runner"
        self.result = {}

    def __call__(self, text):
        if self.state == "waiting for the runner" and f"{MARKER} runner: starting" in text:
            sh("ip", "netns", "exec", self.lab.server_ns, "tc", "qdisc", "add", "dev", "srv0", "root",
               "tbf", "rate", "8mbit", "burst", "64kb", "latency", "1s")
            self.before = set(http_connections(self.lab))
            self.state = "throttled"
        elif self.state == "throttled":
            fresh = [acked for peer, acked in http_connections(self.lab).items() if peer not in self.before]
            if fresh and max(fresh) >= 1 << 20:
                self.restart(max(fresh))

    def restart(self, acked):
        self.say(f"fault: killing the appliance (SIGKILL) with {acked} bytes of the image sent")
        killed = time.monotonic()
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = serve_checked(self.lab, self.binary, self.config, "netboot-restarted.log")
        ready = all(wait_for_port(self.lab, proto, port) for proto, port in
                    (("udp", 67), ("udp", 69), ("tcp", 80), ("tcp", 8761)))
        sh("ip", "netns", "exec", self.lab.server_ns, "tc", "qdisc", "del", "dev", "srv0", "root", check=False)
        self.result = {"bytes_acked_at_kill": acked, "down_seconds": time.monotonic() - killed, "ready": ready}
        self.say(f"fault: the appliance is back after {self.result['down_seconds']:.1f} s (same state dir, same config)")
        self.state = "restarted"


def http_connections(lab):
    """The appliance's established HTTP connections: {peer address:port: bytes the peer acknowledged}
    (`ss -tni`). iPXE leaves its connections (the kernel's and initramfs's downloads) open when it
    boots the kernel, so the lab tells the image's connection from them by its peer port."""
    out = sh("ip", "netns", "exec", lab.server_ns, "ss", "-tniH", "state", "established", "( sport = :80 )",
             check=False).stdout
    connections, peer = {}, None
    for line in out.splitlines():
        if line and not line[0].isspace():
            peer = line.split()[-1]
            connections[peer] = 0
        elif peer and (acked := re.search(r"bytes_acked:(\d+)", line)):
            connections[peer] = int(acked.group(1))
    return connections


def start_deploy_appliance(lab, root, binary, cmdline_extra, image_file):
    """netboot serve with the bridge: DHCP, TFTP, HTTP (images-dir = HTTP root, so the runner
    streams disk/NAME from it), the lab-deploy sequence deployed to Unknown Computers."""
    work = lab.workdir
    image = os.path.join(root, "pxe", "lab")
    os.makedirs(image, exist_ok=True)
    for name in ("vmlinuz", "initrd.img"):
        if not os.path.exists(os.path.join(image, name)):
            os.link(os.path.join(root, name), os.path.join(image, name))
    config = os.path.join(work, "netboot.yaml")
    with open(config, "w") as out:
        out.write(f"""state-dir: {work}/var
images-dir: {root}
interfaces: [srv0]
logs: {{ dir: {work}/log }}
dhcp:
  mode: authoritative
  subnets:
    - {{ subnet: {PREFIX}.0/24, range: [{PREFIX}.100, {PREFIX}.150], router: {SERVER_IP}, lease-time: 3600 }}
bsdp: {{ enabled: false }}
tftp: {{ root: {root} }}
http: {{ root: {root} }}
bridge:
  enabled: true
  boot-enrollment: true
  listen-address: {SERVER_IP}
  sequences-dir: {work}/sequences
  inventory: {work}/inventory.yaml
pxe:
  # snponly.efi, not ipxe.efi: Debian's ipxe.efi never hands control back to OVMF after the
  # local-disk script's `exit 1` (docs/lab.md "Network-first restart"); snponly.efi does at once.
  uefi-x64: snponly.efi
  bios: undionly.kpxe
  http-boot-url: "http://{{server}}/snponly.efi"
  ipxe-script-url: "http://{{server}}/boot/ipxe?mac={{mac}}"
  images:
    - {{ name: lab, kernel: vmlinuz, initrd: initrd.img, cmdline: "{LAB_CMDLINE} {cmdline_extra}" }}
  default-image: lab
""")
    process = serve_checked(lab, binary, config)
    ready = all(wait_for_port(lab, proto, port) for proto, port in
                (("udp", 67), ("udp", 69), ("tcp", 80), ("tcp", 8761)))
    if not ready:
        raise RuntimeError("the appliance did not start:\n" + logs(work))
    return config, process


def ts_runs(binary, state, *args):
    out = subprocess.run([binary, "ts", "runs", *args, "--json", "--state-dir", state], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"netboot ts runs {' '.join(args)}: {out.stderr}")
    return json.loads(out.stdout)


def boot_script(lab, mac):
    """The iPXE script the appliance renders for `mac`, fetched from the server namespace."""
    out = sh("ip", "netns", "exec", lab.server_ns, "curl", "-s", "--max-time", "5",
             f"http://{SERVER_IP}/boot/ipxe?mac={mac}", check=False)
    return out.stdout


def disk_file(disk, path, partition=2):
    """A file of the VM disk's ext4 root, read with debugfs at the partition's offset (no mount)."""
    listed = sh("sfdisk", "--json", disk, check=False)
    if listed.returncode != 0:
        return None  # no partition table: nothing was applied
    table = json.loads(listed.stdout)["partitiontable"]
    if len(table.get("partitions", [])) < partition:
        return None
    start = table["partitions"][partition - 1]["start"] * table.get("sectorsize", 512)
    out = sh("debugfs", "-R", f"cat {path}", f"{disk}?offset={start}", check=False)
    return out.stdout if out.returncode == 0 else None


def run_deploy(binary, runner, tsvar, timeout=900, keep=False, fault=None, bench=False, say=log, tour=False,
               restart_appliance=False):
    """Zero-touch deployment of one VM on the appliance alone (issue 17 item 4). Returns a dict:
    ok, phases (seconds), run (netboot ts runs show --json), console, hostname (read from the
    disk), appliance log. `fault`: "checksum" makes the image's recorded SHA-256 wrong on the
    appliance; "used-token" spends the enrollment token before the VM boots. `bench`: when the
    runner ends in the initramfs (a fault), the initramfs then writes the same image with busybox
    `wget -O- | gunzip | dd` to the same disk (`wget`: seconds, dd's line) — the reference for
    the runner's apply rate, same VM, same appliance, same boot. `restart_appliance`: the
    appliance is killed and started again while the VM streams its image (`ApplianceRestart`)."""
    workdir = tempfile.mkdtemp(prefix="netboot-lab-deploy-")
    result = {"ok": False, "phases": {}, "workdir": workdir}
    try:
        say("building the payload (kernel, runner initramfs, disk image) from Debian packages")
        payload, image = deploy_payload(runner, tsvar)
        root = os.path.join(workdir, "root")
        os.makedirs(root)
        shutil.copy(os.path.join(payload, "vmlinuz"), root)
        shutil.copy(os.path.join(payload, "initrd-runner.img"), os.path.join(root, "initrd.img"))
        for name in ("undionly.kpxe", "snponly.efi"):
            shutil.copy(os.path.join("/usr/lib/ipxe", name), root)
        added = subprocess.run([binary, "images", "add", image, "--name", IMAGE_NAME, "--images-dir", root, "--json"],
                               capture_output=True, text=True)
        if added.returncode != 0:
            raise RuntimeError(f"netboot images add: {added.stdout}{added.stderr}")
        result["raw_bytes"] = json.load(open(os.path.join(root, "disk", f"{IMAGE_NAME}.json")))["rawSize"]
        say(f"image registered: netboot images add {os.path.basename(image)} --name {IMAGE_NAME} "
            f"({result['raw_bytes']} bytes raw)")
        if fault == "checksum":
            record_path = os.path.join(root, "disk", f"{IMAGE_NAME}.json")
            record = json.load(open(record_path))
            record["sha256"] = "0" * 64
            json.dump(record, open(record_path, "w"))
            say("fault: the image's SHA-256 on the appliance is wrong")
        hostname = "lab-" + uuid.uuid4().hex[:6]
        os.makedirs(os.path.join(workdir, "sequences"))
        with open(os.path.join(workdir, "sequences", "lab-deploy.yaml"), "w") as f:
            f.write(DEPLOY_SEQUENCE.format(image=IMAGE_NAME))
        with open(os.path.join(workdir, "sequences", "lab-capture.yaml"), "w") as f:
            f.write(CAPTURE_SEQUENCE.format(name=CAPTURE_NAME))
        with open(os.path.join(workdir, "inventory.yaml"), "w") as f:
            f.write(DEPLOY_INVENTORY.format(hostname=hostname, secret="capture-" + uuid.uuid4().hex))
        state = os.path.join(workdir, "var")
        token = subprocess.run([binary, "tokens", "issue", "--role", "enrollment", "--label", "lab VM",
                                "--state-dir", state], capture_output=True, text=True, check=True).stdout.strip()
        result["token"] = token
        disk = os.path.join(workdir, "disk.raw")
        with open(disk, "wb") as f:
            f.truncate(2 << 30)
        vars_copy = os.path.join(workdir, "OVMF_VARS.fd")
        shutil.copy(OVMF_VARS, vars_copy)
        console = Console(os.path.join(workdir, "console-deploy.log"), echo=say if tour else None)
        result["console_path"] = console.path
        with Lab(workdir) as lab:
            # The lab's own one-time token; an appliance that mints one per boot script appends its
            # own netboot.token= after this line, and the initramfs takes the last. The used-token
            # fault presents the lab's spent token as netboot.lab_token=, which the initramfs prefers.
            extra = f"netboot.token={token} netboot.sequence=lab-deploy"
            if fault == "used-token":
                extra += f" netboot.lab_token={token}"
            if bench:
                record = json.load(open(os.path.join(root, "disk", f"{IMAGE_NAME}.json")))
                extra += f" netboot.lab_bench=wget netboot.lab_image={record['file']}"
            config, appliance = start_deploy_appliance(lab, root, binary, extra, image)
            restart = ApplianceRestart(lab, binary, config, appliance, say) if restart_appliance else None
            say(f"appliance up: DHCP, TFTP, HTTP, bridge; lab-deploy deployed to Unknown Computers, "
                f"OSDComputerName={hostname}")
            if fault == "used-token":
                # The token is spent by someone else first: the VM's enrollment must be refused.
                spend = sh("ip", "netns", "exec", lab.server_ns, "curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}",
                           "-X", "POST", "-H", f"Authorization: Bearer {token}", "-H", "Content-Type: application/json",
                           "--data", '{"mac": "02:00:00:00:17:17"}', f"https://{SERVER_IP}:8761/v1/enroll", check=False)
                say(f"fault: the enrollment token was used first (HTTP {spend.stdout})")
            watch = [f"{MARKER} booted:", f"{MARKER} network:", f"{MARKER} runner: starting",
                     f"{MARKER} probe:", f"{MARKER} restart:", f"{DISK_MARKER} booted from disk",
                     f"{MARKER} resume: starting", f"{MARKER} after-restart:", f"{MARKER} resume exited",
                     f"{MARKER} capture run: starting", f"{MARKER} capture run exited", f"{DISK_MARKER} done"]
            say("phase 1: the VM network-boots (OVMF → snponly.efi → iPXE script → kernel + runner initramfs)")
            first = run_vm(lab, "network", deploy_qemu(lab, disk, DEPLOY_MAC, True, vars_copy), console,
                           until=[f"{MARKER} restart: runner and journal"], watch=watch, timeout=timeout,
                           fail=[f"{MARKER} wget-apply:" if bench else f"{MARKER} runner exited"], during=restart)
            if restart:
                result["appliance_restart"] = {"state": restart.state, **restart.result}
            if first:
                # The appliance's decision (docs/pxe.md "Boot decisions"): once the run has applied
                # its image, its script for this MAC says `exit 1` (local disk). The VM restarts
                # network first, as the issue asks: OVMF PXE → snponly.efi → that script → back to
                # OVMF, which goes on to the NIC's HTTPv4 option (the same answer) and then the disk.
                script = boot_script(lab, DEPLOY_MAC)
                local = "\nexit 1\n" in script
                result["local_boot_decision"] = local
                say("phase 2: the VM restarts network first; the appliance's script for it says "
                    + ("exit 1: local disk" if local else "the menu"))
                run_vm(lab, "disk", deploy_qemu(lab, disk, DEPLOY_MAC, True, vars_copy), console,
                       until=[f"{DISK_MARKER} done"], watch=watch, timeout=timeout)
            runs = ts_runs(binary, state)["runs"]
            deploys = [run for run in runs if run.get("sequence") == "lab-deploy"]
            captures = [run for run in runs if run.get("sequence") == "lab-capture"]
            if deploys:
                result["run"] = ts_runs(binary, state, "show", deploys[0]["id"])
            if captures:
                result["capture_run"] = ts_runs(binary, state, "show", captures[0]["id"])
            listed = subprocess.run([binary, "images", "list", "--json", "--config", config], capture_output=True, text=True)
            try:
                result["disk_images"] = [image["name"] for image in json.loads(listed.stdout).get("diskImages", [])]
            except ValueError:
                result["disk_images"] = []
            result["boot_script_after"] = boot_script(lab, DEPLOY_MAC)
        result["console"] = console.text()
        result["restart_boot"] = restart_boot(result["console"])
        if bench:
            result["wget"] = wget_reference(result["console"])
        result["appliance_log"] = logs(workdir)
        result["boot_decisions"], result["image_requests"], result["enrollments"] = [], [], []
        for name in ("netboot.log", "netboot-restarted.log"):
            if os.path.exists(os.path.join(workdir, name)):
                with open(os.path.join(workdir, name), errors="replace") as f:
                    for line in f:
                        if "boot decision for" in line or "enrolled" in line:
                            result["boot_decisions" if "boot decision" in line else "enrollments"].append(line.strip())
                        if f"/disk/{IMAGE_NAME}.img" in line:
                            result["image_requests"].append(f"{name}: {line.strip()}")
        result["hostname"] = disk_file(disk, "/etc/hostname")
        result["expected_hostname"] = hostname
        result["phases"] = phases(console.seen, result.get("run"))
        result["ok"] = bool(result.get("run")) and result["run"].get("state") == "succeeded" \
            and f"{DISK_MARKER} booted from disk: hostname={hostname}" in result["console"]
        return result
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def restart_boot(console_text):
    """What the firmware did between the runner's restart and the disk's init: OVMF's boot
    manager lines (`BdsDxe: loading|starting|failed to load|failed to start BootNNNN "name"`)
    and iPXE's local-disk echo, in order — the network-first fall-through, as seen on the console."""
    start = console_text.find(f"{MARKER} restart:")
    if start < 0:
        return []
    end = console_text.find(f"{DISK_MARKER} booted from disk", start)
    section = console_text[start:end if end >= 0 else len(console_text)]
    seen = []
    for found in re.finditer(r'BdsDxe: (loading|starting|failed to load|failed to start) (Boot[0-9A-F]{4}) "([^"]*)"'
                             r'|netboot: booting from the local disk', section):
        seen.append(f"{found.group(1)} {found.group(2)} {found.group(3)}" if found.group(1) else "ipxe: local disk")
    return seen


def wget_reference(console_text):
    """The busybox reference the runner initramfs ran after the runner (`netboot.lab_bench=wget`):
    the same image from the same appliance written with `wget -O- | gunzip | dd` to the same disk."""
    found = re.search(rf"{MARKER} wget-apply: (.*) start=([0-9.]+) end=([0-9.]+)", console_text)
    if not found:
        return {"error": "no wget-apply marker on the console"}
    return {"seconds": float(found.group(3)) - float(found.group(2)), "dd": found.group(1).strip()}


def phases(seen, run):
    """The phases' times from the console's first sightings (host clock) and the run's steps."""
    def between(a, b):
        return seen[b] - seen[a] if a in seen and b in seen else None
    out = {
        "network boot": between("network start", f"{MARKER} runner: starting"),
        "run in the initramfs (apply, hostname, probe)": between(f"{MARKER} runner: starting", f"{MARKER} restart:"),
        "reboot to disk": between(f"{MARKER} restart:", f"{DISK_MARKER} booted from disk"),
        "resume to done": between(f"{DISK_MARKER} booted from disk", f"{MARKER} resume exited"),
        "capture run (second run, disk to the appliance)": between(f"{MARKER} capture run: starting",
                                                                   f"{MARKER} capture run exited"),
    }
    steps = (run or {}).get("steps") or []
    first = steps[0] if steps else {}
    if first.get("started_at_milliseconds") is not None and first.get("finished_at_milliseconds") is not None:
        out["image apply"] = (first["finished_at_milliseconds"] - first["started_at_milliseconds"]) / 1000
    return out


def logs(workdir):
    text = []
    for name in sorted(os.listdir(workdir)):
        if name.endswith(".log") and not name.startswith("console"):
            with open(os.path.join(workdir, name), errors="replace") as f:
                text.append(f"--- {name}\n{f.read()[-4000:]}")
    return "\n".join(text)


def deploy_tour(binary, args):
    """`make demo-deploy`: the deployment with its steps as they happen, the run's table, the
    phases' times."""
    bin_dir = os.path.dirname(binary)
    runner = os.environ.get("NETBOOT_RUNNER") or os.path.join(bin_dir, "netboot-runner")
    tsvar = os.environ.get("NETBOOT_TSVAR") or os.path.join(bin_dir, "tsvar")
    result = run_deploy(binary, runner, tsvar, keep=args.keep, fault=args.fault, bench=args.bench, tour=True,
                        restart_appliance=args.restart_appliance)
    run = result.get("run")
    if run:
        log(f"run {run['id']}: {run['state']}, {run.get('steps_done')} of {run.get('steps_total')} steps done")
        for step in run.get("steps", []):
            start, end = step.get("started_at_milliseconds"), step.get("finished_at_milliseconds")
            took = f"{(end - start) / 1000:6.1f} s" if start is not None and end is not None else "      -"
            log(f"  {step.get('name', '?'):<28} {step.get('state', '?'):<10} {took}  {step.get('message') or ''}")
    log(f"disk's hostname: {(result.get('hostname') or '(unreadable)').strip()}")
    if result.get("restart_boot"):
        log("network-first restart: " + " → ".join(result["restart_boot"]))
    if result.get("appliance_restart"):
        log(f"appliance restart during the apply: {result['appliance_restart']}")
    for name, seconds in result["phases"].items():
        log(f"phase {name:<46} " + (f"{seconds:6.1f} s" if seconds is not None else "     -"))
    apply = result["phases"].get("image apply")
    raw = result.get("raw_bytes") or 0
    if apply:
        log(f"image apply rate in the VM: {raw / apply / 1e6:.1f} MB/s (runner: gzip, SHA-256 checked)")
    wget = result.get("wget")
    if wget and wget.get("seconds"):
        log(f"busybox wget | gunzip | dd of the same image in the same boot: {wget['seconds']:.1f} s, "
            f"{raw / wget['seconds'] / 1e6:.1f} MB/s")
    if args.keep:
        log(f"work directory kept: {result['workdir']}")
    log("deployed" if result["ok"] else "NOT deployed")
    return 0 if result["ok"] or args.fault else 1


def fallthrough(nbp, ipv6, timeout=300):
    """The network-first fall-through probe behind docs/lab.md "Network-first restart under OVMF":
    an OVMF VM, NIC first, whose disk already holds the lab image, boots from dnsmasq, which hands
    out `nbp` (an iPXE build from /usr/lib/ipxe) and a script that says `exit 1`. Prints the
    console's boot-manager and iPXE lines with the seconds since QEMU started, until the disk's
    marker or `timeout`. `ipv6`: leave OVMF's IPv6 stack on (its HTTPv6 option)."""
    import gzip
    import threading
    workdir = tempfile.mkdtemp(prefix="netboot-lab-fallthrough-")
    try:
        payload_dir()
        disk_dir = os.path.join(REPO, "var", "lab", "disk")
        subprocess.run([os.path.join(REPO, "scripts", "lab", "build-disk-image")], check=True,
                       env={**os.environ, "OUT": disk_dir, "LAB_CACHE": os.path.join(REPO, "var", "lab", "cache")})
        root = os.path.join(workdir, "root")
        os.makedirs(root)
        shutil.copy(os.path.join("/usr/lib/ipxe", nbp), os.path.join(root, "ipxe.efi"))
        with open(os.path.join(root, "boot-http.ipxe"), "w") as script:
            script.write("#!ipxe\necho netboot: booting from the local disk\nexit 1\n")
        disk = os.path.join(workdir, "disk.raw")
        with gzip.open(os.path.join(disk_dir, "lab-disk.img.gz")) as src, open(disk, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
            dst.truncate(2 << 30)
        vars_copy = os.path.join(workdir, "OVMF_VARS.fd")
        shutil.copy(OVMF_VARS, vars_copy)
        with Lab(workdir) as lab:
            start_dnsmasq(lab, root, script_scheme="http")
            start_http_peer(lab, root)
            if not wait_for_port(lab, "udp", 67):
                return 1
            args = deploy_qemu(lab, disk, DEPLOY_MAC, True, vars_copy)
            if ipv6:
                knob = args.index("name=opt/org.tianocore/IPv6Support,string=n")
                del args[knob - 1:knob + 1]
            process = subprocess.Popen(["ip", "netns", "exec", lab.lan_ns, *args], stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
            lab.processes.append(process)
            start = time.monotonic()
            lines = []

            def read():
                for raw in iter(process.stdout.readline, b""):
                    for part in re.split(r"[\r\n]+", raw.decode(errors="replace")):
                        found = re.search(r"BdsDxe|>>Start|netboot:|No more|Error|NETBOOT-LAB-DISK", part)
                        if found:
                            lines.append(f"{time.monotonic() - start:7.1f} s  {part[found.start():].strip()[:150]}")
                            print(lines[-1], flush=True)
            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            while time.monotonic() - start < timeout and process.poll() is None:
                if any(f"{DISK_MARKER} booted" in line for line in lines):
                    break
                time.sleep(0.5)
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            reader.join(5)
            reached = any(f"{DISK_MARKER} booted" in line for line in lines)
            log(f"{nbp}, OVMF IPv6 {'on' if ipv6 else 'off'}: " +
                (f"the disk booted after {time.monotonic() - start:.1f} s" if reached else f"no disk within {timeout} s"))
            return 0 if reached else 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("boot", help="boot one VM and wait for the marker")
    b.add_argument("--firmware", choices=["bios", "uefi-pxe", "uefi-http"], default="bios")
    b.add_argument("--server", choices=["netboot", "dnsmasq"], default="netboot")
    b.add_argument("--timeout", type=int, default=240)
    b.add_argument("--keep", action="store_true", help="keep the work directory")
    sub.add_parser("demo", help="a newcomer's tour: BIOS PXE boot from the appliance")
    f = sub.add_parser("fallthrough", help="which boot options OVMF tries after iPXE's exit 1 (docs/lab.md)")
    f.add_argument("--nbp", choices=["snponly.efi", "ipxe.efi"], default="snponly.efi")
    f.add_argument("--ipv6", action="store_true", help="leave OVMF's IPv6 stack (its HTTPv6 option) on")
    f.add_argument("--timeout", type=int, default=300)
    d = sub.add_parser("deploy", help="zero-touch deployment: a VM images its disk, reboots into it, resumes")
    d.add_argument("--fault", choices=["checksum", "used-token"], help="run a fault case instead")
    d.add_argument("--bench", action="store_true",
                   help="with --fault checksum: then time busybox wget | gunzip | dd of the same image")
    d.add_argument("--restart-appliance", action="store_true",
                   help="kill the appliance and start it again while the VM streams its image")
    d.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so the namespaces and QEMU are removed on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if os.geteuid() != 0:
        sys.exit("lab: needs root (network namespaces, tap devices)")
    binary = os.environ.get("NETBOOT_BIN") or os.path.join(REPO, ".build", "debug", "netboot")
    if args.command == "deploy":
        sys.exit(deploy_tour(binary, args))
    if args.command == "fallthrough":
        sys.exit(fallthrough(args.nbp, args.ipv6, args.timeout))
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
