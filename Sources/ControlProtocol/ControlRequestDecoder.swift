import Foundation
import NetbootWire

/// The request half of the control codec: one line's bytes (without its newline) → a
/// ``ControlRequest``, or the error reply it gets. Pure, and total: any bytes give a value —
/// never a trap — so a client writing junk gets an error reply and the connection goes on.
public enum ControlRequestDecoder {
    /// Why a line was refused, with the id to echo when the line got as far as having one.
    public struct Rejection: Error, Hashable, Sendable {
        public var id: ControlRequestID?
        public var error: ControlError

        public init(id: ControlRequestID?, error: ControlError) {
            self.id = id
            self.error = error
        }
    }

    static let envelopeFields: Set<String> = ["version", "id", "command", "arguments"]

    /// Decodes one request line.
    public static func decode(_ line: some Collection<UInt8>) -> Result<ControlRequest, Rejection> {
        guard line.count <= ControlProtocol.maxRequestBytes else {
            return .failure(Rejection(id: nil, error: ControlError(.tooLarge,
                "request longer than \(ControlProtocol.maxRequestBytes) bytes")))
        }
        let bytes = Data(line)
        guard String(data: bytes, encoding: .utf8) != nil else {
            return .failure(Rejection(id: nil, error: ControlError(.malformedJSON, "request is not UTF-8")))
        }
        let value: ControlJSONValue
        do {
            value = try JSONDecoder().decode(ControlJSONValue.self, from: bytes)
        } catch {
            return .failure(Rejection(id: nil, error: ControlError(.malformedJSON, "request is not valid JSON")))
        }
        guard case .object(let fields) = value else {
            return .failure(Rejection(id: nil, error: ControlError(.malformedJSON,
                "request must be a JSON object, not \(value.typeName)")))
        }
        return decode(fields)
    }

    static func decode(_ fields: [String: ControlJSONValue]) -> Result<ControlRequest, Rejection> {
        // The id first, so that every later error can be matched to its request.
        var id: ControlRequestID?
        switch fields["id"] {
        case nil, .null?: id = nil
        case .string(let text)? where text.count <= ControlProtocol.maxIDLength: id = .text(text)
        case let value? where value.integer != nil: id = value.integer.map(ControlRequestID.number)
        case _?:
            return reject(nil, .badRequest, "'id' must be an integer or a string of at most \(ControlProtocol.maxIDLength) characters")
        }
        if let unknown = fields.keys.filter({ !envelopeFields.contains($0) }).sorted().first {
            return reject(id, .badRequest, "unknown field '\(printable(unknown))'")
        }
        guard let versionValue = fields["version"] else { return reject(id, .badRequest, "missing field 'version'") }
        guard let version = versionValue.integer else {
            return reject(id, .badRequest, "'version' must be an integer, not \(versionValue.typeName)")
        }
        guard version == ControlProtocol.version else {
            return reject(id, .unsupportedVersion, "version \(version) is not supported; this server speaks version \(ControlProtocol.version)")
        }
        guard let commandValue = fields["command"] else { return reject(id, .badRequest, "missing field 'command'") }
        guard case .string(let commandName) = commandValue else {
            return reject(id, .badRequest, "'command' must be a string, not \(commandValue.typeName)")
        }
        guard let command = ControlCommand(rawValue: commandName) else {
            let known = ControlCommand.allCases.map(\.rawValue).joined(separator: ", ")
            return reject(id, .unknownCommand, "unknown command '\(printable(commandName))' (commands: \(known))")
        }
        var arguments: [String: ControlJSONValue] = [:]
        switch fields["arguments"] {
        case nil, .null?: break
        case .object(let object)?: arguments = object
        case let other?: return reject(id, .badRequest, "'arguments' must be an object, not \(other.typeName)")
        }
        switch Self.command(command, arguments: arguments) {
        case .success(let decoded): return .success(ControlRequest(id: id, command: decoded))
        case .failure(let message): return reject(id, .badArguments, "\(command.rawValue): \(message.text)")
        }
    }

    struct ArgumentProblem: Error { var text: String }

    static func command(_ command: ControlCommand, arguments: [String: ControlJSONValue])
        -> Result<ControlRequest.Command, ArgumentProblem> {
        let allowed: Set<String> = command == .leasesRelease ? ["mac", "address"] : []
        if let unknown = arguments.keys.filter({ !allowed.contains($0) }).sorted().first {
            return .failure(ArgumentProblem(text: "unknown argument '\(printable(unknown))'"))
        }
        switch command {
        case .status: return .success(.status)
        case .imagesList: return .success(.imagesList)
        case .imagesRescan: return .success(.imagesRescan)
        case .leasesList: return .success(.leasesList)
        case .captureDump: return .success(.captureDump)
        case .configReload: return .success(.configReload)
        case .leasesRelease:
            switch (arguments["mac"], arguments["address"]) {
            case (nil, nil), (.null?, nil), (nil, .null?), (.null?, .null?):
                return .failure(ArgumentProblem(text: "needs 'mac' or 'address'"))
            case (.some, .some) where arguments["mac"] != .null && arguments["address"] != .null:
                return .failure(ArgumentProblem(text: "takes 'mac' or 'address', not both"))
            default: break
            }
            if let value = arguments["mac"], value != .null {
                guard case .string(let text) = value else {
                    return .failure(ArgumentProblem(text: "'mac' must be a string, not \(value.typeName)"))
                }
                guard let mac = MACAddress(text) else {
                    return .failure(ArgumentProblem(text: "'\(printable(text))' is not a MAC address (aa:bb:cc:dd:ee:ff)"))
                }
                return .success(.leasesRelease(.mac(mac)))
            }
            let value = arguments["address"] ?? .null
            guard case .string(let text) = value else {
                return .failure(ArgumentProblem(text: "'address' must be a string, not \(value.typeName)"))
            }
            guard let address = IPv4Address(text) else {
                return .failure(ArgumentProblem(text: "'\(printable(text))' is not an IPv4 address"))
            }
            return .success(.leasesRelease(.address(address)))
        }
    }

    static func reject(_ id: ControlRequestID?, _ code: ControlError.Code, _ message: String)
        -> Result<ControlRequest, Rejection> {
        .failure(Rejection(id: id, error: ControlError(code, message)))
    }

    /// Client text quoted back in a message: at most 64 characters, control characters escaped.
    static func printable(_ text: String) -> String {
        let cut = text.count > 64 ? String(text.prefix(64)) + "…" : text
        return cut.unicodeScalars.map { scalar in
            scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
                ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
        }.joined()
    }
}
