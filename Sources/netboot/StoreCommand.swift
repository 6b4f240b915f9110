import ArgumentParser
import Foundation
import Logging
import NetbootServer
import NetbootStore

/// `netboot store`: the lease and BSDP-selection store named by `store:` (docs/store.md).
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Create, upgrade and check the lease store (SQLite or PostgreSQL).",
        discussion: HelpText.discussion(examples: [
            ("netboot store check", "is the configured store reachable and at this build's schema version?"),
            ("netboot store migrate", "create or upgrade its schema (netboot serve does this at start too)"),
        ], exitCodes: HelpText.group),
        subcommands: [StoreMigrateCommand.self, StoreCheckCommand.self]
    )
}

/// `netboot store migrate [--config FILE]`: applies the missing schema versions.
struct StoreMigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the store's schema to this build's version.",
        discussion: HelpText.discussion(
            examples: [("netboot store migrate --config site.yaml", "the PostgreSQL database site.yaml names")],
            exitCodes: [(0, "the schema is at this build's version"),
                        (1, "\(HelpText.configurationError), or the store is unreachable or newer than this build")])
    )

    @OptionGroup var config: ConfigurationOption

    func run() throws {
        let configuration = try config.load().configuration
        let location = ConfiguredStore.location(configuration)
        do {
            let logger = Logger(label: "netboot.store")
            let before = (try? ConfiguredStore.open(configuration, migrate: false, logger: logger).schemaVersion()) ?? 0
            let store = try ConfiguredStore.open(configuration, migrate: true, logger: logger)
            let after = try store.schemaVersion()
            print(before == after ? "\(location): schema at version \(after), nothing to do"
                                  : "\(location): schema migrated from version \(before) to \(after)")
        } catch {
            printToStandardError("netboot: store \(location): \(error)")
            throw ExitCode(1)
        }
    }
}

/// `netboot store check [--config FILE]`: reachable, and at which schema version.
struct StoreCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Say whether the store is reachable and at this build's schema version.",
        discussion: HelpText.discussion(
            examples: [("netboot store check", "the store of etc/netboot.yaml; with PostgreSQL also the clock skew")],
            exitCodes: [(0, "reachable, at this build's schema version, and (PostgreSQL) the clocks within store.max-clock-skew"),
                        (1, "\(HelpText.configurationError), unreachable, at another schema version, or the clock skew beyond store.max-clock-skew")])
    )

    @OptionGroup var config: ConfigurationOption

    func run() throws {
        let configuration = try config.load().configuration
        let location = ConfiguredStore.location(configuration)
        let check: StoreCheck
        var measureClock = false
        var bound: TimeInterval = 30
        if case .postgresql(let settings) = configuration.store {
            measureClock = true
            bound = TimeInterval(settings.maxClockSkew)
        }
        do {
            check = StoreCheck.of(try ConfiguredStore.open(configuration, migrate: false, logger: Logger(label: "netboot.store")),
                                  measureClock: measureClock, maxClockSkew: bound)
        } catch {
            check = StoreCheck(reachable: false, schemaVersion: nil, problem: "\(error)")
        }
        guard check.reachable, let version = check.schemaVersion else {
            printToStandardError("netboot: store \(location): unreachable: \(check.problem ?? "?")")
            throw ExitCode(1)
        }
        let clock = check.clockSkew.map { "; clock skew \(String(format: "%+.3f", $0)) s (this machine against the database, bound \(Int(bound)) s)" } ?? ""
        if version == StoreSchema.version {
            print("\(location): reachable, schema version \(version) (current)\(clock)")
        } else {
            let advice = version < StoreSchema.version ? "run netboot store migrate" : "this build is older than the schema; upgrade netboot"
            printToStandardError("netboot: store \(location): schema version \(version), this build needs \(StoreSchema.version): \(advice)")
            throw ExitCode(1)
        }
        if let problem = check.clockProblem {
            printToStandardError("netboot: store \(location): \(problem)")
            throw ExitCode(1)
        }
    }
}
