import Foundation
import NetbootWire
@testable import PacketCapture
import TestSupport

/// Path of a file in Tests/PacketCaptureTests/Fixtures.
func fixture(_ name: String) -> String {
    (Bundle.module.resourcePath.map { $0 + "/Fixtures/" } ?? "Tests/PacketCaptureTests/Fixtures/") + name
}

/// A fresh temporary directory.
func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "netboot-capture-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Parses one `--json` line back into Foundation objects (proves it is valid JSON).
func parsedJSON(_ value: JSONValue) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(value.text.utf8))
    return object as? [String: Any] ?? [:]
}

let clientMAC = MACAddress(rawValue: 0x001F_5B12_3456)
let serverMAC = MACAddress(rawValue: 0x0200_5E00_0001)
let serverIP = IPv4Address(198, 51, 100, 1)
let clientIP = IPv4Address(198, 51, 100, 2)

/// An Ethernet/IPv4/UDP frame with `payload`.
func udpFrame(from: (MACAddress, IPv4Address, UInt16), to: (MACAddress, IPv4Address, UInt16), _ payload: [UInt8],
              second: Int64 = 1_700_000_000, micro: Int32 = 0) throws -> CapturedFrame {
    let bytes = try UDPFrame.encode(sourceMAC: from.0, destinationMAC: to.0, source: from.1, destination: to.1,
                                    sourcePort: from.2, destinationPort: to.2, payload: payload)
    return CapturedFrame(time: PacketTime(seconds: second, microseconds: micro), bytes: bytes)
}

/// Runs tshark, nil when it is not installed (and not in CI).
func tshark(_ arguments: [String]) throws -> Data? {
    guard TsharkProcess.shouldRun else { return nil }
    return try TsharkProcess.run(arguments)
}
