import BootServices
import Foundation
import NetbootWire

/// Where DHCP lease records live (DESIGN §5). One record per address; a write that would give an
/// address held by one client to another is refused, which is how no address is ever leased
/// to two clients, even with several engines (appliances) sharing one database.
///
/// The calls block on disk I/O: a SwiftNIO shell calls them off the event loop (a `NIOThreadPool`)
/// and sends the replies of a batch only after `commit` returned.
public protocol LeaseStore: Sendable {
    /// Writes all `leases` (upserts by address) in one durable transaction, deciding each at
    /// `now`: a lease is applied if its address has no record, a record of the same client, or a
    /// record no longer active at `now` (expired, released, decline period over); otherwise it is
    /// refused and the holding record is returned. Returns one outcome per lease, in order.
    /// Throws only when the transaction itself failed; then nothing was written.
    ///
    /// `exchanges` groups the writes of one decision (ranges of `leases`, in order, covering it):
    /// a group is applied whole or not at all. A new lease and the release of the client's older
    /// binding go together: were the lease refused and the release applied, the client would
    /// keep using an address the store calls free. A write left out because another of its
    /// group was refused is reported refused with the record its address holds (or itself).
    func commit(_ leases: [DHCPLease], exchanges: [Range<Int>], now: Date) throws -> [LeaseCommitOutcome]

    /// Every lease record, ordered by address.
    func allLeases() throws -> [DHCPLease]

    /// The record for one address.
    func lease(at address: IPv4Address) throws -> DHCPLease?

    /// How many `commit` calls may usefully run at once (from as many threads): the DHCP
    /// service keeps that many batches in flight, on disjoint addresses (`LeaseCommitQueue`).
    var concurrentCommits: Int { get }
}

extension LeaseStore {
    /// One: the store serialises its writers (SQLite has one writer at a time).
    public var concurrentCommits: Int { 1 }

    /// Each write its own exchange.
    public func commit(_ leases: [DHCPLease], now: Date) throws -> [LeaseCommitOutcome] {
        try commit(leases, exchanges: leases.indices.map { $0..<($0 + 1) }, now: now)
    }
}

/// The fate of one lease write in `LeaseStore.commit`.
public enum LeaseCommitOutcome: Hashable, Sendable {
    case applied
    /// The address is held by another client; this is its record.
    case refused(holder: DHCPLease)

    public var isApplied: Bool { self == .applied }
}

/// A BSDP client's selected image (bsdp-protocol-and-servers.md §1: INFORM[SELECT] binds a client
/// to an image on one server; later boots go straight to it).
public struct BSDPClientBinding: Hashable, Sendable {
    public var mac: MACAddress
    /// The 32-bit BSDP image ID (attributes in the high 16 bits, index in the low 16).
    public var imageID: UInt32
    /// The server identifier the client selected.
    public var serverIdentifier: IPv4Address
    public var selectedAt: Date

    public init(mac: MACAddress, imageID: UInt32, serverIdentifier: IPv4Address, selectedAt: Date) {
        self.mac = mac
        self.imageID = imageID
        self.serverIdentifier = serverIdentifier
        self.selectedAt = selectedAt
    }
}

/// Where BSDP selections are remembered per MAC across restarts (issue 3, BSDP responder).
public protocol BSDPBindingStore: Sendable {
    func binding(for mac: MACAddress) throws -> BSDPClientBinding?
    /// Creates or replaces the binding of `binding.mac`.
    func save(_ binding: BSDPClientBinding) throws
    /// Forgets the binding of `mac` (a SELECT naming another server) when `BSDPBindingRule.removes`
    /// says so: any binding when `namingServer` is nil, else only one that names that server.
    /// True if one was removed.
    @discardableResult func removeBinding(for mac: MACAddress, namingServer: IPv4Address?) throws -> Bool
    func allBindings() throws -> [BSDPClientBinding]
}

extension BSDPBindingStore {
    /// Forgets the binding of `mac`, whichever server it names.
    @discardableResult public func removeBinding(for mac: MACAddress) throws -> Bool {
        try removeBinding(for: mac, namingServer: nil)
    }
}
