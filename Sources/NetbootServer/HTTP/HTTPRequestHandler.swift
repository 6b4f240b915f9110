import BootServices
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NetbootWire

#if canImport(Glibc)
import Glibc
#endif

/// One connection's requests, after NIOHTTP1's decoder and pipelining handler (which keeps
/// pipelined responses in order). Routes `/healthz`, `/metrics`, `/boot/ipxe`, else a file:
/// the file is opened on the thread pool, the decision is ``FileResponse`` (pure), and the
/// body goes out as `FileRegion`s, i.e. `sendfile`.
final class HTTPRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// What every connection shares.
    struct Shared: Sendable {
        let options: HTTPService.Options
        let opener: HTTPFileOpener
        /// Opens files; nil opens them on the event loop.
        let pool: NIOThreadPool?
        let logger: Logger
        let metrics: HTTPServerMetrics
        let connections: HTTPConnectionLimiter
    }

    /// The request being answered.
    private struct Exchange {
        var head: HTTPRequestHead
        var started: NIODeadline
        var keepAlive: Bool
    }

    private let shared: Shared
    private var exchange: Exchange?
    /// True from a head until its response's end is written.
    private var responding = false
    /// When the connection last became idle (no request in progress); nil while busy.
    private var idleSince: NIODeadline? = .now()
    private var idleCheck: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    private var cachedDate: (second: Int, text: String) = (-1, "")

    init(shared: Shared) { self.shared = shared }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        idleSince = .now()
        scheduleIdleCheck(at: .now() + shared.options.limits.idleTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case let .head(head):
            idleSince = nil
            responding = true
            exchange = Exchange(head: head, started: .now(), keepAlive: head.isKeepAlive)
        case .body:
            break  // GET and HEAD carry no meaningful body; other methods are refused and closed.
        case .end:
            guard let exchange else { return }
            respond(context: context, exchange)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parserError = error as? HTTPParserError, !responding {
            // Bad request line, bad header, or over the header limits: answer, then close.
            let status: HTTPResponseStatus = parserError == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest
            let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "-")
            responding = true
            exchange = Exchange(head: head, started: .now(), keepAlive: false)
            writeSimple(context: context, status: status, body: nil)
            shared.logger.debug("http parse error", metadata: ["error": "\(parserError)", "client": "\(client(context))"])
            return
        }
        context.close(promise: nil)
    }

    // MARK: routing

    private func respond(context: ChannelHandlerContext, _ exchange: Exchange) {
        let head = exchange.head
        let limits = shared.options.limits
        guard head.uri.utf8.count <= limits.maxRequestLineBytes else {
            self.exchange?.keepAlive = false
            return writeSimple(context: context, status: .uriTooLong, body: nil)
        }
        guard head.method == .GET || head.method == .HEAD else {
            self.exchange?.keepAlive = false  // a body may follow that we will not read
            return writeSimple(context: context, status: .methodNotAllowed, extra: [("Allow", "GET, HEAD")], body: nil)
        }
        let target: RequestTarget
        do {
            target = try RequestTarget(head.uri)
        } catch {
            return writeSimple(context: context, status: .init(statusCode: error.status), body: nil)
        }
        switch target.segments {
        case ["healthz"]:
            writeSimple(context: context, status: .ok, body: "ok\n")
        case ["metrics"]:
            guard let registry = shared.options.metricsRegistry else {
                return writeSimple(context: context, status: .notFound, body: nil)
            }
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            writeSimple(context: context, status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8",
                        extra: [("Cache-Control", "no-store")], body: String(decoding: bytes, as: UTF8.self))
        case ["boot", "ipxe"]:
            let script = shared.options.ipxe.script(for: .init(
                mac: target.queryValue("mac").flatMap(MACAddress.init), ip: context.remoteAddress?.ipAddress ?? "",
                server: serverAuthority(context, head)
            ))
            writeSimple(context: context, status: .ok, contentType: "text/plain; charset=utf-8",
                        extra: [("Cache-Control", "no-store")], body: script)
        default:
            serveFile(context: context, target: target)
        }
    }

    private func serverAuthority(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) -> String {
        if let host = head.headers.first(name: "host"), !host.isEmpty, host.utf8.count < 256,
           host.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") }) {
            return host
        }
        let ip = context.localAddress?.ipAddress ?? "localhost"
        let port = context.localAddress?.port ?? 80
        return port == 80 ? ip : ip + ":" + String(port)
    }

    // MARK: files

    private func serveFile(context: ChannelHandlerContext, target: RequestTarget) {
        guard let exchange else { return }
        let fields = exchange.head.headers
        func field(_ name: String) -> Substring? {
            guard let value = fields.first(name: name) else { return nil }
            return Substring(value)
        }
        var conditions = FileResponse.Conditions(isHead: exchange.head.method == .HEAD)
        conditions.range = field("range")
        conditions.ifRange = field("if-range")
        conditions.ifMatch = field("if-match")
        conditions.ifNoneMatch = field("if-none-match")
        conditions.ifModifiedSince = field("if-modified-since")
        conditions.ifUnmodifiedSince = field("if-unmodified-since")
        let request = conditions
        let opener = shared.opener
        let listing = shared.options.directoryListing
        let maxRanges = shared.options.limits.maxRanges
        let inlineLimit = UInt64(max(0, shared.options.inlineBodyLimit))
        let lookup: @Sendable () -> HTTPFileLookup = {
            HTTPFileLookup.perform(opener: opener, target: target, conditions: request,
                                   directoryListing: listing, maxRanges: maxRanges, inlineLimit: inlineLimit)
        }
        guard let pool = shared.pool else {
            return lookedUp(context: context, target: target, .success(lookup()))
        }
        pool.runIfActive(eventLoop: context.eventLoop, lookup).assumeIsolated().whenComplete { [self] result in
            lookedUp(context: context, target: target, result)
        }
    }

    private func lookedUp(context: ChannelHandlerContext, target: RequestTarget, _ result: Result<HTTPFileLookup, any Error>) {
        switch result {
        case let .success(.response(plan, body)):
            writeFile(context: context, plan: plan, body: body)
        case .success(.redirect):
            // Re-encoded: the decoded path may hold CR/LF or other bytes not allowed in a field.
            let path = target.segments.map(HTTPDirectoryListing.percentEncode).joined(separator: "/")
            let query = target.query.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) && !target.query.isEmpty
                ? "?" + target.query : ""
            let location = "/" + path + "/" + query
            writeSimple(context: context, status: .movedPermanently, extra: [("Location", location)], body: nil)
        case let .success(.listing(names)):
            writeSimple(context: context, status: .ok, contentType: "text/html; charset=utf-8",
                        body: HTTPDirectoryListing.html(path: target.path, names: names))
        case let .success(.status(code)):
            writeSimple(context: context, status: .init(statusCode: code), body: nil)
        case .failure:
            writeSimple(context: context, status: .serviceUnavailable, body: nil)
        }
    }

    private func writeFile(context: ChannelHandlerContext, plan: FileResponse, body: HTTPFileLookup.Body) {
        let handle: NIOFileHandle? = if case let .descriptor(fd) = body {
            NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: fd)
        } else {
            nil
        }
        guard let exchange else {
            try? handle?.close()
            return
        }
        var headers = baseHeaders(keepAlive: exchange.keepAlive, version: exchange.head.version, capacity: 10)
        headers.add(contentsOf: plan.headers)
        context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(
            version: exchange.head.version, status: .init(statusCode: plan.status), headers: headers
        ))), promise: nil)
        switch (plan.body, body, handle) {
        case let (_, .bytes(buffer), _):
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        case let (.file(range), _, handle?):
            context.write(Self.wrapOutboundOut(.body(.fileRegion(Self.region(handle, range)))), promise: nil)
        case let (.multipart(parts, trailer), _, handle?):
            for part in parts {
                context.write(Self.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: part.header)))),
                              promise: nil)
                context.write(Self.wrapOutboundOut(.body(.fileRegion(Self.region(handle, part.range)))), promise: nil)
            }
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: trailer)))),
                          promise: nil)
        default:
            break
        }
        finish(context: context, status: plan.status, bytes: plan.bodyLength) { try? handle?.close() }
    }

    private static func region(_ handle: NIOFileHandle, _ range: ClosedRange<UInt64>) -> FileRegion {
        FileRegion(fileHandle: handle, readerIndex: Int(clamping: range.lowerBound),
                   endIndex: Int(clamping: range.upperBound) + 1)
    }

    // MARK: writing

    private func baseHeaders(keepAlive: Bool, version: HTTPVersion, capacity: Int) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.reserveCapacity(capacity)
        headers.add(name: "Server", value: "netboot")
        headers.add(name: "Date", value: date())
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if version.major == 1 && version.minor == 0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        return headers
    }

    private func writeSimple(context: ChannelHandlerContext, status: HTTPResponseStatus,
                             contentType: String = "text/plain; charset=utf-8",
                             extra: [(String, String)] = [], body: String?) {
        guard let exchange else { return }
        let isHead = exchange.head.method == .HEAD
        let text = body ?? (status.code >= 300 ? "\(status.code) \(status.reasonPhrase)\n" : "")
        var headers = baseHeaders(keepAlive: exchange.keepAlive, version: exchange.head.version, capacity: 6)
        headers.add(contentsOf: extra)
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(text.utf8.count))
        context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(
            version: exchange.head.version, status: status, headers: headers
        ))), promise: nil)
        if !isHead, !text.isEmpty {
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))),
                          promise: nil)
        }
        finish(context: context, status: Int(status.code), bytes: isHead ? 0 : UInt64(text.utf8.count)) {}
    }

    /// Writes the end; when it is on the wire (or failed), releases resources, logs, counts,
    /// and either closes or goes idle for the next request.
    private func finish(context: ChannelHandlerContext, status: Int, bytes: UInt64, release: @escaping () -> Void) {
        guard let exchange else { return release() }
        self.exchange = nil
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: promise)
        promise.futureResult.assumeIsolated().whenComplete { [self] result in
            release()
            let elapsed = (NIODeadline.now() - exchange.started).nanoseconds
            shared.metrics.record(status: status, bytes: bytes, nanoseconds: elapsed)
            if shared.options.accessLog {
                logAccess(context: context, exchange, status: status, bytes: bytes, nanoseconds: elapsed, result: result)
            }
            responding = false
            if !exchange.keepAlive || result.isFailure {
                context.close(promise: nil)
            } else {
                idleSince = .now()
            }
        }
    }

    private func logAccess(context: ChannelHandlerContext, _ exchange: Exchange, status: Int, bytes: UInt64,
                           nanoseconds: Int64, result: Result<Void, any Error>) {
        let head = exchange.head
        var range = "-"
        if let value = head.headers.first(name: "range") { range = "\"" + String(value.prefix(64)) + "\"" }
        let path = head.uri.count > 256 ? String(head.uri.prefix(256)) + "…" : head.uri
        let millis = Double(nanoseconds / 1000) / 1000
        let aborted = result.isFailure ? " aborted" : ""
        shared.logger.info(
            "\(client(context)) \(head.method.rawValue) \(path) \(range) \(status) \(bytes) \(millis)ms\(aborted)"
        )
    }

    private func client(_ context: ChannelHandlerContext) -> String {
        context.remoteAddress?.ipAddress ?? "-"
    }

    private func date() -> String {
        let now = time(nil)
        if now != cachedDate.second {
            cachedDate = (now, HTTPDate.format(secondsSinceEpoch: Int64(now)))
        }
        return cachedDate.text
    }

    // MARK: idle connections

    private func scheduleIdleCheck(at deadline: NIODeadline) {
        guard let context else { return }
        idleCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            idleCheckFired()
        }
    }

    private func idleCheckFired() {
        guard let context else { return }
        let timeout = shared.options.limits.idleTimeout
        guard let since = idleSince else {
            return scheduleIdleCheck(at: .now() + timeout)  // busy; writes are bounded by TCP_USER_TIMEOUT
        }
        if NIODeadline.now() - since >= timeout {
            shared.logger.debug("http idle timeout", metadata: ["client": "\(client(context))"])
            context.close(promise: nil)
        } else {
            scheduleIdleCheck(at: since + timeout)
        }
    }
}

@available(*, unavailable)
extension HTTPRequestHandler: Sendable {}

extension Result {
    fileprivate var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
