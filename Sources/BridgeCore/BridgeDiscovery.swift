import Crypto
import Foundation

/// How booting machines find the bridge (seed-catalog C30: the Proxy publishes its URL in DNS;
/// clients find it again there): its client-port URL and certificate fingerprint as iPXE
/// variables and kernel arguments in the scripts the appliance renders, and DNS-SD records
/// (RFC 6763, SRV per RFC 2782) for the site's DNS. Pure: values in, text out.
public struct BridgeDiscovery: Equatable, Sendable {
    public static let service = "_netboot-bridge._tcp"

    public var clientPort: Int
    public var consolePort: Int
    /// `https` or `http` (plain-http).
    public var scheme: String
    /// SHA-256 of the certificate, `AB:CD:…`; nil with plain HTTP.
    public var fingerprint: String?

    public init(clientPort: Int, consolePort: Int, scheme: String, fingerprint: String?) {
        self.clientPort = clientPort
        self.consolePort = consolePort
        self.scheme = scheme
        self.fingerprint = fingerprint
    }

    /// The client-port URL on `host` (the address the booting machine reached the appliance at).
    public func url(host: String) -> String {
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(scheme)://\(bracketed):\(clientPort)"
    }

    /// iPXE `set` variables: `netboot-bridge` and `netboot-bridge-fingerprint`.
    public func ipxeVariables(host: String) -> [(name: String, value: String)] {
        var variables = [(name: "netboot-bridge", value: url(host: host))]
        if let fingerprint { variables.append((name: "netboot-bridge-fingerprint", value: fingerprint)) }
        return variables
    }

    /// Kernel command-line arguments: `netboot.bridge=URL netboot.bridge_fp=FINGERPRINT`.
    public func kernelArguments(host: String) -> [String] {
        var arguments = ["netboot.bridge=\(url(host: host))"]
        if let fingerprint { arguments.append("netboot.bridge_fp=\(fingerprint)") }
        return arguments
    }

    /// DNS-SD records in zone-file syntax for `host` (a fully qualified name) in `domain`: the
    /// PTR that lists the instance, its SRV (priority 0, weight 0, the client port) and a TXT
    /// with the scheme, console port and fingerprint.
    public func zoneRecords(instance: String, host: String, domain: String, ttl: Int = 3600) -> String {
        let domain = domain.hasSuffix(".") ? domain : domain + "."
        let host = host.hasSuffix(".") ? host : host + "."
        let label = Self.escapeLabel(instance)
        let name = "\(label).\(Self.service).\(domain)"
        var txt = ["\"txtvers=1\"", "\"scheme=\(scheme)\"", "\"console=\(consolePort)\""]
        if let fingerprint { txt.append("\"sha256=\(fingerprint)\"") }
        return """
            ; netboot bridge discovery (docs/bridge.md): add to the zone of \(domain)
            \(Self.service).\(domain) \(ttl) IN PTR \(name)
            \(name) \(ttl) IN SRV 0 0 \(clientPort) \(host)
            \(name) \(ttl) IN TXT \(txt.joined(separator: " "))

            """
    }

    /// A DNS label as zone-file text: dots, spaces, quotes and backslashes escaped, at most 63 bytes.
    static func escapeLabel(_ text: String) -> String {
        var out = ""
        var length = 0
        for byte in text.utf8 {
            guard length < 63 else { break }
            length += 1
            switch byte {
            case UInt8(ascii: "."), UInt8(ascii: " "), UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: ";"),
                 UInt8(ascii: "("), UInt8(ascii: ")"):
                out += "\\" + String(UnicodeScalar(byte))
            case 0x21...0x7E:
                out += String(UnicodeScalar(byte))
            default:
                out += String(format: "\\%03d", byte)
            }
        }
        return out
    }

    /// The SHA-256 fingerprint of the first certificate in PEM `text` (nil when there is none).
    public static func fingerprint(pem text: String) -> String? {
        guard let begin = text.range(of: "-----BEGIN CERTIFICATE-----"),
              let end = text.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<text.endIndex) else { return nil }
        let base64 = text[begin.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
        guard let der = Data(base64Encoded: String(base64)), !der.isEmpty else { return nil }
        return SHA256.hash(data: der).map { String(format: "%02X", $0) }.joined(separator: ":")
    }
}
