import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One HTTPS/1.1 request, waited for, whose server certificate is either pinned by its SHA-256
/// fingerprint (only that certificate is accepted, whoever signed it and whatever names it
/// carries) or verified against the system's roots and the host name. For the remote
/// appliance's console port (``RemoteAppliance``), whose certificate is usually the
/// self-signed one it made on first start; AsyncHTTPClient cannot pin a fingerprint.
/// Call it off event loops (the bridge calls it on the blocking pool).
enum PinnedHTTPS {
    struct Answer: Sendable {
        var status: Int
        var body: [UInt8]
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func request(host: String, port: Int, method: HTTPMethod, path: String, headers: HTTPHeaders,
                        fingerprint: String?, timeout: TimeAmount) throws -> Answer {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        // A pinned certificate is the one accepted whatever names it carries.
        if fingerprint != nil { tls.certificateVerification = .noHostnameVerification }
        let context = try NIOSSLContext(configuration: tls)
        let isAddress = IPv4Literal.matches(host) || host.contains(":")
        let group = MultiThreadedEventLoopGroup.singleton
        let answer = group.next().makePromise(of: Answer.self)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler: NIOSSLClientHandler
                    if let fingerprint {
                        handler = try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : host) { chain, verdict in
                            let der = (try? chain.first?.toDERBytes()) ?? []
                            verdict.succeed(!der.isEmpty && BridgeCertificate.fingerprint(der: der) == fingerprint ? .certificateVerified : .failed)
                        }
                    } else {
                        handler = try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : host)
                    }
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(answer: answer))
                }
            }
        let channel: any Channel
        do {
            channel = try bootstrap.connect(host: host, port: port).wait()
        } catch {
            answer.fail(error)
            throw Failure(description: "cannot connect to \(host):\(port): \(error)")
        }
        defer { channel.close(promise: nil) }
        var fields = headers
        fields.replaceOrAdd(name: "Host", value: isAddress && host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
        fields.replaceOrAdd(name: "Connection", value: "close")
        if method != .GET { fields.replaceOrAdd(name: "Content-Length", value: "0") }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: fields)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {
            answer.fail(Failure(description: "no answer from \(host):\(port) within \(timeout.nanoseconds / 1_000_000_000) s"))
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        return try answer.futureResult.wait()
    }

    /// Collects one response; anything that ends the connection first fails it.
    final class ResponseCollector: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        let answer: EventLoopPromise<Answer>
        var status: Int?
        var body: [UInt8] = []
        var done = false

        init(answer: EventLoopPromise<Answer>) { self.answer = answer }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                status = Int(head.status.code)
            case .body(var buffer):
                guard body.count + buffer.readableBytes <= 64 * 1024 * 1024 else { return finish(context, Failure(description: "answer too large")) }
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard !done, let status else { return }
                done = true
                answer.succeed(Answer(status: status, body: body))
                context.close(promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            finish(context, Failure(description: "the connection closed before a complete answer"))
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            finish(context, error)
        }

        private func finish(_ context: ChannelHandlerContext, _ error: any Error) {
            guard !done else { return }
            done = true
            answer.fail(error)
            context.close(promise: nil)
        }
    }
}

/// Whether a host is a dotted IPv4 literal (no SNI for addresses).
enum IPv4Literal {
    static func matches(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}
