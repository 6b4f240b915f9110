import Foundation
import RunnerCore
import Testing

/// The model and serial netboot-runner sends when it enrolls (SMBIOS through sysfs).
@Suite struct MachineIdentityTests {
    private func directory(_ files: [String: String]) throws -> String {
        let path = NSTemporaryDirectory() + "dmi-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: "\(path)/\(name)", atomically: true, encoding: .utf8) }
        return path
    }

    @Test func aVirtualPCSaysItsModel() throws {
        let path = try directory(["product_name": "Standard PC (Q35 + ICH9, 2009)\n", "product_serial": "VM-0042\n"])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let identity = MachineIdentity.read(directory: path)
        #expect(identity == MachineIdentity(model: "Standard PC (Q35 + ICH9, 2009)", serial: "VM-0042"))
        #expect(identity.enrollmentFields == ["model": "Standard PC (Q35 + ICH9, 2009)", "serial": "VM-0042"])
    }

    @Test func placeholdersAndMissingFilesAreNoValue() throws {
        let path = try directory(["product_name": "To Be Filled By O.E.M.\n", "product_serial": "  \n"])
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(MachineIdentity.read(directory: path) == MachineIdentity())
        #expect(MachineIdentity.read(directory: path + "/missing").enrollmentFields.isEmpty)
    }
}
