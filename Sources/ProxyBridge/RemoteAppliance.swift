import Foundation
import NIOCore
import NIOHTTP1

/// The ``ApplianceLink`` of a bridge on another host (docs/bridge.md, "Remote mode"):
/// `bridge.appliance: https://host:8760` names the appliance's console port, and the image,
/// rescan, lease-list and lease-release calls are forwarded there with the token of
/// `bridge.appliance-token-file`. The appliance's role checks and audit log apply to that
/// token; this bridge checks its own callers first and writes its own audit line.
///
/// With `bridge.appliance-fingerprint` only the certificate with that SHA-256 fingerprint is
/// accepted (the appliance logs it at start; usually its self-signed one); without it the
/// system's roots and the host name are checked (``PinnedHTTPS``).
struct RemoteAppliance: ApplianceLink {
    let base: String
    let host: String
    let port: Int
    let token: String
    let fingerprint: String?
    let timeout: TimeAmount

    /// Reads the token file; throws naming the key when the URL or the file is unusable.
    init(url: String, tokenFile: String, fingerprint: String, timeout: Int) throws {
        guard let parsed = URL(string: url), parsed.scheme == "https", let host = parsed.host, !host.isEmpty else {
            throw RemoteApplianceError(message: "bridge.appliance: not an https:// URL with a host: \(url)")
        }
        base = url
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        port = parsed.port ?? 443
        let text: String
        do {
            text = try String(contentsOfFile: tokenFile, encoding: .utf8)
        } catch {
            throw RemoteApplianceError(message: "bridge.appliance-token-file \(tokenFile): cannot read it")
        }
        token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty, token.count < 200, !token.contains(where: \.isWhitespace) else {
            throw RemoteApplianceError(message: "bridge.appliance-token-file \(tokenFile): expected one token (nbt_…)")
        }
        self.fingerprint = fingerprint.isEmpty ? nil : fingerprint.uppercased()
        self.timeout = .seconds(Int64(timeout))
    }

    func images() throws(ApplianceFailure) -> Data { try call(.GET, "/v1/images") }
    func rescanImages() throws(ApplianceFailure) -> Data { try call(.POST, "/v1/images/rescan") }
    func releaseLease(_ lease: LeaseTarget) throws(ApplianceFailure) -> Data { try call(.DELETE, "/v1/leases/\(lease)") }
    /// The appliance's `GET /v1/leases`.
    func leases() throws(ApplianceFailure) -> Data { try call(.GET, "/v1/leases") }

    /// One request, waited for (the caller is on the blocking pool). The appliance's answer
    /// maps back: 200 its body; 404, 409 and 503 the same failure; anything else, a refused
    /// token included, is 502 here, naming the status.
    func call(_ method: HTTPMethod, _ path: String) throws(ApplianceFailure) -> Data {
        let answer: PinnedHTTPS.Answer
        do {
            var headers = HTTPHeaders()
            headers.add(name: "Authorization", value: "Bearer \(token)")
            answer = try PinnedHTTPS.request(host: host, port: port, method: method, path: path, headers: headers,
                                             fingerprint: fingerprint, timeout: timeout)
        } catch {
            throw .failed("the appliance at \(base) did not answer: \(error)")
        }
        let data = Data(answer.body)
        let message = Self.message(data) ?? "HTTP \(answer.status)"
        switch answer.status {
        case 200: return data
        case 404: throw .notFound(message)
        case 409: throw .unavailable(message)
        case 503: throw .notRunning("the appliance at \(base): \(message)")
        default: throw .failed("the appliance at \(base) answered HTTP \(answer.status): \(message)")
        }
    }

    static func message(_ data: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object["error"] as? String
    }
}

struct RemoteApplianceError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
