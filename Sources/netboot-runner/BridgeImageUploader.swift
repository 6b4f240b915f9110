import Foundation
import TaskSequenceDrivers

/// Capture Image's way to the appliance in a run through the bridge: `PUT
/// /v1/runs/{id}/images/{name}` (docs/bridge.md "Captured images") with the compressed image as
/// a chunked body, its SHA-256 in a digest frame at the end. The appliance answers 201 with
/// the record once the image is checked and registered; anything else fails the step with the
/// appliance's reason (a Capture Image step with `retry:` captures and sends it again).
struct BridgeImageUploader: ImageUploader {
    let client: BridgeClient
    let runID: String

    var destination: String { client.url }

    func upload(name: String, body: (_ send: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> String {
        let answer = try client.stream("PUT", "/v1/runs/\(runID)/images/\(name)", body: body)
        guard answer.status == 201 else {
            let reason = answer.json?["error"] as? String ?? String(decoding: answer.body.prefix(200), as: UTF8.self)
            throw Refused(description: "the appliance answered \(answer.status): \(reason)")
        }
        let record = answer.json ?? [:]
        let file = record["file"] as? String ?? name
        let sha = record["sha256"] as? String ?? "?"
        return "stored as \(file), \(record["size"] as? Int ?? 0) bytes, raw \(record["rawSize"] as? Int ?? 0) bytes, sha256 \(sha)"
    }

    struct Refused: Error, CustomStringConvertible {
        var description: String
    }
}
