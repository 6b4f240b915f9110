import Foundation
import NetbootStore
import TaskSequence

/// The task sequences the bridge can deploy (issue 16 §6): every `*.yaml`/`*.yml` of
/// `bridge.sequences-dir` that lints without errors against `bridge.inventory`, and the
/// deployments of the inventory merged with those stored through the console. Read again on
/// every call (a handful of small files), so an edited sequence counts at once.
struct SequenceCatalog: Sendable {
    let directory: String
    let inventoryFile: String

    struct Sequence: Sendable {
        var definition: TaskSequenceDefinition
        var file: String
        var text: String
        /// The names it is deployed by: its `name:` and its file name without extension.
        var keys: Set<String>
    }

    struct Loaded: Sendable {
        var inventory: Inventory
        var sequences: [Sequence]
        /// (sequence, collection) pairs, the inventory's first.
        var deployments: [(sequence: String, collection: String)]

        func sequence(named name: String) -> Sequence? {
            sequences.first { $0.keys.contains(name.lowercased()) }
        }

        /// The sequences deployed to a collection the machine falls in, each with those collections.
        func deployed(to machine: Inventory.Machine) -> [(sequence: Sequence, collections: [String])] {
            let names = inventory.collections(for: machine).map(\.name)
            var out: [(sequence: Sequence, collections: [String])] = []
            for deployment in deployments where names.contains(deployment.collection) {
                guard let sequence = sequence(named: deployment.sequence) else { continue }
                if let index = out.firstIndex(where: { $0.sequence.file == sequence.file }) {
                    if !out[index].collections.contains(deployment.collection) { out[index].collections.append(deployment.collection) }
                } else {
                    out.append((sequence, [deployment.collection]))
                }
            }
            return out
        }
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    func load(store: any BridgeRecords) throws -> Loaded {
        var inventory = Inventory()
        if let data = FileManager.default.contents(atPath: inventoryFile) {
            let (read, diagnostics) = Linter.inventory(data: data, file: inventoryFile)
            guard !diagnostics.hasErrors else { throw Failure(description: "\(inventoryFile) has errors (netboot ts lint)") }
            inventory = read
        }
        var sequences: [Sequence] = []
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names.sorted() where (name.hasSuffix(".yaml") || name.hasSuffix(".yml")) && !name.hasPrefix(".") {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let report = Linter.lint(data: data, file: path, inventory: inventory)
            guard !report.hasErrors, let definition = report.definition else { continue }
            let base = (name as NSString).deletingPathExtension
            sequences.append(Sequence(definition: definition, file: name, text: String(decoding: data, as: UTF8.self),
                                      keys: [definition.name.lowercased(), base.lowercased()]))
        }
        var deployments = inventory.deployments.map { (sequence: $0.sequence, collection: $0.collection) }
        for stored in try store.deployments()
        where !deployments.contains(where: { $0.sequence.lowercased() == stored.sequence.lowercased() && $0.collection == stored.collection }) {
            deployments.append((stored.sequence, stored.collection))
        }
        return Loaded(inventory: inventory, sequences: sequences, deployments: deployments)
    }
}
