import CPcap
#if canImport(Glibc)
import Glibc
#endif

/// Writes a classic pcap file through libpcap's `pcap_dump` (pcap_dump_open(3PCAP)), flushing
/// each packet so that a full disk is noticed at once (ENOSPC becomes
/// ``CaptureError/diskFull(path:)`` and the file keeps every packet before it).
///
/// Rotation: with `rotateSize`, files are `STEM.0.pcap`, `STEM.1.pcap`, … (STEM and extension
/// from `path`), a new one started when the current one reaches `rotateSize` bytes; with
/// `rotateCount` too, only the newest `rotateCount` files are kept. Without `rotateSize`, one
/// file at `path`.
///
/// Files are ``fileMode`` (`0600`): a capture holds whatever crossed the wire.
public final class PcapDumpWriter {
    /// The mode of every capture file (set after libpcap creates it, whatever the umask).
    public static let fileMode: mode_t = 0o600

    public let path: String
    public let rotateSize: Int?
    public let rotateCount: Int?
    private let dead: OpaquePointer
    private var dumper: OpaquePointer?
    private var index = 0
    /// Files written so far and still on disk, oldest first.
    public private(set) var files: [String] = []
    public private(set) var packetsWritten = 0

    public init(path: String, dlt: Int32, snapLength: Int32 = 65_535, rotateSize: Int? = nil,
                rotateCount: Int? = nil) throws(CaptureError) {
        self.path = path
        self.rotateSize = rotateSize.map { max(1, $0) }
        self.rotateCount = rotateCount.map { max(1, $0) }
        guard let dead = pcap_open_dead(dlt, snapLength) else {
            throw .writeFailed(path: path, reason: "pcap_open_dead failed")
        }
        self.dead = dead
        // Every stored property is set: a throw from here runs deinit, which closes `dead`.
        try openNext()
    }

    deinit {
        if let dumper { pcap_dump_close(dumper) }
        pcap_close(dead)
    }

    /// The name of file number `index` under rotation (`cap.pcap` → `cap.3.pcap`).
    public static func rotatedName(_ path: String, index: Int) -> String {
        let slash = path.lastIndex(of: "/")
        let nameStart = slash.map { path.index(after: $0) } ?? path.startIndex
        if let dot = path[nameStart...].lastIndex(of: "."), dot != nameStart {
            return String(path[..<dot]) + ".\(index)" + String(path[dot...])
        }
        return path + ".\(index)"
    }

    private func openNext() throws(CaptureError) {
        let name = rotateSize == nil ? path : Self.rotatedName(path, index: index)
        index += 1
        guard let next = pcap_dump_open(dead, name) else {
            throw Self.failure(name, String(cString: pcap_geterr(dead)))
        }
        if name != "-", let file = pcap_dump_file(next) {
            fchmod(fileno(file), Self.fileMode)
        }
        dumper = next
        files.append(name)
        if let rotateCount, files.count > rotateCount {
            let old = files.removeFirst()
            unlink(old)
        }
    }

    /// Appends one packet; rotates first when the current file is full.
    public func write(_ frame: CapturedFrame) throws(CaptureError) {
        guard let current = dumper else { throw .writeFailed(path: path, reason: "writer is closed") }
        let name = files.last ?? path
        if let rotateSize, pcap_dump_ftell64(current) >= Int64(rotateSize), packetsWritten > 0 {
            dumper = nil
            guard pcap_dump_flush(current) == 0 else {
                let code = errno
                pcap_dump_close(current)
                throw Self.failure(name, errno: code)
            }
            pcap_dump_close(current)
            try openNext()
            return try write(frame)
        }
        var header = pcap_pkthdr()
        header.ts.tv_sec = Int(frame.time.seconds)
        header.ts.tv_usec = Int(frame.time.microseconds)
        header.caplen = UInt32(truncatingIfNeeded: frame.bytes.count)
        header.len = UInt32(truncatingIfNeeded: frame.originalLength)
        frame.bytes.withUnsafeBufferPointer { buffer in
            pcap_dump(UnsafeMutablePointer<UInt8>(current), &header, buffer.baseAddress)
        }
        guard pcap_dump_flush(current) == 0 else {
            let code = errno
            dumper = nil
            pcap_dump_close(current)
            throw Self.failure(name, errno: code)
        }
        packetsWritten += 1
    }

    /// Flushes and closes the current file.
    public func close() throws(CaptureError) {
        guard let current = dumper else { return }
        dumper = nil
        let flushed = pcap_dump_flush(current) == 0
        let code = errno
        pcap_dump_close(current)
        if !flushed { throw Self.failure(files.last ?? path, errno: code) }
    }

    private static func failure(_ path: String, errno code: Int32) -> CaptureError {
        if code == ENOSPC || code == EDQUOT { return .diskFull(path: path) }
        return .writeFailed(path: path, reason: String(cString: strerror(code)))
    }

    private static func failure(_ path: String, _ reason: String) -> CaptureError {
        reason.contains("No space left") ? .diskFull(path: path) : .writeFailed(path: path, reason: reason)
    }
}
