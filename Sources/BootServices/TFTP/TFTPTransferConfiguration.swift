import NetbootWire

/// The limits and timings of every TFTP transfer. Defaults and why:
/// - `maxBlockSize` 1468: the largest block that fits a 1500-byte Ethernet MTU with IPv4 and
///   UDP headers (1500 − 20 − 8 − 4); UEFI PXE asks for exactly this (edk2).
/// - `maxWindowSize` 64: RFC 7440 measurements level off around 64, and some peers fail above
///   (u-root#1966, tftp-hpa fork `MAX_WINDOWSIZE`).
/// - `retransmitTimeout` 1 s doubling up to `maxRetransmitTimeout` 8 s, `maxRetries` 5: a
///   dead client is given up after 1+2+4+8+8+8 = 31 s of silence: the original packet and each
///   of the 5 retransmissions is waited for a full timeout (RFC 2349: the wait before a packet
///   is sent again) (tftpd-hpa starts at 1 s, dnsmasq at 2 s with 7 retries).
/// - `readAheadBytes` 64 KiB: files are read in chunks, the next one requested when half of the
///   current one is sent (at least two windows at a time); memory per transfer is about this
///   plus one window. Small enough that the buffers of many transfers stay in the CPU cache:
///   with 32 clients on 2 cores, 64 KiB took about 10 % less server CPU per MiB than 512 KiB
///   (docs/tftp.md); 16 and 32 KiB took more (more reads).
public struct TFTPTransferConfiguration: Hashable, Sendable {
    public var maxBlockSize: Int
    public var maxWindowSize: Int
    public var retransmitTimeout: Duration
    public var maxRetransmitTimeout: Duration
    public var maxRetries: Int
    public var numbering: TFTPBlockNumbering
    public var readAheadBytes: Int
    /// The largest file a WRQ may upload (refused up front via tsize, else when it grows past).
    public var maxUploadSize: UInt64
    /// Checked in order; the first that matches a client applies.
    public var clientClasses: [TFTPClientClass]

    public init(maxBlockSize: Int = 1468, maxWindowSize: Int = 64, retransmitTimeout: Duration = .seconds(1),
                maxRetransmitTimeout: Duration = .seconds(8), maxRetries: Int = 5,
                numbering: TFTPBlockNumbering = TFTPBlockNumbering(), readAheadBytes: Int = 64 * 1024,
                maxUploadSize: UInt64 = 4 << 30, clientClasses: [TFTPClientClass] = [.appleFirmware]) {
        self.maxBlockSize = max(TFTPLimits.blockSize.lowerBound, min(TFTPLimits.blockSize.upperBound, maxBlockSize))
        self.maxWindowSize = max(1, min(TFTPLimits.windowSize.upperBound, maxWindowSize))
        self.retransmitTimeout = max(.milliseconds(10), retransmitTimeout)
        self.maxRetransmitTimeout = max(self.retransmitTimeout, maxRetransmitTimeout)
        self.maxRetries = max(0, maxRetries)
        self.numbering = numbering
        self.readAheadBytes = max(16 * 1024, readAheadBytes)
        self.maxUploadSize = maxUploadSize
        self.clientClasses = clientClasses
    }

    /// The first class matching the client, if any.
    public func clientClass(address: IPv4Address?, path: String) -> TFTPClientClass? {
        clientClasses.first { $0.matches(address: address, path: path) }
    }

    /// The option limits for a client: the class's overrides, else the global ones. A class
    /// may lower or raise the limit, but never past the RFC range.
    public func limits(for clientClass: TFTPClientClass?) -> TFTPOptionLimits {
        TFTPOptionLimits(
            maxBlockSize: max(TFTPLimits.blockSize.lowerBound,
                              min(TFTPLimits.blockSize.upperBound, clientClass?.maxBlockSize ?? maxBlockSize)),
            maxWindowSize: max(1, min(TFTPLimits.windowSize.upperBound, clientClass?.maxWindowSize ?? maxWindowSize)))
    }
}

/// The ranges the RFCs allow for option values.
public enum TFTPLimits {
    /// RFC 2348: "between 8 and 65464 octets, inclusive".
    public static let blockSize = 8...65464
    /// RFC 2349: "between 1 and 255 seconds, inclusive".
    public static let timeout = 1...255
    /// RFC 7440: "between 1 and 65535 blocks, inclusive".
    public static let windowSize = 1...65535
    /// RFC 1350: without a blksize option, blocks are 512 bytes.
    public static let defaultBlockSize = 512
}

/// The upper bounds negotiation clamps to, for one client.
public struct TFTPOptionLimits: Hashable, Sendable {
    public var maxBlockSize: Int
    public var maxWindowSize: Int

    public init(maxBlockSize: Int, maxWindowSize: Int) {
        self.maxBlockSize = maxBlockSize
        self.maxWindowSize = maxWindowSize
    }
}
