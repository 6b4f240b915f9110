#if canImport(Glibc)
import Glibc
#endif
@testable import BootImages
import ControlProtocol
import Foundation
import Logging
import NetbootWire
import NetbootConfig
import Prometheus
import ServiceLifecycle
import Testing
@testable import NetbootServer

@Suite struct ControlSocketTests {
    func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "nbctl-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A Unix socket bound at `path`; listening or not.
    func bound(_ path: String, listening: Bool) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(result == 0)
        if listening { listen(fd, 1) }
        return fd
    }

    @Test func aStaleSocketIsRemoved() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/netboot.sock"
        close(try bound(path, listening: false))
        #expect(FileManager.default.fileExists(atPath: path))
        try ControlSocketService.clearStale(path)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func aLiveSocketIsKept() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/netboot.sock"
        let fd = try bound(path, listening: true)
        defer { close(fd) }
        #expect(throws: ControlSocketService.SetupError.self) { try ControlSocketService.clearStale(path) }
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func aFileThatIsNotASocketIsKept() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/netboot.sock"
        try Data("precious".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ControlSocketService.SetupError.self) { try ControlSocketService.clearStale(path) }
        #expect(FileManager.default.contents(atPath: path) == Data("precious".utf8))
    }

    @Test func theServedCatalogIsStoredWithoutPasswords() throws {
        let state = ApplianceState(version: "t", configuration: .defaults, configurationFile: nil, configurationOrigin: "t")
        var image = NetBootImage(folder: "A.nbi", name: "A", index: 1, kind: 1, isInstall: false, isDefault: false,
                                 isEnabled: true, isFilterOnly: false, type: .http, bootFile: "booter",
                                 architectures: ["i386"], topLevelBootFileArchitectures: [], rootPath: nil,
                                 enabledSystemIdentifiers: [], disabledSystemIdentifiers: [], enabledMACAddresses: [],
                                 disabledMACAddresses: [], supportsDiskless: false, loadBalanceServer: nil,
                                 imageDescription: nil, language: nil, osVersion: nil, warnings: [])
        image.rootPath = .http(host: IPv4Address(10, 0, 0, 1), port: nil, user: "lab", password: "hunter2", path: "/a.dmg")
        state.publish(ImageCatalog(directory: "images", images: [image]))
        state.publish(ImageCatalog(directory: "images", images: [image]))
        let served = try #require(state.servedCatalog)
        #expect(served.generation == 2)
        let text = String(decoding: ControlReply(id: nil, outcome: .images(served.catalog)).encoded(), as: UTF8.self)
        #expect(!text.contains("hunter2"))
        #expect(text.contains("***"))
    }

    @Test func statusCountsComeFromTheMetricsRegistry() {
        // The instruments as the services make them: swift-metrics through the Prometheus factory.
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        factory.makeCounter(label: "netboot_dhcp_exchanges_total",
                            dimensions: [("received", "DHCPDISCOVER"), ("decision", "offer"), ("reason", "none")]).increment(by: 5)
        factory.makeCounter(label: "netboot_dhcp_exchanges_total",
                            dimensions: [("received", "unknown"), ("decision", "drop"), ("reason", "malformed")]).increment(by: 2)
        factory.makeRecorder(label: "netboot_tftp_active_transfers", dimensions: [], aggregate: false).record(Int64(3))
        factory.makeRecorder(label: "netboot_http_open_connections", dimensions: [], aggregate: false).record(Int64(4))
        var configuration = NetbootConfiguration.defaults
        configuration.dhcp.mode = .authoritative
        let state = ApplianceState(version: "9.9", configuration: configuration, configurationFile: "f.yaml",
                                   configurationOrigin: "f.yaml", startedAt: Date(timeIntervalSince1970: 1000))
        state.register("tftp", addresses: ["udp 0.0.0.0:69"])
        state.mark("tftp", .running)
        let responder = ControlResponder(state: state, metrics: registry, flightRecorder: FlightRecorder(capacity: 4),
                                         reloads: Reloads(), logger: Logger(label: "test"))
        let snapshot = responder.snapshot(now: Date(timeIntervalSince1970: 1060))
        #expect(snapshot.counts.dhcpExchanges == 7)
        #expect(snapshot.counts.dhcpDrops == 2)
        #expect(snapshot.counts.tftpTransfersRunning == 3)
        #expect(snapshot.counts.httpConnectionsOpen == 4)
        #expect(snapshot.counts.leases == 0, "authoritative: counted, none yet")
        #expect(snapshot.counts.flightRecorderPackets == 0)
        #expect(snapshot.services == [ServiceStatus(name: "tftp", state: .running, addresses: ["udp 0.0.0.0:69"])])
        #expect(snapshot.dhcpMode == "authoritative")
        #expect(snapshot.catalog == nil)
    }

    /// The service end to end: 0600 socket, a status reply, removed at graceful shutdown.
    @Test func theServiceAnswersAndCleansUp() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = ApplianceState(version: "9.9", configuration: .defaults, configurationFile: nil, configurationOrigin: "defaults")
        let responder = ControlResponder(state: state, metrics: PrometheusCollectorRegistry(),
                                         flightRecorder: FlightRecorder(capacity: 0), reloads: Reloads(), logger: Logger(label: "test"))
        let service = ControlSocketService(stateDir: directory, responder: responder, logger: Logger(label: "test"))
        let group = ServiceGroup(services: [service], logger: Logger(label: "test"))
        let path = ControlSocketService.socketPath(stateDir: directory)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var waited = 0
            while !FileManager.default.fileExists(atPath: path), waited < 500 {
                try await Task.sleep(for: .milliseconds(10))
                waited += 1
            }
            var info = stat()
            #expect(lstat(path, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600)
            let reply = try ControlClient.send(ControlRequest(id: .number(3), command: .status), to: path, timeout: 10)
            guard case .status(let report) = reply.outcome else { Issue.record("no status: \(reply)"); return }
            #expect(reply.id == .number(3))
            #expect(report.version == "9.9")
            #expect(report.pid == Int(getpid()))
            let dump = try ControlClient.send(ControlRequest(command: .captureDump), to: path, timeout: 10)
            #expect(dump.error?.code == .unavailable)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(ControlClient.probe(path) == .refused)
    }

    /// A path that is not a socket is kept, and the service (with it the appliance) runs on.
    @Test func aNonSocketPathLeavesTheApplianceRunning() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = ControlSocketService.socketPath(stateDir: directory)
        try Data("precious".utf8).write(to: URL(fileURLWithPath: path))
        let responder = ControlResponder(state: ApplianceState(version: "t", configuration: .defaults, configurationFile: nil,
                                                               configurationOrigin: "t"),
                                         metrics: PrometheusCollectorRegistry(), flightRecorder: FlightRecorder(capacity: 0),
                                         reloads: Reloads(), logger: Logger(label: "test"))
        let group = ServiceGroup(services: [ControlSocketService(stateDir: directory, responder: responder, logger: Logger(label: "test"))],
                                 logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(200))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()  // throws if the service failed
        }
        #expect(FileManager.default.contents(atPath: path) == Data("precious".utf8))
    }

    /// A connection that sends half a request and then nothing is hung up on after the idle timeout.
    @Test func anIdleConnectionIsClosed() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let responder = ControlResponder(state: ApplianceState(version: "t", configuration: .defaults, configurationFile: nil,
                                                               configurationOrigin: "t"),
                                         metrics: PrometheusCollectorRegistry(), flightRecorder: FlightRecorder(capacity: 0),
                                         reloads: Reloads(), logger: Logger(label: "test"))
        let service = ControlSocketService(stateDir: directory, responder: responder, logger: Logger(label: "test"),
                                           idleTimeout: .milliseconds(200))
        let group = ServiceGroup(services: [service], logger: Logger(label: "test"))
        let path = ControlSocketService.socketPath(stateDir: directory)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var waited = 0
            while !FileManager.default.fileExists(atPath: path), waited < 500 {
                try await Task.sleep(for: .milliseconds(10))
                waited += 1
            }
            guard case .success(let fd) = ControlClient.connect(path) else { Issue.record("no connection"); return }
            defer { close(fd) }
            let half = Array(#"{"version":1,"comm"#.utf8)
            _ = half.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 5000)
            #expect(ready == 1, "the server should hang up within 5 s")
            if ready == 1 {
                var byte: UInt8 = 0
                #expect(read(fd, &byte, 1) == 0, "end of file, no reply")
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
