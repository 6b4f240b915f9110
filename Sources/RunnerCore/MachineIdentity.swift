#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the machine says about itself when it enrolls with the bridge (docs/bridge.md "Client
/// API", `POST /v1/enroll` `model`, `serial`): the firmware's SMBIOS product name and serial
/// number as Linux exposes them under `/sys/class/dmi/id`. The bridge tells PCs from Macs by the
/// model (`Inventory.Machine.platform(forModel:)`), so an unlisted PC falls into "Unknown
/// Computers" and not "Unknown Mac OS X Systems". Values that firmware leaves as placeholders
/// are no value.
public struct MachineIdentity: Sendable, Equatable {
    public var model: String?
    public var serial: String?

    public init(model: String? = nil, serial: String? = nil) {
        self.model = model
        self.serial = serial
    }

    /// Placeholders firmware vendors leave in SMBIOS strings.
    static let placeholders: Set<String> = ["", "to be filled by o.e.m.", "default string", "system product name",
                                            "system serial number", "not specified", "none", "0", "n/a"]

    /// The identity read from `directory` (default `/sys/class/dmi/id`); unreadable files and
    /// placeholders are left out.
    public static func read(directory: String = "/sys/class/dmi/id") -> MachineIdentity {
        MachineIdentity(model: value(directory + "/product_name"), serial: value(directory + "/product_serial"))
    }

    /// The enrollment body's extra fields.
    public var enrollmentFields: [String: String] {
        var fields: [String: String] = [:]
        if let model { fields["model"] = model }
        if let serial { fields["serial"] = serial }
        return fields
    }

    static func value(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        let trimmed = String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        return placeholders.contains(trimmed.lowercased()) || trimmed.count > 128 ? nil : trimmed
    }
}
