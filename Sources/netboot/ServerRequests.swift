import ArgumentParser
import ControlProtocol
import Foundation
import NetbootServer

/// `images rescan`'s request to the running server (`images.rescan`).
enum ServerRescan {
    /// What the server did when it answered through its control socket (its own change lines go
    /// to standard error as `server: …`); nil when there is no socket to ask (then the caller
    /// falls back to SIGHUP).
    static func request(stateDir: String) -> RescanReport.Server? {
        let reply: ControlReply
        do {
            reply = try ControlConnection.send(.imagesRescan, stateDir: stateDir)
        } catch {
            if case .notRunning = error { return nil }
            return .refused(reason: "\(error)")
        }
        switch reply.outcome {
        case .rescanned(let result):
            for line in result.changes { ControlConnection.report("server: \(line)") }
            return .rescanned(images: result.images)
        case .error(let error):
            return .refused(reason: error.message)
        default:
            return .refused(reason: "unexpected reply to images.rescan")
        }
    }
}

/// `debug dump-packets` through the control socket (`capture.dump`).
enum FlightRecorderCopy {
    /// True when the server wrote its dump and it was copied to `destination`; false when there is
    /// no socket to ask (the caller falls back to SIGUSR1). A reply that refuses exits 1.
    static func throughSocket(stateDir: String, to destination: String) throws -> Bool {
        let reply: ControlReply
        do {
            reply = try ControlConnection.send(.captureDump, stateDir: stateDir)
        } catch {
            if case .notRunning = error { return false }
            throw ControlConnection.exit(for: error)
        }
        switch reply.outcome {
        case .dumped(let dump):
            do {
                if FileManager.default.fileExists(atPath: destination) { try FileManager.default.removeItem(atPath: destination) }
                try FileManager.default.copyItem(atPath: dump.absolutePath, toPath: destination)
            } catch {
                ControlConnection.report("netboot: cannot copy \(dump.absolutePath) to \(destination): \(error.localizedDescription)")
                throw ExitCode.failure
            }
            print("wrote \(destination) (from \(dump.path), \(dump.packets) packets of \(dump.recorded) recorded)")
            return true
        case .error(let error):
            throw ControlConnection.exit(for: error)
        default:
            throw ControlConnection.exit(for: ControlError(.failed, "unexpected reply to capture.dump"))
        }
    }
}
