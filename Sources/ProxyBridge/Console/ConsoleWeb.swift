import BootEvents
import BridgeCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NetbootConfig
import NetbootStore
import NetbootWire
import RotatingLog
import TaskSequence

/// The web console on the console port (issue 18, docs/console.md): server-rendered pages under
/// `/console/`, logged in with the bridge's own tokens. Each page and action names the scope
/// of ``BridgeRole/scopes`` it needs and is checked here on the server for every request
/// (``ConsoleWeb/gate(_:_:scope:)``); the role middleware passes `/console` paths through to
/// this check, which looks the session's token up again each time.
struct ConsoleWeb: Sendable {
    let store: any BridgeRecords
    let sessions: ConsoleSessions
    /// Failed logins per client address (``ConsoleLoginLimit``).
    let loginLimit = ConsoleLoginLimit()
    let appliance: ApplianceAPI
    let runs: RunAPI
    let audit: AuditTrail
    let stateDirectory: String
    /// `capture.dir`: where the flight-recorder dumps are written, the only folder the Capture page serves files from.
    let captureDirectory: String
    /// Cookies get `Secure` (the console port speaks TLS).
    let secure: Bool
    /// The bridge's ports as the Overview lists them.
    let ports: [(name: String, url: String)]
    let feed: BootEventFeed
    let board: BootServiceBoard
    /// How often an open page's event stream looks for run changes.
    let runPollInterval: Duration
    let now: @Sendable () -> Date

    static let sessionCookie = "nb_console"
    static let loginCookie = "nb_login"
    static let securityHeaders: [(HTTPField.Name, String)] = [
        ("Content-Security-Policy",
         "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'"),
        ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"), ("Cache-Control", "no-store"), ("X-Frame-Options", "DENY"),
    ].compactMap { name, value in HTTPField.Name(name).map { ($0, value) } }

    /// Adds the console's routes to the console port's router.
    func register(on router: Router<BridgeRequestContext>) {
        router.get("/console/") { request, _ in try await overview(request) }
        router.get("/console/login") { request, _ in loginPage(request, error: nil, status: .ok) }
        router.post("/console/login") { request, context in try await login(request, context) }
        router.post("/console/logout") { request, _ in try await logout(request) }
        router.get("/console/clients") { request, _ in try await clients(request) }
        router.get("/console/clients/{mac}") { request, context in try await client(request, mac: context.parameters.get("mac") ?? "") }
        router.get("/console/runs") { request, _ in try await runList(request) }
        router.get("/console/runs/{id}") { request, context in try await run(request, id: context.parameters.get("id") ?? "") }
        router.get("/console/leases") { request, _ in try await leases(request, notice: nil) }
        router.post("/console/leases/release") { request, _ in try await release(request) }
        router.get("/console/images") { request, _ in try await images(request, notice: nil) }
        router.post("/console/images/rescan") { request, _ in try await rescan(request) }
        router.get("/console/sequences") { request, _ in try await sequences(request, notice: nil) }
        router.post("/console/sequences/deploy") { request, _ in try await deploy(request) }
        router.get("/console/capture") { request, _ in try await capture(request, notice: nil) }
        router.post("/console/capture/dump") { request, _ in try await dump(request) }
        router.post("/console/capture/run") { request, _ in try await runCapture(request) }
        router.get("/console/capture/files/{name}") { request, context in try await captureFile(request, name: context.parameters.get("name") ?? "") }
        router.get("/console/audit") { request, _ in try await auditPage(request) }
        router.get("/console/events") { request, _ in try await events(request) }
        router.get("/console/static/console.js") { _, _ in Self.asset(ConsoleAssets.script, type: "text/javascript; charset=utf-8") }
        router.get("/console/static/console.css") { _, _ in Self.asset(ConsoleAssets.style, type: "text/css; charset=utf-8") }
        router.get("/console/static/icon.svg") { _, _ in Self.asset(ConsoleAssets.icon, type: "image/svg+xml") }
    }

    // MARK: responses

