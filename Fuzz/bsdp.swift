// libFuzzer harness: BSDP option-43 decode from a list of instances (Apple BSDP 1.0.8).
// Input: byte 0 picks the carrier; the rest is split into instances, each a length byte then
// that many bytes (the last one takes what is left). docs/fuzzing.md
import NetbootWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let carriers: [BSDPCarrier] = [.discover, .offer, .request, .ack, .inform]
    let carrier = carriers[Int(first) % carriers.count]
    var instances: [[UInt8]] = []
    var index = 1
    while index < bytes.count {
        let length = Int(bytes[index])
        let start = index + 1
        let end = min(bytes.count, start + length)
        instances.append(Array(bytes[min(start, end)..<end]))
        index = end
    }
    guard let options = try? BSDPOptions.decode(instances: instances) else { return 0 }
    _ = options.messageType
    _ = options.version
    _ = options.serverIdentifier
    _ = options.serverPriority
    _ = options.replyPort
    _ = options.defaultBootImage
    _ = options.selectedBootImage
    _ = options.bootImageList
    _ = options.attributesFilterList
    _ = options.maxMessageSize
    _ = options.shadowMountPath
    _ = options.shadowFilePath
    _ = options.machineName
    guard let message = try? BSDPMessage.decode(carrier: carrier, options: options) else { return 0 }
    _ = message.carrier
    _ = message.options
    // A decoded message packs again, or refuses with a typed error.
    if let packed = try? message.encode() {
        _ = try? BSDPMessage.decode(carrier: carrier, instances: packed)
    }
    _ = try? message.encode(dhcpMessageBudget: 576, restOfReplyLength: 300)
    return 0
}
