#if canImport(Glibc)
import Glibc
#endif

/// A failed system call while setting up a socket: which call, on what, and `errno`'s text.
public struct SocketError: Error, CustomStringConvertible, Sendable {
    public var call: String
    public var detail: String
    public var errnoCode: Int32

    public init(_ call: String, _ detail: String, errno code: Int32 = errno) {
        self.call = call
        self.detail = detail
        self.errnoCode = code
    }

    public var description: String { "\(call)(\(detail)): \(String(cString: strerror(errnoCode)))" }
}
