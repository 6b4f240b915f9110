// libFuzzer harness: TFTP packet decode (RFC 1350/2347), re-encode round trip, netascii.
// docs/fuzzing.md
import NetbootWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = Netascii.decode(bytes)
    let encodedText = Netascii.encode(bytes)
    guard encodedText.count == Netascii.encodedLength(bytes) else { fatalError("netascii length mismatch") }
    guard Netascii.decode(encodedText) == bytes else { fatalError("netascii round trip") }
    guard let packet = try? TFTPPacket(decoding: bytes) else { return 0 }
    _ = packet.opcode
    if case .readRequest(let request) = packet {
        for name in [TFTPOption.blockSize, TFTPOption.transferSize, TFTPOption.timeout, TFTPOption.windowSize] {
            if let value = request.options.first(where: { $0.key == name })?.value {
                _ = TFTPOption.decimalValue(value)
            }
        }
    }
    let encoded = packet.encoded()
    guard let again = try? TFTPPacket(decoding: encoded) else { fatalError("re-encoded packet does not decode: \(packet)") }
    guard again == packet else { fatalError("round trip changed the packet:\n\(packet)\n\(again)") }
    return 0
}
