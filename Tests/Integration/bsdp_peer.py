"""A scapy BSDP peer for test_capture.py: `server` answers INFORM[LIST] with ACK[LIST] (three
images, a default) and INFORM[SELECT] with ACK[SELECT]; `client` sends LIST, then SELECT of the
default, and prints what it got. Plain UDP sockets carry the bytes scapy builds and parses.
Only ever run inside the test's network namespaces."""
import socket
import struct
import sys

from scapy.layers.dhcp import BOOTP, DHCP

IMAGES = [(0x81000010, "Mojave Install"), (0x01000011, "Lab Catalina"), (0x03000BB8, "Hardware Test")]


def sub(code, data):
    return bytes([code, len(data)]) + data


def image_list():
    out = b""
    for image_id, name in IMAGES:
        raw = name.encode()
        out += struct.pack(">IB", image_id, len(raw)) + raw
    return out


def bsdp_options(payload):
    out, i = {}, 0
    while i + 2 <= len(payload):
        code, length = payload[i], payload[i + 1]
        out[code] = payload[i + 2:i + 2 + length]
        i += 2 + length
    return out


def dhcp_option(packet, name):
    for option in packet[DHCP].options:
        if isinstance(option, tuple) and option[0] == name:
            return option[1]
    return None


def server(address):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", 67))
    sock.settimeout(30)
    for _ in range(2):
        data, peer = sock.recvfrom(2048)
        request = BOOTP(data)
        sub_options = bsdp_options(bytes(dhcp_option(request, "vendor_specific") or b""))
        kind = sub_options.get(1, b"\x00")[0]
        if kind == 1:
            vendor = sub(1, b"\x01") + sub(4, struct.pack(">H", 32768)) + sub(7, struct.pack(">I", IMAGES[0][0])) \
                + sub(9, image_list())
        else:
            vendor = sub(1, b"\x02") + sub(8, sub_options.get(8, b"\x00\x00\x00\x00"))
        reply = BOOTP(op=2, xid=request.xid, ciaddr=request.ciaddr, chaddr=request.chaddr, siaddr=address,
                      file=b"i386/booter") / DHCP(options=[
                          ("message-type", "ack"), ("server_id", address), ("vendor_class_id", b"AAPLBSDPC"),
                          ("vendor_specific", vendor), "end"])
        reply_port = struct.unpack(">H", sub_options[5])[0] if 5 in sub_options else peer[1]
        sock.sendto(bytes(reply), (peer[0], reply_port))


def client(server_address, mac):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", 68))
    sock.settimeout(10)
    chaddr = bytes.fromhex(mac.replace(":", "")) + b"\x00" * 10
    own = sock.getsockname()
    selected = None
    for xid, kind in ((0x1CE0001, 1), (0x1CE0002, 2)):
        vendor = sub(1, bytes([kind])) + sub(2, b"\x01\x01")
        if kind == 2:
            vendor += sub(3, socket.inet_aton(server_address)) + sub(8, struct.pack(">I", selected))
        request = BOOTP(op=1, xid=xid, ciaddr=sys.argv[4], chaddr=chaddr) / DHCP(options=[
            ("message-type", "inform"), ("vendor_class_id", b"AAPLBSDPC/i386/MacBookPro8,1"),
            ("vendor_specific", vendor), "end"])
        sock.sendto(bytes(request), (server_address, 67))
        data, _ = sock.recvfrom(2048)
        reply = BOOTP(data)
        options = bsdp_options(bytes(dhcp_option(reply, "vendor_specific")))
        if kind == 1:
            selected = struct.unpack(">I", options[7])[0]
            print(f"LIST default 0x{selected:08x}")
        else:
            print(f"SELECT 0x{struct.unpack('>I', options[8])[0]:08x}")
    del own


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2])
    else:
        client(sys.argv[2], sys.argv[3])
