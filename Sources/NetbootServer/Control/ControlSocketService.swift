#if canImport(Glibc)
import Glibc
#endif
import ControlProtocol
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The control socket (issue 15 item 1, docs/control.md): `state-dir/netboot.sock`, mode 0600,
/// one more service of `netboot serve`'s group.
///
/// Start: a socket file left by a server that died is replaced; one that answers belongs to a
/// live server and is never touched (this service then fails, and with it `netboot serve`).
/// The socket is bound under a temporary name, given mode 0600 and renamed into place, so it is
/// never reachable with looser permissions. Any other setup failure (a path that is not a
/// socket, too long a path, an unwritable state dir) is logged and the appliance serves on
/// without the socket. Shutdown: the file is removed if it is still ours.
public struct ControlSocketService: Service {
    let path: String
    let responder: ControlResponder
    let logger: Logger
    let idleTimeout: TimeAmount

    init(stateDir: String, responder: ControlResponder, logger: Logger, idleTimeout: TimeAmount = Self.idleTimeout) {
        path = Self.socketPath(stateDir: stateDir)
        self.responder = responder
        self.logger = logger
        self.idleTimeout = idleTimeout
    }

    /// By default, a connection that sends nothing for this long is closed (a half-written request does not
    /// hold a connection for ever).
    static let idleTimeout = TimeAmount.seconds(60)

    /// `state-dir/netboot.sock`.
    public static func socketPath(stateDir: String) -> String {
        (stateDir as NSString).appendingPathComponent(ControlProtocol.socketName)
    }

    /// Why the socket could not be set up. Only `anotherServerAnswers` stops `netboot serve`
    /// (never two servers on one state dir); otherwise the appliance serves on without a socket.
    public struct SetupError: Error, CustomStringConvertible {
        public var description: String
        public var anotherServerAnswers = false
    }

    public func run() async throws {
        let listening: Listening
        do {
            listening = try await listen()
        } catch let error as SetupError where !error.anotherServerAnswers {
            // Not fatal for the boot services: say so and serve on without the socket.
            logger.error("\(error); netboot status and the other socket commands cannot reach this server")
            try? await gracefulShutdown()
            return
        }
        logger.info("control socket listening on \(path)")
        try? await gracefulShutdown()
        try? await listening.channel.close()
        // Remove the file only if it is still the one we put there.
        var info = stat()
        if let ours = listening.inode, lstat(path, &info) == 0, info.st_ino == ours {
            unlink(path)
        }
        try? await listening.group.shutdownGracefully()
        logger.info("control socket closed")
    }

    private struct Listening {
        let channel: any Channel
        let group: MultiThreadedEventLoopGroup
        let inode: ino_t?
    }

    /// Binds under a temporary name, sets mode 0600 and renames the socket into place.
    private func listen() async throws -> Listening {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileModes.createDirectory(directory)
            } catch {
                throw SetupError(description: "control socket: cannot create \(directory): \(error)")
            }
        }
        try Self.clearStale(path)
        let temporary = (directory as NSString).appendingPathComponent(".\(ControlProtocol.socketName).\(getpid())")
        unlink(temporary)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 16)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .childChannelInitializer { [responder, logger, idleTimeout] child in
                    child.eventLoop.makeCompletedFuture {
                        try child.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                        try child.pipeline.syncOperations.addHandler(ControlChannelHandler(responder: responder, logger: logger))
                    }
                }
                .bind(unixDomainSocketPath: temporary).get()
        } catch {
            try? await group.shutdownGracefully()
            throw SetupError(description: "control socket: cannot bind \(temporary): \(error)")
        }
        do {
            guard chmod(temporary, 0o600) == 0 else { throw SetupError(description: "control socket: chmod \(temporary): \(Self.lastError())") }
            guard rename(temporary, path) == 0 else { throw SetupError(description: "control socket: rename to \(path): \(Self.lastError())") }
        } catch {
            unlink(temporary)
            try? await channel.close()
            try? await group.shutdownGracefully()
            throw error
        }
        var info = stat()
        return Listening(channel: channel, group: group, inode: lstat(path, &info) == 0 ? info.st_ino : nil)
    }

    /// Removes a socket file nobody answers on; refuses when one answers (a live server) or
    /// when the path is not a socket.
    static func clearStale(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw SetupError(description: "control socket: \(path) exists and is not a socket; not replacing it")
        }
        switch ControlClient.probe(path) {
        case .answered:
            throw SetupError(description: "control socket: another netboot serve answers on \(path); not starting a second one",
                             anotherServerAnswers: true)
        case .refused:
            unlink(path)
        case .other(let reason):
            throw SetupError(description: "control socket: cannot tell whether \(path) is live (\(reason)); not replacing it")
        }
    }

    static func lastError() -> String { String(cString: strerror(errno)) }
}
