#if canImport(Glibc)
import Glibc
#endif
import BridgeCore
import Foundation
import Hummingbird
import Logging
import NetbootStore
import ServiceLifecycle
import Synchronization
import Testing
@testable import ProxyBridge

/// A token lookup that hangs in the store must not stall the bridge's other connections: the
/// role middleware reads the store on NIO's blocking pool, never on the threads that serve
/// connections (docs/bridge.md, "Roles and scopes").
@Suite struct TokenLookupStallTests {
    /// Lookups wait here until the test opens the gate (or 15 s pass).
    final class Gate: Sendable {
        let semaphore = DispatchSemaphore(value: 0)
        let entered = Atomic<Int>(0)
        let opened = Atomic<Bool>(false)
        /// Set when the other connection was answered before the gate opened.
        let answeredWhileHeld = Atomic<Bool>(false)

        /// The names of the threads lookups ran on.
        let threads = Mutex<[String]>([])

        func hold() {
            let text = ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            threads.withLock { $0.append(text) }
            entered.add(1, ordering: .sequentiallyConsistent)
            _ = semaphore.wait(timeout: .now() + 15)
        }

        func open(_ waiters: Int) {
            guard !opened.exchange(true, ordering: .sequentiallyConsistent) else { return }
            for _ in 0..<waiters { semaphore.signal() }
        }
    }

    @Test func aHangingLookupDoesNotStallAPublicRoute() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netboot-stall-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try BridgeStore(stateDirectory: directory)
        let gate = Gate()
        let middleware = RoleMiddleware(routes: BridgeRoute.all, lookup: { _ in gate.hold(); return nil },
                                        rate: RateLimit(perSecond: 10_000, burst: 10_000),
                                        audit: AuditTrail(store: store, logger: Logger(label: "test")), now: { Date() })
        var handlers: [String: BridgeRouter.Handler] = [:]
        for route in BridgeRoute.all where route.port == .console && route.path != "/openapi.json" {
            handlers[route.operation] = { _, _ in Response(status: .ok) }
        }
        let router = try BridgeRouter.build(port: .console, middleware: middleware, handlers: handlers)
        let port = Mutex<Int?>(nil)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } },
                              logger: Logger(label: "test"))
        let waiters = 4 * max(2, ProcessInfo.processInfo.activeProcessorCount)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            let bound = try await Self.waitFor { port.withLock { $0 } }
            // Callers whose token lookups hang: more than there are threads to serve connections.
            let slow = (0..<waiters).compactMap { _ in
                Self.send(port: bound, "GET /v1/devices HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer nbt_\(String(repeating: "A", count: 43))\r\n\r\n")
            }
            defer { slow.forEach { close($0) } }
            _ = try await Self.waitFor { gate.entered.load(ordering: .sequentiallyConsistent) > 0 ? true : nil }
            try await Task.sleep(for: .milliseconds(300))
            // Another connection on a route that needs no lookup, read on a plain thread (the
            // test's own tasks share the threads a stalled bridge would hold).
            let done = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                defer { done.signal() }
                guard let fd = Self.send(port: bound, "GET /openapi.json HTTP/1.1\r\nHost: t\r\n\r\n") else { return }
                defer { close(fd) }
                var buffer = [UInt8](repeating: 0, count: 64)
                let count = read(fd, &buffer, buffer.count)
                if count > 12, String(decoding: buffer[0..<12], as: UTF8.self) == "HTTP/1.1 200" {
                    gate.answeredWhileHeld.store(!gate.opened.load(ordering: .sequentiallyConsistent), ordering: .sequentiallyConsistent)
                }
                gate.open(waiters)
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + 10) { gate.open(waiters) }
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    done.wait()
                    continuation.resume()
                }
            }
            group.cancelAll()
        }
        let answered = gate.answeredWhileHeld.load(ordering: .sequentiallyConsistent)
        #expect(answered,
                "GET /openapi.json was not answered while other connections' token lookups hung")
        // Where they hung: NIO's blocking pool ("SGLTN-TP-#n"), not a thread that serves connections.
        // (On Linux, libdispatch adds threads when its workers block for long, so a lookup on the
        // concurrency pool stalls the others for a while rather than for ever: the thread is
        // what shows it.)
        let threads = gate.threads.withLock { $0 }
        #expect(!threads.isEmpty && threads.allSatisfy { $0.contains("TP-#") }, "token lookups ran on \(threads)")
    }

    static func waitFor<T: Sendable>(_ probe: @Sendable () -> T?) async throws -> T {
        for _ in 0..<200 {
            if let value = probe() { return value }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CancellationError()
    }

    /// Connects to 127.0.0.1:`port` and writes `text`; the socket, or nil.
    static func send(port: Int, _ text: String) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let bytes = Array(text.utf8)
        guard connected == 0, write(fd, bytes, bytes.count) == bytes.count else {
            close(fd)
            return nil
        }
        return fd
    }
}
