/// The PXE client architectures the appliance has boot files for, keyed as in the config
/// (`pxe.bios`, `pxe.uefi-x64`, `pxe.uefi-arm64`).
public enum PXEArchitecture: String, Hashable, Sendable, CaseIterable {
    case bios
    case uefiX64 = "uefi-x64"
    case uefiArm64 = "uefi-arm64"

    /// From DHCP option 93, Client System Architecture Type (RFC 4578 §2.1 and the IANA
    /// "Processor Architecture Types" registry): 0 x86 BIOS; 7 and 9 x64 UEFI; 11 ARM64 UEFI;
    /// 16 x64 UEFI HTTP; 19 ARM64 UEFI HTTP. Others (IA32 UEFI 6, ARM32 10, …) have no boot file.
    public init?(option93 value: UInt16) {
        switch value {
        case 0: self = .bios
        case 7, 9, 16: self = .uefiX64
        case 11, 19: self = .uefiArm64
        default: return nil
        }
    }
}

/// The boot file a PXE client of each architecture is given (issue 3, config keys
/// `pxe.bios`, `pxe.uefi-x64`, `pxe.uefi-arm64`). Defaults are the iPXE builds Debian ships.
public struct PXEBootFiles: Hashable, Sendable {
    public var bios: String
    public var uefiX64: String
    public var uefiArm64: String

    public init(bios: String = "undionly.kpxe", uefiX64: String = "ipxe.efi", uefiArm64: String = "ipxe-arm64.efi") {
        self.bios = bios
        self.uefiX64 = uefiX64
        self.uefiArm64 = uefiArm64
    }

    public func file(for architecture: PXEArchitecture) -> String {
        switch architecture {
        case .bios: bios
        case .uefiX64: uefiX64
        case .uefiArm64: uefiArm64
        }
    }

    /// For each architecture, the first of `directories` that holds its boot file as a regular
    /// file, or nil when none does (for `netboot serve`'s start-up report).
    public func locate(in directories: [String], fileSystem: any ImageFileSystem) -> [PXEArchitecture: String?] {
        var found: [PXEArchitecture: String?] = [:]
        for architecture in PXEArchitecture.allCases {
            let file = self.file(for: architecture)
            found[architecture] = directories
                .map { $0 + "/" + file }
                .first { KeyReader.isSafeRelativePath(file) && fileSystem.kind(at: $0) == .regular }
        }
        return found
    }

    /// The architectures whose boot file is in none of `directories`, with the file name.
    public func missing(in directories: [String], fileSystem: any ImageFileSystem) -> [(PXEArchitecture, String)] {
        let found = locate(in: directories, fileSystem: fileSystem)
        return PXEArchitecture.allCases.compactMap { arch in
            (found[arch] ?? nil) == nil ? (arch, file(for: arch)) : nil
        }
    }
}
