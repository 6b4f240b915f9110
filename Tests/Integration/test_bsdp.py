"""The BSDP responder against a scapy BSDP client (reference bsdp-protocol-and-servers.md §1):
INFORM[LIST] → ACK[LIST] over 40 images (several option-43 instances), INFORM[SELECT] →
ACK[SELECT], both decoded by tshark without warnings; model and MAC filters; the selection kept
across kill -9 and answered with an OFFER* to the bound client's DISCOVER."""
import json
import plistlib
import signal
import subprocess
import time

import pytest

from conftest import netboot_bin, require_tool
from dhcp_support import PRELUDE, Server, run_client_script

MODEL = "MacBookPro11,2"


def make_images(root, count=40):
    for n in range(1, count + 1):
        folder = root / f"Install {n:02d}.nbi"
        (folder / "i386").mkdir(parents=True)
        (folder / "i386" / "booter").write_bytes(b"booter")
        (folder / "NetInstall.dmg").write_bytes(b"dmg")
        info = {"Index": 100 + n, "IsDefault": n == 1, "IsEnabled": True, "IsInstall": True, "Kind": 1,
                "Name": f"macOS Install Image {n:02d}", "Description": "test", "Type": "HTTP",
                "RootPath": "NetInstall.dmg", "BootFile": "booter", "Architectures": ["i386"]}
        if n == 39:
            info["EnabledSystemIdentifiers"] = ["iMac14,3"]
        if n == 40:
            info["EnabledMACAddresses"] = ["00:17:f2:99:99:99"]
        (folder / "NBImageInfo.plist").write_bytes(plistlib.dumps(info, fmt=plistlib.FMT_XML if n % 2 else plistlib.FMT_BINARY))


CLIENT = PRELUDE + r'''
from scapy.all import Ether, IP, UDP, wrpcap
server, me, model, pcap, do_select, mac = ARGS
s = udp_socket(68)
captured = []
def inform(xid, bsdp):
    opts = [("param_req_list", [60, 43]), ("max_dhcp_size", 1500),
            ("vendor_class_id", ("AAPLBSDPC/i386/" + model).encode()), ("vendor_specific", bsdp)]
    s.sendto(dhcp("inform", mac, xid, opts, broadcast=False, ciaddr=me), ("255.255.255.255", 67))
    got = wait_reply(s, xid, want=5)
    if got:
        raw_bytes = bytes(got[0])
        captured.append(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src=server, dst=me) /
                        UDP(sport=67, dport=68) / got[0])
    return got

def suboptions(pkt):
    # Every option-43 instance, decoded separately (each is a complete TLV run).
    out = []
    data = bytes(pkt)[240:]
    i = 0
    while i < len(data) and data[i] != 255:
        if data[i] == 0:
            i += 1; continue
        code, length = data[i], data[i + 1]
        if code == 43:
            out.append(data[i + 2:i + 2 + length])
        i += 2 + length
    return out

def parse_bsdp(instances):
    subs = {}
    images = []
    for inst in instances:
        j = 0
        while j < len(inst):
            code, length = inst[j], inst[j + 1]
            value = inst[j + 2:j + 2 + length]
            if code == 9:
                k = 0
                while k < len(value):
                    nlen = value[k + 4]
                    images.append((int.from_bytes(value[k:k + 4], "big"), value[k + 5:k + 5 + nlen].decode()))
                    k += 5 + nlen
            else:
                subs[code] = value.hex()
            j += 2 + length
    return subs, images

result = {}
got = inform(0x4001, b"\x01\x01\x01\x02\x02\x01\x01\x0c\x02\x20\x00")
if got:
    pkt, opts, addr = got
    inst = suboptions(pkt)
    subs, images = parse_bsdp(inst)
    result["list"] = {"instances": len(inst), "subs": subs, "images": images, "from": addr[0], "port": addr[1],
                      "server_id": opts.get("server_id"), "vendor": opts.get("vendor_class_id", b"").decode()}
    if do_select:
        chosen = images[2][0]
        sel = b"\x01\x01\x02\x02\x02\x01\x01\x03\x04" + socket.inet_aton(opts["server_id"]) + b"\x08\x04" + chosen.to_bytes(4, "big")
        got = inform(0x4002, sel)
        if got:
            pkt, opts, addr = got
            subs, _ = parse_bsdp(suboptions(pkt))
            root = opts.get("root_disk_path", b"")
            result["select"] = {"chosen": chosen, "subs": subs, "file": pkt.file.rstrip(b"\0").decode(),
                                "siaddr": pkt.siaddr, "root": root.decode() if isinstance(root, bytes) else root}
if pcap:
    wrpcap(pcap, captured)
print(json.dumps(result))
'''

