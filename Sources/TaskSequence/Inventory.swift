import LocatedYAML

/// `etc/inventory.yaml`: devices, collections and deployments (seed §2.14, L2212-2253,
/// L4954-4976, L5110-5136). Machines not listed as devices fall into the built-in collection
/// "Unknown Mac OS X Systems" (Macs) or "Unknown Computers" (PCs).
public struct Inventory: Sendable {
    public static let unknownMacs = "Unknown Mac OS X Systems"
    public static let unknownComputers = "Unknown Computers"
    public static let builtInCollections = [unknownMacs, unknownComputers]

    public struct Device: Sendable {
        public var name: String
        public var mac: String?
        public var serial: String?
        public var model: String?
        public var variables: [VariableDeclaration]
        public var location: SourceLocation
    }

    /// A membership rule: every given field must match (wildcards `*`, `?`).
    public struct Rule: Sendable {
        public var mac: String?
        public var model: String?
        public var serial: String?
        public var location: SourceLocation
    }

    public struct Collection: Sendable {
        public var name: String
        /// Device names listed as static members.
        public var members: [String]
        public var rules: [Rule]
        public var variables: [VariableDeclaration]
        /// Higher wins when a machine is in several collections that set the same variable;
        /// equal priorities: the later collection in the file wins.
        public var priority: Int
        public var builtIn: Bool
        public var location: SourceLocation

        public init(name: String, members: [String] = [], rules: [Rule] = [], variables: [VariableDeclaration], priority: Int = 0,
                    builtIn: Bool = false, location: SourceLocation) {
            self.name = name
            self.members = members
            self.rules = rules
            self.variables = variables
            self.priority = priority
            self.builtIn = builtIn
            self.location = location
        }
    }

    public struct Deployment: Sendable {
        public var sequence: String
        public var collection: String
        public var location: SourceLocation
    }

    public var file: String
    public var devices: [Device]
    public var collections: [Collection]
    public var deployments: [Deployment]

    public init(file: String = "", devices: [Device] = [], collections: [Collection] = [], deployments: [Deployment] = []) {
        self.file = file
        self.devices = devices
        self.collections = collections
        self.deployments = deployments
        for name in Inventory.builtInCollections where !self.collections.contains(where: { $0.name == name }) {
            self.collections.append(Collection(name: name, members: [], rules: [], variables: [], priority: Int.min, builtIn: true,
                                               location: SourceLocation(file: file, line: 1, column: 1)))
        }
    }

    /// A machine as it boots: what the plan is asked about.
    public struct Machine: Sendable, Codable {
        public enum Platform: String, Sendable, Codable { case mac, pc }
        public var mac: String
        public var model: String?
        public var serial: String?
        public var platform: Platform

        public init(mac: String, model: String? = nil, serial: String? = nil, platform: Platform? = nil) {
            self.mac = MACText.normalized(mac) ?? mac
            self.model = model
            self.serial = serial
            self.platform = platform ?? Machine.platform(forModel: model)
        }

        /// Apple model identifiers (`MacBookPro11,1`, `iMac18,3`, `Macmini8,1`, `MacPro7,1`,
        /// `Xserve3,1`) mean a Mac; another model means a PC; no model: a Mac (BSDP is the
        /// Mac path).
        public static func platform(forModel model: String?) -> Platform {
            guard let model = model?.lowercased(), !model.isEmpty else { return .mac }
            return ["mac", "imac", "xserve"].contains(where: { model.hasPrefix($0) }) ? .mac : .pc
        }
    }

    /// The device entry for a machine: same MAC, or same serial.
    public func device(for machine: Machine) -> Device? {
        devices.first { device in
            if let mac = device.mac, MACText.normalized(mac) == machine.mac { return true }
            if let serial = device.serial, let machineSerial = machine.serial, serial.caseInsensitiveCompare(machineSerial) == .orderedSame { return true }
            return false
        }
    }

    /// The collections a machine falls in, in file order.
    public func collections(for machine: Machine) -> [Collection] {
        let device = device(for: machine)
        let model = machine.model ?? device?.model
        let serial = machine.serial ?? device?.serial
        return collections.filter { collection in
            if collection.builtIn {
                guard device == nil else { return false }
                return collection.name == (machine.platform == .mac ? Inventory.unknownMacs : Inventory.unknownComputers)
            }
            if let device, collection.members.contains(where: { $0.caseInsensitiveCompare(device.name) == .orderedSame }) { return true }
            return collection.rules.contains { rule in
                if let pattern = rule.mac, !Wildcard.matches(machine.mac, pattern: MACText.normalizedPattern(pattern)) { return false }
                if let pattern = rule.model { guard let model, Wildcard.matches(model, pattern: pattern) else { return false } }
                if let pattern = rule.serial { guard let serial, Wildcard.matches(serial, pattern: pattern) else { return false } }
                return rule.mac != nil || rule.model != nil || rule.serial != nil
            }
        }
    }

    /// Deployments whose collection holds the machine.
    public func deployments(for machine: Machine) -> [Deployment] {
        let names = Set(collections(for: machine).map(\.name))
        return deployments.filter { names.contains($0.collection) }
    }

    /// The variable layers this inventory contributes for `machine`: collection (by priority,
    /// then file order) and device.
    public func apply(to environment: inout VariableEnvironment, machine: Machine) {
        let ordered = collections(for: machine).enumerated().sorted { a, b in
            a.element.priority == b.element.priority ? a.offset < b.offset : a.element.priority < b.element.priority
        }
        for (_, collection) in ordered {
            for declaration in collection.variables { environment.set(declaration.name, declaration.value, layer: .collection) }
        }
        if let device = device(for: machine) {
            for declaration in device.variables { environment.set(declaration.name, declaration.value, layer: .device) }
        }
    }

    /// Every variable any collection or device declares (for lint: "some layer defines it").
    public var declaredVariables: [VariableDeclaration] {
        collections.flatMap(\.variables) + devices.flatMap(\.variables)
    }
}

/// MAC address text: `00:11:22:aa:bb:cc`, `00-11-22-AA-BB-CC` or `001122aabbcc` normalise to
/// lower-case colon form.
public enum MACText {
    public static func normalized(_ text: String) -> String? {
        let hex = text.lowercased().filter { $0 != ":" && $0 != "-" && $0 != "." }
        guard hex.count == 12, hex.allSatisfy(\.isHexDigit) else { return nil }
        var out = ""
        for (i, ch) in hex.enumerated() {
            if i > 0, i % 2 == 0 { out.append(":") }
            out.append(ch)
        }
        return out
    }

    /// A MAC pattern in the same form (lower case, `-` as `:`), wildcards kept.
    public static func normalizedPattern(_ text: String) -> String {
        text.lowercased().replacingOccurrences(of: "-", with: ":")
    }
}

import Foundation
