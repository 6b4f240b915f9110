import BridgeCore
import Foundation
import NetbootConfig

/// Where the appliance's HTTP image server (docs/http.md) serves the disk-image catalog: its
/// port and the URL path of `images-dir` under `http.root`. A runner started through the
/// bridge without `--images` fetches its images from `http://<the bridge's host>:PORT PATH`
/// (docs/task-sequences.md "Runs through the bridge"), so a booted machine needs only the
/// bridge's URL.
struct ImageServerLocation: Sendable, Equatable {
    var port: Int
    /// `/` or `/a/b/`: the images directory's path on the server.
    var path: String

    /// From the configuration; nil when HTTP is off or `images-dir` is not inside `http.root`.
    init?(_ configuration: NetbootConfiguration) {
        guard configuration.http.enabled,
              let path = Self.path(root: configuration.http.root, imagesDirectory: configuration.imagesDir) else { return nil }
        self.init(port: configuration.http.port, path: path)
    }

    init(port: Int, path: String) {
        self.port = port
        self.path = path
    }

    /// The URL path of `imagesDirectory` under `root` (both made absolute and standardized):
    /// `/` when they are the same directory, `/sub/dir/` below it, nil outside it.
    static func path(root: String, imagesDirectory: String) -> String? {
        func absolute(_ path: String) -> String {
            let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
            return (URL(fileURLWithPath: full).standardizedFileURL.path as NSString).standardizingPath
        }
        let root = absolute(root), images = absolute(imagesDirectory)
        if images == root { return "/" }
        let prefix = root.hasSuffix("/") ? root : root + "/"
        guard images.hasPrefix(prefix) else { return nil }
        let rest = images.dropFirst(prefix.count)
        guard rest.split(separator: "/").allSatisfy({ FileName.isSafe(String($0)) }) else { return nil }
        return "/" + rest + "/"
    }

    var json: JSONValue { .object(["port": .number(Double(port)), "path": .string(path)]) }
}
