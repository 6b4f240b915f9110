import ArgumentParser

enum NetbootVersion {
    static let string = "0.1.0"
}

/// `netboot version`: prints the version.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Print the version.",
        discussion: HelpText.discussion(examples: [("netboot version", "prints `netboot X.Y.Z`")],
                                        exitCodes: [(0, "the version was printed")]))

    func run() {
        print("netboot \(NetbootVersion.string)")
    }
}
