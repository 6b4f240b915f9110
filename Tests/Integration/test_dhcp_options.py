"""DHCP options at every level and client classes (issue 20) against real clients: udhcpc and
dhclient receive options set at global, class, subnet and host level with Kea's precedence;
scapy PXE clients of architecture 7 and 0, a vendor-class prefix and a relayed request's circuit
id get their classes' boot files (replies decoded again by tshark); `config check` reports a
wrongly typed option at its line and column."""
import json
import re
import subprocess
import time

import pytest

from conftest import netboot_bin, require_tool
from dhcp_support import PRELUDE, Server, run_client_script

ENV_SCRIPT = """#!/bin/sh
# Appends every event with the whole environment the client passes (one variable a line).
{ echo "EVENT $1${reason}"; env; } >> "$LOG"
case "$1$reason" in
  bound|renew|BOUND|RENEW|REBOOT)
    ip addr replace "${ip}${new_ip_address}/24" dev "${interface}" ;;
  deconfig)
    ip addr flush dev "$interface" ;;
esac
exit 0
"""


def client_mac(netns):
    out = netns.run(netns.client, "ip", "link", "show", netns.client_if).stdout
    return re.search(r"link/ether ([0-9a-f:]{17})", out).group(1)


def configure(server, dhcp_extra="", subnet_extra=""):
    """Adds keys to the generated `dhcp:` section and to its one subnet."""
    text = server.config.read_text()
    text = text.replace("dhcp:\n  mode: authoritative\n", "dhcp:\n  mode: authoritative\n" + dhcp_extra, 1)
    text = text.replace("      lease-time: 600\n", "      lease-time: 600\n" + subnet_extra, 1)
    server.config.write_text(text)


def levels_config(mac):
    """ntp-servers: host; interface-mtu: subnet; root-path: class; tftp-server-name: global;
    default-ip-ttl: global always-send; swap-server: global, never requested."""
    prefix = mac[:8]
    dhcp_extra = f"""\
  option-data:
    - {{ name: ntp-servers, data: 198.51.100.91 }}
    - {{ name: root-path, data: global-root }}
    - {{ name: tftp-server-name, data: global-tftp }}
    - {{ name: interface-mtu, data: 1400 }}
    - {{ name: swap-server, data: 198.51.100.93 }}
    - {{ name: default-ip-ttl, data: 77, always-send: true }}
  client-classes:
    - name: veth
      match: {{ mac-prefix: "{prefix}" }}
      option-data:
        - {{ name: root-path, data: class-root }}
        - {{ name: interface-mtu, data: 1300 }}
        - {{ name: ntp-servers, data: 198.51.100.92 }}
  reservations:
    - mac: "{mac}"
      address: 198.51.100.150
      option-data: [{{ name: ntp-servers, data: 198.51.100.94 }}]
"""
    subnet_extra = "      option-data: [{ name: interface-mtu, data: 1280 }]\n"
    return dhcp_extra, subnet_extra


def last_bound_env(log_text, event_names):
    blocks = log_text.split("EVENT ")
    for block in reversed(blocks):
        lines = block.splitlines()
        if lines and lines[0] in event_names:
            return dict(line.split("=", 1) for line in lines[1:] if "=" in line)
    return None


