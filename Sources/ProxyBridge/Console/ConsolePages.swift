import BootEvents
import BridgeCore
import Foundation

/// The console's pages as pure functions of what they show (docs/console.md, "Pages"):
/// ``ConsoleWeb`` gathers the data, these render it, and unit tests check the HTML.
enum ConsolePages {
    typealias H = ConsoleHTML

    // MARK: login

    /// The login form; `nonce` is its CSRF field, equal to the cookie sent with the page.
    static func login(error: String?, nonce: String) -> String {
        var body = ""
        if let error { body += H.notice(error, error: true) }
        body += "<form class=\"login\" method=\"post\" action=\"/console/login\">"
        body += "<input type=\"hidden\" name=\"csrf\" value=\"\(H.escape(nonce))\">"
        body += "<p>Paste a console token (<code>netboot tokens issue --role administrator</code> or "
        body += "<code>--role problem-monitor-users</code>).</p>"
        body += "<label for=\"token\">Token</label><input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" required>"
        body += "<button type=\"submit\">Log in</button></form>"
        return H.page(title: "Log in", current: "", viewer: nil, body: body)
    }

    static func problem(title: String, message: String, viewer: ConsoleHTML.Viewer?) -> String {
        H.page(title: title, current: "", viewer: viewer, body: H.notice(message, error: true))
    }

    // MARK: overview

    struct Overview: Sendable {
        var services: [BootServiceLine]
        var bridgePorts: [(name: String, url: String)]
        var leasesActive: Int
        var leasesTotal: Int
        var devices: Int
        var clientsSeenToday: Int
        var runs: [String: Int]
        var events: [BootEvent]
        /// The bridge runs inside `netboot serve` (the feed carries the services' events).
        var inProcess: Bool
        /// TFTP transfers running now (the control socket's `status`, `netboot_tftp_active_transfers`);
        /// nil when no appliance answers.
        var transfersRunning: Int? = nil
        /// HTTP connections open on the image server (downloads in flight); nil when unknown.
        var downloadsRunning: Int? = nil
    }

    static func overview(_ model: Overview, viewer: ConsoleHTML.Viewer) -> String {
        var body = "<section aria-labelledby=\"counts-h\"><h2 id=\"counts-h\">Counts</h2><dl class=\"counts\">"
        let counts: [(String, String, Int)] = [
            ("leases-active", "Leases active", model.leasesActive), ("leases-total", "Leases held", model.leasesTotal),
            ("devices", "Enrolled devices", model.devices), ("clients-today", "Clients seen today", model.clientsSeenToday),
            ("runs-running", "Runs running", model.runs["running"] ?? 0), ("runs-failed", "Runs failed", model.runs["failed"] ?? 0),
            ("runs-succeeded", "Runs succeeded", model.runs["succeeded"] ?? 0),
        ]
        for (id, label, value) in counts { body += "<div><dt>\(label)</dt><dd id=\"count-\(id)\">\(value)</dd></div>" }
        body += "<div><dt>TFTP transfers running</dt><dd id=\"count-transfers\">\(model.transfersRunning.map(String.init) ?? "–")</dd></div>"
        body += "<div><dt>HTTP downloads open</dt><dd id=\"count-downloads\">\(model.downloadsRunning.map(String.init) ?? "–")</dd></div>"
        body += "</dl></section>"

        body += "<section aria-labelledby=\"services-h\"><h2 id=\"services-h\">Services</h2>"
        var rows: [[String]] = model.services.map { line in
            [H.escape(line.name), "<span class=\"state \(H.escape(line.state))\">\(H.escape(line.state))</span>",
             H.escape(line.addresses.joined(separator: ", ")), H.escape(line.detail ?? "")]
        }
        rows += model.bridgePorts.map { ["bridge \(H.escape($0.name))", "<span class=\"state running\">running</span>", H.escape($0.url), ""] }
        body += H.table(id: "services", caption: "Services and ports", headers: ["Service", "State", "Addresses", "Detail"], rows: rows,
                        empty: "No services.")
        if !model.inProcess {
            body += "<p class=\"hint\">The bridge runs apart from <code>netboot serve</code> (<code>netboot bridge</code>): "
            body += "boot services and live exchanges show when it runs inside <code>netboot serve</code> (<code>bridge.enabled: true</code>).</p>"
        }
        body += "</section>"

        body += "<section aria-labelledby=\"exchanges-h\"><h2 id=\"exchanges-h\">Last boot exchanges</h2>"
        body += exchangesTable(model.events.reversed().prefix(50).map { $0 })
        body += "</section>"
        return H.page(title: "Overview", current: "/console/", viewer: viewer, live: "boot", body: body)
    }

