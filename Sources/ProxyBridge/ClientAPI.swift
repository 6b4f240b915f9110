import BridgeCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NetbootStore

/// The handlers of the client port (8761): enrollment, reports, files. Each is a few lines
/// around a pure decoder and one store call; who may call was decided by ``RoleMiddleware``.
struct ClientAPI: Sendable {
    let store: any BridgeRecords
    let committer: ReportCommitter
    let audit: AuditTrail
    let filesDirectory: String
    let maxBodyBytes: Int
    let relay: Bool
    let now: @Sendable () -> Date

    var handlers: [String: BridgeRouter.Handler] {
        ["enroll": enroll, "submitReport": submitReport, "getFile": getFile]
    }

    @Sendable func enroll(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        guard let caller = context.caller else { throw BridgeError.unauthorized }
        let body = try await request.collectBody(limit: maxBodyBytes)
        let enrollment: EnrollmentRequest
        do { enrollment = try EnrollmentRequest.decode(body) } catch { throw BridgeError.badRequest(error) }
        let (store, instant, relay) = (store, now(), relay)
        switch try await Blocking.run({ try store.enroll(enrollment, with: caller.digest, now: instant, relay: relay) }) {
        case .refused:
            audit.logger.notice("enrollment refused: token \(caller.id) for \(enrollment.mac) (bound to another machine, or spent meanwhile)")
            throw BridgeError.unauthorized
        case let .enrolled(device, token):
            audit.logger.notice("device enrolled: \(device.mac) (\(device.hostname ?? "-")) with enrollment token \(caller.id)")
            return JSONBody.response(status: .created, encoding: EnrollmentAnswer(device: device, token: token.text))
        }
    }

    @Sendable func submitReport(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        guard let caller = context.caller, let mac = caller.deviceMAC else { throw BridgeError.forbidden }
        let body = try await request.collectBody(limit: maxBodyBytes)
        let report: ClientReport
        do { report = try ClientReport.decode(body) } catch { throw BridgeError.badRequest(error) }
        // The 202's body written out (the canonical JSON of {"duplicate", "sequence"}): no encoder per report.
        switch try await committer.submit(ReportSubmission(mac: mac, report: report)) {
        case .store:
            return JSONBody.data(status: .accepted, Data(#"{"duplicate":false,"sequence":\#(report.sequence)}"#.utf8))
        case .duplicate:
            return JSONBody.data(status: .accepted, Data(#"{"duplicate":true,"sequence":\#(report.sequence)}"#.utf8))
        case .conflict:
            throw BridgeError(status: .conflict, message: "sequence \(report.sequence) was used for another report", field: "sequence")
        }
    }

    @Sendable func getFile(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        guard let name = context.parameters.get("name"), FileName.isSafe(name) else { throw BridgeError.notFound }
        let path = (filesDirectory as NSString).appendingPathComponent(name)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw BridgeError.notFound
        }
        let response = try await FileIO().loadFile(path: path, context: context)
        var fields = HTTPFields()
        fields[.contentType] = "application/octet-stream"
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int {
            fields[.contentLength] = "\(size)"
        }
        return Response(status: .ok, headers: fields, body: response)
    }
}

/// The answer to a successful enrollment. `token` is the client token's text, here only.
struct EnrollmentAnswer: Encodable {
    var device: DeviceRecord
    var token: String
}

/// File names `GET /files/<name>` accepts: one path component, no hidden files.
enum FileName {
    static func isSafe(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 255 && !name.hasPrefix(".") && !name.contains("/") && !name.contains("\\")
            && !name.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
