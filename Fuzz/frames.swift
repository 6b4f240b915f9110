// libFuzzer harness: Ethernet (+VLAN) / IPv4 / UDP frame decode, and re-encode of a decoded
// Ethernet frame. docs/fuzzing.md
import NetbootWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? UDPFrame(decoding: bytes)
    if let frame = try? EthernetFrame(decoding: bytes) {
        let encoded = frame.encoded()
        guard let again = try? EthernetFrame(decoding: encoded), again == frame else {
            fatalError("Ethernet round trip changed the frame")
        }
        _ = frame.encoded(padToMinimum: true)
    }
    if let packet = try? IPv4Packet(decoding: bytes) {
        _ = try? packet.encoded()
        _ = try? UDPDatagram(decoding: packet)
    }
    _ = InternetChecksum.checksum(bytes)
    return 0
}
