import ArgumentParser
import NetbootServer

/// The `netboot` command: the appliance's one front door. Each subcommand lives in its own file.
@main
struct Netboot: AsyncParsableCommand {
    /// Every command runs with umask 027 (`FileModes`): nothing netboot writes is world-readable.
    static func main() async {
        FileModes.restrictProcessUmask()
        await main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "netboot",
        abstract: "A bare-metal boot appliance: DHCP/BSDP, TFTP, HTTP and task sequences.",
        discussion: HelpText.discussion(
            "Commands that use the configuration read etc/netboot.yaml (or --config FILE) the same way; `netboot help COMMAND` says more.",
            examples: [
                ("netboot serve", "run the appliance on etc/netboot.yaml, or the embedded defaults"),
                ("netboot config check", "report every error in etc/netboot.yaml"),
                ("netboot images list", "show the boot images the server would serve"),
            ],
            exitCodes: [(0, "the command succeeded"), (1, "the command failed (each command's help lists its codes)")]),
        version: NetbootVersion.string,
        subcommands: [
            VersionCommand.self,
            ServeCommand.self,
            StatusCommand.self,
            ConfigCommand.self,
            TFTPServeCommand.self,
            ImagesCommand.self,
            TSCommand.self,
            DecodeCommand.self,
            CaptureCommand.self,
            StoreCommand.self,
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
