import Foundation
import Testing
@testable import TaskSequence

@Suite struct VariablePrecedenceTests {
    @Test func higherLayersWinInOrder() {
        var env = VariableEnvironment()
        env.set("X", "builtin", layer: .builtIn)
        #expect(env.lookup(VariableName("X")) == .value(.plain("builtin"), layer: .builtIn))
        env.set("X", "collection", layer: .collection)
        #expect(env.text(VariableName("X")) == "collection")
        env.set("X", "device", layer: .device)
        #expect(env.text(VariableName("X")) == "device")
        env.set("X", "sequence", layer: .taskSequence)
        #expect(env.text(VariableName("X")) == "sequence")
        env.set("X", "running", layer: .running)
        #expect(env.lookup(VariableName("x")) == .value(.plain("running"), layer: .running))
        // Removing the top layer uncovers the next one.
        env.remove(VariableName("X"), layer: .running)
        #expect(env.lookup(VariableName("X")) == .value(.plain("sequence"), layer: .taskSequence))
    }

    @Test func layerOrderIsTheSeeds() {
        #expect(VariableLayer.allCases == [.builtIn, .collection, .device, .taskSequence, .running])
        #expect(VariableLayer.builtIn < .collection && .collection < .device && .device < .taskSequence && .taskSequence < .running)
    }

    @Test func namesAreCaseInsensitive() {
        var env = VariableEnvironment()
        env.set("OSDComputerName", "a", layer: .collection)
        env.set("osdcomputername", "b", layer: .device)
        #expect(env.text(VariableName("OSDCOMPUTERNAME")) == "b")
        #expect(env.names.count == 1)
        #expect(VariableName("Abc") == VariableName("aBC"))
    }

    @Test func throughInventoryAndSequence() throws {
        let inv = try inventory("""
        devices:
          - {name: mac1, mac: "00:11:22:33:44:55", variables: {Site: device, Room: "101"}}
        collections:
          - name: All
            rules: [{mac: "00:11:22:*"}]
            variables: {Site: collection, Room: "1", Floor: "2", Wing: west}
          - name: Priority
            priority: 5
            rules: [{mac: "00:11:22:*"}]
            variables: {Wing: east}
        """)
        let definition = try sequence("""
        name: p
        variables: {Site: sequence}
        steps:
          - {type: installSoftware, package: "%Site%-%Room%-%Floor%-%Wing%"}
        """, inventory: inv)
        let plan = Planner.plan(definition, inventory: inv, machine: .init(mac: "00-11-22-33-44-55"))
        let byName = Dictionary(uniqueKeysWithValues: plan.variables.map { ($0.name, $0) })
        #expect(byName["Site"]?.value == "sequence" && byName["Site"]?.layer == "task sequence")
        #expect(byName["Room"]?.value == "101" && byName["Room"]?.layer == "device")
        #expect(byName["Floor"]?.value == "2" && byName["Floor"]?.layer == "collection")
        #expect(byName["Wing"]?.value == "east")
        #expect(byName["_TSMACAddress"]?.layer == "built-in")
        #expect(plan.steps.first?.properties.first?.value == "sequence-101-2-east")
    }

    @Test func runningValuesOverrideAndEmptyDeletes() throws {
        let definition = try sequence("name: r\nvariables: {A: seq}\nsteps: [{type: restart}]")
        var env = VariableEnvironment()
        for declaration in definition.variables { env.set(declaration.name, declaration.value, layer: .taskSequence) }
        var executor = Executor(program: Program(definition), variables: env)
        try executor.setRunning(VariableName("A"), "run")
        #expect(executor.variables.text(VariableName("A")) == "run")
        try executor.setRunning(VariableName("A"), "")
        #expect(executor.variables.text(VariableName("A")) == "seq")
        #expect(throws: Executor.SetRefusal.self) { try executor.setRunning(VariableName("_TSModel"), "x") }
    }
}

@Suite struct PromptedVersusUnsetTests {
    @Test func declaredWithoutValueIsPromptedNotUnset() throws {
        let definition = try sequence("""
        name: p
        variables:
          OSDComputerName:
          Empty: ""
          Secret: {secret: true}
        steps:
          - type: setHostname
        """)
        var env = VariableEnvironment()
        for declaration in definition.variables { env.set(declaration.name, declaration.value, layer: .taskSequence) }
        #expect(env.lookup(VariableName("OSDComputerName")) == .prompt(secret: false, layer: .taskSequence))
        #expect(env.lookup(VariableName("Empty")) == .prompt(secret: false, layer: .taskSequence))
        #expect(env.lookup(VariableName("Secret")) == .prompt(secret: true, layer: .taskSequence))
        #expect(env.lookup(VariableName("Never")) == .unset)
        // In conditions a prompted variable exists (value unknown at plan time); unset does not.
        let plan = Planner.plan(definition, inventory: Inventory(), machine: .init(mac: "00:11:22:33:44:55"))
        #expect(plan.prompted == ["Empty", "OSDComputerName", "Secret"])
        #expect(plan.variables.first { $0.name == "OSDComputerName" }?.prompted == true)
        #expect(plan.variables.first { $0.name == "Never" } == nil)
    }

