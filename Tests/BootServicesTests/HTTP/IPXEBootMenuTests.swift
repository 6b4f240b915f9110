import NetbootWire
import Testing

@testable import BootServices

@Suite struct IPXEBootMenuTests {
    static let debian = IPXEImage(name: "debian", title: "Debian 12", kernel: "images/pxe/debian/vmlinuz",
                                 initrds: ["images/pxe/debian/initrd.gz"],
                                 cmdline: "auto url=http://{server}/preseed/{mac}.cfg ip={ip}")
    static let alpine = IPXEImage(name: "alpine", kernel: "http://mirror.test/alpine/vmlinuz-lts",
                                 initrds: ["/images/pxe/alpine/initramfs-lts"], cmdline: "modules=loop")
    static let mac = MACAddress("52:54:00:12:34:56")
    static let client = IPXEBootMenu.Client(mac: mac, ip: "198.51.100.2", server: "198.51.100.1:8080")

    @Test func defaultImageForUnknownClient() {
        let menu = IPXEBootMenu(images: [Self.debian, Self.alpine], defaultImage: "debian")
        #expect(menu.script(for: Self.client) == """
            #!ipxe
            kernel http://198.51.100.1:8080/images/pxe/debian/vmlinuz initrd=initrd.gz auto \
            url=http://198.51.100.1:8080/preseed/52:54:00:12:34:56.cfg ip=198.51.100.2
            initrd --name initrd.gz http://198.51.100.1:8080/images/pxe/debian/initrd.gz
            boot

            """)
    }

    @Test func assignedClientGetsItsImage() {
        var menu = IPXEBootMenu(images: [Self.debian, Self.alpine], defaultImage: "debian")
        if let mac = Self.mac { menu.assignments[mac] = "alpine" }
        #expect(menu.script(for: Self.client) == """
            #!ipxe
            kernel http://mirror.test/alpine/vmlinuz-lts initrd=initramfs-lts modules=loop
            initrd --name initramfs-lts http://198.51.100.1:8080/images/pxe/alpine/initramfs-lts
            boot

            """)
    }

    @Test func menuWhenSeveralImagesAndNoDefault() {
        let menu = IPXEBootMenu(images: [Self.debian, Self.alpine], menuTimeoutMilliseconds: 5000)
        let script = menu.script(for: .init(mac: nil, ip: "10.0.0.9", server: "boot"))
        #expect(script.hasPrefix("#!ipxe\nmenu netboot: choose an image\nitem img0 Debian 12\nitem img1 alpine\n"
            + "choose --timeout 5000 target && goto ${target} || exit 1\n:img0\nkernel http://boot/images/pxe/debian/"))
        #expect(script.contains(":img1\nkernel http://mirror.test/alpine/vmlinuz-lts initrd=initramfs-lts modules=loop\n"))
        #expect(script.contains("url=http://boot/preseed/.cfg ip=10.0.0.9"))  // no MAC: empty
    }

    @Test func singleImageWithoutDefaultBootsIt() {
        let menu = IPXEBootMenu(images: [Self.alpine])
        #expect(menu.image(for: nil) == Self.alpine)
    }

    @Test func unknownDefaultFallsBackToMenu() {
        let menu = IPXEBootMenu(images: [Self.debian, Self.alpine], defaultImage: "gone")
        #expect(menu.image(for: Self.mac) == nil)
        #expect(menu.script(for: Self.client).contains("menu netboot"))
    }

    @Test func noImages() {
        #expect(IPXEBootMenu().script(for: Self.client) == "#!ipxe\necho netboot: no PXE images are configured\nexit 1\n")
    }

    @Test func valuesCannotInjectLines() {
        let evil = IPXEImage(name: "x", kernel: "k", cmdline: "a\nshell {mac}{unknown}")
        let script = IPXEBootMenu(images: [evil]).script(for: .init(mac: nil, ip: "1", server: "s\r\nshell"))
        #expect(script == "#!ipxe\nkernel http://s  shell/k a shell {unknown}\nboot\n")
    }

    // UEFI: the EFI stub loads an initrd only by the name on the command line (issue 14 item 3).
    @Test func kernelLineNamesEachInitrd() {
        let image = IPXEImage(name: "two", kernel: "pxe/two/vmlinuz",
                              initrds: ["pxe/two/initrd.img", "http://m.test/fw/initrd.img?v=1", "pxe/two/x+y#z"],
                              cmdline: "console=ttyS0 quiet")
        #expect(IPXEBootMenu(images: [image]).script(for: .init(mac: nil, ip: "1", server: "s")) == """
            #!ipxe
            kernel http://s/pxe/two/vmlinuz initrd=initrd.img initrd=initrd.img-2 initrd=x_y console=ttyS0 quiet
            initrd --name initrd.img http://s/pxe/two/initrd.img
            initrd --name initrd.img-2 http://m.test/fw/initrd.img?v=1
            initrd --name x_y http://s/pxe/two/x+y#z
            boot

            """)
    }

    @Test func initrdNamedOnlyOnce() {
        let image = IPXEImage(name: "x", kernel: "k", initrds: ["pxe/x/initrd.img"], cmdline: "initrd=initrd.img quiet")
        #expect(IPXEBootMenu(images: [image]).script(for: .init(mac: nil, ip: "1", server: "s")) == """
            #!ipxe
            kernel http://s/k initrd=initrd.img quiet
            initrd --name initrd.img http://s/pxe/x/initrd.img
            boot

            """)
    }

    @Test func plainCommandLineGainsInitrdAndEmptyOneToo() {
        let bare = IPXEImage(name: "x", kernel: "k", initrds: ["/"])
        #expect(IPXEBootMenu(images: [bare]).script(for: .init(mac: nil, ip: "1", server: "s"))
            == "#!ipxe\nkernel http://s/k initrd=initrd\ninitrd --name initrd http://s/\nboot\n")
        #expect(IPXEBootMenu.namesInitrd("a initrd=b"))
        #expect(!IPXEBootMenu.namesInitrd("a myinitrd=b"))
        #expect(!IPXEBootMenu.namesInitrd("a -- initrd=b"))  // after --: an argument for init
    }

    @Test func imageWithoutInitrdGetsNoInitrdArgument() {
        let image = IPXEImage(name: "x", kernel: "k", cmdline: "quiet")
        #expect(IPXEBootMenu(images: [image]).script(for: .init(mac: nil, ip: "1", server: "s"))
            == "#!ipxe\nkernel http://s/k quiet\nboot\n")
    }
}
