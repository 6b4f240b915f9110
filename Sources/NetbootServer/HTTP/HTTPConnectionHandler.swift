import BootEvents
import BootServices
import Foundation
import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 connection, the whole pipeline: bytes in, ``RequestHeadParser`` heads,
/// ``HTTPRoutes`` and ``HTTPFileLookup`` decide, heads written with the `ByteBuffer` writers
/// of `HTTPResponseHead.swift`, small bodies `pread` behind them, large ones as `FileRegion`s
/// (`sendfile`).
///
/// The connection's state — waiting, reading a head, answering, closing; the request and idle
/// deadlines; when reads are held — is the pure ``HTTPConnection`` machine: this handler
/// reports events to it and executes its actions, and keeps only the bytes and the writes.
///
/// Pipelining (RFC 9112 §9.3.2): heads are answered in order as they are parsed. While the
/// channel is not writable (the client is not reading), no further head is answered and
/// nothing more is read, until `channelWritabilityChanged`; the unparsed bytes are bounded by
/// one read plus the head limits. So a client pipelining thousands of requests without
/// reading holds at most the channel's write buffer (64 KiB high-water mark) of answers and a
/// few file descriptors. With a thread pool for files (``HTTPService/Options/fileThreads``) one
/// request is answered at a time.
final class HTTPConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

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

    /// The request being answered, as the access log and metrics need it.
    struct Exchange {
        var method: String
        var target: String
        var range: String?
        var minorVersion: UInt8
        var isHead: Bool
        var keepAlive: Bool
        var started: NIODeadline
        /// Written to the access log once answered.
        var logged: Bool
    }

    /// An answer handed to the channel without a promise, counted once flushed.
    private struct Answered {
        var status: Int
        var bytes: UInt64
        var started: NIODeadline
    }

    let shared: Shared
    let routes: HTTPRoutes
    private var parser: RequestHeadParser
    /// Received bytes not parsed yet; nil when none.
    private var received: ByteBuffer?
    /// Bytes of a request body still to be discarded.
    private var bodyToSkip: UInt64 = 0
    /// The head (and small body) of the response being built; its storage is reused.
    var output = ByteBuffer()
    private var needsFlush = false
    private var flushedAnswers: [Answered] = []
    /// ``drain(context:)`` is running (a flush inside it may call it again).
    private var draining = false
    /// Waiting, reading, answering, closing; deadlines; held reads.
    private var connection: HTTPConnection
    /// The deadline check scheduled on the event loop, and when it fires.
    private var deadlineCheck: (task: Scheduled<Void>, at: HTTPConnection.Instant)?
    private var context: ChannelHandlerContext?
    private var cachedDate: (second: Int, text: String) = (-1, "")
    private var client = "-"

    init(shared: Shared) {
        self.shared = shared
        routes = HTTPRoutes(options: shared.options)
        parser = RequestHeadParser(limits: .init(maxTargetBytes: shared.options.limits.maxRequestLineBytes,
                                                 maxFieldBytes: shared.options.limits.maxHeaderBytes))
        connection = HTTPConnection(timeouts: shared.options.limits.timeouts,
                                    maxBufferedBytes: parser.limits.maxTargetBytes + parser.limits.maxFieldBytes,
                                    now: .now)
    }

    // MARK: lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        connection.writabilityChanged(writable: context.channel.isWritable)
        client = context.remoteAddress?.ipAddress ?? "-"
        output = context.channel.allocator.buffer(capacity: 16 * 1024 + 512)
        armDeadlineCheck()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelDeadlineCheck()
        connection.closed()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        client = context.remoteAddress?.ipAddress ?? "-"
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelDeadlineCheck()
        connection.closed()
        received = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    // MARK: reading and back-pressure

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !connection.isClosing else { return }
        connection.bytesReceived(now: .now)
        var bytes = Self.unwrapInboundIn(data)
        if var buffer = received {
            received = nil  // so `buffer` is the only reference and appending copies nothing
            buffer.writeBuffer(&bytes)
            received = buffer
        } else {
            received = bytes
        }
        drain(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        connection.writabilityChanged(writable: writable)
        if writable { drain(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if let action = connection.readRequested(buffered: received?.readableBytes ?? 0) { execute(action, context) }
    }

    /// What is left of the request stream, for the connection machine.
    private var input: HTTPConnection.Input {
        .init(buffered: received?.readableBytes ?? 0, skippingBody: bodyToSkip > 0)
    }

    /// Does what the connection machine asked.
    private func execute(_ action: HTTPConnection.Action, _ context: ChannelHandlerContext) {
        switch action {
        case .read:
            context.read()
        case .close:
            context.close(promise: nil)
        case .sendRequestTimeout:
            received = nil
            shared.logger.debug("http request timeout", metadata: ["client": "\(client)"])
            let exchange = Exchange(method: "-", target: "-", range: nil, minorVersion: 1, isHead: false,
                                    keepAlive: false, started: .now(), logged: shared.options.accessLog)
            writeText(context: context, exchange, status: 408, contentType: "text/plain; charset=utf-8",
                      fields: [], body: nil)
            drain(context: context)
        }
    }

    /// Answers every complete head received while the channel stays writable, then flushes.
    /// Re-entrant calls (a flush that makes the channel writable again) return at once; the
    /// outer loop goes on.
    func drain(context: ChannelHandlerContext) {
        guard !draining else { return }
        draining = true
        defer { draining = false }
        var progressed = true
        while progressed {
            progressed = false
            heads: while connection.mayAnswer, var buffer = received, buffer.readableBytes > 0 {
                if bodyToSkip > 0 {
                    let skip = Int(min(bodyToSkip, UInt64(buffer.readableBytes)))
                    buffer.moveReaderIndex(forwardBy: skip)
                    received = buffer
                    bodyToSkip -= UInt64(skip)
                    continue
                }
                switch buffer.withUnsafeReadableBytes({ parser.parse($0) }) {
                case .needMore:
                    break heads
                case let .head(head, length):
                    buffer.moveReaderIndex(forwardBy: length)
                    received = buffer
                    answer(context: context, head)
                case let .error(error):
                    received = nil
                    refuse(context: context, error)
                }
                progressed = true
            }
            if received?.readableBytes == 0 { received = nil }
            if needsFlush {
                needsFlush = false
                context.flush()  // may complete writes and change writability; loop again if so
                if !flushedAnswers.isEmpty {
                    let now = NIODeadline.now()
                    for answered in flushedAnswers {
                        shared.metrics.record(status: answered.status, bytes: answered.bytes,
                                              nanoseconds: (now - answered.started).nanoseconds)
                    }
                    flushedAnswers.removeAll(keepingCapacity: true)
                }
            }
        }
        let action = connection.drained(input: input, now: .now)
        armDeadlineCheck()
        if let action { execute(action, context) }
    }

    // MARK: answering

    private func answer(context: ChannelHandlerContext, _ head: RequestHead) {
        connection.headReceived()
        var exchange = Exchange(method: head.method.name, target: head.target, range: head.range,
                                minorVersion: head.minorVersion, isHead: head.method == .head,
                                keepAlive: head.keepAlive, started: .now(),
                                logged: shared.options.accessLog
                                    && (shared.options.accessLogHealthChecks || !HTTPRoutes.isHealthCheck(head.target)))
        if head.contentLength > 0 {
            // A small body is skipped; a large one is not worth reading: answer, then close.
            if head.contentLength <= UInt64(shared.options.limits.maxHeaderBytes) {
                bodyToSkip = head.contentLength
            } else {
                exchange.keepAlive = false
            }
        }
        switch routes.answer(head, client: client, local: context.localAddress) {
        case let .text(status, contentType, fields, body, close):
            if close { exchange.keepAlive = false }
            writeText(context: context, exchange, status: status, contentType: contentType, fields: fields, body: body)
        case let .file(target):
            serveFile(context: context, exchange, target: target, conditions: head.conditions)
        case let .bootScript(client):
            serveBootScript(context: context, exchange, client: client)
        }
    }

    /// An iPXE script whose session the boot-session source decides on NIO's blocking pool (it
    /// reads and may write the bridge's store, which syncs to disk); the connection waits as
    /// for a file lookup. A source that fails gives the plain menu, logged without the session.
    private func serveBootScript(context: ChannelHandlerContext, _ exchange: Exchange, client: IPXEBootMenu.Client) {
        guard let source = shared.options.bootSessions else { return }
        let menu = shared.options.ipxe
        connection.lookupStarted()
        (shared.pool ?? NIOThreadPool.singleton).runIfActive(eventLoop: context.eventLoop) {
            try source.session(for: client.mac)
        }.assumeIsolated().whenComplete { [self] result in
            connection.lookupFinished()
            var session = IPXEBootSession()
            switch result {
            case let .success(decided): session = decided
            case let .failure(error):
                shared.logger.warning("boot decision failed, serving the menu", metadata: [
                    "mac": "\(client.mac?.description ?? "-")", "error": "\(error)"])
            }
            writeText(context: context, exchange, status: 200, contentType: "text/plain; charset=utf-8",
                      fields: [("Cache-Control", "no-store")], body: menu.script(for: client, session: session))
            drain(context: context)
        }
    }

    /// A head that could not be parsed: its status, then close (the framing is lost).
    private func refuse(context: ChannelHandlerContext, _ error: RequestHeadError) {
        connection.headReceived()
        shared.logger.debug("http parse error", metadata: ["error": "\(error)", "client": "\(client)"])
        let exchange = Exchange(method: "-", target: "-", range: nil, minorVersion: 1, isHead: false,
                                keepAlive: false, started: .now(), logged: shared.options.accessLog)
        writeText(context: context, exchange, status: error.status, contentType: "text/plain; charset=utf-8",
                  fields: [], body: nil)
    }

    private func serveFile(context: ChannelHandlerContext, _ exchange: Exchange, target: RequestTarget,
                           conditions: FileResponse.Conditions) {
        let opener = shared.opener
        let listing = shared.options.directoryListing
        let maxRanges = shared.options.limits.maxRanges
        let inlineLimit = UInt64(max(0, shared.options.inlineBodyLimit))
        guard let pool = shared.pool else {
            let lookup = HTTPFileLookup.perform(opener: opener, target: target, conditions: conditions,
                                                directoryListing: listing, maxRanges: maxRanges,
                                                inlineLimit: inlineLimit, readSmallBodies: false)
            return lookedUp(context: context, exchange, target: target, lookup)
        }
        connection.lookupStarted()
        pool.runIfActive(eventLoop: context.eventLoop) {
            HTTPFileLookup.perform(opener: opener, target: target, conditions: conditions, directoryListing: listing,
                                   maxRanges: maxRanges, inlineLimit: inlineLimit, readSmallBodies: true)
        }.assumeIsolated().whenComplete { [self] result in
            connection.lookupFinished()
            switch result {
            case let .success(lookup): lookedUp(context: context, exchange, target: target, lookup)
            case .failure: writeText(context: context, exchange, status: 503, contentType: "text/plain; charset=utf-8",
                                     fields: [], body: nil)
            }
            drain(context: context)
        }
    }

    private func lookedUp(context: ChannelHandlerContext, _ exchange: Exchange, target: RequestTarget,
                          _ lookup: HTTPFileLookup) {
        guard case let .response(plan, body) = lookup else {
            guard case let .text(status, contentType, fields, text, _) = HTTPRoutes.answer(for: lookup, target: target)
            else { return }
            return writeText(context: context, exchange, status: status, contentType: contentType, fields: fields,
                             body: text)
        }
        writeFile(context: context, exchange, plan: plan, body: body)
    }

    // MARK: writing

    private func date() -> String {
        let now = time(nil)
        if now != cachedDate.second {
            cachedDate = (now, HTTPDate.format(secondsSinceEpoch: Int64(now)))
        }
        return cachedDate.text
    }

    private func head(_ exchange: Exchange, status: Int) -> HTTPResponseHead {
        HTTPResponseHead(status: status, minorVersion: exchange.minorVersion, keepAlive: exchange.keepAlive,
                         date: date())
    }

    private func writeText(context: ChannelHandlerContext, _ exchange: Exchange, status: Int, contentType: String,
                           fields: [(StaticString, String)], body: String?) {
        let text = body ?? (status >= 300 ? HTTPResponseHead.statusText(status) : "")
        output.clear()
        head(exchange, status: status).write(fields: fields, contentType: contentType,
                                             contentLength: UInt64(text.utf8.count), into: &output)
        if !exchange.isHead { output.writeString(text) }
        send(context: context, exchange, status: status, bodyBytes: exchange.isHead ? 0 : UInt64(text.utf8.count),
             file: nil)
    }

    private func writeFile(context: ChannelHandlerContext, _ exchange: Exchange, plan: FileResponse,
                           body: HTTPFileLookup.Body) {
        output.clear()
        head(exchange, status: plan.status).write(plan, into: &output)
        let status = plan.status
        let length = plan.bodyLength
        let file: HTTPOpenFile
        switch body {
        case let .bytes(bytes):
            output.writeImmutableBuffer(bytes)
            return send(context: context, exchange, status: status, bodyBytes: length, file: nil)
        case .none:
            return send(context: context, exchange, status: status, bodyBytes: length, file: nil)
        case let .descriptor(opened):
            file = opened
        }
        switch plan.body {
        case let .file(range) where FileResponse.length(range) <= UInt64(shared.options.inlineBodyLimit):
            let complete = HTTPFileLookup.read(file.descriptor, range: range, into: &output)
            guard complete else {  // the file shrank under us: never send less than Content-Length
                return writeText(context: context, exchange, status: 500, contentType: "text/plain; charset=utf-8",
                                 fields: [], body: nil)
            }
            send(context: context, exchange, status: status, bodyBytes: length, file: nil)
        case let .file(range):
            send(context: context, exchange, status: status, bodyBytes: length, file: (file, [(nil, range)], nil))
        case let .multipart(parts, trailer):
            send(context: context, exchange, status: status, bodyBytes: length,
                 file: (file, parts.map { ($0.header, $0.range) }, trailer))
        case .none:
            send(context: context, exchange, status: status, bodyBytes: length, file: nil)
        }
    }

    /// Hands `output` (and the file parts, each an optional text prefix and a `sendfile`
    /// range) to the channel; flushing waits for the end of ``drain(context:)``. When the
    /// write completes: the file is let go of (closed unless the opener still holds it), the
    /// answer counted and logged, and a `close` answer closes the connection.
    private func send(context: ChannelHandlerContext, _ exchange: Exchange, status: Int, bodyBytes: UInt64,
                      file opened: (file: HTTPOpenFile, parts: [(String?, ClosedRange<UInt64>)], trailer: String?)?) {
        // NIO's handle over the shared descriptor: its ownership is taken back (not closed)
        // when the write completes; `opened.file` closes the descriptor when all let go.
        let file = opened.map {
            (handle: NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: $0.file.descriptor), parts: $0.parts,
             trailer: $0.trailer)
        }
        needsFlush = true
        // A promise only when something waits for the write: a file to close, a connection to
        // close, or an access-log line (which reports aborted writes). Otherwise the answer is
        // counted when ``drain(context:)`` has flushed it.
        let promise = file != nil || !exchange.keepAlive || exchange.logged
            ? context.eventLoop.makePromise(of: Void.self) : nil
        connection.answerQueued(closes: !exchange.keepAlive, awaited: promise != nil)
        let corked = file != nil && bodyBytes >= Self.corkThreshold && setCork(true, context: context)
        let streamed: Bool
        if let file, file.parts.count == 1, file.trailer == nil, file.parts[0].0 == nil, let promise,
            FileResponse.length(file.parts[0].1) > Self.writeBudget
        {
            // A large body goes out a slice per loop turn, so one fast reader cannot keep the
            // loop from its other connections; nothing else is answered or read meanwhile.
            streamed = true
            connection.lookupStarted()
            if output.readableBytes > 0 { context.write(Self.wrapOutboundOut(.byteBuffer(output)), promise: nil) }
            writeSlices(context: context, file.handle, file.parts[0].1, done: promise)
        } else if let file {
            streamed = false
            var text = output
            for (index, (prefix, range)) in file.parts.enumerated() {
                if let prefix { text.writeString(prefix) }
                if text.readableBytes > 0 { context.write(Self.wrapOutboundOut(.byteBuffer(text)), promise: nil) }
                text = context.channel.allocator.buffer(capacity: 0)
                let region = FileRegion(fileHandle: file.handle, readerIndex: Int(clamping: range.lowerBound),
                                        endIndex: Int(clamping: range.upperBound) + 1)
                let isLast = index == file.parts.count - 1 && file.trailer == nil
                context.write(Self.wrapOutboundOut(.fileRegion(region)), promise: isLast ? promise : nil)
            }
            if let trailer = file.trailer {
                context.write(Self.wrapOutboundOut(.byteBuffer(context.channel.allocator.buffer(string: trailer))),
                              promise: promise)
            }
        } else {
            streamed = false
            context.write(Self.wrapOutboundOut(.byteBuffer(output)), promise: promise)
        }
        guard let promise else {
            flushedAnswers.append(Answered(status: status, bytes: bodyBytes, started: exchange.started))
            return
        }
        let handle = file?.handle
        let held = opened?.file
        promise.futureResult.assumeIsolated().whenComplete { [self] result in
            if corked, let context = self.context { _ = setCork(false, context: context) }
            _ = try? handle?.takeDescriptorOwnership()
            withExtendedLifetime(held) {}
            if streamed { connection.lookupFinished() }
            completed(exchange, status: status, bytes: bodyBytes, failed: result.isFailure)
            if streamed, let context = self.context { drain(context: context) }  // the next request, held reads
        }
    }

    /// How many bytes of one body a connection hands to the channel per event-loop turn
    /// (nginx: `sendfile_max_chunk`, 2 MiB). Without it one `sendfile` writes as much as the
    /// client's receive window takes — several MiB for a fast reader on a fast link — and
    /// NIO repeats it up to 16 times before the loop's next connection gets a turn.
    static let writeBudget: UInt64 = 1 << 20

    /// Writes `range` of `handle` a ``writeBudget`` slice at a time: when one slice is
    /// written the next is queued as a task of the event loop, which runs after the other
    /// connections' ready events of this turn. `done` completes with the last slice, or fails
    /// with the first slice that fails (the client went away).
    private func writeSlices(context: ChannelHandlerContext, _ handle: NIOFileHandle, _ range: ClosedRange<UInt64>,
                             done: EventLoopPromise<Void>) {
        let last = range.lowerBound + min(Self.writeBudget, FileResponse.length(range)) - 1
        let region = FileRegion(fileHandle: handle, readerIndex: Int(clamping: range.lowerBound),
                                endIndex: Int(clamping: last) + 1)
        guard last < range.upperBound else {
            return context.write(Self.wrapOutboundOut(.fileRegion(region)), promise: done)
        }
        let rest = (last + 1)...range.upperBound
        let written = context.eventLoop.makePromise(of: Void.self)
        context.write(Self.wrapOutboundOut(.fileRegion(region)), promise: written)
        written.futureResult.assumeIsolated().whenComplete { [self] result in
            if case let .failure(error) = result { return done.fail(error) }
            done.futureResult.eventLoop.assumeIsolated().execute { [self] in
                guard let context = self.context else { return done.fail(ChannelError.ioOnClosedChannel) }
                writeSlices(context: context, handle, rest, done: done)
                context.flush()
            }
        }
    }

    /// Bodies from this size on are sent with `TCP_CORK` set (nginx's `tcp_nopush`): the
    /// kernel then sends only full segments while a reader drains the socket in small steps,
    /// instead of a segment per window update; clearing it pushes out the last partial one.
    static let corkThreshold: UInt64 = 1 << 20

    private func setCork(_ on: Bool, context: ChannelHandlerContext) -> Bool {
        let option = ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: CInt(TCP_CORK)))
        guard let options = context.channel.syncOptions else { return false }
        return (try? options.setOption(option, value: on ? 1 : 0)) != nil
    }

    private func completed(_ exchange: Exchange, status: Int, bytes: UInt64, failed: Bool) {
        let elapsed = (NIODeadline.now() - exchange.started).nanoseconds
        shared.metrics.record(status: status, bytes: bytes, nanoseconds: elapsed)
        if exchange.logged { logAccess(exchange, status: status, bytes: bytes, nanoseconds: elapsed, failed: failed) }
        let action = connection.answerWritten(closes: !exchange.keepAlive, failed: failed, input: input, now: .now)
        guard let context else { return }
        armDeadlineCheck()
        if let action { execute(action, context) }
    }

    private func logAccess(_ exchange: Exchange, status: Int, bytes: UInt64, nanoseconds: Int64, failed: Bool) {
        let range = exchange.range.map { "\"" + String($0.prefix(64)) + "\"" } ?? "-"
        let target = shared.options.redactQueries ? RequestTarget.redactingQueryValues(exchange.target) : exchange.target
        // At most 256 characters; no more bytes than that is the common case, counted cheaply.
        let path = target.utf8.count <= 256 || target.count <= 256 ? target : String(target.prefix(256)) + "…"
        let millis = Self.milliseconds(nanoseconds)
        let aborted = failed ? " aborted" : ""
        let statusText = String(status)
        let bytesText = String(bytes)
        var text = ""
        text.reserveCapacity(client.utf8.count + exchange.method.utf8.count + path.utf8.count + range.utf8.count
                             + statusText.utf8.count + bytesText.utf8.count + millis.utf8.count + 16)
        text += client
        text += " "
        text += exchange.method
        text += " "
        text += path
        text += " "
        text += range
        text += " "
        text += statusText
        text += " "
        text += bytesText
        text += " "
        text += millis
        text += "ms"
        text += aborted
        let line = Logger.Message(stringLiteral: text)
        let rate = nanoseconds > 0 ? Int(Double(bytes) * 1e9 / Double(nanoseconds)) : 0
        BootEventFeed.shared.publish(BootEvent(at: Date(), service: .http, mac: nil, client: client,
                                               summary: "\(exchange.method) \(path) \(statusText)\(aborted)",
                                               detail: "bytes=\(bytesText) rate=\(rate)B/s \(millis)ms"))
        guard status >= 400 else {
            shared.logger.info(line)
            return
        }
        // Junk heads, 404 scans and refused connections from one client are summarised like
        // the DHCP and TFTP junk (docs/logging.md): a flood of them no longer rotates the
        // start-up lines out of the log.
        shared.logger.info(line, metadata: [RepeatedLineFilter.kindKey: "HTTP \(status) answers",
                                            RepeatedLineFilter.sourceKey: "\(client)"])
    }

    /// `nanoseconds` in milliseconds with up to three decimals, as the access log has always
    /// written them (`Double(nanoseconds / 1000) / 1000`: `0.123`, `1.5`, `12.0`), formatted
    /// from integers.
    static func milliseconds(_ nanoseconds: Int64) -> String {
        let micros = nanoseconds / 1000
        guard micros >= 0, micros < 1_000_000_000_000 else { return "\(Double(micros) / 1000)" }
        var fraction = micros % 1000
        var width = 3
        while width > 1, fraction % 10 == 0 {  // no trailing zeros, but one digit at least
            fraction /= 10
            width -= 1
        }
        var wholeDigits = 1
        var rest = micros / 1000
        while rest >= 10 {
            rest /= 10
            wholeDigits += 1
        }
        let count = wholeDigits + 1 + width  // at most 9 + 1 + 3
        // Written from the end into the string's own storage.
        return String(unsafeUninitializedCapacity: count) { buffer in
            var index = count
            func put(_ digit: Int64) {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: digit)
            }
            for _ in 0..<width {
                put(fraction % 10)
                fraction /= 10
            }
            index -= 1
            buffer[index] = UInt8(ascii: ".")
            var whole = micros / 1000
            for _ in 0..<wholeDigits {
                put(whole % 10)
                whole /= 10
            }
            return count
        }
    }

    // MARK: deadlines

    /// Schedules the check for the machine's next deadline, unless one is due no later.
    private func armDeadlineCheck() {
        guard let context, let deadline = connection.nextDeadline else { return }
        if let scheduled = deadlineCheck {
            if scheduled.at <= deadline { return }
            scheduled.task.cancel()
        }
        let delay = HTTPConnection.Instant.now.duration(to: deadline)
        let task = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(delay.wholeNanoseconds)) { [self] in
            deadlineCheckFired()
        }
        deadlineCheck = (task, deadline)
    }

    private func cancelDeadlineCheck() {
        deadlineCheck?.task.cancel()
        deadlineCheck = nil
    }

    /// Closes a connection that waited too long for a request, answers 408 to a head not
    /// complete in time, or (the deadline moved) checks again later.
    private func deadlineCheckFired() {
        deadlineCheck = nil
        guard let context else { return }
        if let action = connection.deadlineReached(now: .now) {
            if action == .close { shared.logger.debug("http idle timeout", metadata: ["client": "\(client)"]) }
            execute(action, context)
        }
        armDeadlineCheck()
    }
}

@available(*, unavailable)
extension HTTPConnectionHandler: Sendable {}

extension Result {
    fileprivate var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}

extension Duration {
    /// The whole duration in nanoseconds, clamped to `Int64`.
    fileprivate var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow
            ? (seconds < 0 ? .min : .max) : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