    static func exchangesTable(_ events: [BootEvent]) -> String {
        H.table(id: "exchanges", caption: "Newest first; DHCP/BSDP/PXE decisions with the server's reason, TFTP and HTTP transfers",
                headers: ["Time", "Service", "Client", "What", "Why / figures"], rows: events.map(exchangeCells),
                rowAttributes: events.map { " data-id=\"\($0.id)\"" }, empty: "No boot exchange yet.")
    }

    static func exchangeCells(_ event: BootEvent) -> [String] {
        let client = event.mac.map { "<a href=\"/console/clients/\(H.escape($0))\">\(H.escape($0))</a>" } ?? H.escape(event.client ?? "–")
        return [H.time(event.at), H.escape(event.service.rawValue), client, H.escape(event.summary), H.escape(event.detail)]
    }

    // MARK: clients

    struct ClientRow: Sendable, Equatable {
        var mac: String
        var model: String?
        var hostname: String?
        var lastSeen: Date?
        var lease: String?
        var leaseState: String?
        var enrolled: Bool
        var runID: String?
        var runState: String?
        var lastEvent: String?
    }

    /// Every machine seen (leases, boot exchanges) or enrolled, one row per MAC, newest seen first.
    static func mergeClients(devices: [DeviceRecord], leases: [LeaseLine], events: [BootEvent], runs: [RunView]) -> [ClientRow] {
        var rows: [String: ClientRow] = [:]
        func row(_ mac: String) -> ClientRow { rows[mac] ?? ClientRow(mac: mac, enrolled: false) }
        for device in devices {
            var entry = row(device.mac)
            entry.model = device.model
            entry.hostname = device.hostname
            entry.enrolled = true
            entry.lastSeen = max(entry.lastSeen ?? .distantPast, device.lastSeen)
            rows[device.mac] = entry
        }
        for lease in leases {
            var entry = row(lease.mac)
            entry.lease = lease.address
            entry.leaseState = lease.state
            if entry.hostname == nil { entry.hostname = lease.hostname }
            rows[lease.mac] = entry
        }
        for event in events {
            guard let mac = event.mac else { continue }
            var entry = row(mac)
            if event.at >= (entry.lastSeen ?? .distantPast) {
                entry.lastSeen = event.at
                entry.lastEvent = event.summary
            }
            rows[mac] = entry
        }
        // Runs come newest first: the first one seen for a MAC is its current run.
        for run in runs {
            var entry = row(run.mac)
            if entry.runID == nil {
                entry.runID = run.id
                entry.runState = run.state
            }
            rows[run.mac] = entry
        }
        return rows.values.sorted { ($0.lastSeen ?? .distantPast, $1.mac) > ($1.lastSeen ?? .distantPast, $0.mac) }
    }

    static func filter(_ rows: [ClientRow], query: String) -> [ClientRow] {
        let needle = query.trimmingCharacters(in: .whitespaces).lowercased()
        guard !needle.isEmpty else { return rows }
        return rows.filter { row in
            [row.mac, row.model ?? "", row.hostname ?? "", row.lease ?? "", row.runState ?? "", row.lastEvent ?? ""]
                .contains { $0.lowercased().contains(needle) }
        }
    }

    static func clients(_ rows: [ClientRow], query: String, total: Int, viewer: ConsoleHTML.Viewer) -> String {
        var body = H.search(action: "/console/clients", query: query, label: "Filter clients (MAC, model, hostname, address)",
                            table: "clients")
        let shown = rows.prefix(rowLimit)
        body += "<p id=\"clients-count\">\(rows.count) of \(total) clients"
        if shown.count < rows.count { body += "; the \(shown.count) seen last are shown: search to narrow" }
        body += "</p>"
        body += H.table(id: "clients", caption: "Machines seen or enrolled, newest first",
                        headers: ["MAC", "Model", "Hostname", "Last seen", "Last exchange", "Lease", "Enrolled", "Current run"],
                        rows: shown.map(clientCells),
                        empty: "No client seen or enrolled yet.")
        return H.page(title: "Clients", current: "/console/clients", viewer: viewer, live: "boot", body: body)
    }

    /// The most rows the Clients and Leases pages show (a search narrows them).
    static let rowLimit = 1000

