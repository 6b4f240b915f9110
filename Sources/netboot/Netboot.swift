import ArgumentParser

/// The `netboot` command: the appliance's one front door. Each subcommand lives in its own file.
@main
struct Netboot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "netboot",
        abstract: "A bare-metal boot appliance: DHCP/BSDP, TFTP, HTTP and task sequences.",
        version: NetbootVersion.string,
        subcommands: [
            VersionCommand.self,
            ServeCommand.self,
            ConfigCommand.self,
            TFTPServeCommand.self,
            ImagesCommand.self,
            TSCommand.self,
            DecodeCommand.self,
            CaptureCommand.self,
            ExplainCommand.self,
            DebugCommand.self,
            LeasesCommand.self,
            HTTPServeCommand.self,
            BridgeCommand.self,
            TokensCommand.self,
            DevicesCommand.self,
        ]
    )
}
