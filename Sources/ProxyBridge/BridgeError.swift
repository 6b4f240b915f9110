import BridgeCore
import Foundation
import HTTPTypes
import Hummingbird

/// An error answer of the bridge: a status and a short fixed text, plus the field for a 400.
/// 401 and 403 carry nothing that says which part of a token was wrong.
struct BridgeError: Error, HTTPResponseError {
    var status: HTTPResponse.Status
    var message: String
    var field: String?
    var headers: HTTPFields = [:]

    static let unauthorized = BridgeError(status: .unauthorized, message: "unauthorized",
                                          headers: [.wwwAuthenticate: "Bearer"])
    static let forbidden = BridgeError(status: .forbidden, message: "forbidden")
    static let notFound = BridgeError(status: .notFound, message: "not found")
    static let tooLarge = BridgeError(status: .contentTooLarge, message: "body too large")

    static func badRequest(_ error: RequestBodyError) -> BridgeError {
        BridgeError(status: .badRequest, message: error.description, field: error.field)
    }

    static func tooManyRequests(retryAfter: Int) -> BridgeError {
        BridgeError(status: .tooManyRequests, message: "too many requests", headers: [.retryAfter: "\(retryAfter)"])
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var object: [String: JSONValue] = ["error": .string(message)]
        if let field { object["field"] = .string(field) }
        return JSONBody.response(status: status, .object(object), headers: headers)
    }
}

/// JSON answers: sorted keys, ISO 8601 dates, `application/json`.
enum JSONBody {
    static func response(status: HTTPResponse.Status, _ value: JSONValue, headers: HTTPFields = [:]) -> Response {
        data(status: status, value.canonicalJSON, headers: headers)
    }

    static func response(status: HTTPResponse.Status = .ok, encoding value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        guard let bytes = try? encoder.encode(value) else {
            return response(status: .internalServerError, .object(["error": .string("internal error")]))
        }
        return data(status: status, bytes)
    }

    static func data(status: HTTPResponse.Status, _ bytes: Data, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        fields[.cacheControl] = "no-store"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

extension Request {
    /// The body, refused with 413 past `limit` (by Content-Length at once, else while reading).
    func collectBody(limit: Int) async throws -> Data {
        if let length = headers[.contentLength].flatMap(Int.init), length > limit { throw BridgeError.tooLarge }
        do {
            var buffer = try await body.collect(upTo: limit)
            return Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw BridgeError.tooLarge
        }
    }
}