    /// One Clients row, kept lean (a page holds up to ``rowLimit``).
    static func clientCells(_ row: ClientRow) -> [String] {
        let run = row.runID.map { "<a href=\"/console/runs/\(H.escape($0))\">\(H.escape(row.runState ?? "run"))</a>" } ?? "–"
        let lease = row.lease.map { H.escape($0) + (row.leaseState.map { " (\(H.escape($0)))" } ?? "") } ?? "–"
        return ["<a href=\"clients/\(H.escape(row.mac))\">\(H.escape(row.mac))</a>", H.escape(row.model ?? "–"),
                H.escape(row.hostname ?? "–"), row.lastSeen.map { H.escape(H.shortTime($0)) } ?? "–", H.escape(row.lastEvent ?? "–"), lease,
                row.enrolled ? "yes" : "no", run]
    }

    // MARK: runs

    static func runs(_ views: [RunView], viewer: ConsoleHTML.Viewer) -> String {
        let body = H.table(id: "runs", caption: "Task-sequence runs, newest first",
                           headers: ["Run", "Machine", "Sequence", "State", "Step", "Current step", "Progress", "Started", "Elapsed"],
                           rows: views.map(runCells), rowAttributes: views.map { " data-run=\"\(H.escape($0.id))\"" },
                           empty: "No run yet.")
        return H.page(title: "Runs", current: "/console/runs", viewer: viewer, live: "runs", body: body)
    }

    static func stepOf(_ view: RunView) -> String {
        if let number = view.currentStepNumber { return "step \(number) of \(view.stepsTotal)" }
        return "\(view.stepsDone) of \(view.stepsTotal) done"
    }

    static func progressText(_ progress: RunView.Progress?) -> String {
        guard let progress else { return "–" }
        var text = H.bytes(progress.bytes)
        if let total = progress.total, total > 0 { text += " of \(H.bytes(total)) (\(progress.bytes * 100 / total)%)" }
        if let rate = progress.rate { text += ", \(H.bytes(rate))/s" }
        if let eta = progress.eta { text += ", ETA \(H.duration(seconds: eta))" }
        return text
    }

    static func runCells(_ view: RunView) -> [String] {
        ["<a href=\"/console/runs/\(H.escape(view.id))\">\(H.escape(String(view.id.prefix(12))))</a>",
         "<a href=\"/console/clients/\(H.escape(view.mac))\">\(H.escape(view.mac))</a>", H.escape(view.sequence),
         "<span class=\"state \(H.escape(view.state))\">\(H.escape(view.state))</span>", H.escape(stepOf(view)),
         H.escape(view.currentStepName ?? "–"), H.escape(progressText(view.progress)), H.milliseconds(view.startedAtMilliseconds),
         H.escape(H.duration(seconds: view.elapsedMilliseconds / 1000))]
    }

    /// The failed step of a failed run and why, if one step failed.
    static func failure(_ view: RunView) -> String? {
        guard view.state == "failed" else { return nil }
        guard let step = view.steps.first(where: { $0.state == "failed" }) else { return "The run failed (no step reported a failure)." }
        var text = "Failed at step \(step.pointer) “\(step.name)”"
        if let code = step.exitCode { text += ", exit code \(code)" }
        if let message = step.message, !message.isEmpty { text += ": \(message)" }
        return text
    }

    static func run(_ view: RunView, viewer: ConsoleHTML.Viewer) -> String {
        var body = "<dl class=\"summary\" id=\"run-summary\">"
        let facts: [(String, String, String)] = [
            ("machine", "Machine", "<a href=\"/console/clients/\(H.escape(view.mac))\">\(H.escape(view.mac))</a>"),
            ("sequence", "Sequence", H.escape(view.sequence)),
            ("state", "State", "<span class=\"state \(H.escape(view.state))\">\(H.escape(view.state))</span>"),
            ("step", "Step", H.escape(stepOf(view))), ("current", "Current step", H.escape(view.currentStepName ?? "–")),
            ("progress", "Progress", H.escape(progressText(view.progress))),
            ("started", "Started", H.milliseconds(view.startedAtMilliseconds)),
            ("elapsed", "Elapsed", H.escape(H.duration(seconds: view.elapsedMilliseconds / 1000))),
        ]
        for (id, label, value) in facts { body += "<div><dt>\(label)</dt><dd id=\"run-\(id)\">\(value)</dd></div>" }
        body += "</dl>"
        if let failure = failure(view) { body += "<p class=\"notice error\" id=\"run-failure\" role=\"alert\">\(H.escape(failure))</p>" }
        body += "<progress id=\"run-bar\" max=\"\(max(1, view.stepsTotal))\" value=\"\(view.stepsDone)\" aria-label=\"Steps done\">"
        body += "\(view.stepsDone) of \(view.stepsTotal)</progress>"
        body += H.table(id: "steps", caption: "Steps", headers: ["#", "Step", "Type", "State", "Started", "Finished", "Attempts", "Exit", "Message"],
                        rows: stepRows(view), rowAttributes: view.steps.map { " data-step=\"\($0.pointer)\"" }, empty: "No planned steps.")
        return H.page(title: "Run \(String(view.id.prefix(12)))", current: "/console/runs", viewer: viewer, live: "runs",
                      attributes: ["data-run": view.id], body: body)
    }

