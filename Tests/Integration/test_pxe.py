"""PXE, UEFI HTTP boot and iPXE answers from `netboot serve`, in proxy mode (proxyDHCP: no
address) and authoritative mode: a scapy DISCOVER per client architecture gets the right boot
file, option 60 and, for PXE, the vendor option 43 with discovery control."""
import pytest

from dhcp_support import PRELUDE, Server, run_client_script

PXE = PRELUDE + r'''
cases = CASES
s = udp_socket(68)
out = []
for n, (vendor, arch, extra) in enumerate(cases):
    mac = "02:00:00:00:70:%02x" % n
    xid = 0x3000 + n
    options = [("vendor_class_id", vendor.encode()), (93, bytes([arch >> 8, arch & 255])),
               (97, b"\x00" + bytes(range(16)))] + [(code, value.encode()) for code, value in extra]
    s.sendto(dhcp("discover", mac, xid, options), ("255.255.255.255", 67))
    got = wait_reply(s, xid, want=2)
    if not got:
        out.append(None); continue
    pkt, opts, addr = got
    out.append({"yiaddr": pkt.yiaddr, "siaddr": pkt.siaddr, "file": pkt.file.rstrip(b"\0").decode(),
                "vendor": opts.get("vendor_class_id", b"").decode(), "o43": opts.get("vendor_specific", b"").hex(),
                "bootfile": (opts.get("boot-file-name") or b"").decode() if isinstance(opts.get("boot-file-name"), bytes) else opts.get("boot-file-name"),
                "mac": mac})
print(json.dumps(out))
'''

CASES = [
    ("PXEClient:Arch:00000:UNDI:002001", 0, []),
    ("PXEClient:Arch:00007:UNDI:003016", 7, []),
    ("PXEClient:Arch:00009:UNDI:003016", 9, []),
    ("PXEClient:Arch:00011:UNDI:003016", 11, []),
    ("HTTPClient:Arch:00016:UNDI:003001", 16, []),
    ("PXEClient:Arch:00007:UNDI:003016", 7, [(77, "iPXE")]),
]
EXTRA = """pxe:
  bios: undionly.kpxe
  uefi-x64: ipxe.efi
  uefi-arm64: arm/ipxe-arm64.efi
  http-boot-url: http://{server}/efi/ipxe.efi
  ipxe-script-url: http://{server}/boot/ipxe?mac={mac}
"""


@pytest.mark.parametrize("mode", ["proxy", "authoritative"])
def test_pxe_discover_per_architecture(netns, tmp_path, mode):
    server = Server(netns, tmp_path, mode=mode, extra=EXTRA).start()
    try:
        replies = run_client_script(netns, PXE.replace("CASES", repr(CASES)))
        assert None not in replies, server.log()
        files = [r["file"] for r in replies]
        assert files == ["undionly.kpxe", "ipxe.efi", "ipxe.efi", "arm/ipxe-arm64.efi",
                         "http://198.51.100.1/efi/ipxe.efi",
                         f"http://198.51.100.1/boot/ipxe?mac={replies[5]['mac']}"]
        assert [r["vendor"] for r in replies] == ["PXEClient"] * 4 + ["HTTPClient", "PXEClient"]
        for r in replies[:4]:
            assert r["o43"] == "060108ff" and r["siaddr"] == "198.51.100.1"
        if mode == "proxy":
            assert {r["yiaddr"] for r in replies} == {"0.0.0.0"}
        else:
            assert all(r["yiaddr"].startswith("198.51.100.1") and r["yiaddr"] != "0.0.0.0" for r in replies)
        # The start-up report names the boot files missing under the TFTP/HTTP roots.
        assert "boot file for uefi-arm64 not found: arm/ipxe-arm64.efi" in server.log()
    finally:
        server.kill()


PLAIN = PRELUDE + r'''
s = udp_socket(68)
s.sendto(dhcp("discover", "02:00:00:00:71:01", 0x3100), ("255.255.255.255", 67))
print(json.dumps({"reply": wait_reply(s, 0x3100, timeout=2) is not None}))
'''


def test_proxy_mode_ignores_plain_dhcp_clients(netns, tmp_path):
    server = Server(netns, tmp_path, mode="proxy", extra=EXTRA).start()
    try:
        assert run_client_script(netns, PLAIN) == {"reply": False}
        assert "proxy mode: not a PXE, HTTP boot, iPXE or BSDP client" in server.log()
    finally:
        server.kill()
