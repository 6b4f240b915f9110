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

    @Test func controlCharactersCannotForgeLines() {
        let line = LogLineFormat.line(date: Date(timeIntervalSince1970: 0), level: .info, label: "netboot.tftp",
                                      message: "RRQ a\nfake line\r", metadata: ["file": "x\u{1b}[2Jy\t"])
        #expect(line == "1970-01-01T00:00:00.000Z info [netboot.tftp] RRQ a\\nfake line\\r file=x\\u{1b}[2Jy\\t\n")
    }

    @Test func linesKeepTheirFormat() {
        let date = Date(timeIntervalSince1970: 1_795_551_867.5)
        #expect(LogLineFormat.line(date: date, level: .warning, label: "netboot.http", message: "GET /ä.bin 200",
                                   metadata: [:]) == "2026-11-24T20:24:27.500Z warning [netboot.http] GET /ä.bin 200\n")
        #expect(LogLineFormat.line(date: date, level: .info, label: "l", message: "a\u{7f}b",
                                   metadata: ["z": "1", "a": "ü\u{7f}", "m": "3"])
                    == "2026-11-24T20:24:27.500Z info [l] a\\u{7f}b a=ü\\u{7f} m=3 z=1\n")
        #expect(LogLineFormat.escaped("ünïcödé ok") == "ünïcödé ok")
    }

    @Test func timestampsAreRFC3339UTCWithMilliseconds() {
        #expect(LogLineFormat.timestamp(Date(timeIntervalSince1970: 1_795_551_867.123_9)) == "2026-11-24T20:24:27.123Z")
    }

    @Test func enabledServicesAreNamedForTheStartUpLog() {
        var configuration = NetbootConfiguration.defaults
        #expect(ServiceAssembly.enabledNames(configuration) == ["dhcp (proxy, port 67)", "bsdp", "tftp (port 69)", "http (port 80)"])
        configuration.dhcp.enabled = false
        configuration.http.enabled = false
        #expect(ServiceAssembly.enabledNames(configuration) == ["bsdp", "tftp (port 69)"])
    }
}
