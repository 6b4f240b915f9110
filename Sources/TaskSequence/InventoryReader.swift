import LocatedYAML

/// Reads `etc/inventory.yaml` with the same located diagnostics as sequences.
public enum InventoryReader {
    public static let topKeys = ["devices", "collections", "deployments"]

    public static func read(_ root: SyntaxNode?, file: String) -> (Inventory, [Diagnostic]) {
        var sink = DiagnosticSink()
        guard let root else { return (Inventory(file: file), []) }
        guard let top = MappingReader(root, what: "inventory", sink: &sink) else { return (Inventory(file: file), sink.items) }
        top.checkKeys(topKeys, sink: &sink)
        var devices: [Inventory.Device] = []
        var collections: [Inventory.Collection] = []
        var deployments: [Inventory.Deployment] = []
        for item in list(top["devices"], key: "devices", sink: &sink) {
            if let device = readDevice(item, sink: &sink) { devices.append(device) }
        }
        for item in list(top["collections"], key: "collections", sink: &sink) {
            if let collection = readCollection(item, sink: &sink) { collections.append(collection) }
        }
        for item in list(top["deployments"], key: "deployments", sink: &sink) {
            guard let map = MappingReader(item, what: "deployment", sink: &sink) else { continue }
            map.checkKeys(["sequence", "collection"], sink: &sink)
            guard let (sequence, _) = map.string("sequence", sink: &sink), let (collection, _) = map.string("collection", sink: &sink) else {
                sink.error(item.location, "a deployment needs 'sequence' and 'collection'", rule: "missing-key")
                continue
            }
            deployments.append(Inventory.Deployment(sequence: sequence, collection: collection, location: item.location))
        }
        let inventory = Inventory(file: file, devices: devices, collections: collections, deployments: deployments)
        check(inventory, sink: &sink)
        return (inventory, sink.items)
    }

    static func list(_ entry: SyntaxEntry?, key: String, sink: inout DiagnosticSink) -> [SyntaxNode] {
        guard let entry, !entry.value.isNull else { return [] }
        guard let items = entry.value.items else {
            sink.error(entry.value.location, "'\(key)' must be a list, not \(entry.value.typeWithArticle)", rule: "wrong-type")
            return []
        }
        return items
    }

    static func readDevice(_ node: SyntaxNode, sink: inout DiagnosticSink) -> Inventory.Device? {
        guard let map = MappingReader(node, what: "device", sink: &sink) else { return nil }
        map.checkKeys(["name", "mac", "serial", "model", "variables"], sink: &sink)
        guard let (name, _) = map.string("name", sink: &sink) else {
            sink.error(node.location, "a device needs a 'name'", rule: "missing-key")
            return nil
        }
        var mac = map.string("mac", sink: &sink)
        if let (text, location) = mac, MACText.normalized(text) == nil {
            sink.error(location, "'\(text)' is not a MAC address (six hex pairs, e.g. 00:11:22:aa:bb:cc)", rule: "invalid-mac")
            mac = nil
        }
        let serial = map.string("serial", sink: &sink)?.0
        if mac == nil, serial == nil {
            sink.error(node.location, "device '\(name)' needs a 'mac' or a 'serial' to be recognised", rule: "missing-key")
        }
        let variables = map["variables"].map { VariableBlockReader.read($0.value, what: "variables", sink: &sink) } ?? []
        return Inventory.Device(name: name, mac: mac?.0, serial: serial, model: map.string("model", sink: &sink)?.0,
                                variables: variables, location: node.location)
    }

    static func readCollection(_ node: SyntaxNode, sink: inout DiagnosticSink) -> Inventory.Collection? {
        guard let map = MappingReader(node, what: "collection", sink: &sink) else { return nil }
        map.checkKeys(["name", "members", "rules", "variables", "priority"], sink: &sink)
        guard let (name, nameLocation) = map.string("name", sink: &sink) else {
            sink.error(node.location, "a collection needs a 'name'", rule: "missing-key")
            return nil
        }
        let builtIn = Inventory.builtInCollections.contains(name)
        let members = map.stringList("members", sink: &sink) ?? []
        var rules: [Inventory.Rule] = []
        for item in list(map["rules"], key: "rules", sink: &sink) {
            guard let rule = MappingReader(item, what: "rule", sink: &sink) else { continue }
            rule.checkKeys(["mac", "model", "serial"], sink: &sink)
            let parsed = Inventory.Rule(mac: rule.string("mac", sink: &sink)?.0, model: rule.string("model", sink: &sink)?.0,
                                        serial: rule.string("serial", sink: &sink)?.0, location: item.location)
            if parsed.mac == nil, parsed.model == nil, parsed.serial == nil {
                sink.error(item.location, "a rule needs 'mac', 'model' or 'serial'", rule: "missing-key")
            }
            rules.append(parsed)
        }
        if builtIn, !members.isEmpty || !rules.isEmpty {
            sink.error(nameLocation, "'\(name)' is built in: it holds every machine not listed as a device and takes no members or rules", rule: "built-in-collection")
        }
        let variables = map["variables"].map { VariableBlockReader.read($0.value, what: "variables", sink: &sink) } ?? []
        return Inventory.Collection(name: name, members: builtIn ? [] : members, rules: builtIn ? [] : rules, variables: variables,
                                    priority: map.int("priority", sink: &sink) ?? 0, builtIn: builtIn, location: node.location)
    }

    /// Cross-references: duplicate names, members that are not devices, deployments to
    /// collections that do not exist.
    static func check(_ inventory: Inventory, sink: inout DiagnosticSink) {
        var deviceNames: [String: SourceLocation] = [:]
        var macs: [String: String] = [:]
        for device in inventory.devices {
            let key = device.name.lowercased()
            if let first = deviceNames[key] {
                sink.error(device.location, "duplicate device '\(device.name)' (first at \(first.line):\(first.column))", rule: "duplicate-id")
            }
            deviceNames[key] = deviceNames[key] ?? device.location
            if let mac = device.mac.flatMap(MACText.normalized) {
                if let other = macs[mac] { sink.error(device.location, "device '\(device.name)' has the same MAC as '\(other)'", rule: "duplicate-id") }
                macs[mac] = macs[mac] ?? device.name
            }
        }
        var collectionNames: [String: SourceLocation] = [:]
        for collection in inventory.collections where !collection.builtIn || collection.location.line > 1 {
            if let first = collectionNames[collection.name] {
                sink.error(collection.location, "duplicate collection '\(collection.name)' (first at \(first.line):\(first.column))", rule: "duplicate-id")
            }
            collectionNames[collection.name] = collectionNames[collection.name] ?? collection.location
            for member in collection.members where deviceNames[member.lowercased()] == nil {
                var message = "collection '\(collection.name)' lists '\(member)', which is not a device"
                if let guess = Suggestion.closest(to: member, among: inventory.devices.map(\.name)) { message += "; did you mean '\(guess)'?" }
                sink.error(collection.location, message, rule: "unknown-device")
            }
        }
        let allNames = inventory.collections.map(\.name)
        for deployment in inventory.deployments where !allNames.contains(deployment.collection) {
            var message = "deployment to unknown collection '\(deployment.collection)'"
            if let guess = Suggestion.closest(to: deployment.collection, among: allNames) { message += "; did you mean '\(guess)'?" }
            sink.error(deployment.location, message, rule: "unknown-collection")
        }
    }
}
