import ArgumentParser
import Foundation
import PacketCapture

/// `netboot decode FILE [--json] [--conversations]` (issue 2 item 6, issue 7): one line per
/// packet of a pcap or pcapng file, DHCP/BSDP/TFTP decoded; docs/capture.md.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode DHCP, BSDP and TFTP packets in a pcap or pcapng file.",
        discussion: HelpText.discussion(
            """
            DHCP and BSDP (UDP 67/68/4011) and TFTP (port 69 and the transfer ports each RRQ \
            leads to) are decoded. Other packets get addresses, ports and a length only: TCP, \
            HTTP included, is not decoded (no requests, no responses).
            """,
            examples: [
                ("netboot decode boot.pcap", "one line per DHCP, BSDP and TFTP packet"),
                ("netboot decode boot.pcap --conversations", "one line per exchange and per transfer"),
                ("netboot decode boot.pcap --json", "one JSON object per packet"),
            ],
            exitCodes: [
                (0, "every packet was read"),
                (1, "the file does not open or its link type is not supported"),
                (2, "the file is truncated or corrupt (the packets before the damage are printed)"),
            ])
    )

    @Argument(help: "A pcap or pcapng capture file.")
    var file: String

    @Flag(help: "One JSON object per packet (fields in docs/capture.md).")
    var json = false

    @Flag(help: "One line per DHCP/BSDP exchange (by xid) and per TFTP transfer instead of per packet.")
    var conversations = false

    func run() throws {
        var formatter = PacketLineFormatter()
        var groups = Conversations()
        let decoding: CaptureFileDecoding
        do {
            decoding = try CaptureFileDecoding.decode(path: file, keepRecords: false) { record in
                if conversations {
                    groups.add(record)
                } else if json {
                    print(record.json.text)
                } else {
                    print(formatter.line(record))
                }
            }
        } catch {
            reportError("\(error)")
            throw ExitCode(1)
        }
        if conversations {
            for line in groups.lines { print(line) }
            print(groups.summary)
        }
        if let readError = decoding.readError {
            reportError("\(readError)")
            throw ExitCode(2)
        }
    }
}

/// Errors of the capture commands go to standard error as `netboot: error: …`.
func reportError(_ text: String) {
    var standardError = StandardErrorStream()
    print("netboot: error: \(text)", to: &standardError)
}

struct StandardErrorStream: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}
