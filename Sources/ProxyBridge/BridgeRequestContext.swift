import BridgeCore
import Hummingbird
import NIOCore

/// The per-request context of both ports: Hummingbird's core storage plus who is calling
/// (set by ``RoleMiddleware`` before any handler runs) and from where.
public struct BridgeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The token record of an allowed call; nil only on public routes.
    public var caller: TokenRecord?
    public var remoteAddress: String
    /// The connection, for the peer's certificate under mutual TLS.
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        channel = source.channel
    }
}
