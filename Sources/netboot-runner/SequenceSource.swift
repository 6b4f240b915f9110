import Foundation
import TaskSequence
#if canImport(Glibc)
import Glibc
#endif

/// The sequence, inventory and machine of a local run (`--file`): compiled from YAML here,
/// and again on resume (the journal's fingerprint says whether it is still the same).
struct SequenceSource {
    let definition: TaskSequenceDefinition
    let inventory: Inventory
    let machine: Inventory.Machine

    init(file: String, inventoryFile: String?, mac: String?) throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw RunnerError.input("cannot read \(file)") }
        var inventory = Inventory()
        if let inventoryFile {
            guard let inventoryData = FileManager.default.contents(atPath: inventoryFile) else { throw RunnerError.input("cannot read \(inventoryFile)") }
            let (read, diagnostics) = Linter.inventory(data: inventoryData, file: inventoryFile)
            if diagnostics.hasErrors {
                throw RunnerError.input(diagnostics.filter { $0.severity == .error }.map(\.description).joined(separator: "\n"))
            }
            inventory = read
        }
        let report = Linter.lint(data: data, file: file, inventory: inventoryFile == nil ? nil : inventory)
        guard !report.hasErrors, let definition = report.definition else {
            throw RunnerError.input(report.diagnostics.filter { $0.severity == .error }.map(\.description).joined(separator: "\n"))
        }
        self.definition = definition
        self.inventory = inventory
        let address = mac ?? Self.firstMAC() ?? "00:00:00:00:00:00"
        guard MACText.normalized(address) != nil else { throw RunnerError.input("'\(address)' is not a MAC address") }
        machine = Inventory.Machine(mac: address)
    }

    /// The first non-loopback interface's address, from /sys/class/net.
    static func firstMAC() -> String? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/net") else { return nil }
        for name in names.sorted() where name != "lo" {
            if let text = try? String(contentsOfFile: "/sys/class/net/\(name)/address", encoding: .utf8) {
                let mac = text.trimmingCharacters(in: .whitespacesAndNewlines)
                if mac != "00:00:00:00:00:00", MACText.normalized(mac) != nil { return mac }
            }
        }
        return nil
    }
}
