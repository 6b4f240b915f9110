/// Why a service could not start, said with the service's name and what it could not open:
/// `netboot serve` reports it as `not started: …` (not `stopped on error`) and exits 1.
public protocol ServiceStartFailure: Error, CustomStringConvertible, Sendable {}

/// A service could not open what it needs other than a socket (the lease store, …): the
/// service, what it tried to open (a path) and why.
public struct ServiceStartError: ServiceStartFailure {
    public var service: String
    /// `the lease store var/netboot.sqlite`.
    public var what: String
    public var reason: String

    public init(service: String, what: String, reason: String) {
        self.service = service
        self.what = what
        self.reason = reason
    }

    public var description: String { "\(service): cannot open \(what): \(reason)" }
}
