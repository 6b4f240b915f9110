import Testing
@testable import ProxyBridge

/// Where the image server serves the disk-image catalog, as the bridge tells runners.
@Suite struct ImageServerLocationTests {
    @Test func imagesDirectoryUnderTheRootGivesItsPath() {
        #expect(ImageServerLocation.path(root: "/srv/www", imagesDirectory: "/srv/www") == "/")
        #expect(ImageServerLocation.path(root: "/srv/www/", imagesDirectory: "/srv/www/./") == "/")
        #expect(ImageServerLocation.path(root: "/srv/www", imagesDirectory: "/srv/www/images/lab") == "/images/lab/")
        #expect(ImageServerLocation.path(root: "/srv/www", imagesDirectory: "/srv/www/a/../b") == "/b/")
    }

    @Test func imagesDirectoryOutsideTheRootIsNotServed() {
        #expect(ImageServerLocation.path(root: "/srv/www", imagesDirectory: "/srv/images") == nil)
        #expect(ImageServerLocation.path(root: "/srv/www", imagesDirectory: "/srv/www2") == nil)
        #expect(ImageServerLocation.path(root: "/srv/www", imagesDirectory: "/srv/www/../etc") == nil)
        #expect(ImageServerLocation.path(root: "/srv/www", imagesDirectory: "/srv/www/.hidden") == nil)
    }
}
