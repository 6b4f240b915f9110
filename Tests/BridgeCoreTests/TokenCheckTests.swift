import Foundation
import Testing
@testable import BridgeCore

@Suite struct TokenCheckTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func record(_ role: BridgeRole, expires: Date? = nil, used: Date? = nil, revoked: Date? = nil) -> TokenRecord {
        TokenRecord(digest: BridgeToken.generate().digest, role: role, label: "", createdAt: now - 60,
                    expiresAt: expires, usedAt: used, revokedAt: revoked)
    }

    @Test func noTokenIsUnauthenticated() {
        #expect(TokenCheck.evaluate(nil, requires: .devicesRead, now: now) == .unauthenticated)
    }

    @Test func liveTokenWithTheScopeIsAllowed() {
        let admin = record(.administrator)
        #expect(TokenCheck.evaluate(admin, requires: .tokensRevoke, now: now) == .allowed(admin))
    }

    @Test func liveTokenWithoutTheScopeIsForbidden() {
        #expect(TokenCheck.evaluate(record(.problemMonitorUsers), requires: .tokensIssue, now: now) == .forbidden)
        #expect(TokenCheck.evaluate(record(.client), requires: .devicesRead, now: now) == .forbidden)
        #expect(TokenCheck.evaluate(record(.administrator), requires: .reportsWrite, now: now) == .forbidden)
    }

    @Test func expiredRevokedOrSpentTokensAreUnauthenticatedNotForbidden() {
        #expect(TokenCheck.evaluate(record(.administrator, expires: now), requires: .devicesRead, now: now) == .unauthenticated)
        #expect(TokenCheck.evaluate(record(.administrator, expires: now + 1), requires: .devicesRead, now: now) != .unauthenticated)
        #expect(TokenCheck.evaluate(record(.administrator, revoked: now - 1), requires: .devicesRead, now: now) == .unauthenticated)
        #expect(TokenCheck.evaluate(record(.enrollment, used: now - 1), requires: .enroll, now: now) == .unauthenticated)
        // Even a call the role could not make anyway says 401, not 403: a dead token tells nothing.
        #expect(TokenCheck.evaluate(record(.enrollment, revoked: now - 1), requires: .auditRead, now: now) == .unauthenticated)
    }

    @Test func rolesMapToTheSeedsScopes() {
        #expect(BridgeRole.administrator.scopes == Set(BridgeScope.allCases.filter(\.isConsole)))
        #expect(BridgeRole.enrollers.scopes == [.tokensIssue])
        #expect(!BridgeRole.problemMonitorUsers.scopes.contains(where: { [.tokensIssue, .tokensRevoke, .auditRead].contains($0) }))
        #expect(BridgeRole.keyAdministrators.scopes == [.escrowRead])
        // Captures show every client's traffic: the Administrator's alone.
        #expect(BridgeRole.allCases.filter { $0.scopes.contains(.captureRun) } == [.administrator])
        for role in BridgeRole.allCases {
            // No role holds scopes of both ports: a console token is useless on 8761 and back.
            #expect(role.scopes.allSatisfy { $0.isConsole == role.isConsole })
        }
    }

    @Test func whoMayIssueWhichRole() {
        #expect(TokenIssuePolicy.may(.administrator, issue: .administrator))
        #expect(TokenIssuePolicy.may(.administrator, issue: .enrollment))
        #expect(!TokenIssuePolicy.may(.administrator, issue: .client))
        #expect(TokenIssuePolicy.may(.enrollers, issue: .enrollment))
        #expect(!TokenIssuePolicy.may(.enrollers, issue: .enrollers))
        #expect(!TokenIssuePolicy.may(.enrollers, issue: .administrator))
        #expect(!TokenIssuePolicy.may(.problemMonitorUsers, issue: .enrollment))
    }

    @Test func tokenTextShapeAndDigest() throws {
        let token = BridgeToken.generate()
        #expect(token.text.hasPrefix("nbt_") && token.text.count == 47)
        #expect(token.description == "***")
        #expect("\(token)" == "***")
        let presented = try #require(BridgeToken(presented: token.text))
        #expect(presented.digest == token.digest)
        #expect(token.digest.hex.count == 64 && token.digest.id.count == 12)
        #expect(BridgeToken.generate().digest != token.digest)
        #expect(BridgeToken(presented: "nbt_short") == nil)
        #expect(BridgeToken(presented: token.text.dropLast() + "!") == nil)
        #expect(BridgeToken(presented: "xyz_" + token.text.dropFirst(4)) == nil)
        // A known answer: SHA-256("abc").
        #expect(TokenDigest(of: "abc").hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

@Suite struct CertificateRoleTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func exactlyOneConsoleRoleInTheOrganizationalUnits() {
        #expect(CertificateRole.role(organizationalUnits: ["administrator"]) == .administrator)
        #expect(CertificateRole.role(organizationalUnits: ["lab", "problem-monitor-users"]) == .problemMonitorUsers)
        #expect(CertificateRole.role(organizationalUnits: ["administrator", "administrator"]) == .administrator)
        #expect(CertificateRole.role(organizationalUnits: ["administrator", "enrollers"]) == nil)
        #expect(CertificateRole.role(organizationalUnits: []) == nil)
        #expect(CertificateRole.role(organizationalUnits: ["client"]) == nil)
        #expect(CertificateRole.role(organizationalUnits: ["enrollment"]) == nil)
        #expect(CertificateRole.role(organizationalUnits: ["Administrator"]) == nil)
    }

    @Test func recordIsCheckedLikeAToken() throws {
        let record = try #require(CertificateRole.record(der: Array("abc".utf8), commonName: "ops", organizationalUnits: ["enrollers"], now: now))
        #expect(record.id == "ba7816bf8f01")
        #expect(TokenCheck.evaluate(record, requires: .tokensIssue, now: now) == .allowed(record))
        #expect(TokenCheck.evaluate(record, requires: .devicesRead, now: now) == .forbidden)
        #expect(CertificateRole.record(der: [1], commonName: nil, organizationalUnits: ["x"], now: now) == nil)
    }
}