    static func stepRows(_ view: RunView) -> [[String]] {
        view.steps.map { step in
            [String(step.pointer), H.escape(step.name), H.escape(step.type ?? "–"),
             "<span class=\"state \(H.escape(step.state))\">\(H.escape(step.state))</span>",
             H.milliseconds(step.startedAtMilliseconds), H.milliseconds(step.finishedAtMilliseconds), String(step.attempts),
             step.exitCode.map { String($0) } ?? "–", H.escape(step.message ?? "")]
        }
    }

    // MARK: leases

    struct LeaseLine: Sendable, Equatable {
        var address: String
        var mac: String
        var hostname: String?
        var state: String
        var expires: Date
    }

    static func leases(_ leases: [LeaseLine], query: String, total: Int, notice: (String, Bool)?, viewer: ConsoleHTML.Viewer) -> String {
        var body = notice.map { H.notice($0.0, error: $0.1) } ?? ""
        body += H.search(action: "/console/leases", query: query, label: "Search leases (MAC, address, hostname)", table: "leases")
        let leases = leases.prefix(rowLimit / 2)
        body += "<p>\(leases.count) of \(total) leases"
        if leases.count < total { body += " shown: search to narrow" }
        body += "</p>"
        let release = viewer.may(.leasesRelease)
        var headers = ["Address", "MAC", "Hostname", "State", "Expires"]
        if release { headers.append("Release") }
        if release {
            // One form for every row (each row's checkbox belongs to it): one CSRF field, not 500.
            body += "<form id=\"release\" method=\"post\" action=\"/console/leases/release\">\(H.csrfField(viewer))"
            body += "<button type=\"submit\" class=\"release\">Release selected</button></form>"
        }
        let rows = leases.map { lease -> [String] in
            var cells = [H.escape(lease.address), "<a href=\"clients/\(H.escape(lease.mac))\">\(H.escape(lease.mac))</a>",
                         H.escape(lease.hostname ?? "–"), H.escape(lease.state), H.escape(H.shortTime(lease.expires))]
            if release {
                cells.append("<input type=\"checkbox\" name=\"lease\" value=\"\(H.escape(lease.address))\" form=\"release\" "
                    + "aria-label=\"Release \(H.escape(lease.address))\">")
            }
            return cells
        }
        body += H.table(id: "leases", caption: "DHCP leases of authoritative mode", headers: headers, rows: rows, empty: "No lease.")
        return H.page(title: "Leases", current: "/console/leases", viewer: viewer, body: body)
    }

    static func filter(_ leases: [LeaseLine], query: String) -> [LeaseLine] {
        let needle = query.trimmingCharacters(in: .whitespaces).lowercased()
        guard !needle.isEmpty else { return leases }
        return leases.filter { [$0.address, $0.mac, $0.hostname ?? "", $0.state].contains { $0.lowercased().contains(needle) } }
    }

    // MARK: audit

    static func audit(_ entries: [AuditEntry], viewer: ConsoleHTML.Viewer) -> String {
        let body = H.table(id: "audit", caption: "Newest first (the last 200)", headers: ["Time", "Actor", "Role", "Action", "Target", "Outcome"],
                           rows: entries.map {
                               [H.time($0.at), H.escape($0.actor), H.escape($0.role), H.escape($0.action), H.escape($0.target), H.escape($0.outcome)]
                           }, empty: "The audit log is empty.")
        return H.page(title: "Audit log", current: "/console/audit", viewer: viewer, body: body)
    }

    // MARK: client detail

