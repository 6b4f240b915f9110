// libFuzzer harness: the proxy bridge's request-body decoding (JSON → typed requests, strict
// fields), docs/bridge.md and docs/fuzzing.md.
import BridgeCore
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let body = Data(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 3 {
    case 0:
        guard let report = try? ClientReport.decode(body) else { return 0 }
        // What was accepted re-encodes to a body that decodes to the same report.
        let again = JSONValue.object(["sequence": .number(Double(report.sequence)), "kind": .string(report.kind.rawValue),
                                      "data": report.data]).canonicalJSON
        guard let decoded = try? ClientReport.decode(again) else { fatalError("accepted report does not decode again") }
        guard decoded == report, decoded.canonicalJSON == report.canonicalJSON else { fatalError("report round trip changed it") }
    case 1:
        guard let request = try? EnrollmentRequest.decode(body) else { return 0 }
        var object: [String: JSONValue] = ["mac": .string(request.mac.description)]
        if let serial = request.serial { object["serial"] = .string(serial) }
        if let model = request.model { object["model"] = .string(model) }
        if let hostname = request.hostname { object["hostname"] = .string(hostname) }
        if let osVersion = request.osVersion { object["os_version"] = .string(osVersion) }
        guard (try? EnrollmentRequest.decode(JSONValue.object(object).canonicalJSON)) == request else {
            fatalError("enrollment round trip changed it")
        }
    default:
        guard let request = try? TokenIssueRequest.decode(body) else { return 0 }
        guard request.role.rawValue.isEmpty == false, (request.ttlSeconds ?? 1) >= 1, request.label.utf8.count <= 128 else {
            fatalError("token request outside its limits")
        }
    }
    return 0
}
