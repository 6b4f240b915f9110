import BridgeCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NetbootStore
import Synchronization
import TaskSequenceDrivers

/// `PUT /v1/runs/{id}/images/{name}` (client port, docs/bridge.md "Captured images"): a
/// machine's Capture Image step streams its image here, and the appliance registers it in its
/// disk-image catalog (`images-dir/disk/`, ``DiskImageUpload``, the check `netboot images add`
/// makes) and logs the seed's `New image distributed: NAME`. The body is streamed to a hidden
/// temporary file on the blocking pool, 1 MiB at a time, decoded and hashed as it comes; an
/// upload cut off, too large, corrupt or with a wrong digest leaves nothing registered.
struct ImageCaptureAPI: Sendable {
    /// The header declaring the raw content's SHA-256 up front (64 hex digits).
    static let digestHeader = HTTPField.Name("Netboot-Image-SHA256")!

    let store: any BridgeRecords
    let audit: AuditTrail
    /// The appliance's `images-dir`; nil for a bridge in remote mode (503).
    let imagesDirectory: String?
    let maxImageBytes: Int
    let uploading = NamesInUse()

    var handlers: [String: BridgeRouter.Handler] { ["uploadCapturedImage": upload] }

    @Sendable func upload(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        guard let mac = context.caller?.deviceMAC else { throw BridgeError.forbidden }
        let id = context.parameters.get("id") ?? ""
        let name = context.parameters.get("name") ?? ""
        let store = store
        guard let run = try await Blocking.run({ try store.run(id: id) }), run.mac == mac else { throw BridgeError.notFound }
        guard run.state == "running" else { throw BridgeError(status: .conflict, message: "run \(id) has finished", field: nil) }
        guard run.steps.contains(where: { $0.type == "captureImage" }) else {
            throw BridgeError(status: .conflict, message: "run \(id) has no Capture Image step", field: nil)
        }
        guard let imagesDirectory else {
            throw BridgeError(status: .serviceUnavailable, message: "this bridge is in remote mode: captured images go to the appliance's own bridge", field: nil)
        }
        guard DiskImageCatalog.isValidName(name) else {
            throw BridgeError(status: .badRequest, message: "'\(name)' is not a valid image name (letters, digits, . _ -)", field: "name")
        }
        var declared: String?
        if let header = request.headers[Self.digestHeader] {
            guard header.count == 64, header.allSatisfy(\.isHexDigit) else {
                throw BridgeError(status: .badRequest, message: "Netboot-Image-SHA256: expected 64 hex digits", field: "Netboot-Image-SHA256")
            }
            declared = header.lowercased()
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxImageBytes { throw BridgeError.tooLarge }
        guard uploading.claim(name) else {
            throw BridgeError(status: .conflict, message: "an image named '\(name)' is being uploaded", field: "name")
        }
        defer { uploading.release(name) }
        let limit = maxImageBytes
        let box: UploadBox
        do {
            box = try await Blocking.run { try UploadBox(DiskImageUpload(name: name, imagesDirectory: imagesDirectory, replace: false)) }
        } catch {
            throw Self.answer(error)
        }
        do {
            var pending = ByteBuffer()
            var received = 0
            for try await chunk in request.body {
                received += chunk.readableBytes
                guard received <= limit else { throw BridgeError.tooLarge }
                pending.writeImmutableBuffer(chunk)
                if pending.readableBytes >= 1 << 20 {
                    let full = pending
                    pending = ByteBuffer()
                    try await Blocking.run { try box.append(full) }
                }
            }
            let (last, digest) = (pending, declared)
            let image = try await Blocking.run { () throws -> DiskImage in
                try box.append(last)
                return try box.upload.commit(declaredSHA256: digest, requireChecksum: true)
            }
            audit.logger.notice("New image distributed: \(image.name)")
            audit.logger.notice("disk image \(image.name) captured by \(mac) in run \(id): \(image.file), \(image.size) bytes, raw \(image.rawSize) bytes, sha256 \(image.sha256)")
            return JSONBody.response(status: .created, encoding: image)
        } catch {
            try? await Blocking.run { box.upload.abort() }
            audit.logger.warning("captured image '\(name)' from \(mac) in run \(id) not stored: \(error)")
            throw Self.answer(error)
        }
    }

    /// The answer for an upload that failed: a refusal by its kind, anything else passed on.
    static func answer(_ error: any Error) -> any Error {
        guard let refusal = error as? DiskImageUpload.Refusal else { return error }
        switch refusal {
        case .invalidName(let text): return BridgeError(status: .badRequest, message: text, field: "name")
        case .exists(let text): return BridgeError(status: .conflict, message: text, field: "name")
        case .corrupt(let text): return BridgeError(status: .badRequest, message: "the image does not decode: \(text)", field: nil)
        case .noChecksum: return BridgeError(status: .badRequest, message: refusal.description, field: "Netboot-Image-SHA256")
        case .checksumMismatch: return BridgeError(status: .unprocessableContent, message: refusal.description, field: nil)
        case .io(let text): return BridgeError(status: .internalServerError, message: "cannot store the image: \(text)", field: nil)
        }
    }
}

/// One upload, handed from task to task and used by one blocking call at a time (the handler
/// awaits each before the next).
private final class UploadBox: @unchecked Sendable {
    let upload: DiskImageUpload
    init(_ upload: DiskImageUpload) { self.upload = upload }

    func append(_ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { try upload.append($0) }
    }
}

/// Image names with an upload under way: a second upload of the same name is refused (409)
/// rather than racing the first to the catalog.
final class NamesInUse: Sendable {
    private let names = Mutex<Set<String>>([])

    func claim(_ name: String) -> Bool { names.withLock { $0.insert(name).inserted } }
    func release(_ name: String) { _ = names.withLock { $0.remove(name) } }
}
