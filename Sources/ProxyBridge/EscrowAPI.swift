import BridgeCore
import Foundation
import Hummingbird
import NetbootStore

/// Escrowed secrets (seed-catalog C32, P16, P29: FileVault recovery keys that only Key
/// Administrators read back): a machine escrows a secret of its own on the client port, and a
/// Key Administrator (or an Administrator, the seed's Domain Admins) reads a device's secrets
/// on the console port. The store keeps them sealed (``EscrowSeal``); a secret appears in the
/// one answer that reads it and nowhere else — not in logs, the audit log (which records who
/// read which device's secrets), the outbox, status or the device record.
struct EscrowAPI: Sendable {
    let store: any BridgeRecords
    let seal: EscrowSeal
    let audit: AuditTrail
    let maxBodyBytes: Int
    let now: @Sendable () -> Date

    var clientHandlers: [String: BridgeRouter.Handler] { ["escrowSecret": escrowSecret] }
    var consoleHandlers: [String: BridgeRouter.Handler] { ["readEscrow": readEscrow] }

    @Sendable func escrowSecret(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        guard let caller = context.caller, let mac = caller.deviceMAC else { throw BridgeError.forbidden }
        let body = try await request.collectBody(limit: min(maxBodyBytes, 16384))
        let escrow: EscrowRequest
        do { escrow = try EscrowRequest.decode(body) } catch { throw BridgeError.badRequest(error) }
        let sealed = try seal.seal(escrow.secret, mac: mac, kind: escrow.kind)
        let (store, instant) = (store, now())
        let stored = try await Blocking.run { try store.escrow(mac: mac, kind: escrow.kind, sealed: sealed, now: instant) }
        audit.logger.notice("escrow: \(mac) escrowed a \(escrow.kind) (entry \(stored.id))")
        return JSONBody.response(status: .created, .object([
            "id": .number(Double(stored.id)), "mac": .string(mac), "kind": .string(stored.kind),
            "escrowed_at": .string(stored.escrowedAt.formatted(.iso8601)),
        ]))
    }

    @Sendable func readEscrow(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        guard let caller = context.caller else { throw BridgeError.unauthorized }
        let mac = try ConsoleAPI.mac(context)
        let (store, instant) = (store, now())
        let entries = try await Blocking.run { try store.escrowed(mac: mac) }
        guard !entries.isEmpty else {
            await audit.record(actor: caller, action: "escrow.read", target: mac, outcome: "not-found", at: instant)
            throw BridgeError.notFound
        }
        let secrets = entries.map { entry -> JSONValue in
            let secret = seal.open(entry.sealed, mac: entry.mac, kind: entry.kind)
            return .object([
                "id": .number(Double(entry.id)), "kind": .string(entry.kind),
                "escrowed_at": .string(entry.escrowedAt.formatted(.iso8601)),
                // A box this key does not open (another key file, a tampered row) is shown as such.
                "secret": secret.map(JSONValue.string) ?? .null, "sealed_by_another_key": .bool(secret == nil),
            ])
        }
        await audit.record(actor: caller, action: "escrow.read", target: mac, outcome: "allowed", at: instant)
        return JSONBody.response(status: .ok, .object(["mac": .string(mac), "secrets": .array(secrets)]))
    }
}

/// The escrow key file (`state-dir/bridge-escrow.key`, 32 random bytes, mode 0600), made on
/// the bridge's first start. Kept apart from `bridge.sqlite` so that a copy of the database
/// alone holds no readable secret; back both up, separately.
public enum EscrowKeyFile {
    public static let fileName = "bridge-escrow.key"

    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The key of `stateDirectory`; made first when `create` and there is none.
    public static func load(stateDirectory: String, create: Bool = true) throws -> EscrowSeal {
        let path = (stateDirectory as NSString).appendingPathComponent(fileName)
        if create, !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
            let key = EscrowSeal.newKey()
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            if descriptor >= 0 {
                defer { close(descriptor) }
                let written = key.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                guard written == key.count, fsync(descriptor) == 0 else { throw LoadError(description: "cannot write \(path)") }
            } else if errno != EEXIST {
                throw LoadError(description: "cannot create \(path): errno \(errno)")
            }
        }
        guard let key = FileManager.default.contents(atPath: path) else { throw LoadError(description: "cannot read \(path)") }
        guard let seal = EscrowSeal(key: key) else {
            throw LoadError(description: "\(path): expected \(EscrowSeal.keyBytes) bytes (the escrow key; remove it only if no secret was escrowed)")
        }
        return seal
    }
}

extension BridgeRoute {
    /// The escrow routes' rows of ``BridgeRoute``.
    public static let escrow: [BridgeRoute] = [
        BridgeRoute(port: .client, method: "POST", path: "/v1/escrow", scope: .escrowWrite, operation: "escrowSecret",
                    summary: "Escrow a secret of the calling machine (a FileVault recovery key, a firmware password); "
                        + "stored sealed, read back only by Key Administrators and Administrators.",
                    requestSchema: "EscrowRequest",
                    responses: [201: "Escrowed; durable before this answer (the secret is not echoed).", 400: "A field is wrong.",
                                401: "No live client token.", 403: "Not a client token.", 413: "Body too large."]),
        BridgeRoute(port: .console, method: "GET", path: "/v1/devices/{mac}/escrow", scope: .escrowRead, operation: "readEscrow",
                    summary: "A device's escrowed secrets, newest first (every read is an audit line).",
                    responses: [200: "The secrets.", 401: "No live token.", 403: "Wrong role.", 404: "Nothing escrowed for this device."]),
    ]
}

extension OpenAPIDocument {
    /// The request schema of the escrow route.
    static func escrowSchemas(for port: BridgeRoute.Port) -> [String: JSONValue] {
        guard port == .client else { return [:] }
        return ["EscrowRequest": object([
            "kind": .object(["type": .string("string"), "maxLength": .number(64), "pattern": .string("^[a-z0-9._-]+$")]),
            "secret": .object(["type": .string("string"), "minLength": .number(1),
                               "maxLength": .number(Double(EscrowRequest.maxSecretBytes))]),
        ], required: ["kind", "secret"])]
    }
}
