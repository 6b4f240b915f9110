import ArgumentParser
import BootServices
import Foundation
import NetbootConfig
import NetbootServer
import NetbootWire

/// `netboot explain --mac MAC --firmware bios|uefi|uefi-arm64|uefi-http [--json]` (issue 20): the
/// boot file or script a PC gets at each stage, the classes it is in and where each answer came
/// from, from the configuration `--config` names (else `etc/netboot.yaml` or the embedded defaults) through `PCBootExplanation`.
extension ExplainCommand {
    func explainPC(_ mac: MACAddress, firmware text: String, json: Bool) throws {
        guard let firmware = PCBootExplanation.Firmware(rawValue: text) else {
            reportError("--firmware: '\(text)' is not one of \(PCBootExplanation.Firmware.allCases.map(\.rawValue).joined(separator: ", "))")
            throw ExitCode(1)
        }
        // The same file, read the same way, as every other command (--config, docs/configuration.md).
        let configuration = try location.configuration()
        var server = IPv4Address.any
        if case .fixed(let address) = configuration.serverAddress { server = address }
        let explanation = PCBootExplanation(
            mac: mac, firmware: firmware, classifier: DHCPClientClassifier(configuration.dhcp),
            pxe: PXEResponder(configuration: PXEResponder.Configuration(configuration.pxe)), server: server,
            menu: HTTPService.Options(configuration, metrics: nil).ipxe)
        let decision = try bootDecision(configuration, mac: mac)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let text = String(decoding: try encoder.encode(explanation), as: UTF8.self)
            print(try decision.map { try Self.addingBootDecision($0, to: text) } ?? text)
            return
        }
        for line in explanation.lines { print(line) }
        if server == .any {
            print("(server-address is auto: 0.0.0.0 stands for the address of the interface the client reaches)")
        }
        for line in decision.map(Self.bootDecisionLines) ?? [] { print(line) }
    }
}