    struct ClientDetail: Sendable {
        var mac: String
        var device: DeviceRecord?
        var leases: [LeaseLine]
        var events: [BootEvent]
        var runs: [RunView]
        var inventory: [(String, String)]
        /// `netboot explain --mac` for this client (``Explanation/init(_:)``), or why there is none.
        var explanation: Result<Explanation, ExplainUnavailable> = .failure(.init(message: "not asked"))
        /// What `netboot serve` tells this machine's iPXE now (``BootDecisions``); nil without `runs.read`.
        var bootDecision: BootDecision? = nil
        /// The client's uploaded logs (`log` reports), newest first.
        var logs: [ClientLog] = []
    }

    struct ExplainUnavailable: Error, Sendable { var message: String }

    /// One `log` report of a client: its `name` and `text` as uploaded (the text cut to its last 64 KiB).
    struct ClientLog: Sendable, Equatable {
        var name: String
        var receivedAt: Date
        var text: String
        static let shownBytes = 64 * 1024
    }

    /// The images part of `netboot explain --mac MAC --json` (``ClientExplanation/json``): each
    /// image offered or not, with the catalog's reasons, the default, collections and deployments.
    struct Explanation: Sendable, Equatable {
        struct Image: Sendable, Equatable {
            var id: String
            var name: String
            var offered: Bool
            var isDefault: Bool
            var reasons: [String]
        }
        var images: [Image]
        var answers: Bool
        var model: String?
        var defaultImage: String?
        var defaultBasis: String?
        var collections: [String]
        var deployments: [(sequence: String, collection: String)]

        /// nil when the document is not an explanation.
        init?(_ document: JSONValue?) {
            guard case let .object(root)? = document, case let .array(images)? = root["images"] else { return nil }
            func string(_ value: JSONValue?) -> String? { if case let .string(text)? = value { text } else { nil } }
            func strings(_ value: JSONValue?) -> [String] { if case let .array(items)? = value { items.compactMap { string($0) } } else { [] } }
            self.images = images.compactMap { item -> Image? in
                guard case let .object(fields) = item, let id = string(fields["id"]) else { return nil }
                return Image(id: id, name: string(fields["name"]) ?? "–", offered: fields["offered"] == .bool(true),
                             isDefault: fields["default"] == .bool(true), reasons: strings(fields["reasons"]))
            }
            answers = root["answers"] == .bool(true)
            if case let .object(client)? = root["client"] { model = string(client["model"]) }
            defaultImage = string(root["defaultImage"])
            defaultBasis = string(root["defaultBasis"])
            collections = strings(root["collections"])
            if case let .array(items)? = root["deployments"] {
                deployments = items.compactMap { item in
                    guard case let .object(fields) = item, let sequence = string(fields["sequence"]), let collection = string(fields["collection"]) else {
                        return nil
                    }
                    return (sequence, collection)
                }
            } else {
                deployments = []
            }
        }

        static func == (a: Self, b: Self) -> Bool {
            a.images == b.images && a.answers == b.answers && a.model == b.model && a.defaultImage == b.defaultImage
                && a.defaultBasis == b.defaultBasis && a.collections == b.collections
                && a.deployments.map { [$0.sequence, $0.collection] } == b.deployments.map { [$0.sequence, $0.collection] }
        }
    }

    /// The Client page's "Why" section: the boot decision, then each image offered or not and why.
    static func explainSection(_ detail: ClientDetail) -> String {
        var body = "<section aria-labelledby=\"explain-h\"><h2 id=\"explain-h\">Why (netboot explain)</h2>"
        if let decision = detail.bootDecision {
            let action = decision.action == .localDisk ? "its local disk (the iPXE script exits to the firmware's next boot device)"
                : "the network (the boot menu)"
            body += "<p id=\"boot-decision\">Boots from <strong>\(H.escape(action))</strong> [\(H.escape(decision.basis.rawValue))]"
            body += " because \(H.escape(decision.reason))"
            if let run = decision.run { body += " (run <a href=\"/console/runs/\(H.escape(run))\">\(H.escape(run))</a>)" }
            body += ".</p>"
        }
        switch detail.explanation {
        case .failure(let problem):
            body += H.notice("Images not explained: \(problem.message)", error: true)
        case .success(let explanation):
            let model = explanation.model.map { "model \($0)" } ?? "no model known (explained as any model)"
            var summary = "As a Mac with \(model): "
            summary += explanation.answers ? "the server answers" : "the server does not answer"
            if let image = explanation.defaultImage { summary += "; default image \(image) (\(explanation.defaultBasis ?? "–"))" }
            body += "<p id=\"explain-summary\">\(H.escape(summary)).</p>"
            body += H.table(id: "explain", caption: "Each image offered or not, and the catalog's reasons",
                            headers: ["Image", "Name", "Offered", "Why"],
                            rows: explanation.images.map { image in
                                [H.escape(image.id), H.escape(image.name), image.offered ? (image.isDefault ? "yes (default)" : "yes") : "no",
                                 H.escape(image.reasons.joined(separator: "; "))]
                            }, empty: "No image in the catalog.")
            body += "<p>Collections: \(H.escape(explanation.collections.isEmpty ? "none" : explanation.collections.joined(separator: ", "))). "
            let deployments = explanation.deployments.map { "\($0.sequence) → \($0.collection)" }
            body += "Deployed sequences: \(H.escape(deployments.isEmpty ? "none" : deployments.joined(separator: ", "))).</p>"
        }
        return body + "</section>"
    }

