import NIOPosix

/// Store writes wait for a disk sync (`synchronous = FULL`): they run on NIO's blocking thread
/// pool, never on the Swift concurrency threads that serve every connection.
enum Blocking {
    static func run<T: Sendable>(_ body: @Sendable @escaping () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}
