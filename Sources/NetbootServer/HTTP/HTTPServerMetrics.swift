import Metrics
import NIOCore

/// The HTTP service's swift-metrics instruments, created once (a factory lookup per request
/// would take a lock):
/// - `netboot_http_requests_total{status}`: responses by status code;
/// - `netboot_http_response_bytes_total`: body bytes sent;
/// - `netboot_http_request_duration_seconds`: head received → response written: when its write
///   completed (files, closing answers, or with the access log on), else when the batch it
///   was in was flushed to the socket (a histogram under the Prometheus factory);
/// - `netboot_http_connections_refused_total{limit}`: connections over a limit (`total`:
///   `max-connections`, `client`: `max-connections-per-client`), each answered 503 and also
///   counted in `netboot_http_requests_total{status="503"}`.
final class HTTPServerMetrics: Sendable {
    private static let statuses = [200, 206, 301, 304, 400, 403, 404, 405, 408, 412, 414, 416, 431, 500, 503]
    /// One counter per status above, then `other`.
    private let requests: [Counter]
    let bytes: Counter
    let duration: Timer
    private let refusedTotal: Counter
    private let refusedClient: Counter

    init() {
        requests = Self.statuses.map {
            Counter(label: Self.requestsLabel, dimensions: [("status", String($0))])
        } + [Counter(label: Self.requestsLabel, dimensions: [("status", "other")])]
        bytes = Counter(label: "netboot_http_response_bytes_total")
        duration = Timer(label: "netboot_http_request_duration_seconds")
        refusedTotal = Counter(label: "netboot_http_connections_refused_total", dimensions: [("limit", "total")])
        refusedClient = Counter(label: "netboot_http_connections_refused_total", dimensions: [("limit", "client")])
    }

    /// A connection over a limit, answered 503 by ``HTTPConnectionRefuser``.
    func refused(_ limit: HTTPConnectionLimiter.Limit) {
        (limit == .client ? refusedClient : refusedTotal).increment()
        requests[Self.statuses.firstIndex(of: 503) ?? Self.statuses.count].increment()
    }

    func record(status: Int, bytes sent: UInt64, nanoseconds: Int64) {
        requests[Self.statuses.firstIndex(of: status) ?? Self.statuses.count].increment()
        bytes.increment(by: Int(clamping: sent))
        duration.recordNanoseconds(nanoseconds)
    }
}