    /// A page, gzip-compressed when the browser accepts it and the page is over 1 KiB (a
    /// 1,000-row Clients page is ~200 KB of HTML, ~20 KB on the wire).
    static func html(_ text: String, status: HTTPResponse.Status = .ok, headers extra: [(HTTPField.Name, String)] = [],
                     acceptEncoding: String? = nil) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        for (name, value) in securityHeaders + extra { headers.append(HTTPField(name: name, value: value)) }
        headers[.vary] = "Accept-Encoding"
        let bytes = Array(text.utf8)
        if bytes.count > 1024, acceptsGzip(acceptEncoding), let compressed = try? Gzip.compress(bytes, level: 6) {
            headers[.contentEncoding] = "gzip"
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: compressed)))
        }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Whether an `Accept-Encoding` header allows gzip (listed, and not with `q=0`).
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        return header.split(separator: ",").contains { part in
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard fields.first == "gzip" else { return false }
            return !fields.dropFirst().contains { $0.replacingOccurrences(of: " ", with: "") == "q=0" || $0 == "q=0.0" }
        }
    }

    static func redirect(_ location: String, headers extra: [(HTTPField.Name, String)] = []) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        for (name, value) in securityHeaders + extra { headers.append(HTTPField(name: name, value: value)) }
        return Response(status: .seeOther, headers: headers)
    }

    static func asset(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "max-age=300"
        headers[.xContentTypeOptions] = "nosniff"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    // MARK: the gate

    /// Who may see a page or take an action, decided for each request.
    enum Gate {
        case allowed(ConsoleHTML.Viewer, TokenRecord)
        case refused(Response)

        /// The refusal's answer (a login redirect for an allowed gate, which callers never ask for).
        var response: Response {
            if case let .refused(response) = self { return response }
            return ConsoleWeb.redirect("/console/login")
        }
    }

    /// The session of the request's cookie, its token looked up again, the scope checked:
    /// no live session or token → to the login page; a role without the scope → 403 page
    /// (and, for an action, a line in the audit log). A form must carry the session's CSRF token.
    func gate(_ request: Request, form: [String: String]? = nil, scope: BridgeScope, action: String? = nil) async throws -> Gate {
        let instant = now()
        let cookie = ConsoleSessions.cookie(request.headers[.cookie], name: Self.sessionCookie)
        guard let session = sessions.find(cookie, now: instant) else {
            return .refused(request.method == .get && !request.uri.path.hasSuffix("/events") ? Self.redirect("/console/login")
                : Self.html(ConsolePages.problem(title: "Logged out", message: "Log in again.", viewer: nil), status: .unauthorized))
        }
        let digest = session.digest
        let store = store
        let record = try await Blocking.run { try store.token(digest: digest) }
        let viewer = record.map { ConsoleHTML.Viewer(role: $0.role, tokenID: $0.id, csrf: session.csrf) }
        switch TokenCheck.evaluate(record, requires: scope, now: instant) {
        case .unauthenticated:
            sessions.close(session.id)
            return .refused(request.method == .get ? Self.redirect("/console/login")
                : Self.html(ConsolePages.problem(title: "Logged out", message: "The token is no longer live.", viewer: nil), status: .unauthorized))
        case .forbidden:
            if let record, let action { await audit.record(actor: record, action: action, target: request.uri.path, outcome: "forbidden", at: instant) }
            return .refused(Self.html(ConsolePages.problem(title: "Not allowed", message: "Your role may not \(action == nil ? "see this page" : "do this").",
                                                           viewer: viewer), status: .forbidden))
        case let .allowed(record):
            let viewer = ConsoleHTML.Viewer(role: record.role, tokenID: record.id, csrf: session.csrf)
            if let form, !ConsoleSessions.csrfMatches(form["csrf"], session: session) {
                return .refused(Self.html(ConsolePages.problem(title: "Form expired", message: "The form's CSRF token does not match: reload the page.",
                                                               viewer: viewer), status: .forbidden))
            }
            return .allowed(viewer, record)
        }
    }

    /// An `application/x-www-form-urlencoded` body (at most 64 KiB).
    static func form(_ request: Request) async throws -> [String: String] {
        let body = try await request.collectBody(limit: 64 * 1024)
        return parseForm(String(decoding: body, as: UTF8.self))
    }

    /// The form's fields; a name given several times keeps its last value (``parseFormPairs(_:)`` has them all).
    static func parseForm(_ text: String) -> [String: String] {
        Dictionary(parseFormPairs(text), uniquingKeysWith: { _, last in last })
    }

    static func parseFormPairs(_ text: String) -> [(String, String)] {
        text.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            guard let name = parts.first else { return nil }
            return (decode(name), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    // MARK: login

    func loginPage(_ request: Request, error: String?, status: HTTPResponse.Status) -> Response {
        let nonce = ConsoleSessions.random()
        let cookie = ConsoleSessions.setCookie(name: Self.loginCookie, value: nonce, secure: secure, maxAge: 3600)
        return Self.html(ConsolePages.login(error: error, nonce: nonce), status: status, headers: [(.setCookie, cookie)])
    }

    func login(_ request: Request, _ context: BridgeRequestContext) async throws -> Response {
        let form = try await Self.form(request)
        // The login form's own CSRF check: its field must equal the cookie set with the form.
        let nonce = ConsoleSessions.cookie(request.headers[.cookie], name: Self.loginCookie)
        guard let nonce, ConsoleSessions.equal(form["csrf"], nonce) else {
            return loginPage(request, error: "The form expired: try again.", status: .forbidden)
        }
        let instant = now()
        let address = context.remoteAddress
        // Too many refused tokens from this address: refused before the token is looked at.
        if let wait = loginLimit.retryAfter(address, now: instant) {
            audit.logger.notice("console login refused: too many failed logins from \(address)")
            var response = loginPage(request, error: "Too many failed logins from your address: try again in \(wait) s.", status: .tooManyRequests)
            response.headers[.retryAfter] = String(wait)
            return response
        }
        guard let token = form["token"].flatMap({ BridgeToken(presented: $0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
            loginLimit.failed(address, now: instant)
            return loginPage(request, error: "That is not a live console token.", status: .unauthorized)
        }
        let digest = token.digest
        let store = store
        let record = try await Blocking.run { try store.token(digest: digest) }
        guard let record, record.state(at: instant) == .active, record.role.isConsole else {
            loginLimit.failed(address, now: instant)
            return loginPage(request, error: "That is not a live console token.", status: .unauthorized)
        }
        let session = sessions.open(digest: digest, now: instant)
        await audit.record(actor: record, action: "console.login", target: "/console", outcome: "allowed", at: instant)
        let landing = ConsoleHTML.navigation.first { record.role.scopes.contains($0.scope) }?.path ?? "/console/"
        return Self.redirect(landing, headers: [
            (.setCookie, ConsoleSessions.setCookie(name: Self.sessionCookie, value: session.id, secure: secure)),
            (.setCookie, ConsoleSessions.setCookie(name: Self.loginCookie, value: "", secure: secure, maxAge: 0)),
        ])
    }

    func logout(_ request: Request) async throws -> Response {
        let form = try await Self.form(request)
        let instant = now()
        if let id = ConsoleSessions.cookie(request.headers[.cookie], name: Self.sessionCookie), let session = sessions.find(id, now: instant),
           ConsoleSessions.csrfMatches(form["csrf"], session: session) {
            sessions.close(session.id)
        }
        return Self.redirect("/console/login", headers: [
            (.setCookie, ConsoleSessions.setCookie(name: Self.sessionCookie, value: "", secure: secure, maxAge: 0)),
        ])
    }

    // MARK: data

    func leaseLines() throws -> [ConsolePages.LeaseLine] {
        let path = (stateDirectory as NSString).appendingPathComponent(SQLiteStore.fileName)
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let instant = now()
        return try SQLiteStore(path: path, readOnly: true).allLeases().map { lease in
            ConsolePages.LeaseLine(address: lease.address.description, mac: lease.mac.description, hostname: lease.hostname,
                                   state: lease.state == .bound && !lease.isActive(at: instant) ? "expired" : lease.state.rawValue,
                                   expires: lease.expires)
        }
    }

    func views(limit: Int, steps: Bool) throws -> [RunView] {
        let milliseconds = Int64((now().timeIntervalSince1970 * 1000).rounded())
        return try store.runs(limit: limit).map { run in
            var view = RunView.fold(run, events: try store.runEvents(id: run.id), nowMilliseconds: milliseconds)
            if !steps { view.steps = [] }
            return view
        }
    }

    // MARK: pages

    func overview(_ request: Request) async throws -> Response {
        let passage = try await gate(request, scope: .devicesRead)
        guard case let .allowed(viewer, _) = passage else { return passage.response }
        let web = self
        var transfers: Int?
        var downloads: Int?
        do throws(ApplianceFailure) {
            if case let .object(report)? = JSONValue.parse(try await appliance.call { try $0.status() }),
               case let .object(counts)? = report["counts"] {
                if case let .number(running)? = counts["tftpTransfersRunning"] { transfers = Int(exactly: running) }
                if case let .number(open)? = counts["httpConnectionsOpen"] { downloads = Int(exactly: open) }
            }
        } catch {
            transfers = nil
        }
        var model = try await Blocking.run { () throws -> ConsolePages.Overview in
            let leases = try web.leaseLines()
            let devices = try web.store.devices()
            let events = web.feed.recent()
            let today = Calendar(identifier: .gregorian).startOfDay(for: web.now())
            var seen = Set(devices.filter { $0.lastSeen >= today }.map(\.mac))
            seen.formUnion(events.filter { $0.at >= today }.compactMap(\.mac))
            return ConsolePages.Overview(services: web.board.all, bridgePorts: web.ports,
                                         leasesActive: leases.filter { $0.state == "bound" }.count, leasesTotal: leases.count,
                                         devices: devices.count, clientsSeenToday: seen.count, runs: try web.store.runCounts(),
                                         events: events, inProcess: !web.board.all.isEmpty)
        }
        model.transfersRunning = transfers
        model.downloadsRunning = downloads
        return Self.html(ConsolePages.overview(model, viewer: viewer), acceptEncoding: request.headers[.acceptEncoding])
    }

    func clients(_ request: Request) async throws -> Response {
        let passage = try await gate(request, scope: .devicesRead)
        guard case let .allowed(viewer, _) = passage else { return passage.response }
        let query = request.uri.queryParameters.get("q") ?? ""
        let web = self
        let rows = try await Blocking.run {
            ConsolePages.mergeClients(devices: try web.store.devices(), leases: try web.leaseLines(), events: web.feed.recent(),
                                      runs: viewer.may(.runsRead) ? try web.store.runs(limit: 1000).map { run in
                                          RunView.fold(run, events: [], nowMilliseconds: 0)
                                      } : [])
        }
        return Self.html(ConsolePages.clients(ConsolePages.filter(rows, query: query), query: query, total: rows.count, viewer: viewer), acceptEncoding: request.headers[.acceptEncoding])
    }

    func client(_ request: Request, mac text: String) async throws -> Response {
        let passage = try await gate(request, scope: .devicesRead)
        guard case let .allowed(viewer, _) = passage else { return passage.response }
        guard let mac = MACText.normalized(text) else {
            return Self.html(ConsolePages.problem(title: "No such client", message: "Not a MAC address.", viewer: viewer), status: .notFound)
        }
        let web = self
        var detail = try await Blocking.run { () throws -> ConsolePages.ClientDetail in
            let device = try web.store.device(mac: mac)
            var inventory: [(String, String)] = []
            var logs: [ConsolePages.ClientLog] = []
            if device != nil, viewer.may(.reportsRead) {
                var after: Int64 = 0
                while true {
                    let page = try web.store.reports(mac: mac, after: after, limit: 1000)
                    for report in page where report.kind == .inventory || report.kind == .log {
                        guard case let .object(body)? = JSONValue.parse(report.body), case let .object(data)? = body["data"] else { continue }
                        if report.kind == .inventory {
                            inventory = data.sorted { $0.key < $1.key }.map { ($0.key, ConsolePages.text($0.value)) }
                        } else if case let .string(text)? = data["text"] {
                            let name = data["name"].map(ConsolePages.text) ?? "–"
                            let shown = text.utf8.count > ConsolePages.ClientLog.shownBytes
                                ? "…" + String(decoding: text.utf8.suffix(ConsolePages.ClientLog.shownBytes), as: UTF8.self) : text
                            logs.append(ConsolePages.ClientLog(name: name, receivedAt: report.receivedAt, text: shown))
                            if logs.count > 20 { logs.removeFirst() }
                        }
                    }
                    guard let last = page.last, page.count == 1000 else { break }
                    after = last.sequence
                }
            }
            let runs = viewer.may(.runsRead) ? try web.views(limit: 1000, steps: false).filter { $0.mac == mac } : []
            let decision = viewer.may(.runsRead)
                ? try MACAddress(mac).map { try BootDecisions(store: web.store, inventoryFile: web.runs.catalog.inventoryFile).decision(for: $0) } : nil
            return ConsolePages.ClientDetail(mac: mac, device: device, leases: try web.leaseLines().filter { $0.mac == mac },
                                             events: web.feed.recent().filter { $0.mac == mac }, runs: runs, inventory: inventory,
                                             bootDecision: decision, logs: logs.reversed())
        }
        // Why each image is or is not offered: the appliance's own catalog decision (`netboot explain`).
        if viewer.may(.imagesRead) {
            let model = detail.device?.model
            do throws(ApplianceFailure) {
                let document = JSONValue.parse(try await appliance.call { try $0.explain(mac: mac, model: model) })
                detail.explanation = ConsolePages.Explanation(document).map { .success($0) }
                    ?? .failure(.init(message: "the appliance's answer is not an explanation"))
            } catch {
                detail.explanation = .failure(.init(message: ApplianceAPI.answer(error).message))
            }
        } else {
            detail.explanation = .failure(.init(message: "your role may not read images"))
        }
        return Self.html(ConsolePages.client(detail, viewer: viewer), acceptEncoding: request.headers[.acceptEncoding])
    }

    func runList(_ request: Request) async throws -> Response {
        let passage = try await gate(request, scope: .runsRead)
        guard case let .allowed(viewer, _) = passage else { return passage.response }
        let web = self
        let views = try await Blocking.run { try web.views(limit: 100, steps: false) }
        return Self.html(ConsolePages.runs(views, viewer: viewer), acceptEncoding: request.headers[.acceptEncoding])
    }

    func run(_ request: Request, id: String) async throws -> Response {
        let passage = try await gate(request, scope: .runsRead)
        guard case let .allowed(viewer, _) = passage else { return passage.response }
        let web = self
        let view = try await Blocking.run { () throws -> RunView? in
            guard let run = try web.store.run(id: id) else { return nil }
            return RunView.fold(run, events: try web.store.runEvents(id: run.id), nowMilliseconds: Int64((web.now().timeIntervalSince1970 * 1000).rounded()))
        }
        guard let view else { return Self.html(ConsolePages.problem(title: "No such run", message: "No run \(id).", viewer: viewer), status: .notFound) }
        return Self.html(ConsolePages.run(view, viewer: viewer), acceptEncoding: request.headers[.acceptEncoding])
    }

    func leases(_ request: Request, notice: (String, Bool)?, viewer given: ConsoleHTML.Viewer? = nil) async throws -> Response {
        var viewer = given
        if viewer == nil {
            let passage = try await gate(request, scope: .leasesRead)
            guard case let .allowed(allowed, _) = passage else { return passage.response }
            viewer = allowed
        }
        guard let viewer else { return Self.redirect("/console/login") }
        let query = request.uri.queryParameters.get("q") ?? ""
        let web = self
        let all = try await Blocking.run { try web.leaseLines() }
        return Self.html(ConsolePages.leases(ConsolePages.filter(all, query: query), query: query, total: all.count, notice: notice, viewer: viewer), acceptEncoding: request.headers[.acceptEncoding])
    }

    func release(_ request: Request) async throws -> Response {
        let body = try await request.collectBody(limit: 256 * 1024)
        let pairs = Self.parseFormPairs(String(decoding: body, as: UTF8.self))
        let form = Dictionary(pairs, uniquingKeysWith: { _, last in last })
        let passage = try await gate(request, form: form, scope: .leasesRelease, action: "leases.release")
        guard case let .allowed(viewer, record) = passage else { return passage.response }
        let texts = pairs.filter { $0.0 == "lease" }.map(\.1).prefix(1000)
        guard !texts.isEmpty else { return try await leases(request, notice: ("No lease selected.", true), viewer: viewer) }
        var released: [String] = [], failed: [String] = []
        for text in texts {
            guard let lease = ApplianceAPI.target(text) else {
                failed.append("\(text): neither a MAC nor an IPv4 address")
                continue
            }
            let instant = now()
            let failure: ApplianceFailure?
            do throws(ApplianceFailure) {
                _ = try await appliance.call { try $0.releaseLease(lease) }
                failure = nil
            } catch {
                failure = error
            }
            await audit.record(actor: record, action: "leases.release", target: lease.description,
                               outcome: failure.map(ApplianceAPI.outcome) ?? "allowed", at: instant)
            if let failure { failed.append("\(lease.description): \(ApplianceAPI.answer(failure).message)") } else { released.append(lease.description) }
        }
        var text = released.isEmpty ? "" : "Released \(released.joined(separator: ", ")). "
        if !failed.isEmpty { text += "Not released: \(failed.joined(separator: "; "))." }
        return try await leases(request, notice: (text.trimmingCharacters(in: .whitespaces), !failed.isEmpty), viewer: viewer)
    }

    func images(_ request: Request, notice: (String, Bool)?, viewer given: ConsoleHTML.Viewer? = nil) async throws -> Response {
        var viewer = given
        if viewer == nil {
            let passage = try await gate(request, scope: .imagesRead)
            guard case let .allowed(allowed, _) = passage else { return passage.response }
            viewer = allowed
        }
        guard let viewer else { return Self.redirect("/console/login") }
        let document: JSONValue
        do throws(ApplianceFailure) {
            document = JSONValue.parse(try await appliance.call { try $0.images() }) ?? .null
        } catch {
            return Self.html(ConsolePages.images(.null, notice: ("Images unavailable: \(ApplianceAPI.answer(error).message)", true), viewer: viewer))
        }
        return Self.html(ConsolePages.images(document, notice: notice, viewer: viewer), acceptEncoding: request.headers[.acceptEncoding])
    }

    func rescan(_ request: Request) async throws -> Response {
        let form = try await Self.form(request)
        let passage = try await gate(request, form: form, scope: .imagesRescan, action: "images.rescan")
        guard case let .allowed(viewer, record) = passage else { return passage.response }
        let instant = now()
        let failure: ApplianceFailure?
        do throws(ApplianceFailure) {
            _ = try await appliance.call { try $0.rescanImages() }
            failure = nil
        } catch {
            failure = error
        }
        await audit.record(actor: record, action: "images.rescan", target: "images", outcome: failure.map(ApplianceAPI.outcome) ?? "allowed",
                           at: instant)
        let notice = failure.map { ("Not rescanned: \(ApplianceAPI.answer($0).message)", true) } ?? ("Rescanned.", false)
        return try await images(request, notice: notice, viewer: viewer)
    }

    func sequences(_ request: Request, notice: (String, Bool)?, viewer given: ConsoleHTML.Viewer? = nil) async throws -> Response {
        var viewer = given
        if viewer == nil {
            let passage = try await gate(request, scope: .runsRead)
            guard case let .allowed(allowed, _) = passage else { return passage.response }
            viewer = allowed
        }
        guard let viewer else { return Self.redirect("/console/login") }
        let (catalog, store) = (runs.catalog, store)
        // A GET form's query (`+` for a space, as browsers send it).
        let query = Self.parseForm(request.uri.query ?? "")
        let planRequest = query["plan"].map { name in
            ConsolePages.PlanRequest(sequence: name, mac: query["mac"] ?? "", model: query["model"] ?? "")
        }
        let model = try await Blocking.run { () -> ConsolePages.Sequences in
            var files: [ConsolePages.SequenceFile] = []
            var inventory: Inventory?
            if let data = FileManager.default.contents(atPath: catalog.inventoryFile) {
                let (read, diagnostics) = Linter.inventory(data: data, file: catalog.inventoryFile)
                inventory = diagnostics.hasErrors ? nil : read
                if diagnostics.hasErrors {
                    files.append(.init(file: catalog.inventoryFile, name: "(inventory)", diagnostics: diagnostics.map(\.description), errors: true))
                }
            }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: catalog.directory)) ?? []
            for name in names.sorted() where (name.hasSuffix(".yaml") || name.hasSuffix(".yml")) && !name.hasPrefix(".") {
                let path = (catalog.directory as NSString).appendingPathComponent(name)
                guard let data = FileManager.default.contents(atPath: path) else { continue }
                let report = Linter.lint(data: data, file: path, inventory: inventory)
                files.append(.init(file: name, name: report.definition?.name ?? "–", diagnostics: report.diagnostics.map(\.description),
                                   errors: report.hasErrors))
            }
            let loaded = try? catalog.load(store: store)
            var model = ConsolePages.Sequences(files: files, deployments: loaded?.deployments.map { ($0.sequence, $0.collection) } ?? [],
                                               sequenceNames: loaded?.sequences.map(\.definition.name) ?? [],
                                               collections: loaded?.inventory.collections.map(\.name) ?? [], planRequest: planRequest)
            if let planRequest { model.plan = Self.plan(planRequest, loaded: loaded, store: store) }
            return model
        }
        return Self.html(ConsolePages.sequences(model, notice: notice, viewer: viewer), acceptEncoding: request.headers[.acceptEncoding])
    }

    /// The plan `netboot ts plan --mac` prints, by the same ``Planner`` the run API compiles with:
    /// the machine as enrolled (model and serial), else with the model typed; secrets as `***`.
    static func plan(_ request: ConsolePages.PlanRequest, loaded: SequenceCatalog.Loaded?, store: any BridgeRecords) -> Result<String, ConsolePages.ExplainUnavailable> {
        guard let mac = MACText.normalized(request.mac) else { return .failure(.init(message: "'\(request.mac)' is not a MAC address")) }
        guard let loaded else { return .failure(.init(message: "the inventory has errors (netboot ts lint)")) }
        guard let sequence = loaded.sequence(named: request.sequence) else {
            return .failure(.init(message: "no sequence '\(request.sequence)' without lint errors in the sequences folder"))
        }
        let device = try? store.device(mac: mac)
        let typed = request.model.trimmingCharacters(in: .whitespaces)
        let machine = Inventory.Machine(mac: mac, model: device?.model ?? (typed.isEmpty ? nil : typed), serial: device?.serial)
        return .success(Planner.plan(sequence.definition, inventory: loaded.inventory, machine: machine, sequenceKeys: Array(sequence.keys)).text)
    }

    func deploy(_ request: Request) async throws -> Response {
        let form = try await Self.form(request)
        let passage = try await gate(request, form: form, scope: .sequencesDeploy, action: "sequence.deploy")
        guard case let .allowed(viewer, record) = passage else { return passage.response }
        let (name, collection) = (form["sequence"] ?? "", form["collection"] ?? "")
        let (store, catalog, instant) = (store, runs.catalog, now())
        let loaded = try await Blocking.run { try catalog.load(store: store) }
        guard let sequence = loaded.sequence(named: name) else {
            return try await sequences(request, notice: ("No sequence '\(name)' in the sequences folder.", true), viewer: viewer)
        }
        guard loaded.inventory.collections.contains(where: { $0.name == collection }) else {
            return try await sequences(request, notice: ("No collection '\(collection)' in the inventory.", true), viewer: viewer)
        }
        let definition = sequence.definition.name
        let added = try await Blocking.run { try store.addDeployment(sequence: definition, collection: collection, actor: record.id, now: instant) }
        await audit.record(actor: record, action: "sequence.deploy", target: "\(definition) → \(collection)", outcome: "allowed", at: instant)
        return try await sequences(request, notice: (added ? "Deployed \(definition) to \(collection)." : "\(definition) was deployed to \(collection) already.", false),
                                   viewer: viewer)
    }

    // MARK: capture

    /// Whether a name is one the appliance gives a flight-recorder dump (`flight-<unix ms>.pcap`)
    /// or a bounded capture (`capture-<unix ms>.pcap`): the download route takes a name of that
    /// shape only, never a path.
    static func isDumpName(_ name: String) -> Bool {
        guard let prefix = ["flight-", "capture-"].first(where: name.hasPrefix), name.hasSuffix(".pcap") else { return false }
        let digits = name.dropFirst(prefix.count).dropLast(".pcap".count)
        return !digits.isEmpty && digits.count <= 20 && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// The dumps in `capture.dir` (regular files with a dump's name), newest first, at most 50.
    func dumpFiles() -> [ConsolePages.CaptureFile] {
        let manager = FileManager.default
        let names = (try? manager.contentsOfDirectory(atPath: captureDirectory)) ?? []
        let files = names.filter(Self.isDumpName).compactMap { name -> ConsolePages.CaptureFile? in
            let path = (captureDirectory as NSString).appendingPathComponent(name)
            guard let attributes = try? manager.attributesOfItem(atPath: path), attributes[.type] as? FileAttributeType == .typeRegular else {
                return nil
            }
            return ConsolePages.CaptureFile(name: name, bytes: (attributes[.size] as? NSNumber)?.intValue ?? 0,
                                            written: attributes[.modificationDate] as? Date)
        }
        return Array(files.sorted { ($0.written ?? .distantPast, $0.name) > ($1.written ?? .distantPast, $1.name) }.prefix(50))
    }

    func capture(_ request: Request, notice: (String, Bool)?, viewer given: ConsoleHTML.Viewer? = nil) async throws -> Response {
        var viewer = given
        if viewer == nil {
            let passage = try await gate(request, scope: .captureRun)
            guard case let .allowed(allowed, _) = passage else { return passage.response }
            viewer = allowed
        }
        guard let viewer else { return Self.redirect("/console/login") }
        let web = self
        let files = try await Blocking.run { web.dumpFiles() }
        let interfaces = try await Blocking.run { web.appliance.link.captureInterfaces() }
        return Self.html(ConsolePages.capture(files, interfaces: interfaces, notice: notice, viewer: viewer),
                         acceptEncoding: request.headers[.acceptEncoding])
    }

    /// `capture.dump` through the link; the page again with the new file (or why there is none).
    func dump(_ request: Request) async throws -> Response {
        let form = try await Self.form(request)
        let passage = try await gate(request, form: form, scope: .captureRun, action: "capture.dump")
        guard case let .allowed(viewer, record) = passage else { return passage.response }
        let instant = now()
        let notice: (String, Bool)
        let outcome: String
        do throws(ApplianceFailure) {
            let answer = JSONValue.parse(try await appliance.call { try $0.dumpFlightRecorder() })
            if case let .object(fields)? = answer, case let .string(file)? = fields["file"], Self.isDumpName(file) {
                let packets = fields["packets"].map(ConsolePages.text) ?? "?"
                notice = ("Dumped \(packets) packet(s) to \(file).", false)
                outcome = "allowed"
            } else {
                notice = ("Not dumped: the appliance's answer names no dump file.", true)
                outcome = "failed"
            }
        } catch {
            notice = ("Not dumped: \(ApplianceAPI.answer(error).message)", true)
            outcome = ApplianceAPI.outcome(error)
        }
        await audit.record(actor: record, action: "capture.dump", target: "flight recorder", outcome: outcome, at: instant)
        return try await capture(request, notice: notice, viewer: viewer)
    }

    /// A bounded capture on a served interface (``BoundedCapture``: the bounds checked here, the
    /// interface one the link names); the page again with its file. Blocks the request for the
    /// capture's duration (≤ 60 s) on the blocking pool.
    func runCapture(_ request: Request) async throws -> Response {
        let form = try await Self.form(request)
        let passage = try await gate(request, form: form, scope: .captureRun, action: "capture.run")
        guard case let .allowed(viewer, record) = passage else { return passage.response }
        let web = self
        let interfaces = try await Blocking.run { web.appliance.link.captureInterfaces() }
        let interface = form["interface"] ?? ""
        guard interfaces.contains(interface),
              let capture = BoundedCapture(interface: interface, seconds: Int(form["seconds"] ?? "") ?? 0, packets: Int(form["packets"] ?? "") ?? 0)
        else {
            return try await self.capture(request, notice: ("Not captured: choose a served interface, 1–\(BoundedCapture.maxSeconds) s and "
                                                             + "1–\(BoundedCapture.maxPackets) packets.", true), viewer: viewer)
        }
        let instant = now()
        let notice: (String, Bool)
        let outcome: String
        do throws(ApplianceFailure) {
            let answer = JSONValue.parse(try await appliance.call { try $0.capture(capture) })
            if case let .object(fields)? = answer, case let .string(file)? = fields["file"], Self.isDumpName(file) {
                notice = ("Captured \(fields["packets"].map(ConsolePages.text) ?? "?") packet(s) on \(interface) to \(file).", false)
                outcome = "allowed"
            } else {
                notice = ("Not captured: the appliance's answer names no capture file.", true)
                outcome = "failed"
            }
        } catch {
            notice = ("Not captured: \(ApplianceAPI.answer(error).message)", true)
            outcome = ApplianceAPI.outcome(error)
        }
        await audit.record(actor: record, action: "capture.run", target: "\(interface) \(capture.seconds) s \(capture.packets) packets",
                           outcome: outcome, at: instant)
        return try await self.capture(request, notice: notice, viewer: viewer)
    }

    /// A dump from `capture.dir` as a download: the name must be a dump's name and the file one
    /// the page lists (a regular file there), else 404.
    func captureFile(_ request: Request, name: String) async throws -> Response {
        let passage = try await gate(request, scope: .captureRun)
        guard case let .allowed(viewer, _) = passage else { return passage.response }
        let web = self
        let bytes = try await Blocking.run { () -> [UInt8]? in
            guard Self.isDumpName(name), web.dumpFiles().contains(where: { $0.name == name }) else { return nil }
            return FileManager.default.contents(atPath: (web.captureDirectory as NSString).appendingPathComponent(name)).map { Array($0) }
        }
        guard let bytes else {
            return Self.html(ConsolePages.problem(title: "No such capture", message: "No dump of that name in the capture folder.", viewer: viewer),
                             status: .notFound)
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/vnd.tcpdump.pcap"
        headers[.contentDisposition] = "attachment; filename=\"\(name)\""
        for (field, value) in Self.securityHeaders { headers.append(HTTPField(name: field, value: value)) }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func auditPage(_ request: Request) async throws -> Response {
        let passage = try await gate(request, scope: .auditRead)
        guard case let .allowed(viewer, _) = passage else { return passage.response }
        let store = store
        let entries = try await Blocking.run { try store.audit(before: nil, limit: 200) }
        return Self.html(ConsolePages.audit(entries, viewer: viewer), acceptEncoding: request.headers[.acceptEncoding])
    }
}

extension ConsoleWeb {
    /// Whether a matched route path is the console's (the role middleware lets these through).
    static func owns(_ path: String) -> Bool { path == "/console" || path.hasPrefix("/console/") }

    /// The console of a bridge: its ports for the Overview, the process's boot-event feed.
    static func make(store: any BridgeRecords, appliance: ApplianceAPI, runs: RunAPI, audit: AuditTrail, configuration: NetbootConfiguration,
                     scheme: String, now: @escaping @Sendable () -> Date) -> ConsoleWeb {
        let settings = configuration.bridge
        return ConsoleWeb(store: store, sessions: ConsoleSessions(), appliance: appliance, runs: runs, audit: audit,
                          stateDirectory: configuration.stateDir, captureDirectory: configuration.capture.dir, secure: scheme == "https",
                          ports: [("console", "\(scheme)://\(settings.listenAddress):\(settings.consolePort)"),
                                  ("client", "\(scheme)://\(settings.listenAddress):\(settings.clientPort)")],
                          feed: .shared, board: .shared, runPollInterval: .milliseconds(250), now: now)
    }
}
