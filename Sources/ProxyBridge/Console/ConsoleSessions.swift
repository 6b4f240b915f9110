import BridgeCore
import Crypto
import Foundation
import Synchronization

/// The web console's logins (docs/console.md, "Login"): a session holds the digest of the
/// bridge token it was opened with — never the token — and its CSRF token. Every request looks
/// the token up again, so revoking the token ends its sessions at once. Held in memory only:
/// a restart logs everyone out. Bounded: the oldest session goes when `capacity` are open.
final class ConsoleSessions: Sendable {
    struct Session: Sendable, Equatable {
        var id: String
        var digest: TokenDigest
        var csrf: String
        var lastUsed: Date
    }

    /// A session unused this long is gone.
    let idleLimit: TimeInterval
    let capacity: Int
    private let sessions = Mutex<[String: Session]>([:])

    init(idleLimit: TimeInterval = 8 * 3600, capacity: Int = 1000) {
        self.idleLimit = idleLimit
        self.capacity = max(1, capacity)
    }

    /// Opens a session for a token's digest; returns it (its id is the cookie's value).
    func open(digest: TokenDigest, now: Date) -> Session {
        let session = Session(id: Self.random(), digest: digest, csrf: Self.random(), lastUsed: now)
        let capacity = capacity
        sessions.withLock { sessions in
            if sessions.count >= capacity, let oldest = sessions.values.min(by: { $0.lastUsed < $1.lastUsed }) {
                sessions.removeValue(forKey: oldest.id)
            }
            sessions[session.id] = session
        }
        return session
    }

    /// The live session of a cookie value (touching it), or nil: unknown, malformed or idle too long.
    func find(_ id: String?, now: Date) -> Session? {
        guard let id, id.count == 43 else { return nil }
        let idleLimit = idleLimit
        return sessions.withLock { sessions -> Session? in
            guard var session = sessions[id] else { return nil }
            guard now.timeIntervalSince(session.lastUsed) <= idleLimit else {
                sessions.removeValue(forKey: id)
                return nil
            }
            session.lastUsed = now
            sessions[id] = session
            return session
        }
    }

    func close(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }

    var count: Int { sessions.withLock { $0.count } }

    /// Whether a form's CSRF field matches the session's token (compared in constant time).
    static func csrfMatches(_ presented: String?, session: Session) -> Bool {
        equal(presented, session.csrf)
    }

    /// Whether `presented` equals `expected`, compared in constant time for equal lengths.
    static func equal(_ presented: String?, _ expected: String) -> Bool {
        guard let presented else { return false }
        let a = Array(presented.utf8), b = Array(expected.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// 256 random bits as 43 base64url characters.
    static func random() -> String {
        let key = SymmetricKey(size: .bits256)
        return key.withUnsafeBytes { Data($0) }.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The cookie's value in a `Cookie:` header, if present.
    static func cookie(_ header: String?, name: String) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == name {
                return pair[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// The `Set-Cookie` value for a session: HttpOnly, SameSite=Strict, Secure over TLS.
    static func setCookie(name: String, value: String, secure: Bool, maxAge: Int? = nil) -> String {
        var text = "\(name)=\(value); Path=/console; HttpOnly; SameSite=Strict"
        if secure { text += "; Secure" }
        if let maxAge { text += "; Max-Age=\(maxAge)" }
        return text
    }
}
