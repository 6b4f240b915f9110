import Foundation
import Testing
@testable import TaskSequence

private let inventoryText = """
devices:
  - {name: mac1, mac: "00:1C:42:00:00:01", serial: C02AAA, model: "MacBookPro11,1"}
  - {name: bySerial, serial: C02BBB}
collections:
  - name: Static
    members: [MAC1]
  - name: Lab prefix
    rules: [{mac: "00-1c-42-*"}]
  - name: iMacs
    rules: [{model: "iMac*"}]
  - name: Serial C02
    rules: [{serial: "C02*", model: "MacBook*"}]
deployments:
  - {sequence: deploy, collection: Static}
  - {sequence: deploy, collection: Unknown Mac OS X Systems}
  - {sequence: pcs, collection: Unknown Computers}
"""

@Suite struct InventoryMembershipTests {
    @Test func listedDeviceByMACFallsInStaticAndRuleCollections() throws {
        let inv = try inventory(inventoryText)
        let machine = Inventory.Machine(mac: "00:1c:42:00:00:01")
        #expect(inv.device(for: machine)?.name == "mac1")
        // Model and serial come from the device entry when the machine does not report them.
        #expect(inv.collections(for: machine).map(\.name) == ["Static", "Lab prefix", "Serial C02"])
        #expect(inv.deployments(for: machine).map(\.sequence) == ["deploy"])
    }

    @Test func unlistedMacFallsInUnknownMacOSXSystems() throws {
        let inv = try inventory(inventoryText)
        let machine = Inventory.Machine(mac: "00:1c:42:99:99:99", model: "iMac18,3")
        #expect(inv.device(for: machine) == nil)
        #expect(inv.collections(for: machine).map(\.name) == ["Lab prefix", "iMacs", "Unknown Mac OS X Systems"])
    }

    @Test func unlistedPCFallsInUnknownComputers() throws {
        let inv = try inventory(inventoryText)
        let machine = Inventory.Machine(mac: "52:54:00:12:34:56", model: "Standard PC (Q35 + ICH9, 2009)")
        #expect(machine.platform == .pc)
        #expect(inv.collections(for: machine).map(\.name) == ["Unknown Computers"])
        #expect(inv.deployments(for: machine).map(\.sequence) == ["pcs"])
        let forcedMac = Inventory.Machine(mac: "52:54:00:12:34:56", platform: .mac)
        #expect(inv.collections(for: forcedMac).map(\.name) == ["Unknown Mac OS X Systems"])
    }

    @Test func deviceFoundBySerial() throws {
        let inv = try inventory(inventoryText)
        let machine = Inventory.Machine(mac: "00:00:00:00:00:01", serial: "c02bbb")
        #expect(inv.device(for: machine)?.name == "bySerial")
        #expect(!inv.collections(for: machine).contains { $0.builtIn })
    }

    @Test func macTextNormalises() {
        #expect(MACText.normalized("00-1C-42-AA-bb-CC") == "00:1c:42:aa:bb:cc")
        #expect(MACText.normalized("001c42aabbcc") == "00:1c:42:aa:bb:cc")
        #expect(MACText.normalized("00:1c:42") == nil)
        #expect(MACText.normalized("zz:1c:42:aa:bb:cc") == nil)
    }
}

