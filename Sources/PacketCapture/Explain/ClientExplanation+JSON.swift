import BootImages
import Foundation

extension ClientExplanation {
    /// `netboot explain --mac MAC --json` for a Mac (issue 20): the same facts as ``lines``, as
    /// `{client: {mac, architecture, model, attributeFilter}, images: [{id, name, folder,
    /// offered, default, reasons}], answers, defaultImage, defaultBasis, collections,
    /// deployments: [{sequence, collection}], inventoryUsed}`.
    public var json: String {
        struct Client: Encodable { var mac: String; var architecture: String; var model: String?; var attributeFilter: [UInt16]? }
        struct Image: Encodable {
            var id: String
            var name: String
            var folder: String
            var offered: Bool
            var isDefault: Bool
            var reasons: [String]
            enum CodingKeys: String, CodingKey {
                case id, name, folder, offered, reasons
                case isDefault = "default"
            }
        }
        struct Deployment: Encodable { var sequence: String; var collection: String }
        struct Document: Encodable {
            var client: Client
            var images: [Image]
            var answers: Bool
            var defaultImage: String?
            var defaultBasis: String?
            var collections: [String]
            var deployments: [Deployment]
            var inventoryUsed: Bool
        }
        let chosen = decision.defaultImage
        let document = Document(
            client: Client(mac: client.mac.description, architecture: client.architecture, model: client.systemIdentifier,
                           attributeFilter: client.attributeFilter),
            images: decision.eligibility.map { verdict in
                Image(id: verdict.image.idText, name: verdict.image.name, folder: verdict.image.folder,
                      offered: verdict.isEligible,
                      isDefault: chosen.map { $0.image.bootImageIDValue == verdict.image.bootImageIDValue
                          && $0.image.folder == verdict.image.folder } ?? false,
                      reasons: verdict.reasons.map(\.description))
            },
            answers: decision.answers, defaultImage: chosen?.image.idText, defaultBasis: chosen?.basis.rawValue,
            collections: collections, deployments: deployments.map { Deployment(sequence: $0.sequence, collection: $0.collection) },
            inventoryUsed: inventoryUsed)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(document)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
