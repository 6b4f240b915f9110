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
        ]
    )
}
