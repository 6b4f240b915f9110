import BootImages
import Foundation

/// One reply line: `{"version":1,"id":…,"ok":true,"result":{…}}` or
/// `{"version":1,"id":…,"ok":false,"error":{"code":…,"message":…}}` (docs/control.md).
public struct ControlReply: Hashable, Sendable {
    public var id: ControlRequestID?
    public var outcome: Outcome

    public init(id: ControlRequestID?, outcome: Outcome) {
        self.id = id
        self.outcome = outcome
    }

    /// The result of each command, or the error.
    public enum Outcome: Hashable, Sendable {
        case status(StatusReport)
        case images(ImageCatalog)
        case rescanned(ImagesRescan)
        case leases(LeaseListing)
        case released(LeaseRelease)
        case dumped(FlightRecorderDump)
        case reloaded(ConfigurationReload)
        case error(ControlError)
    }

    public static func error(_ id: ControlRequestID?, _ error: ControlError) -> ControlReply {
        ControlReply(id: id, outcome: .error(error))
    }

    public var error: ControlError? {
        if case .error(let error) = outcome { return error }
        return nil
    }

    // MARK: encoding

    private struct Envelope<Result: Encodable>: Encodable {
        var version = ControlProtocol.version
        var id: ControlRequestID?
        var ok: Bool
        var result: Result?
        var error: ControlError?
    }

    /// The reply as one line, newline included (keys sorted, so equal replies are equal bytes).
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data: Data?
        switch outcome {
        case .status(let value): data = try? encoder.encode(Envelope(id: id, ok: true, result: value))
        case .images(let value): data = try? encoder.encode(Envelope(id: id, ok: true, result: value))
        case .rescanned(let value): data = try? encoder.encode(Envelope(id: id, ok: true, result: value))
        case .leases(let value): data = try? encoder.encode(Envelope(id: id, ok: true, result: value))
        case .released(let value): data = try? encoder.encode(Envelope(id: id, ok: true, result: value))
        case .dumped(let value): data = try? encoder.encode(Envelope(id: id, ok: true, result: value))
        case .reloaded(let value): data = try? encoder.encode(Envelope(id: id, ok: true, result: value))
        case .error(let value): data = try? encoder.encode(Envelope<Bool>(id: id, ok: false, error: value))
        }
        // Encoding these value types cannot fail (no non-finite numbers); still, never send nothing.
        let line = data.map { Array($0) }
            ?? Array(#"{"error":{"code":"failed","message":"reply could not be encoded"},"ok":false,"version":1}"#.utf8)
        return line + [UInt8(ascii: "\n")]
    }

    // MARK: decoding (the client side)

    private struct Head: Decodable {
        var version: Int
        var id: ControlRequestID?
        var ok: Bool
        var error: ControlError?
    }

    private struct Body<Result: Decodable>: Decodable {
        var result: Result
    }

    /// Why a reply line could not be read.
    public struct UnreadableReply: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads the reply to a `command` request.
    public static func decode(_ line: some Collection<UInt8>, for command: ControlCommand) throws -> ControlReply {
        let data = Data(line)
        let decoder = JSONDecoder()
        let head: Head
        do {
            head = try decoder.decode(Head.self, from: data)
        } catch {
            throw UnreadableReply(description: "the server's reply is not a control reply: \(error)")
        }
        guard head.version == ControlProtocol.version else {
            throw UnreadableReply(description: "the server speaks control protocol version \(head.version), this netboot \(ControlProtocol.version)")
        }
        guard head.ok else {
            return ControlReply(id: head.id, outcome: .error(head.error ?? ControlError(.failed, "error reply without an error")))
        }
        do {
            let outcome: Outcome
            switch command {
            case .status: outcome = .status(try decoder.decode(Body<StatusReport>.self, from: data).result)
            case .imagesList: outcome = .images(try decoder.decode(Body<ImageCatalog>.self, from: data).result)
            case .imagesRescan: outcome = .rescanned(try decoder.decode(Body<ImagesRescan>.self, from: data).result)
            case .leasesList: outcome = .leases(try decoder.decode(Body<LeaseListing>.self, from: data).result)
            case .leasesRelease: outcome = .released(try decoder.decode(Body<LeaseRelease>.self, from: data).result)
            case .captureDump: outcome = .dumped(try decoder.decode(Body<FlightRecorderDump>.self, from: data).result)
            case .configReload: outcome = .reloaded(try decoder.decode(Body<ConfigurationReload>.self, from: data).result)
            }
            return ControlReply(id: head.id, outcome: outcome)
        } catch {
            throw UnreadableReply(description: "the server's \(command.rawValue) result is not readable: \(error)")
        }
    }
}