@Suite struct PlanTests {
    @Test func conditionsEvaluatedOrDecidedAtRunTime() throws {
        let inv = try inventory(inventoryText)
        let definition = try sequence("""
        name: deploy
        variables: {Site: lab, Asked: }
        steps:
          - type: group
            id: g
            condition: {if: {all: [{variable: _TSModel, like: "MacBook*"}]}}
            steps:
              - {type: installSoftware, id: inG, package: p}
          - type: installSoftware
            id: unknown
            package: p
            condition: {if: {any: [{variable: _TSLastActionSucceeded, equals: "true"}]}}
          - type: installSoftware
            id: prompted
            package: p
            condition: {if: {all: [{variable: Asked, equals: "yes"}]}}
          - type: installSoftware
            id: promptedExists
            package: p
            condition: {if: {all: [{variable: Asked, exists: true}]}}
          - type: installSoftware
            id: off
            package: p
            disabled: true
        """, inventory: inv)
        let laptop = Planner.plan(definition, inventory: inv, machine: .init(mac: "00:1c:42:00:00:01"))
        let steps = Dictionary(uniqueKeysWithValues: laptop.steps.compactMap { step in step.id.map { ($0, step) } })
        #expect(steps["g"]?.condition == "true" && steps["inG"]?.runs == "yes")
        #expect(steps["unknown"]?.condition == Plan.decidedAtRunTime && steps["unknown"]?.runs == Plan.decidedAtRunTime)
        #expect(steps["prompted"]?.condition == Plan.decidedAtRunTime)
        #expect(steps["promptedExists"]?.condition == "true")
        #expect(steps["off"]?.runs == "no" && steps["off"]?.reason == "disabled")
        #expect(laptop.deployedTo == ["Static"])
        #expect(laptop.prompted == ["Asked"])

        let imac = Planner.plan(definition, inventory: inv, machine: .init(mac: "00:1c:42:00:00:09", model: "iMac18,3"))
        let imacSteps = Dictionary(uniqueKeysWithValues: imac.steps.compactMap { step in step.id.map { ($0, step) } })
        #expect(imacSteps["g"]?.condition == "false" && imacSteps["g"]?.runs == "no")
        #expect(imacSteps["inG"]?.runs == "no" && imacSteps["inG"]?.reason == "its group does not run")
        #expect(imac.deployedTo == ["Unknown Mac OS X Systems"])
        #expect(imac.text.contains("condition: decided at run time"))
    }

    @Test func setVariablesStepsMakeLaterValuesKnownOrUndecided() throws {
        let definition = try sequence("""
        name: s
        variables: {Flag: a}
        steps:
          - {type: setVariables, id: always, variables: {Mode: fast}}
          - type: setVariables
            id: sometimes
            condition: {if: {all: [{variable: _TSLastActionSucceeded, equals: "true"}]}}
            variables: {Flag: b}
          - type: installSoftware
            id: usesMode
            package: "%Mode%"
            condition: {if: {all: [{variable: Mode, equals: fast}]}}
          - type: installSoftware
            id: usesFlag
            package: p
            condition: {if: {all: [{variable: Flag, equals: a}]}}
        """)
        let plan = Planner.plan(definition, inventory: Inventory(), machine: .init(mac: "00:11:22:33:44:55"))
        let steps = Dictionary(uniqueKeysWithValues: plan.steps.compactMap { step in step.id.map { ($0, step) } })
        #expect(steps["usesMode"]?.condition == "true")
        #expect(steps["usesMode"]?.properties.first?.value == "fast")
        #expect(steps["usesFlag"]?.condition == Plan.decidedAtRunTime)
    }
}

@Suite struct PlanJSONTests {
    /// The hand-written JSON must be exactly what Foundation's JSONEncoder gives for the Codable plan.
    @Test func matchesJSONEncoder() throws {
        let inv = try inventory(inventoryText)
        let definition = try sequence("""
        name: "Quotes \\" and \\\\ and / and tab\\t and é"
        variables: {Asked: , Site: lab, OSDComputerName: host-1}
        steps:
          - type: group
            steps: []
          - {type: setHostname, disabled: true}
          - {type: installSoftware, id: a, package: "p/%Site%", condition: {if: {all: [{variable: Asked, equals: x}]}}}
          - {type: setVariables, variables: {K: {value: s, secret: true}, Empty: }}
        """, inventory: inv)
        for machine in [Inventory.Machine(mac: "00:1c:42:00:00:01"), .init(mac: "52:54:00:00:00:01", model: "PC", serial: "S1")] {
            let plan = Planner.plan(definition, inventory: inv, machine: machine)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let expected = String(decoding: try encoder.encode(plan), as: UTF8.self)
            #expect(plan.json() == expected)
            #expect(expected.contains("\"reason\" : \"disabled\"") && expected.contains("\"from\" : \"OSDComputerName\""))
        }
    }
}
