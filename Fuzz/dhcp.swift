// libFuzzer harness: DHCP message decode (RFC 2131/2132/3396), re-encode of what decoded,
// round-trip equality of values, and the BSDP view of the same message. docs/fuzzing.md
import NetbootWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let message = try? DHCPMessage(decoding: bytes) else { return 0 }
    _ = message.messageType
    _ = message.clientMAC
    _ = message.serverName
    _ = message.bootFileName
    _ = message.hardwareAddress
    _ = message.encodedSize
    _ = message.bsdpReplyBudget
    _ = try? message.bsdpVendorClass()
    _ = try? message.bsdpMessage()
    // Whatever decoded re-encodes to the same values (or refuses with a typed error).
    guard let encoded = try? message.encode() else { return 0 }
    let again: DHCPMessage
    do {
        again = try DHCPMessage(decoding: encoded)
    } catch {
        fatalError("re-encoded message does not decode: \(error)\n\(message)")
    }
    guard again == message else { fatalError("round trip changed the message:\n\(message)\n\(again)") }
    guard (try? again.encode()) == encoded else { fatalError("second encoding differs") }
    return 0
}
