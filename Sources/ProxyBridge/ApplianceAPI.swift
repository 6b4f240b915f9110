import BridgeCore
import Foundation
import HTTPTypes
import Hummingbird
import NetbootWire

/// The console port's image and lease-release routes (docs/bridge.md, "Images and leases"),
/// answered by the appliance through an ``ApplianceLink``. Reads need `images.read`; the
/// rescan (`images.rescan`) and the release (`leases.release`) are Administrators' and each
/// is a line in the audit log, whatever its outcome.
struct ApplianceAPI: Sendable {
    let link: any ApplianceLink
    let audit: AuditTrail
    let now: @Sendable () -> Date
    /// Remote mode: leases are the remote appliance's too (`GET /v1/leases` forwarded), in place
    /// of the local `netboot.sqlite`.
    var remote: RemoteAppliance?

    var handlers: [String: BridgeRouter.Handler] {
        var handlers: [String: BridgeRouter.Handler] = ["listImages": listImages, "rescanImages": rescanImages, "releaseLease": releaseLease]
        if remote != nil { handlers["listLeases"] = listRemoteLeases }
        return handlers
    }

    @Sendable func listRemoteLeases(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        guard let remote else { throw BridgeError.notFound }
        do throws(ApplianceFailure) {
            return JSONBody.data(status: .ok, try await call { _ in try remote.leases() })
        } catch {
            throw Self.answer(error)
        }
    }

    @Sendable func listImages(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        do throws(ApplianceFailure) {
            return JSONBody.data(status: .ok, try await call { try $0.images() })
        } catch {
            throw Self.answer(error)
        }
    }

    @Sendable func rescanImages(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        guard let caller = context.caller else { throw BridgeError.unauthorized }
        let instant = now()
        do throws(ApplianceFailure) {
            let result = try await call { try $0.rescanImages() }
            await audit.record(actor: caller, action: "images.rescan", target: "images", outcome: "allowed", at: instant)
            return JSONBody.data(status: .ok, result)
        } catch {
            await audit.record(actor: caller, action: "images.rescan", target: "images", outcome: Self.outcome(error), at: instant)
            throw Self.answer(error)
        }
    }

    @Sendable func releaseLease(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        guard let caller = context.caller else { throw BridgeError.unauthorized }
        let text = context.parameters.get("lease") ?? ""
        guard let lease = Self.target(text) else {
            throw BridgeError(status: .badRequest, message: "path 'lease': neither a MAC address (aa:bb:cc:dd:ee:ff) nor an IPv4 address",
                              field: "lease")
        }
        let instant = now()
        do throws(ApplianceFailure) {
            let result = try await call { try $0.releaseLease(lease) }
            await audit.record(actor: caller, action: "leases.release", target: lease.description, outcome: "allowed", at: instant)
            return JSONBody.data(status: .ok, result)
        } catch {
            await audit.record(actor: caller, action: "leases.release", target: lease.description, outcome: Self.outcome(error), at: instant)
            throw Self.answer(error)
        }
    }

    /// Runs a blocking call of the link on the blocking pool; its failure keeps its type.
    func call(_ body: @escaping @Sendable (any ApplianceLink) throws -> Data) async throws(ApplianceFailure) -> Data {
        let link = link
        do {
            return try await Blocking.run { try body(link) }
        } catch let failure as ApplianceFailure {
            throw failure
        } catch {
            throw .failed("the appliance did not answer: \(error)")
        }
    }

    /// A MAC (normalized to lower-case colons) or a dotted IPv4 address; nil for anything else.
    static func target(_ text: String) -> LeaseTarget? {
        if let mac = MACAddress(text) { return .mac(mac.description) }
        if let address = IPv4Address(text) { return .address(address.description) }
        return nil
    }

    static func outcome(_ failure: ApplianceFailure) -> String {
        switch failure {
        case .notRunning: "not-running"
        case .notFound: "not-found"
        case .unavailable: "unavailable"
        case .failed: "failed"
        }
    }

    static func answer(_ failure: ApplianceFailure) -> BridgeError {
        switch failure {
        case .notRunning(let text): BridgeError(status: .serviceUnavailable, message: text)
        case .notFound(let text): BridgeError(status: .notFound, message: text)
        case .unavailable(let text): BridgeError(status: .conflict, message: text)
        case .failed(let text): BridgeError(status: .badGateway, message: text)
        }
    }
}