    static func client(_ detail: ClientDetail, viewer: ConsoleHTML.Viewer) -> String {
        var body = "<section aria-labelledby=\"device-h\"><h2 id=\"device-h\">Enrollment</h2>"
        if let device = detail.device {
            body += "<dl class=\"summary\">"
            let facts: [(String, String)] = [("Model", device.model ?? "–"), ("Serial", device.serial ?? "–"), ("Hostname", device.hostname ?? "–"),
                                             ("OS", device.osVersion ?? "–"), ("Reports", String(device.reportCount))]
            for (label, value) in facts { body += "<div><dt>\(label)</dt><dd>\(H.escape(value))</dd></div>" }
            body += "<div><dt>Enrolled</dt><dd>\(H.time(device.enrolledAt))</dd></div><div><dt>Last seen</dt><dd>\(H.time(device.lastSeen))</dd></div></dl>"
        } else {
            body += "<p>Not enrolled.</p>"
        }
        body += "</section>" + explainSection(detail) + "<section aria-labelledby=\"history-h\"><h2 id=\"history-h\">Boot history</h2>"
        body += exchangesTable(detail.events.reversed())
        body += "</section><section aria-labelledby=\"client-leases-h\"><h2 id=\"client-leases-h\">Leases</h2>"
        body += H.table(id: "client-leases", caption: "Leases held", headers: ["Address", "State", "Expires"],
                        rows: detail.leases.map { [H.escape($0.address), H.escape($0.state), H.time($0.expires)] }, empty: "No lease.")
        body += "</section><section aria-labelledby=\"client-runs-h\"><h2 id=\"client-runs-h\">Runs</h2>"
        body += H.table(id: "client-runs", caption: "Task-sequence runs, newest first",
                        headers: ["Run", "Machine", "Sequence", "State", "Step", "Current step", "Progress", "Started", "Elapsed"],
                        rows: detail.runs.map(runCells), empty: "No run.")
        body += "</section><section aria-labelledby=\"inventory-h\"><h2 id=\"inventory-h\">Inventory</h2>"
        body += H.table(id: "inventory", caption: "The last inventory report", headers: ["Fact", "Value"],
                        rows: detail.inventory.map { [H.escape($0.0), H.escape($0.1)] }, empty: "No inventory report.")
        body += "</section><section aria-labelledby=\"client-logs-h\"><h2 id=\"client-logs-h\">Logs</h2>"
        body += H.table(id: "client-logs", caption: "Logs the client uploaded, newest first", headers: ["Received", "Name", "Log"],
                        rows: detail.logs.map { log in [H.time(log.receivedAt), H.escape(log.name), "<pre>\(H.escape(log.text))</pre>"] },
                        empty: "No log uploaded.")
        body += "</section>"
        return H.page(title: "Client \(detail.mac)", current: "/console/clients", viewer: viewer, live: nil, body: body)
    }

