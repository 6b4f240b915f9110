import Foundation
import Testing
@testable import NetbootConfig

/// A state, log or capture directory inside a served root publishes the pid file, the lease
/// database, the logs or the captures (issue 14 item 5): `config check` and `serve` refuse it.
@Suite struct PublishedPathTests {
    @Test func containmentIsByNormalisedComponents() {
        let cwd = "/srv/netboot"
        #expect(PublishedPath.isInside("images/var", "images", workingDirectory: cwd))
        #expect(PublishedPath.isInside("var", ".", workingDirectory: cwd))
        #expect(PublishedPath.isInside("/srv/netboot/images/./x/../var", "images/", workingDirectory: cwd))
        #expect(PublishedPath.isInside("/anything", "/", workingDirectory: cwd))
        #expect(PublishedPath.isInside("images", "images", workingDirectory: cwd))
        #expect(!PublishedPath.isInside("var", "images", workingDirectory: cwd))
        #expect(!PublishedPath.isInside("images-private", "images", workingDirectory: cwd))
        #expect(!PublishedPath.isInside("images/../var", "images", workingDirectory: cwd))
        #expect(!PublishedPath.isInside("images", "images/pxe", workingDirectory: cwd))
    }

    @Test func aSymbolicLinkIntoTheRootIsFollowed() {
        // `www` is a link to `images`: `state-dir: www/var` puts the database under the HTTP root,
        // which the server serves by its real path. Only existing parts resolve.
        let cwd = "/srv/netboot"
        let links = ["/srv/netboot/www": "/srv/netboot/images", "/srv/netboot/images": "/srv/netboot/images",
                     "/srv/netboot": "/srv/netboot", "/srv": "/srv", "/srv/netboot/var": "/srv/netboot/var"]
        let real: (String) -> String? = { links[$0] }
        #expect(PublishedPath.isInside("www/var", "images", workingDirectory: cwd, realPath: real))
        #expect(PublishedPath.isInside("images/var", "www", workingDirectory: cwd, realPath: real))
        #expect(!PublishedPath.isInside("var", "www", workingDirectory: cwd, realPath: real))
        #expect(!PublishedPath.isInside("www-not/var", "images", workingDirectory: cwd, realPath: real))
    }

    @Test func aStateDirThroughALinkToTheRootIsRefused() throws {
        // A user's `state-dir: …/www/var` with `www` a symbolic link to the HTTP root passed
        // `config check`, and HTTP served netboot.sqlite from it.
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("nb-published-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base + "/images", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: base + "/www", withDestinationPath: base + "/images")
        let found = lines("state-dir: \(base)/www/var\ntftp: { enabled: false }\nhttp: { root: \(base)/images }\n")
        #expect(found.count == 1)
        #expect(found.first?.contains("state-dir: '\(base)/www/var' is inside http.root '\(base)/images'") == true)
    }

    @Test func stateDirInsideTheHTTPRootIsALocatedError() {
        #expect(lines("state-dir: images/var\n") == [
            "t.yaml:1:12: error: state-dir: 'images/var' is inside tftp.root 'images': TFTP would serve the pid file "
                + "and the lease database to anyone; move one of them [conflict]",
            "t.yaml:1:12: error: state-dir: 'images/var' is inside http.root 'images': HTTP would serve the pid file "
                + "and the lease database to anyone; move one of them [conflict]",
        ])
    }

    @Test func aRootOverTheDefaultLogsPointsAtTheRoot() {
        // logs.dir and capture.dir are defaults (var/log, var/captures); the root is what was written.
        let found = lines("tftp: { enabled: false }\nhttp:\n  root: .\n")
        #expect(found.count == 3)
        #expect(found.allSatisfy { $0.hasPrefix("t.yaml:3:9: error: ") })
        #expect(found.contains { $0.contains("logs.dir: 'var/log' is inside http.root '.': HTTP would serve the logs") })
        #expect(found.contains { $0.contains("capture.dir: 'var/captures' is inside http.root '.'") })
    }

    @Test func nestedKeyIsLocatedAndDisabledServicesPublishNothing() {
        let yaml = "tftp: { enabled: false }\nhttp: { root: /srv/www }\nlogs:\n  dir: /srv/www/logs\n"
        #expect(lines(yaml) == [
            "t.yaml:4:8: error: logs.dir: '/srv/www/logs' is inside http.root '/srv/www': HTTP would serve the logs "
                + "to anyone; move one of them [conflict]",
        ])
        #expect(lines("tftp: { enabled: false }\nhttp: { enabled: false, root: . }\n").isEmpty)
        #expect(lines("state-dir: /var/lib/netboot\nhttp: { root: /srv/images }\ntftp: { root: /srv/images }\n").isEmpty)
    }
}
