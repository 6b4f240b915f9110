#if canImport(Glibc)
import Glibc
#endif
import CLinuxEvents
import NIOCore
import Testing
@testable import NetbootServer

@Suite struct TFTPDeadlineHeapTests {
    private let origin = ContinuousClock.now

    @Test func popsDueEntriesInDeadlineOrder() {
        var heap = TFTPDeadlineHeap()
        var generator = SystemRandomNumberGenerator()
        let offsets = (0..<200).map { _ in Int.random(in: 0..<10_000, using: &generator) }
        for (index, offset) in offsets.enumerated() {
            heap.push(origin + .milliseconds(offset), session: UInt64(index))
        }
        #expect(heap.count == 200)
        #expect(heap.popDue(at: origin - .milliseconds(1)) == nil)
        var popped: [ContinuousClock.Instant] = []
        while let entry = heap.popDue(at: origin + .seconds(20)) { popped.append(entry.deadline) }
        #expect(popped.count == 200)
        #expect(popped == popped.sorted())
        #expect(heap.isEmpty)
    }

    @Test func popsOnlyWhatIsDue() {
        var heap = TFTPDeadlineHeap()
        heap.push(origin + .milliseconds(30), session: 3)
        heap.push(origin + .milliseconds(10), session: 1)
        heap.push(origin + .milliseconds(20), session: 2)
        #expect(heap.popDue(at: origin + .milliseconds(20))?.session == 1)
        #expect(heap.popDue(at: origin + .milliseconds(20))?.session == 2)
        #expect(heap.popDue(at: origin + .milliseconds(20)) == nil)
        #expect(heap.earliest == origin + .milliseconds(30))
    }

    /// epoll_wait's timeout: rounded up so the loop never wakes early, 0 when overdue, -1 idle.
    @Test func timeoutRoundsUpToWholeMilliseconds() {
        var heap = TFTPDeadlineHeap()
        #expect(heap.timeoutMilliseconds(now: origin) == -1)
        heap.push(origin + .microseconds(1500), session: 1)
        #expect(heap.timeoutMilliseconds(now: origin) == 2)
        #expect(heap.timeoutMilliseconds(now: origin + .microseconds(1500)) == 0)
        #expect(heap.timeoutMilliseconds(now: origin + .seconds(1)) == 0)
        heap.push(origin + .seconds(3600), session: 2)
        #expect(heap.timeoutMilliseconds(now: origin) == 2)
    }
}

@Suite struct TFTPSocketAddressTests {
    @Test func comparesFamilyAddressAndPort() throws {
        let a = TFTPSocketAddress(try SocketAddress(ipAddress: "198.51.100.2", port: 2070))
        #expect(a == TFTPSocketAddress(try SocketAddress(ipAddress: "198.51.100.2", port: 2070)))
        #expect(a != TFTPSocketAddress(try SocketAddress(ipAddress: "198.51.100.2", port: 2071)))
        #expect(a != TFTPSocketAddress(try SocketAddress(ipAddress: "198.51.100.3", port: 2070)))
        #expect(a != TFTPSocketAddress(try SocketAddress(ipAddress: "::1", port: 2070)))
        let v6 = TFTPSocketAddress(try SocketAddress(ipAddress: "2001:db8::1", port: 69))
        #expect(v6 == TFTPSocketAddress(try SocketAddress(ipAddress: "2001:db8::1", port: 69)))
        #expect(v6 != TFTPSocketAddress(try SocketAddress(ipAddress: "2001:db8::2", port: 69)))
        #expect(a.ipv4?.address == 0xC633_6402)
        #expect(a.ipv4?.port == 2070)
        #expect(v6.ipv4 == nil)
    }

    /// A transfer socket gets its own ephemeral port on the requested address.
    @Test func transferSocketBindsAnEphemeralPort() throws {
        let socket = try TFTPTransferSocket(bindingTo: try SocketAddress(ipAddress: "127.0.0.1", port: 0),
                                            peer: try SocketAddress(ipAddress: "127.0.0.1", port: 9))
        defer { socket.close() }
        let local = try #require(socket.local.ipv4)
        #expect(local.address == 0x7F00_0001)
        #expect(local.port != 0)
    }
}

/// The loop reads tmpfs files with plain `pread` because tmpfs refuses RWF_NOWAIT; this is the
/// check that tells the two apart.
@Suite struct TFTPMemoryBackedFileTests {
    static var devShmIsTmpfs: Bool {
        var info = statfs()
        return statfs("/dev/shm", &info) == 0 && info.f_type == 0x0102_1994
    }

    @Test(.enabled(if: devShmIsTmpfs)) func aTmpfsFileIsMemoryBacked() throws {
        let path = "/dev/shm/netboot-memory-backed-\(getpid())"
        let fd = open(path, O_CREAT | O_RDWR | O_EXCL, 0o600)
        try #require(fd >= 0)
        defer {
            close(fd)
            unlink(path)
        }
        #expect(netboot_is_memory_backed(fd) == 1)
    }

    @Test func procfsIsNot() throws {
        let fd = open("/proc/self/stat", O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        #expect(netboot_is_memory_backed(fd) == 0)
        #expect(netboot_is_memory_backed(-1) == 0)
    }
}
