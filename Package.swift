// swift-tools-version:6.1
// netboot — a bare-metal boot appliance: DHCP/BSDP, TFTP, HTTP and task sequences.
// Layers (docs/architecture.md): wire (pure codecs) → cores (pure state machines)
// → services (SwiftNIO shells) → faces (CLI). Dependencies point downward only.
import PackageDescription

let package = Package(
    name: "netboot",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "netboot", targets: ["netboot"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // MARK: system libraries
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(name: "CLinuxPacket"),
        .systemLibrary(name: "CLinuxEvents"),

        // MARK: wire — pure codecs, Foundation only
        .target(name: "NetbootWire"),

        // MARK: cores — pure logic
        .target(name: "BootImages", dependencies: ["NetbootWire"]),
        .target(name: "BootServices", dependencies: ["NetbootWire", "BootImages"]),
        .target(name: "LocatedYAML", dependencies: [.product(name: "Yams", package: "Yams")]),
        .target(name: "TaskSequence", dependencies: [
            "LocatedYAML", .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "NetbootConfig", dependencies: [
            "LocatedYAML", "NetbootWire", .product(name: "Yams", package: "Yams"),
        ]),

        .target(name: "BridgeCore", dependencies: ["NetbootWire", .product(name: "Crypto", package: "swift-crypto")]),

        // MARK: store
        .target(name: "NetbootStore", dependencies: [
            "NetbootWire", "BootServices", "BridgeCore", .product(name: "GRDB", package: "GRDB.swift"),
        ]),

        // MARK: capture
        .target(name: "PacketCapture", dependencies: ["NetbootWire", "BootServices", "BootImages", "TaskSequence", "CPcap"]),

        // MARK: services — SwiftNIO shells, logging, metrics
        .target(name: "NetbootServer", dependencies: [
            "NetbootWire", "BootImages", "BootServices", "NetbootConfig", "NetbootStore",
            "PacketCapture", "TaskSequence", "CZlib", "CLinuxPacket", "CLinuxEvents",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOExtras", package: "swift-nio-extras"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),

        // MARK: bridge — the authenticated front door on 8761 (clients) and 8760 (consoles)
        .target(name: "ProxyBridge", dependencies: [
            "BridgeCore", "NetbootStore", "NetbootConfig", "NetbootWire", "BootServices",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // MARK: faces
        .executableTarget(name: "netboot", dependencies: [
            "NetbootServer", "NetbootConfig", "PacketCapture", "TaskSequence", "BootImages",
            "BootServices", "NetbootStore", "ProxyBridge", "BridgeCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: tests
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "NetbootWireTests", dependencies: ["NetbootWire", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "BootImagesTests", dependencies: ["BootImages"], resources: [.copy("Fixtures")]),
        .testTarget(name: "BootServicesTests", dependencies: ["BootServices", "BootImages", "TestSupport"]),
        .testTarget(name: "LocatedYAMLTests", dependencies: ["LocatedYAML"]),
        .testTarget(name: "NetbootConfigTests", dependencies: ["NetbootConfig"]),
        .testTarget(name: "TaskSequenceTests", dependencies: ["TaskSequence"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NetbootStoreTests", dependencies: ["NetbootStore", "BridgeCore", "NetbootWire"]),
        .testTarget(name: "BridgeCoreTests", dependencies: ["BridgeCore", "NetbootWire"]),
        .testTarget(name: "ProxyBridgeTests", dependencies: ["ProxyBridge", "BridgeCore", "NetbootStore"]),
        .testTarget(name: "PacketCaptureTests", dependencies: ["PacketCapture", "NetbootWire", "BootImages", "TaskSequence", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NetbootServerTests", dependencies: [
            "NetbootServer", "CLinuxPacket", "PacketCapture", "NetbootWire",
            "NetbootConfig", "TestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
