// swift-tools-version:6.1
// netboot — a bare-metal boot appliance: DHCP/BSDP, TFTP, HTTP and task sequences.
// Layers (docs/architecture.md): wire (pure codecs) → cores (pure state machines)
// → services (SwiftNIO shells) → faces (CLI). Dependencies point downward only.
import PackageDescription

/// Link flags for netboot-runner and tsvar: the Swift runtime and Foundation linked in
/// statically (`-static-stdlib`; Foundation's own static libraries in one group, since the
/// other targets were compiled against the shared Foundation and do not autolink them).
let staticRuntime = [
    "-static-stdlib",
    "-Xlinker", "--start-group",
    "-lFoundation", "-lFoundationEssentials", "-lFoundationInternationalization", "-lCoreFoundation",
    "-l_FoundationICU", "-l_FoundationCShims", "-l_FoundationCollections", "-lswiftSynchronization",
    "-lswiftDispatch", "-ldispatch", "-lBlocksRuntime", "-lswift_RegexParser", "-lswift_StringProcessing",
    "-Xlinker", "--end-group",
]

/// tsvar needs only FoundationEssentials (JSON), so it leaves out Foundation and ICU.
let staticEssentials = [
    "-static-stdlib",
    "-Xlinker", "--start-group",
    "-lFoundationEssentials", "-l_FoundationCShims", "-l_FoundationCollections", "-lswiftSynchronization",
    "-lswiftDispatch", "-ldispatch", "-lBlocksRuntime",
    "-Xlinker", "--end-group",
]

