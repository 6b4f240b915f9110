#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import RunnerCore
#if canImport(Glibc)
import Glibc
#endif

// tsvar: the seed's PMM_TS_VARIABLE_UTIL (seed L5066-5090). Talks to the running
// netboot-runner over its Unix socket (NETBOOT_TSVAR_SOCKET); exit codes in
// VariableUtility.ExitCode (docs/task-sequences.md).

/// Writes all of `text` to a file descriptor (Foundation's FileHandle is left out to keep
/// tsvar small: FoundationEssentials only).
func put(_ text: String, to fd: Int32) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0, errno == EINTR { continue }
        guard n > 0 else { return }
        bytes = bytes.dropFirst(n)
    }
}

func fail(_ code: VariableUtility.ExitCode, _ message: String) -> Never {
    put("tsvar: \(message)\n", to: STDERR_FILENO)
    exit(code.rawValue)
}

let request: VariableUtility.Request
do {
    request = try VariableUtility.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    if error.description == "help" {
        put(VariableUtility.usage + "\n", to: STDOUT_FILENO)
        exit(0)
    }
    fail(.usage, "\(error.description)\n\(VariableUtility.usage)")
}

guard let pointer = getenv("NETBOOT_TSVAR_SOCKET"), case let path = String(cString: pointer), !path.isEmpty else {
    fail(.outsideRun, "not inside a task sequence run (NETBOOT_TSVAR_SOCKET is not set)")
}
let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
guard fd >= 0 else { fail(.outsideRun, "socket: \(String(cString: strerror(errno)))") }
var address = sockaddr_un()
address.sun_family = sa_family_t(AF_UNIX)
let pathBytes = Array(path.utf8)
guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else { fail(.outsideRun, "socket path too long: \(path)") }
withUnsafeMutableBytes(of: &address.sun_path) { raw in
    for (index, byte) in pathBytes.enumerated() { raw[index] = byte }
}
let connected = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
}
guard connected == 0 else { fail(.outsideRun, "not inside a task sequence run (\(path): \(String(cString: strerror(errno))))") }

do {
    var line = try JSONEncoder().encode(request)
    line.append(0x0A)
    let sent = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard sent == line.count else { fail(.outsideRun, "the runner closed the connection") }
} catch {
    fail(.protocolError, "cannot encode the request")
}
var reply: [UInt8] = []
var buffer = [UInt8](repeating: 0, count: 65536)
while !reply.contains(0x0A) {
    let n = read(fd, &buffer, buffer.count)
    if n < 0, errno == EINTR { continue }
    guard n > 0 else { break }
    reply += buffer[0..<n]
}
close(fd)
guard let responseLine = reply.split(separator: 0x0A).first,
      let response = try? JSONDecoder().decode(VariableUtility.Response.self, from: Data(responseLine)) else {
    fail(reply.isEmpty ? .outsideRun : .protocolError, reply.isEmpty ? "the runner did not answer" : "the runner's answer is not understood")
}
switch response {
case .values(let values):
    put(VariableUtility.output(for: values), to: STDOUT_FILENO)
    exit(0)
case .done:
    exit(0)
case .refused(let code, let message):
    fail(code, message)
}
