import BootImages
import NetbootWire
import TaskSequence

/// What `netboot explain` prints for one client: the server's own LIST decision (the same
/// `ImageCatalog.listDecision(for:)` the BSDP responder answers from, reference §1.10) and the
/// client's collections and deployed sequences (seed §2.14). Pure: catalog and inventory in.
public struct ClientExplanation: Sendable {
    public var client: NetBootClient
    public var decision: ImageListDecision
    public var collections: [String]
    public var deployments: [(sequence: String, collection: String)]
    public var inventoryUsed: Bool

    public init(client: NetBootClient, catalog: ImageCatalog, inventory: Inventory?) {
        self.client = client
        decision = catalog.listDecision(for: client)
        inventoryUsed = inventory != nil
        if let inventory {
            let machine = Inventory.Machine(mac: client.mac.description, model: client.systemIdentifier)
            collections = inventory.collections(for: machine).map(\.name)
            deployments = inventory.deployments(for: machine).map { ($0.sequence, $0.collection) }
        } else {
            collections = []
            deployments = []
        }
    }

    /// The lines printed, images first (one per image with every reason), then collections.
    public var lines: [String] {
        var out = ["client \(client.mac) architecture \(client.architecture) model \(client.systemIdentifier ?? "(unknown)")"
            + " attribute filter " + (client.attributeFilter.map { "[" + $0.map(Self.hex16).joined(separator: ", ") + "]" } ?? "none")]
        out.append("images (\(decision.eligibility.count)):")
        out += decision.explanation.map { "  " + $0 }
        guard inventoryUsed else {
            out.append("collections: no inventory given (--inventory FILE)")
            return out
        }
        out.append("collections: " + (collections.isEmpty ? "none" : collections.joined(separator: ", ")))
        out.append("deployed sequences: " + (deployments.isEmpty ? "none"
            : deployments.map { "\($0.sequence) (via \($0.collection))" }.joined(separator: ", ")))
        return out
    }

    static func hex16(_ value: UInt16) -> String { "0x" + HexText.padded(UInt64(value), digits: 4) }
}
