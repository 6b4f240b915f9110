/// Reads a capture file through libpcap and decodes every packet: what `netboot decode` runs.
/// Packets before a truncation or corruption are returned together with the error.
public struct CaptureFileDecoding: Sendable {
    public var records: [PacketRecord] = []
    /// Why reading stopped early (truncated or corrupt file), nil when it reached the end.
    public var readError: CaptureError?
    public var linkLayer: LinkLayer

    /// Opens `path` (pcap or pcapng) and decodes it, calling `each` per record as it goes.
    /// Throws when the file does not open or its link type is not supported.
    public static func decode(path: String, keepRecords: Bool = true,
                              each: (PacketRecord) -> Void = { _ in }) throws(CaptureError) -> CaptureFileDecoding {
        let handle = try PcapHandle.openOffline(path: path)
        let link = try handle.linkLayer()
        var result = CaptureFileDecoding(linkLayer: link)
        var decoder = PacketDecoder(linkLayer: link)
        reading: while true {
            do {
                switch try handle.next() {
                case .frame(let frame):
                    let record = decoder.decode(frame)
                    each(record)
                    if keepRecords { result.records.append(record) }
                case .timeout:
                    continue
                case .end:
                    break reading
                }
            } catch {
                result.readError = error
                break reading
            }
        }
        return result
    }
}