def wait_for(predicate, timeout=20, step=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def test_udhcpc_receives_each_levels_options_with_keas_precedence(netns, tmp_path):
    require_tool("udhcpc")
    log = tmp_path / "events.log"
    script = tmp_path / "script.sh"
    script.write_text(ENV_SCRIPT.replace('"$LOG"', f'"{log}"'))
    script.chmod(0o755)
    server = Server(netns, tmp_path)
    configure(server, *levels_config(client_mac(netns)))
    server.start()
    netns.run(netns.client, "ip", "addr", "flush", "dev", netns.client_if)
    client = netns.popen(netns.client, "udhcpc", "-i", netns.client_if, "-f", "-s", str(script), "-t", "5", "-T", "2",
                         "-O", "ntpsrv", "-O", "mtu", "-O", "rootpath", "-O", "tftp",
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert wait_for(lambda: log.exists() and "EVENT bound" in log.read_text()), server.log()
        env = last_bound_env(log.read_text(), {"bound"})
        assert env["ip"] == "198.51.100.150"
        assert env["ntpsrv"] == "198.51.100.94"      # host beats class and global
        assert env["mtu"] == "1280"                  # subnet beats class and global
        assert env["rootpath"] == "class-root"       # class beats global
        assert env["tftp"] == "global-tftp"          # global
        assert env["ipttl"] == "77"                  # always-send, not requested
        assert "swapsrv" not in env                  # configured, not requested
        assert env["router"] == netns.server_ip      # the subnet's own keys still apply
        assert "[classes: veth]" in server.log()
    finally:
        client.kill()
        client.wait()
        server.kill()


DHCLIENT_CONF = """request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers,
        ntp-servers, interface-mtu, root-path, tftp-server-name;
"""


def test_dhclient_receives_each_levels_options_with_keas_precedence(netns, tmp_path):
    require_tool("dhclient")
    log = tmp_path / "events.log"
    script = tmp_path / "script.sh"
    script.write_text(ENV_SCRIPT.replace('"$LOG"', f'"{log}"'))
    script.chmod(0o755)
    conf = tmp_path / "dhclient.conf"
    conf.write_text(DHCLIENT_CONF)
    server = Server(netns, tmp_path)
    configure(server, *levels_config(client_mac(netns)))
    server.start()
    netns.run(netns.client, "ip", "addr", "flush", "dev", netns.client_if)
    pid = tmp_path / "dhclient.pid"
    try:
        netns.run(netns.client, "timeout", "40", "dhclient", "-1", "-v", "-cf", str(conf), "-sf", str(script),
                  "-lf", str(tmp_path / "leases"), "-pf", str(pid), netns.client_if)
        env = last_bound_env(log.read_text(), {"BOUND"})
        assert env, log.read_text()
        assert env["new_ip_address"] == "198.51.100.150"
        assert env["new_ntp_servers"] == "198.51.100.94"
        assert env["new_interface_mtu"] == "1280"
        assert env["new_root_path"] == "class-root"
        assert env["new_tftp_server_name"] == "global-tftp"
        assert env["new_default_ip_ttl"] == "77"
        assert "new_swap_server" not in env
    finally:
        if pid.exists():
            subprocess.run(["kill", "-9", pid.read_text().strip()], check=False, capture_output=True)
        server.kill()


CLASSES = PRELUDE + r'''
from scapy.all import Ether, IP, UDP, wrpcap
server, me, pcap = ARGS
captured = []
def keep(data, src, dst, dport):
    captured.append(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src=src, dst=dst) /
                    UDP(sport=67, dport=dport) / data)
def summary(pkt, opts):
    bf = opts.get("boot-file-name")
    rp = opts.get("root_disk_path")
    return {"yiaddr": pkt.yiaddr, "siaddr": pkt.siaddr, "file": pkt.file.rstrip(b"\0").decode(),
            "bootfile": bf.decode() if isinstance(bf, bytes) else bf,
            "root": rp.decode() if isinstance(rp, bytes) else rp}
out = {}
s = udp_socket(68)
cases = [("arch7", "02:00:00:00:71:07", [("vendor_class_id", b"PXEClient:Arch:00007:UNDI:003016"), (93, b"\x00\x07")]),
         ("arch0", "02:00:00:00:71:00", [("vendor_class_id", b"PXEClient:Arch:00000:UNDI:002001"), (93, b"\x00\x00")]),
         ("vendor", "02:00:00:00:71:0a", [("vendor_class_id", b"ACME-Thin/4.2"), ("param_req_list", [1, 3, 17])]),
         ("plain", "02:00:00:00:71:0b", [("param_req_list", [1, 3, 17])]),
         ("ipxe", "02:00:00:00:71:0c", [("vendor_class_id", b"PXEClient:Arch:00007:UNDI:003010"), (93, b"\x00\x07"),
                                        ("user_class", b"iPXE")]),
         ("here", "02:00:00:00:71:0d", [("vendor_class_id", b"Acme-Here")])]
for n, (name, mac, options) in enumerate(cases):
    xid = 0x7100 + n
    s.sendto(dhcp("discover", mac, xid, options), ("255.255.255.255", 67))
    got = wait_reply(s, xid, want=2)
    if got:
        keep(raw(got[0]), server, "255.255.255.255", 68)
    out[name] = summary(got[0], got[1]) if got else None
r = udp_socket(67)
for n, circuit in enumerate([b"rack1-port3", b"rack2-port3"]):
    xid = 0x7200 + n
    agent = b"\x01" + bytes([len(circuit)]) + circuit
    r.sendto(dhcp("discover", "02:00:00:00:72:%02x" % n, xid, [("relay_agent_information", agent)],
                  broadcast=False, giaddr=me, hops=1), (server, 67))
    got = wait_reply(r, xid, want=2)
    if got:
        keep(raw(got[0]), server, me, 67)
    out["relay-" + circuit.decode()] = summary(got[0], got[1]) if got else None
wrpcap(pcap, captured)
print(json.dumps(out))
'''

CLASSES_CONFIG = """\
  client-classes:
    - name: uefi
      match: { vendor-class: PXEClient, architecture: [7, 9] }
      boot-file: uefi/snponly.efi
      next-server: 198.51.100.9
    - name: bios
      match: { vendor-class: PXEClient, architecture: 0 }
      boot-file: bios/lpxelinux.0
    - name: acme
      match: { vendor-class: ACME-Thin }
      boot-file: acme/{mac}.img
      option-data: [{ name: root-path, data: "nfs:198.51.100.1:/acme" }]
    - name: rack1
      match: { circuit-id: rack1-port3 }
      boot-file: rack1.kpxe
    - name: ipxe
      match: { user-class: iPXE }
      ipxe-script: "http://{server}/classes/{mac}.ipxe"
    - name: here
      match: { vendor-class: Acme-Here, interface: SERVER_IF }
      boot-file: here.img
    - name: elsewhere
      match: { vendor-class: Acme-Here, interface: not-this-one }
      boot-file: elsewhere.img
"""


def tshark_fields(pcap, *fields):
    args = ["tshark", "-r", str(pcap), "-d", "udp.port==68,dhcp", "-d", "udp.port==67,dhcp", "-T", "fields",
            "-E", "separator=|", "-Y", "dhcp.option.dhcp == 2"]
    for field in fields:
        args += ["-e", field]
    out = subprocess.run(args, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return [line.split("|") for line in out.stdout.splitlines()]


def test_class_rules_pick_boot_files_for_pxe_vendor_and_relayed_clients(netns, tmp_path):
    require_tool("tshark")
    server = Server(netns, tmp_path)
    configure(server, CLASSES_CONFIG.replace("SERVER_IF", netns.server_if))
    server.start()
    pcap = tmp_path / "classes.pcap"
    try:
        result = run_client_script(netns, CLASSES.replace("ARGS", repr((netns.server_ip, netns.client_ip, str(pcap)))))
        assert result["arch7"]["bootfile"] == "uefi/snponly.efi" and result["arch7"]["siaddr"] == "198.51.100.9"
        assert result["arch0"]["bootfile"] == "bios/lpxelinux.0" and result["arch0"]["siaddr"] == netns.server_ip
        assert result["vendor"]["bootfile"] == "acme/02:00:00:00:71:0a.img"
        assert result["vendor"]["root"] == "nfs:198.51.100.1:/acme"
        assert result["plain"]["bootfile"] is None and result["plain"]["root"] is None and result["plain"]["file"] == ""
        # iPXE (user class 77): the ipxe class's script, over the uefi class's boot file.
        assert result["ipxe"]["bootfile"] == f"http://{netns.server_ip}/classes/02:00:00:00:71:0c.ipxe"
        # The receiving interface: only the class naming the server's interface matches.
        assert result["here"]["bootfile"] == "here.img"
        assert result["relay-rack1-port3"]["bootfile"] == "rack1.kpxe"
        assert result["relay-rack2-port3"]["bootfile"] is None
        # The same replies, decoded by Wireshark's dissector.
        rows = tshark_fields(pcap, "dhcp.option.bootfile_name", "dhcp.file", "dhcp.ip.server", "dhcp.option.root_path")
        assert rows == [
            ["uefi/snponly.efi", "uefi/snponly.efi", "198.51.100.9", ""],
            ["bios/lpxelinux.0", "bios/lpxelinux.0", netns.server_ip, ""],
            ["acme/02:00:00:00:71:0a.img", "acme/02:00:00:00:71:0a.img", netns.server_ip, "nfs:198.51.100.1:/acme"],
            ["", "", "0.0.0.0", ""],
            [f"http://{netns.server_ip}/classes/02:00:00:00:71:0c.ipxe", f"http://{netns.server_ip}/classes/02:00:00:00:71:0c.ipxe",
             "198.51.100.9", ""],
            ["here.img", "here.img", netns.server_ip, ""],
            ["rack1.kpxe", "rack1.kpxe", netns.server_ip, ""],
            ["", "", "0.0.0.0", ""],
        ], rows
        log = server.log()
        assert "[classes: uefi]" in log and "[classes: bios]" in log and "[classes: rack1]" in log
        assert "[classes: uefi, ipxe]" in log and "[classes: here]" in log
        # `netboot explain --firmware` with the same file says what the server sent (tshark's view).
        (tmp_path / "cwd" / "etc").mkdir(parents=True)
        (tmp_path / "cwd" / "etc" / "netboot.yaml").write_text(server.config.read_text())
        for (mac, firmware), row in zip([("02:00:00:00:71:07", "uefi"), ("02:00:00:00:71:00", "bios")], rows):
            out = subprocess.run([netboot_bin(), "explain", "--mac", mac, "--firmware", firmware, "--json"],
                                 cwd=tmp_path / "cwd", capture_output=True, text=True, timeout=30)
            assert out.returncode == 0, out.stderr
            first = json.loads(out.stdout)["stages"][0]
            assert first["bootFile"] == row[0]
            assert first["classes"] == [firmware]
            if firmware == "uefi":
                assert first["nextServer"] == row[2] and first["source"] == "class uefi"
    finally:
        server.kill()


def test_config_check_reports_a_wrongly_typed_option_at_its_line(tmp_path):
    path = tmp_path / "netboot.yaml"
    path.write_text("dhcp:\n  option-data:\n    - name: interface-mtu\n      data: jumbo\n"
                    "    - { name: ntp-server, data: 10.0.0.1 }\n")
    out = subprocess.run([netboot_bin(), "config", "check", str(path)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    lines = [l for l in out.stdout.splitlines() if ": error: " in l]
    assert lines == [
        f"{path}:4:13: error: dhcp.option-data[0].data: interface-mtu (26) takes uint16: 'jumbo' is not an integer [wrong-type]",
        f"{path}:5:15: error: dhcp.option-data[1].name: unknown option name 'ntp-server' (did you mean 'ntp-servers'?); "
        "options without a name are written with 'code' and hex 'data' [invalid-value]",
    ]


def test_config_check_json_lists_every_diagnostic(tmp_path):
    path = tmp_path / "netboot.yaml"
    path.write_text("dhcp:\n  option-data:\n    - { name: default-ip-ttl, data: 300 }\nlogs:\n  size-limit: 100\n")
    out = subprocess.run([netboot_bin(), "config", "check", "--json", str(path)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert report["ok"] is False and report["found"] is True and report["errors"] == 1 and report["warnings"] == 1
    assert report["diagnostics"] == [
        {"file": str(path), "line": 3, "column": 37, "severity": "error", "rule": "out-of-range",
         "message": "dhcp.option-data[0].data: default-ip-ttl (23) takes uint8: 300 is out of range 0-255"},
        {"file": str(path), "line": 5, "column": 15, "severity": "warning", "rule": "clamped",
         "message": "logs.size-limit: 100 is outside 204800-4194304; 204800 is used"},
    ]
    good = tmp_path / "good.yaml"
    good.write_text("dhcp:\n  option-data: [{ name: ntp-servers, data: 198.51.100.1 }]\n")
    out = subprocess.run([netboot_bin(), "config", "check", "--json", str(good)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and json.loads(out.stdout)["ok"] is True
    # A CI job pointed at a file that is not there read "found": true.
    missing = tmp_path / "missing.yaml"
    out = subprocess.run([netboot_bin(), "config", "check", "--json", str(missing)], capture_output=True, text=True, timeout=30)
    report = json.loads(out.stdout)
    assert out.returncode == 1 and report["ok"] is False and report["found"] is False, out.stdout
    assert report["diagnostics"][0]["rule"] == "io", out.stdout
