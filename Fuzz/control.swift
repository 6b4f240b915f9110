// libFuzzer harness: the control socket's request side (docs/control.md) as a connection feeds
// it — bytes split at an input-chosen point through ControlLineFramer, every line through
// ControlRequestDecoder, ControlCore with a fixed snapshot, and the reply's encoding. Asserts:
// the split does not change the lines; a decoded request re-encodes to a line that decodes to
// the same request; every reply is one line that the client's decoder reads back equal.
// Input: byte 0 picks the split point, the rest is what the client sent.
// docs/fuzzing.md
import BootImages
import ControlProtocol
import Foundation
import NetbootWire

let snapshot = ControlSnapshot(
    version: "0.1.0", pid: 1, configuration: "etc/netboot.yaml", startedAt: Date(timeIntervalSince1970: 0),
    now: Date(timeIntervalSince1970: 100), services: [ServiceStatus(name: "dhcp", state: .running, addresses: [])],
    counts: ApplianceCounts(), dhcpMode: "authoritative",
    leases: [LeaseEntry(address: IPv4Address(10, 0, 0, 5), mac: MACAddress(rawValue: 0x0200_5e10_0002),
                        clientID: "01:02:00:5e:10:00:02", hostname: "h", state: "bound", expires: "1970-01-01T00:10:00Z")],
    catalog: ImageCatalog(directory: "images"), flightRecorderEnabled: true)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let at = min(Int(data[0]) * 16, bytes.count)
    var whole = ControlLineFramer(limit: 2048)
    let lines = whole.feed(bytes)
    var split = ControlLineFramer(limit: 2048)
    let parts = split.feed(bytes[..<at]) + split.feed(bytes[at...])
    guard parts == lines else { fatalError("split at \(at) gave other lines") }
    for frame in lines {
        guard case .line(let line) = frame else { continue }
        switch ControlRequestDecoder.decode(line) {
        case .failure(let rejection):
            let reply = ControlCore.reply(to: rejection)
            check(reply, for: .status)
        case .success(let request):
            let again = request.encoded()
            guard again.last == 10, (try? ControlRequestDecoder.decode(again.dropLast()).get()) == request else {
                fatalError("request did not round-trip: \(request)")
            }
            switch ControlCore.handle(request, snapshot: snapshot) {
            case .reply(let reply): check(reply, for: request.command.name)
            case .perform: break
            }
        }
    }
    return 0
}

func check(_ reply: ControlReply, for command: ControlCommand) {
    let line = reply.encoded()
    guard line.last == 10, line.dropLast().firstIndex(of: 10) == nil else { fatalError("reply is not one line") }
    guard let back = try? ControlReply.decode(line.dropLast(), for: command), back == reply else {
        fatalError("reply did not read back: \(String(decoding: line, as: UTF8.self))")
    }
}