DISCOVER = PRELUDE + r'''
mac = MAC
s = udp_socket(68)
opts = [("vendor_class_id", b"AAPLBSDPC/i386/MacBookPro11,2"), ("vendor_specific", b"\x02\x02\x01\x01"),
        ("param_req_list", [1, 3, 17, 43, 60])]
s.sendto(dhcp("discover", mac, 0x4100, opts, broadcast=True), ("255.255.255.255", 67))
got = wait_reply(s, 0x4100, want=2)
out = None
if got:
    pkt, o, addr = got
    out = {"yiaddr": pkt.yiaddr, "file": pkt.file.rstrip(b"\0").decode(), "o43": o.get("vendor_specific", b"").hex()}
print(json.dumps(out))
'''


def client(netns, pcap=None, select=False, model=MODEL, mac="00:17:f2:00:00:01"):
    args = (netns.server_ip, netns.client_ip, model, str(pcap) if pcap else "", select, mac)
    return run_client_script(netns, CLIENT.replace("ARGS", repr(args)))


def tshark(pcap):
    out = subprocess.run(["tshark", "-V", "-r", str(pcap), "-d", "udp.port==68,dhcp"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_list_then_select_with_forty_images_decoded_by_tshark(netns, tmp_path):
    require_tool("tshark")
    images = tmp_path / "images"
    make_images(images)
    server = Server(netns, tmp_path, mode="proxy", images_dir=images).start()
    try:
        pcap = tmp_path / "bsdp.pcap"
        result = client(netns, pcap=pcap, select=True)
        listed = result["list"]
        assert listed["from"] == netns.server_ip and listed["port"] == 67
        assert listed["vendor"] == "AAPLBSDPC" and listed["server_id"] == netns.server_ip
        assert listed["instances"] >= 4
        assert listed["subs"]["1"] == "01" and listed["subs"]["4"] == "8000"
        ids = [i for i, _ in listed["images"]]
        assert len(ids) == 38  # 39 is for iMac14,3 only, 40 for another MAC
        assert listed["subs"]["7"] == "%08x" % ids[0] and ids[0] & 0xFFFF == 101
        assert all(i & 0x81000000 == 0x81000000 for i in ids)
        chosen = result["select"]
        assert chosen["subs"]["1"] == "02" and chosen["subs"]["8"] == "%08x" % chosen["chosen"]
        assert chosen["subs"]["130"].startswith("4e6574426f6f74")  # "NetBoot"
        assert chosen["file"] == "Install 03.nbi/i386/booter" and chosen["siaddr"] == netns.server_ip
        assert chosen["root"] == "http://198.51.100.1/Install%2003.nbi/NetInstall.dmg"
        decoded = tshark(pcap)
        assert "Malformed" not in decoded and "Expert Info (Warning" not in decoded and "Expert Info (Error" not in decoded
        assert decoded.count("Boot Image Name: macOS Install Image") == 38
        assert decoded.count("Option: (43) Vendor-Specific Information") >= 5
        assert "macOS Install Image 38" in decoded and "LIST" in decoded and "SELECT" in decoded
        assert "ACK[SELECT]" in server.log() and "ACK[LIST] 38 image(s)" in server.log()
    finally:
        server.kill()


def test_model_and_mac_filters(netns, tmp_path):
    images = tmp_path / "images"
    make_images(images)
    server = Server(netns, tmp_path, mode="proxy", images_dir=images).start()
    try:
        imac = [i & 0xFFFF for i, _ in client(netns, model="iMac14,3")["list"]["images"]]
        assert 139 in imac and 140 not in imac
        allowed = [i & 0xFFFF for i, _ in client(netns, mac="00:17:f2:99:99:99")["list"]["images"]]
        assert 140 in allowed and 139 not in allowed
    finally:
        server.kill()


def test_selection_survives_restart_and_bound_discover_gets_offer_star(netns, tmp_path):
    images = tmp_path / "images"
    make_images(images, count=5)
    server = Server(netns, tmp_path, mode="proxy", images_dir=images).start()
    try:
        chosen = client(netns, select=True)["select"]["chosen"]
        server.kill(signal.SIGKILL)
        server.start()
        again = client(netns)["list"]
        assert again["subs"]["8"] == "%08x" % chosen
        offer = run_client_script(netns, DISCOVER.replace("MAC", repr("00:17:f2:00:00:01")))
        assert offer and offer["yiaddr"] == "0.0.0.0" and offer["file"] == "Install 03.nbi/i386/booter"
        assert offer["o43"].startswith("0804%08x" % chosen)
        stranger = run_client_script(netns, DISCOVER.replace("MAC", repr("00:17:f2:00:00:77")))
        assert stranger is None
    finally:
        server.kill()


def test_images_distributed_logged_at_start_and_on_sighup_and_flight_recorder_has_bsdp(netns, tmp_path):
    """The seed's `New image distributed: NAME` line at start and after a SIGHUP rescan, and the
    flight recorder's dump (SIGUSR1, `netboot debug dump-packets`) holds the BSDP exchange."""
    images = tmp_path / "images"
    make_images(images, count=2)
    server = Server(netns, tmp_path, mode="proxy", images_dir=images).start()
    try:
        def distributed(name):
            deadline = time.time() + 15
            while f"New image distributed: {name}" not in server.log() and time.time() < deadline:
                time.sleep(0.2)
            return f"New image distributed: {name}" in server.log()

        # The catalog is scanned off the event loop (host names in root paths may be looked up),
        # so its first lines may follow the listening sockets by a moment.
        assert distributed("macOS Install Image 01")
        assert "macOS Install Image 03" not in server.log()
        make_images(tmp_path / "more", count=4)

        (tmp_path / "more" / "Install 03.nbi").rename(images / "Install 03.nbi")
        server.proc.send_signal(signal.SIGHUP)
        assert distributed("macOS Install Image 03")
        (tmp_path / "more" / "Install 04.nbi").rename(images / "Install 04.nbi")
        rescan = netns.run(netns.server, netboot_bin(), "images", "rescan", "--config", str(server.config), check=False)
        assert rescan.returncode == 0, rescan.stdout + rescan.stderr
        assert "The running netboot serve rescanned (control socket)" in rescan.stdout, rescan.stdout
        assert distributed("macOS Install Image 04")
        assert client(netns)["list"]["images"], "no ACK[LIST] after the rescan"
        dump = tmp_path / "flight.pcap"
        out = netns.run(netns.server, netboot_bin(), "debug", "dump-packets", "-w", str(dump),
                        "--config", str(server.config), check=False)
        assert out.returncode == 0, out.stdout + out.stderr
        decoded = subprocess.run([netboot_bin(), "decode", str(dump)], capture_output=True, text=True).stdout
        assert "INFORM[LIST]" in decoded and "ACK[LIST]" in decoded, decoded
    finally:
        server.kill()


def test_images_list_shows_what_the_server_lists(netns, tmp_path):
    """`netboot images list --json` and the server's ACK[LIST] come from one catalog loader: an
    image whose root path names a host (resolved by both), a skipped image (skipped by both)."""
    images = tmp_path / "images"
    make_images(images, count=3)
    remote = images / "Remote.nbi"
    (remote / "i386").mkdir(parents=True)
    (remote / "i386" / "booter").write_bytes(b"booter")
    (remote / "NBImageInfo.plist").write_bytes(plistlib.dumps(
        {"Index": 500, "IsInstall": True, "Kind": 1, "Name": "Remote by name", "Type": "HTTP",
         "RootPath": "http://localhost:8080/images/NetBoot.dmg", "BootFile": "booter", "Architectures": ["i386"]}))
    broken = images / "Broken.nbi"
    (broken / "i386").mkdir(parents=True)
    (broken / "NBImageInfo.plist").write_bytes(plistlib.dumps(
        {"Index": "7", "Name": "Broken", "Type": "HTTP", "RootPath": "NetInstall.dmg", "BootFile": "booter",
         "Architectures": ["i386"]}))
    server = Server(netns, tmp_path, mode="proxy", images_dir=images).start()
    try:
        listing = netns.run(netns.server, netboot_bin(), "images", "list", "--json", "--config", str(server.config),
                            check=False)
        assert listing.returncode == 2, listing.stderr  # Broken.nbi is skipped
        doc = json.loads(listing.stdout)
        assert [entry["folder"] for entry in doc["skipped"]] == ["Broken.nbi"]
        shown = sorted((image["idValue"], image["name"]) for image in doc["images"]
                       if image["enabled"] and not image["filterOnly"])
        served = sorted((i, name) for i, name in client(netns)["list"]["images"])
        assert ("Remote by name" in [name for _, name in shown]), shown
        assert served == shown, server.log()
    finally:
        server.kill()