    /// A JSON scalar as text (objects and arrays as compact JSON).
    static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .number(let number): number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .null: "–"
        default: String(decoding: value.canonicalJSON, as: UTF8.self)
        }
    }

    // MARK: images

    /// The images document (`netboot images list --json`) as tables: each top-level list a
    /// table of its objects' scalar fields, each scalar a fact.
    static func images(_ document: JSONValue, notice: (String, Bool)?, viewer: ConsoleHTML.Viewer) -> String {
        var body = notice.map { H.notice($0.0, error: $0.1) } ?? ""
        if viewer.may(.imagesRescan) {
            body += "<form method=\"post\" action=\"/console/images/rescan\">\(H.csrfField(viewer))<button type=\"submit\" id=\"rescan\">Rescan images</button></form>"
        }
        if case let .object(top) = document {
            var facts: [(String, String)] = []
            for (key, value) in top.sorted(by: { $0.key < $1.key }) {
                switch value {
                case .array(let items):
                    let objects = items.compactMap { item -> [String: JSONValue]? in if case let .object(o) = item { return o } else { return nil } }
                    var columns: [String] = []
                    for object in objects { for key in object.keys.sorted() where !columns.contains(key) { columns.append(key) } }
                    let id = "images-" + key.map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
                    body += "<section aria-labelledby=\"\(id)-h\"><h2 id=\"\(id)-h\">\(H.escape(key.replacingOccurrences(of: "_", with: " ")))</h2>"
                    body += H.table(id: id, caption: "\(items.count) \(key.replacingOccurrences(of: "_", with: " "))", headers: columns,
                                    rows: objects.map { object in columns.map { H.escape(object[$0].map(text) ?? "–") } }, empty: "None.")
                    body += "</section>"
                default:
                    facts.append((key, text(value)))
                }
            }
            if !facts.isEmpty {
                body += "<dl class=\"summary\">" + facts.map { "<div><dt>\(H.escape($0.0))</dt><dd>\(H.escape($0.1))</dd></div>" }.joined() + "</dl>"
            }
        }
        return H.page(title: "Images", current: "/console/images", viewer: viewer, body: body)
    }

    // MARK: capture

    /// One flight-recorder dump in `capture.dir`, as the Capture page lists it.
    struct CaptureFile: Sendable, Equatable {
        var name: String
        var bytes: Int
        var written: Date?
    }

    /// The Capture page (scope `capture.run`): a button that dumps the flight recorder
    /// (`capture.dump`), a bounded capture on one of the served `interfaces`, and the pcaps in
    /// `capture.dir`, newest first, each a download link.
    static func capture(_ files: [CaptureFile], interfaces: [String] = [], notice: (String, Bool)?, viewer: ConsoleHTML.Viewer) -> String {
        var body = notice.map { H.notice($0.0, error: $0.1) } ?? ""
        if viewer.may(.captureRun) {
            body += "<form method=\"post\" action=\"/console/capture/dump\">\(H.csrfField(viewer))"
                + "<button type=\"submit\" id=\"dump\">Dump the flight recorder</button></form>"
            body += "<section aria-labelledby=\"bounded-h\"><h2 id=\"bounded-h\">Bounded capture</h2>"
            if interfaces.isEmpty {
                body += "<p>No served interface to capture on (captures run on the appliance's own host).</p>"
            } else {
                body += "<form method=\"post\" action=\"/console/capture/run\">\(H.csrfField(viewer))"
                    + "<label for=\"capture-interface\">Interface</label><select id=\"capture-interface\" name=\"interface\">"
                    + interfaces.map { "<option value=\"\(H.escape($0))\">\(H.escape($0))</option>" }.joined() + "</select>"
                    + "<label for=\"capture-seconds\">Seconds (at most \(BoundedCapture.maxSeconds))</label>"
                    + "<input id=\"capture-seconds\" name=\"seconds\" type=\"number\" min=\"1\" max=\"\(BoundedCapture.maxSeconds)\" value=\"10\" required>"
                    + "<label for=\"capture-packets\">Packets (at most \(BoundedCapture.maxPackets))</label>"
                    + "<input id=\"capture-packets\" name=\"packets\" type=\"number\" min=\"1\" max=\"\(BoundedCapture.maxPackets)\" value=\"1000\" required>"
                    + "<button type=\"submit\" id=\"capture-start\">Capture</button></form>"
            }
            body += "</section>"
        }
        body += "<section aria-labelledby=\"dumps-h\"><h2 id=\"dumps-h\">Captures and dumps</h2>"
        body += H.table(id: "dumps", caption: "\(files.count) pcap file(s) in the capture folder", headers: ["File", "Size", "Written"],
                        rows: files.map { file in
                            ["<a href=\"/console/capture/files/\(H.escape(file.name))\" download>\(H.escape(file.name))</a>",
                             "\(file.bytes) bytes", H.time(file.written)]
                        }, empty: "No captures yet.")
        body += "</section>"
        return H.page(title: "Capture", current: "/console/capture", viewer: viewer, body: body)
    }

    // MARK: sequences

    struct SequenceFile: Sendable {
        var file: String
        var name: String
        /// `file:line:col: severity: message` lines.
        var diagnostics: [String]
        var errors: Bool
    }

    struct Sequences: Sendable {
        var files: [SequenceFile]
        var deployments: [(String, String)]
        var sequenceNames: [String]
        var collections: [String]
        /// The plan form's values and its answer: `netboot ts plan --mac` for the chosen sequence
        /// and machine (``Planner``, secrets as `***`), or why there is none.
        var planRequest: PlanRequest? = nil
        var plan: Result<String, ExplainUnavailable>? = nil
    }

    struct PlanRequest: Sendable, Equatable {
        var sequence: String
        var mac: String
        var model: String
    }

    static func sequences(_ model: Sequences, notice: (String, Bool)?, viewer: ConsoleHTML.Viewer) -> String {
        var body = notice.map { H.notice($0.0, error: $0.1) } ?? ""
        body += "<section aria-labelledby=\"files-h\"><h2 id=\"files-h\">Sequence files</h2>"
        body += H.table(id: "sequence-files", caption: "bridge.sequences-dir, each with its lint result", headers: ["File", "Sequence", "Lint"],
                        rows: model.files.map { file in
                            let lint = file.diagnostics.isEmpty ? "clean"
                                : "<ul>" + file.diagnostics.map { "<li>\(H.escape($0))</li>" }.joined() + "</ul>"
                            return [H.escape(file.file), H.escape(file.name), (file.errors ? "<strong>errors</strong>" : "") + lint]
                        }, empty: "No sequence file.")
        body += "</section><section aria-labelledby=\"deployments-h\"><h2 id=\"deployments-h\">Deployments</h2>"
        body += H.table(id: "deployments", caption: "Sequences deployed to collections", headers: ["Sequence", "Collection"],
                        rows: model.deployments.map { [H.escape($0.0), H.escape($0.1)] }, empty: "Nothing deployed.")
        if viewer.may(.sequencesDeploy) {
            body += "<form class=\"deploy\" method=\"post\" action=\"/console/sequences/deploy\">\(H.csrfField(viewer))"
            body += "<label for=\"deploy-sequence\">Sequence</label><select id=\"deploy-sequence\" name=\"sequence\">"
            body += model.sequenceNames.map { "<option>\(H.escape($0))</option>" }.joined() + "</select>"
            body += "<label for=\"deploy-collection\">Collection</label><select id=\"deploy-collection\" name=\"collection\">"
            body += model.collections.map { "<option>\(H.escape($0))</option>" }.joined() + "</select>"
            body += "<button type=\"submit\" id=\"deploy\">Deploy</button></form>"
        }
        body += "</section>" + planSection(model)
        return H.page(title: "Sequences", current: "/console/sequences", viewer: viewer, body: body)
    }

    /// "Plan for a machine": a GET form (it changes nothing) and the plan as `netboot ts plan` prints it.
    static func planSection(_ model: Sequences) -> String {
        let request = model.planRequest ?? PlanRequest(sequence: model.sequenceNames.first ?? "", mac: "", model: "")
        var body = "<section aria-labelledby=\"plan-h\"><h2 id=\"plan-h\">Plan for a machine</h2>"
        body += "<form class=\"plan\" method=\"get\" action=\"/console/sequences\">"
        body += "<label for=\"plan-sequence\">Sequence</label><select id=\"plan-sequence\" name=\"plan\">"
        body += model.sequenceNames.map { name in
            "<option\(name == request.sequence ? " selected" : "")>\(H.escape(name))</option>"
        }.joined() + "</select>"
        body += "<label for=\"plan-mac\">MAC</label><input id=\"plan-mac\" name=\"mac\" value=\"\(H.escape(request.mac))\" required "
        body += "placeholder=\"00:1c:42:00:00:01\" autocomplete=\"off\">"
        body += "<label for=\"plan-model\">Model (if not enrolled)</label><input id=\"plan-model\" name=\"model\" value=\"\(H.escape(request.model))\" "
        body += "autocomplete=\"off\"><button type=\"submit\" id=\"plan-show\">Show plan</button></form>"
        switch model.plan {
        case .success(let text): body += "<pre id=\"plan\">\(H.escape(text))</pre>"
        case .failure(let problem): body += H.notice("No plan: \(problem.message)", error: true)
        case nil: break
        }
        return body + "</section>"
    }
}
