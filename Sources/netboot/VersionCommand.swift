import ArgumentParser

enum NetbootVersion {
    static let string = "0.1.0"
}

/// `netboot version`: prints the version.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

    func run() {
        print("netboot \(NetbootVersion.string)")
    }
}
