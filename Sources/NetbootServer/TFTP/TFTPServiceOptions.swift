import BootServices
import CLinuxEvents
import NIOCore
import NetbootWire

/// Everything ``TFTPService`` needs to know, with documented defaults
/// (issue 4; boot-servers-dhcp-tftp-http.md §1).
public struct TFTPServiceOptions: Sendable {
    /// The addresses to listen on, one listener each (`tftp.listen`, or the served interfaces'
    /// addresses: ``ListenAddresses``); `0.0.0.0` answers on every interface. Each transfer's
    /// socket is bound to the address the request arrived on (IP_PKTINFO). Empty: TFTP is not
    /// served (no interface had an address).
    public var addresses: [String]
    /// UDP port for requests (69).
    public var port: Int
    /// Files are served from here (RRQ). Must exist.
    public var root: String
    /// WRQ is refused with ERROR 2 unless this is set; uploads land here, never overwriting.
    public var uploadDirectory: String?
    /// How requested names map into the root.
    public var pathMapping: TFTPPathMapping
    /// Limits and timings of each transfer, client classes included.
    public var transfer: TFTPTransferConfiguration
    /// Transfers at once; the next request gets ERROR 0 "server busy". Each costs one UDP
    /// socket and about `transfer.readAheadBytes` of memory.
    public var maxTransfers: Int
    /// Transfers from one client address at once; its next request gets ERROR 0 "server busy"
    /// while other clients are still served. A booting machine reads one file at a time, so
    /// 16 leaves room for several machines behind one address and keeps a host that floods
    /// read requests (and never acknowledges them) from taking more than 16 of the
    /// `maxTransfers` slots until they time out.
    public var maxTransfersPerClient: Int
    /// File opens waiting on the thread pool at once; requests past this are dropped and
    /// counted (a flood of RRQs cannot queue unbounded work).
    public var maxPendingOpens: Int
    /// netascii transfers are converted in memory; larger files are refused with ERROR 0.
    public var maxNetasciiFileSize: Int
    /// Send DATA windows as `UDP_SEGMENT` (GSO) writes where the kernel supports it: one
    /// `sendmsg` per up to 64 blocks instead of one datagram each. A transfer whose route
    /// refuses it falls back to plain datagrams by itself.
    public var segmentationOffload: Bool = true
    /// Threads that run read transfers (``TFTPTransferLoop``): one per core this process may
    /// use, at most 64. A thread that carries many transfers finds their ACKs already waiting
    /// when it wakes, so it sleeps and is woken less often per block, and a wakeup that crosses
    /// to another CPU (an IPI) is the dearest part of a lockstep block on a busy machine.
    /// Measured on 2 cores with 32 lockstep clients, the server at nice -10 (docs/tftp.md,
    /// "Threads and their priority"): 2 threads ran 1.2× what 8 did, and 1 thread 0.94× of 2.
    public var transferThreads: Int = TFTPServiceOptions.defaultTransferThreads(cores: TFTPServiceOptions.usableCores)
    /// How long a transfer thread polls its sockets before it sleeps, while at most half the
    /// cores' worth of read transfers run (``TFTPBusyPoll``); zero never polls. Saves a
    /// lockstep transfer the wakeup per block: 2.3× the blocks per second on the 2-core VM.
    public var busyPoll: Duration = .microseconds(50)
    /// Configured client classes matched by a DHCP vendor class the TFTP service cannot see
    /// yet (logged at start-up).
    public var unmatchedVendorClasses: [String] = []

    public init(address: String = "0.0.0.0", port: Int = 69, root: String, uploadDirectory: String? = nil,
                pathMapping: TFTPPathMapping = TFTPPathMapping(),
                transfer: TFTPTransferConfiguration = TFTPTransferConfiguration(), maxTransfers: Int = 512,
                maxTransfersPerClient: Int = TFTPServiceOptions.defaultMaxTransfersPerClient,
                maxPendingOpens: Int = 1024, maxNetasciiFileSize: Int = 16 << 20) {
        self.addresses = [address]
        self.port = port
        self.root = root
        self.uploadDirectory = uploadDirectory
        self.pathMapping = pathMapping
        self.transfer = transfer
        self.maxTransfers = max(1, maxTransfers)
        self.maxTransfersPerClient = max(1, maxTransfersPerClient)
        self.maxPendingOpens = max(1, maxPendingOpens)
        self.maxNetasciiFileSize = max(0, maxNetasciiFileSize)
    }

    /// ``maxTransfersPerClient`` unless configured (`tftp.max-transfers-per-client`).
    public static let defaultMaxTransfersPerClient = 16

    /// ``transferThreads`` when not configured: one per core, at least 1, at most 64.
    public static func defaultTransferThreads(cores: Int) -> Int { max(1, min(64, cores)) }

    /// The cores this process may use: NIO's count (which honours cgroup quotas and cpusets),
    /// narrowed by the CPU affinity mask (`taskset`).
    public static var usableCores: Int {
        let affinity = Int(netboot_affinity_cpu_count())
        return affinity > 0 ? min(System.coreCount, affinity) : System.coreCount
    }
}
