import CPcap
#if canImport(Glibc)
import Glibc
#endif

/// A libpcap capture handle (pcap(3PCAP)): a pcap or pcapng file opened with
/// `pcap_open_offline`, or a live interface opened with `pcap_create`/`pcap_activate`.
/// Not thread-safe: one reader owns it.
public final class PcapHandle {
    private let handle: OpaquePointer
    /// What the handle reads from, for messages.
    public let source: String

    private init(handle: OpaquePointer, source: String) {
        self.handle = handle
        self.source = source
    }

    deinit { pcap_close(handle) }

    /// Opens a classic pcap or pcapng file.
    public static func openOffline(path: String) throws(CaptureError) -> PcapHandle {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_open_offline(path, &errbuf) else {
            throw .cannotOpenFile(path: path, reason: Self.text(errbuf))
        }
        return PcapHandle(handle: handle, source: path)
    }

    /// Opens `interface` for live capture: immediate delivery, in non-blocking mode. Read it with
    /// ``next(waitingAtMost:)``, which returns at least that often on a quiet interface:
    /// libpcap's own read timeout does not (on Linux its read keeps polling after the timeout
    /// and after a signal until a packet arrives, issue 14 item 2).
    public static func openLive(interface: String, snapLength: Int32 = 65_535, promiscuous: Bool = true,
                                timeoutMilliseconds: Int32 = 200) throws(CaptureError) -> PcapHandle {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_create(interface, &errbuf) else {
            throw .cannotOpenInterface(interface: interface, reason: Self.text(errbuf))
        }
        pcap_set_snaplen(handle, snapLength)
        pcap_set_promisc(handle, promiscuous ? 1 : 0)
        pcap_set_timeout(handle, timeoutMilliseconds)
        pcap_set_immediate_mode(handle, 1)
        let status = pcap_activate(handle)
        if status < 0 {
            let detail = String(cString: pcap_geterr(handle))
            pcap_close(handle)
            switch status {
            case PCAP_ERROR_NO_SUCH_DEVICE: throw .noSuchInterface(interface)
            case PCAP_ERROR_PERM_DENIED, PCAP_ERROR_PROMISC_PERM_DENIED:
                throw .permissionDenied(interface: interface, reason: detail)
            case PCAP_ERROR_IFACE_NOT_UP: throw .interfaceDown(interface)
            default:
                let reason = detail.isEmpty ? String(cString: pcap_statustostr(status)) : detail
                throw .cannotOpenInterface(interface: interface, reason: reason)
            }
        }
        guard pcap_setnonblock(handle, 1, &errbuf) == 0, pcap_get_selectable_fd(handle) >= 0 else {
            let reason = Self.text(errbuf)
            pcap_close(handle)
            throw .cannotOpenInterface(interface: interface, reason: reason.isEmpty ? "no selectable descriptor" : reason)
        }
        return PcapHandle(handle: handle, source: interface)
    }

    /// The DLT value of the link layer (`pcap_datalink`).
    public var dlt: Int32 { pcap_datalink(handle) }

    /// The snapshot length (`pcap_snapshot`).
    public var snapLength: Int32 { pcap_snapshot(handle) }

    /// The link layer, or ``CaptureError/unsupportedLinkType(dlt:name:)`` naming it.
    public func linkLayer() throws(CaptureError) -> LinkLayer {
        guard let layer = LinkLayer(dlt: dlt) else {
            let name = pcap_datalink_val_to_name(dlt).map { String(cString: $0) } ?? "unknown"
            throw .unsupportedLinkType(dlt: dlt, name: name)
        }
        return layer
    }

    /// Compiles and installs a BPF filter (pcap-filter(7)); the compiler's error on failure.
    public func setFilter(_ expression: String) throws(CaptureError) {
        var program = bpf_program()
        guard pcap_compile(handle, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw .filterDoesNotCompile(expression: expression, reason: String(cString: pcap_geterr(handle)))
        }
        defer { pcap_freecode(&program) }
        guard pcap_setfilter(handle, &program) == 0 else {
            throw .filterDoesNotCompile(expression: expression, reason: String(cString: pcap_geterr(handle)))
        }
    }

    /// What one read returned.
    public enum Read {
        case frame(CapturedFrame)
        /// A live read timed out with no packet.
        case timeout
        /// The end of the file.
        case end
    }

    /// Reads the next packet (`pcap_next_ex`). A truncated or corrupt file is
    /// ``CaptureError/readFailed(_:)`` with libpcap's text; the packets before it were returned.
    public func next() throws(CaptureError) -> Read {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let status = pcap_next_ex(handle, &header, &data)
        switch status {
        case 1:
            guard let header, let data else { return .timeout }
            let captured = Int(header.pointee.caplen)
            let bytes = Array(UnsafeBufferPointer(start: data, count: captured))
            let time = PacketTime(seconds: Int64(header.pointee.ts.tv_sec),
                                  microseconds: Int32(clamping: header.pointee.ts.tv_usec))
            return .frame(CapturedFrame(time: time, bytes: bytes, originalLength: Int(header.pointee.len)))
        case 0:
            return .timeout
        case PCAP_ERROR_BREAK:
            return .end
        default:
            throw .readFailed("\(source): " + String(cString: pcap_geterr(handle)))
        }
    }

    /// The next packet of a live capture, waiting at most `timeout` for one (`poll(2)` on the
    /// capture's descriptor): ``Read/timeout`` when none came, or when a signal interrupted the
    /// wait, so the caller checks its stop conditions (a signal flag, a deadline) at least
    /// every `timeout` with no traffic at all.
    public func next(waitingAtMost timeout: Duration) throws(CaptureError) -> Read {
        let read = try next()
        guard case .timeout = read else { return read }
        var descriptor = pollfd(fd: pcap_get_selectable_fd(handle), events: Int16(POLLIN), revents: 0)
        let (seconds, attoseconds) = timeout.components
        let milliseconds = Int32(clamping: max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
        let ready = poll(&descriptor, 1, milliseconds)
        if ready < 0, errno != EINTR {
            throw .readFailed("\(source): poll: " + String(cString: strerror(errno)))
        }
        return ready > 0 ? try next() : .timeout
    }

    /// Packets received and dropped by the kernel so far (`pcap_stats`), live captures only.
    public func statistics() -> (received: UInt32, dropped: UInt32)? {
        var stats = pcap_stat()
        guard pcap_stats(handle, &stats) == 0 else { return nil }
        return (stats.ps_recv, stats.ps_drop)
    }

    static func text(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
