// libFuzzer harness: classic pcap reader, and decode of every record as a UDP frame.
// docs/fuzzing.md
import NetbootWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? PcapFile(decoding: bytes) else { return 0 }
    for record in file.records.prefix(64) {
        _ = try? UDPFrame(decoding: record.data)
    }
    let encoded = file.encoded()
    guard let again = try? PcapFile(decoding: encoded) else { fatalError("re-encoded pcap does not decode") }
    guard again.records.count == file.records.count else { fatalError("pcap round trip lost records") }
    return 0
}
