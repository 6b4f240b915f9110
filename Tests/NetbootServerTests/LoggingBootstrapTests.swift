import Foundation
import Logging
import NetbootConfig
import Testing
@testable import NetbootServer

@Suite struct LoggingBootstrapTests {
    @Test func configurationAndRotationAgreeOnTheSeedsLimits() {
        #expect(NetbootConfiguration.Logs.sizeLimits == LogRotationPolicy.sizeLimits)
        #expect(NetbootConfiguration.Logs.fileLimits == LogRotationPolicy.fileLimits)
        let policy = NetbootLogging.policy(NetbootConfiguration.defaults.logs)
        #expect(policy == LogRotationPolicy(directory: "var/log", executable: "netboot"))
        #expect(policy.sizeLimit == LogRotationPolicy.defaultSizeLimit && policy.maxFiles == LogRotationPolicy.defaultMaxFiles)
    }

    @Test func configuredLevelsMapToSwiftLogLevels() {
        for level in NetbootConfiguration.Logs.Level.allCases {
            #expect(Logger.Level(level).rawValue == level.rawValue)
        }
    }

    @Test func multiplexedHandlerWritesTheFileAndHonoursTheLevel() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let sink = try LogFileSink(policy: LogRotationPolicy(directory: directory.path, executable: "netboot"))
        let logger = Logger(label: "netboot.http") { NetbootLogging.handler(label: $0, sink: sink, level: .notice, console: true) }
        logger.info("below the level")
        logger.notice("at the level")
        sink.flush()
        let text = try String(contentsOfFile: "\(directory.path)/netboot.log", encoding: .utf8)
        #expect(!text.contains("below the level"))
        #expect(text.contains(" notice [netboot.http] at the level\n"))
    }

    @Test func enabledServicesAreNamedForTheStartUpLog() {
        var configuration = NetbootConfiguration.defaults
        #expect(ServiceAssembly.enabledNames(configuration) == ["dhcp (proxy, port 67)", "bsdp", "tftp (port 69)", "http (port 80)"])
        configuration.dhcp.enabled = false
        configuration.http.enabled = false
        #expect(ServiceAssembly.enabledNames(configuration) == ["bsdp", "tftp (port 69)"])
    }
}