let package = Package(
    name: "netboot",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "netboot", targets: ["netboot"]),
        .executable(name: "netboot-runner", targets: ["netboot-runner"]),
        .executable(name: "tsvar", targets: ["tsvar"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // NIOHTTPTypes only, for the bridge's request-head deadline (Hummingbird already builds it).
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
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
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
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CLzma", pkgConfig: "liblzma", providers: [.apt(["liblzma-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSSL", pkgConfig: "libssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CLinuxRunner"),
        .systemLibrary(name: "CLinuxPacket"),
        .systemLibrary(name: "CLinuxEvents"),

        // MARK: wire — pure codecs, Foundation only
        .target(name: "NetbootWire"),
        .target(name: "JSONEscape"),
        // The in-process feed of boot events from the services to the web console (docs/console.md).
        .target(name: "BootEvents"),

        // MARK: cores — pure logic
        .target(name: "BootImages", dependencies: ["NetbootWire"]),
        .target(name: "BootServices", dependencies: ["NetbootWire", "BootImages"]),
        .target(name: "Diagnostics"),
        .target(name: "LocatedYAML", dependencies: ["Diagnostics", .product(name: "Yams", package: "Yams")]),
        // The run side's pure core: program, executor, variables, conditions (no Yams, no I/O),
        // so that netboot-runner stays small and portable (DESIGN §9).
        .target(name: "TaskSequenceCore", dependencies: ["Diagnostics"]),
        .target(name: "TaskSequence", dependencies: [
            "TaskSequenceCore", "LocatedYAML", "JSONEscape", .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "NetbootConfig", dependencies: [
            "LocatedYAML", "NetbootWire", .product(name: "Yams", package: "Yams"),
        ]),

        // The seed's log rotation, shared by the appliance and netboot-runner.
        .target(name: "RotatingLog", dependencies: ["CZlib"]),

        // MARK: run side — netboot-runner and tsvar (small, portable: no NIO, GRDB or libpcap)
        .target(name: "RunnerCore", dependencies: ["TaskSequenceCore"]),
        .target(name: "TaskSequenceDrivers", dependencies: [
            "TaskSequenceCore", "CZlib", "CZstd", "CLzma", "CCrypto", "CLinuxRunner",
        ]),
        .target(name: "BridgeCore", dependencies: ["NetbootWire", .product(name: "Crypto", package: "swift-crypto")]),

        // MARK: store
        .target(name: "NetbootStore", dependencies: [
            "NetbootWire", "BootServices", "BridgeCore", .product(name: "GRDB", package: "GRDB.swift"),
        ]),

        // The PostgreSQL backend of the same protocols (docs/store.md), in its own target so that
        // the embedded SQLite store does not pull in postgres-nio.
        .target(name: "NetbootStorePostgres", dependencies: [
            "NetbootStore", "NetbootWire", "BootServices",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),

        // MARK: capture
        .target(name: "PacketCapture", dependencies: ["NetbootWire", "BootImages", "TaskSequence", "JSONEscape", "CPcap"]),

        // MARK: control protocol — pure codec and dispatch of the control socket (docs/control.md)
        .target(name: "ControlProtocol", dependencies: ["JSONEscape", "NetbootWire", "BootImages"]),

        // MARK: services — SwiftNIO shells, logging, metrics
        .target(name: "NetbootServer", dependencies: [
            "NetbootWire", "BootImages", "BootServices", "NetbootConfig", "NetbootStore", "NetbootStorePostgres",
            "PacketCapture", "RotatingLog", "CZlib", "CLinuxPacket", "CLinuxEvents", "ControlProtocol", "BootEvents",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),

        // MARK: bridge — the authenticated front door on 8761 (clients) and 8760 (consoles)
        .target(name: "ProxyBridge", dependencies: [
            "BridgeCore", "NetbootStore", "NetbootConfig", "NetbootWire", "BootServices", "TaskSequence", "TaskSequenceDrivers", "BootEvents", "RotatingLog",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),

        // MARK: faces
        .executableTarget(name: "netboot", dependencies: [
            "NetbootServer", "NetbootConfig", "PacketCapture", "TaskSequence", "BootImages",
            "BootServices", "BootEvents", "NetbootStore", "TaskSequenceDrivers", "ControlProtocol", "ProxyBridge", "BridgeCore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // The runner and tsvar link the Swift runtime statically (-static-stdlib) so that one
        // binary can be copied into an initramfs or onto a target (docs/task-sequences.md).
        .executableTarget(name: "netboot-runner", dependencies: [
            "RunnerCore", "TaskSequence", "TaskSequenceDrivers", "RotatingLog", "CSSL", "Diagnostics",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], linkerSettings: [.unsafeFlags(staticRuntime)]),
        .executableTarget(name: "tsvar", dependencies: ["RunnerCore"],
                          linkerSettings: [.unsafeFlags(staticEssentials)]),

        // MARK: tests
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "NetbootWireTests", dependencies: ["NetbootWire", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "BootImagesTests", dependencies: ["BootImages"], resources: [.copy("Fixtures")]),
        .testTarget(name: "BootServicesTests", dependencies: ["BootServices", "BootImages", "TestSupport"]),
        .testTarget(name: "LocatedYAMLTests", dependencies: ["LocatedYAML"]),
        .testTarget(name: "JSONEscapeTests", dependencies: ["JSONEscape"]),
        .testTarget(name: "NetbootConfigTests", dependencies: ["NetbootConfig"]),
        .testTarget(name: "TaskSequenceTests", dependencies: ["TaskSequence"], resources: [.copy("Fixtures")]),
        .testTarget(name: "RunnerCoreTests", dependencies: ["RunnerCore", "TaskSequence"]),
        .testTarget(name: "TaskSequenceDriversTests", dependencies: ["TaskSequenceDrivers"]),
        .testTarget(name: "ControlProtocolTests", dependencies: ["ControlProtocol", "NetbootWire", "BootImages"]),
        .testTarget(name: "NetbootStoreTests", dependencies: ["NetbootStore", "NetbootStorePostgres", "BridgeCore", "NetbootWire"]),
        .testTarget(name: "BridgeCoreTests", dependencies: ["BridgeCore", "NetbootWire"]),
        .testTarget(name: "ProxyBridgeTests", dependencies: [
            "ProxyBridge", "BridgeCore", "NetbootStore", "BootEvents", .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        .testTarget(name: "PacketCaptureTests", dependencies: ["PacketCapture", "NetbootWire", "BootImages", "TaskSequence", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NetbootServerTests", dependencies: [
            "NetbootServer", "CLinuxPacket", "PacketCapture", "NetbootWire",
            "NetbootConfig", "TestSupport", "RotatingLog",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
