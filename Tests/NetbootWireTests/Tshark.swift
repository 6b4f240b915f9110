import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import NetbootWire
import TestSupport

/// tshark as an independent decoder for oracle tests: write frames to a pcap, let tshark
/// dissect it, and hand back its fields (PDML) and its verbose text.
enum Tshark {
    /// One `<field>` of tshark's PDML output.
    struct Field: CustomStringConvertible {
        var name: String
        var show: String
        var value: String
        var pos: Int
        var size: Int
        var description: String { "\(name)=\(show) [\(value)] @\(pos)" }
    }

    static var path: String? { TsharkProcess.path }
    static var shouldRun: Bool { TsharkProcess.shouldRun }

    static var missingMessage: String {
        "tshark is required for the oracle tests (apt-get install tshark; scripts/install-deps test)"
    }

    /// Writes `frames` as a pcap in a fresh temporary directory and returns its URL.
    static func writePcap(_ frames: [[UInt8]]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netboot-oracle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("frames.pcap")
        let pcap = PcapFile(records: frames.enumerated().map { PcapRecord(seconds: UInt32($0.offset), data: $0.element) })
        try Data(pcap.encoded()).write(to: file)
        return file
    }

    /// Runs tshark with `arguments` and returns its standard output; throws with stderr on failure.
    static func run(_ arguments: [String]) throws -> String {
        do {
            return String(decoding: try TsharkProcess.run(arguments), as: UTF8.self)
        } catch let failure as TsharkProcess.Failure {
            throw OracleError(message: failure.description)
        }
    }

    static let checksumPreferences = ["-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"]

    /// `tshark -V` text of the file.
    static func verbose(_ file: URL) throws -> String {
        try run(["-n", "-V"] + checksumPreferences + ["-r", file.path])
    }

    /// The fields of every packet, in document order (nested fields flattened).
    static func pdml(_ file: URL) throws -> [[Field]] {
        let xml = try run(["-n", "-T", "pdml"] + checksumPreferences + ["-r", file.path])
        let collector = PDMLCollector()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = collector
        guard parser.parse() else { throw OracleError(message: "tshark PDML did not parse: \(String(describing: parser.parserError))") }
        return collector.packets
    }

    struct OracleError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}

private final class PDMLCollector: NSObject, XMLParserDelegate {
    var packets: [[Tshark.Field]] = []

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes: [String: String] = [:]) {
        if elementName == "packet" { packets.append([]) }
        guard elementName == "field", !packets.isEmpty else { return }
        packets[packets.count - 1].append(Tshark.Field(
            name: attributes["name"] ?? "", show: attributes["show"] ?? "", value: attributes["value"] ?? "",
            pos: Int(attributes["pos"] ?? "") ?? -1, size: Int(attributes["size"] ?? "") ?? -1))
    }
}