    @Test func lintAcceptsPromptedButRejectsUnset() {
        let prompted = lint("name: a\nvariables: {Host: }\nsteps: [{type: setHostname, hostname: \"%Host%\"}]")
        #expect(!prompted.hasErrors)
        let unset = lint("name: a\nsteps: [{type: setHostname, hostname: \"%Host%\"}]")
        #expect(unset.diagnostics.contains { $0.ruleID == "undefined-variable" })
    }

    @Test func higherValueCancelsALowerPrompt() throws {
        let inv = try inventory("""
        devices: [{name: m, mac: "00:11:22:33:44:55", variables: {OSDComputerName: mac-01}}]
        collections:
          - {name: Unknown Mac OS X Systems, variables: {OSDComputerName: }}
          - {name: All, rules: [{mac: "*"}], variables: {OSDComputerName: }}
        """)
        let definition = try sequence("name: a\nsteps: [{type: setHostname}]", inventory: inv)
        let known = Planner.plan(definition, inventory: inv, machine: .init(mac: "00:11:22:33:44:55"))
        #expect(known.prompted.isEmpty)
        #expect(known.steps.first?.properties.first?.value == "mac-01")
        let unknown = Planner.plan(definition, inventory: inv, machine: .init(mac: "00:11:22:33:44:66"))
        #expect(unknown.collections == ["Unknown Mac OS X Systems", "All"])
        #expect(unknown.prompted == ["OSDComputerName"])
    }
}

@Suite struct SecretRedactionTests {
    static let password = "correct-horse-battery-staple"

    @Test func secretPrintsAsMaskEverywhere() throws {
        let secret = Secret(Self.password)
        #expect("\(secret)" == "***")
        #expect(String(describing: secret) == "***")
        #expect(String(reflecting: secret) == "***")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains(Self.password))
        let json = String(decoding: try JSONEncoder().encode([secret]), as: UTF8.self)
        #expect(json == "[\"***\"]")
        let value = VariableValue.secret(secret)
        #expect("\(value)" == "***")
        #expect(String(decoding: try JSONEncoder().encode(value), as: UTF8.self) == "\"***\"")
        #expect(secret.reveal() == Self.password)
        var dumpedValue = ""
        dump(value, to: &dumpedValue)
        #expect(!dumpedValue.contains(Self.password))
    }

    @Test func planTextAndJSONNeverShowSecrets() throws {
        let inv = try inventory("""
        collections:
          - name: Unknown Mac OS X Systems
            variables:
              PmmOSDJoinPassword: \(Self.password)
              Token: {value: tok-1234567, secret: true}
        """)
        let definition = try sequence("""
        name: s
        variables:
          OSDJoinDomainName: lab.example.org
          OSDJoinAccount: svc
        steps:
          - type: joinDomain
          - type: installSoftware
            package: "PKG-%Token%"
          - type: setVariables
            variables:
              Another: {value: another-secret-value, secret: true}
        """, inventory: inv)
        let plan = Planner.plan(definition, inventory: inv, machine: .init(mac: "00:11:22:33:44:55"))
        for output in [plan.text, plan.json()] {
            #expect(!output.contains(Self.password))
            #expect(!output.contains("tok-1234567"))
            #expect(!output.contains("another-secret-value"))
            #expect(output.contains("***"))
        }
        // The password variable is secret because it is bound to a password property.
        #expect(plan.variables.first { $0.name == "PmmOSDJoinPassword" }?.secret == true)
    }

    @Test func lintOutputMasksSecretsWrittenInTheFile() {
        let report = lint("""
        name: s
        variables:
          ApiKey: {value: super-secret-key-9, secret: true, colour: red}
        steps:
          - type: joinDomain
            domain: d
            account: a
            password: \(Self.password)
            bogus: \(Self.password)
        """)
        #expect(report.hasErrors)
        let outputs = [report.rendered, Linter.json([report])] + report.diagnostics.map(\.description)
        for output in outputs {
            #expect(!output.contains(Self.password))
            #expect(!output.contains("super-secret-key-9"))
        }
        #expect(report.rendered.contains("password: ***"))
    }

    @Test func executorKeepsSecretsSecretAtRunTime() throws {
        let definition = try sequence("""
        name: s
        steps:
          - type: setVariables
            variables:
              Key: {value: k-123, secret: true}
          - {type: installSoftware, package: p}
        """)
        var executor = Executor(program: Program(definition), variables: VariableEnvironment())
        _ = executor.handle(.started(now: 0))
        guard case .value(let value, _) = executor.variables.lookup(VariableName("Key")) else { Issue.record("Key unset"); return }
        #expect(value.isSecret && "\(value)" == "***" && value.reveal() == "k-123")
        try executor.setRunning(VariableName("PmmOSDJoinPassword"), "pw-999")
        #expect("\(executor.variables.lookup(VariableName("PmmOSDJoinPassword")))".contains("pw-999") == false)
    }
}
