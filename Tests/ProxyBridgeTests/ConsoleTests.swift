import BootEvents
import BridgeCore
import Foundation
import NetbootStore
import Testing
@testable import ProxyBridge

/// The web console's pieces (docs/console.md): sessions, CSRF, forms, rendering and roles.
@Suite struct ConsoleSessionTests {
    let digest = BridgeToken.generate().digest
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aSessionIsFoundByItsCookieUntilIdleTooLong() {
        let sessions = ConsoleSessions(idleLimit: 60)
        let session = sessions.open(digest: digest, now: start)
        #expect(session.id.count == 43 && session.csrf.count == 43 && session.id != session.csrf)
        #expect(sessions.find(session.id, now: start.addingTimeInterval(59))?.digest == digest)
        // Each use moves the idle limit on.
        #expect(sessions.find(session.id, now: start.addingTimeInterval(118)) != nil)
        #expect(sessions.find(session.id, now: start.addingTimeInterval(179)) == nil)
        #expect(sessions.count == 0)
    }

    @Test func unknownMalformedAndClosedSessionsAreNotFound() {
        let sessions = ConsoleSessions()
        let session = sessions.open(digest: digest, now: start)
        #expect(sessions.find(nil, now: start) == nil)
        #expect(sessions.find("short", now: start) == nil)
        #expect(sessions.find(String(repeating: "A", count: 43), now: start) == nil)
        sessions.close(session.id)
        #expect(sessions.find(session.id, now: start) == nil)
    }

    @Test func theOldestSessionGoesAtCapacity() {
        let sessions = ConsoleSessions(capacity: 2)
        let first = sessions.open(digest: digest, now: start)
        let second = sessions.open(digest: digest, now: start.addingTimeInterval(1))
        let third = sessions.open(digest: digest, now: start.addingTimeInterval(2))
        #expect(sessions.count == 2)
        #expect(sessions.find(first.id, now: start.addingTimeInterval(3)) == nil)
        #expect(sessions.find(second.id, now: start.addingTimeInterval(3)) != nil)
        #expect(sessions.find(third.id, now: start.addingTimeInterval(3)) != nil)
    }

    @Test func failedLoginsFromOneAddressAreLimitedAndRefill() {
        let limit = ConsoleLoginLimit(perSecond: 1.0 / 12, burst: 3)
        // Looking does not take: an address with no failures may try as often as it likes.
        for _ in 0..<10 { #expect(limit.retryAfter("192.0.2.1", now: start) == nil) }
        for _ in 0..<3 { limit.failed("192.0.2.1", now: start) }
        #expect(limit.retryAfter("192.0.2.1", now: start) == 12)
        // Another address is not held up by the first.
        #expect(limit.retryAfter("192.0.2.2", now: start) == nil)
        // One more try after the refill of one failure, and no second at once.
        #expect(limit.retryAfter("192.0.2.1", now: start.addingTimeInterval(6)) == 6)
        #expect(limit.retryAfter("192.0.2.1", now: start.addingTimeInterval(12)) == nil)
        limit.failed("192.0.2.1", now: start.addingTimeInterval(12))
        #expect(limit.retryAfter("192.0.2.1", now: start.addingTimeInterval(12)) == 12)
    }

    @Test func csrfMustMatchExactly() {
        let session = ConsoleSessions().open(digest: digest, now: start)
        #expect(ConsoleSessions.csrfMatches(session.csrf, session: session))
        #expect(!ConsoleSessions.csrfMatches(nil, session: session))
        #expect(!ConsoleSessions.csrfMatches("", session: session))
        #expect(!ConsoleSessions.csrfMatches(String(session.csrf.dropLast()) + "x", session: session))
        #expect(!ConsoleSessions.csrfMatches(session.csrf + "x", session: session))
    }

    @Test func cookiesAreHttpOnlyStrictAndSecureOverTLS() {
        let secure = ConsoleSessions.setCookie(name: "nb_console", value: "v", secure: true)
        #expect(secure == "nb_console=v; Path=/console; HttpOnly; SameSite=Strict; Secure")
        #expect(!ConsoleSessions.setCookie(name: "nb_console", value: "v", secure: false).contains("Secure"))
        #expect(ConsoleSessions.cookie("a=1; nb_console=xyz; b=2", name: "nb_console") == "xyz")
        #expect(ConsoleSessions.cookie("nb_consolex=1", name: "nb_console") == nil)
        #expect(ConsoleSessions.cookie(nil, name: "nb_console") == nil)
    }

    @Test func formsArePercentDecoded() {
        let form = ConsoleWeb.parseForm("csrf=a%2Fb&lease=02%3A00%3A00%3A00%3A00%3A01&q=two+words&flag")
        #expect(form == ["csrf": "a/b", "lease": "02:00:00:00:00:01", "q": "two words", "flag": ""])
        let pairs = ConsoleWeb.parseFormPairs("lease=198.51.100.1&lease=198.51.100.2&csrf=x")
        #expect(pairs.filter { $0.0 == "lease" }.map(\.1) == ["198.51.100.1", "198.51.100.2"])
    }
}

@Suite struct ConsoleRenderingTests {
    let administrator = ConsoleHTML.Viewer(role: .administrator, tokenID: "abc123abc123", csrf: "CSRF-TOKEN")
    let monitor = ConsoleHTML.Viewer(role: .problemMonitorUsers, tokenID: "def456def456", csrf: "CSRF-TOKEN")

    @Test func everyValueIsEscaped() {
        #expect(ConsoleHTML.escape("<script>\"a\" & 'b'</script>") == "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;")
        let row = ConsolePages.ClientRow(mac: "02:00:00:00:00:01", model: "<img src=x onerror=alert(1)>", hostname: "h\"x",
                                         enrolled: true)
        let page = ConsolePages.clients([row], query: "\"><script>", total: 1, viewer: administrator)
        #expect(!page.contains("<img src=x"))
        #expect(!page.contains("\"><script>"))
        #expect(page.contains("&lt;img src=x onerror=alert(1)&gt;"))
    }

    @Test func theOverviewCountsTransfersRunningOrSaysItCannot() {
        var model = ConsolePages.Overview(services: [], bridgePorts: [], leasesActive: 0, leasesTotal: 0, devices: 0, clientsSeenToday: 0,
                                          runs: [:], events: [], inProcess: false, transfersRunning: 3)
        model.downloadsRunning = 7
        #expect(ConsolePages.overview(model, viewer: monitor).contains("<dt>TFTP transfers running</dt><dd id=\"count-transfers\">3</dd>"))
        #expect(ConsolePages.overview(model, viewer: monitor).contains("<dt>HTTP downloads open</dt><dd id=\"count-downloads\">7</dd>"))
        model.transfersRunning = nil
        model.downloadsRunning = nil
        #expect(ConsolePages.overview(model, viewer: monitor).contains("<dd id=\"count-transfers\">–</dd>"))
        #expect(ConsolePages.overview(model, viewer: monitor).contains("<dd id=\"count-downloads\">–</dd>"))
    }

    @Test func theClientPageExplainsEachImageTheBootDecisionAndShowsLogs() {
        let document = JSONValue.parse(Data("""
            {"answers": true, "client": {"mac": "02:00:00:00:00:01", "architecture": "i386", "model": "MacPro6,1"},
             "images": [{"id": "0x8101", "name": "Lab <10.9>", "folder": "a.nbi", "offered": true, "default": true, "reasons": []},
                        {"id": "0x0102", "name": "Old", "folder": "b.nbi", "offered": false, "default": false,
                         "reasons": ["model MacPro6,1 is not in the image's enabled list", "disabled"]}],
             "defaultImage": "0x8101", "defaultBasis": "imageDefault", "collections": ["Lab"],
             "deployments": [{"sequence": "deploy lab", "collection": "Lab"}], "inventoryUsed": true}
            """.utf8))
        let explanation = ConsolePages.Explanation(document)
        #expect(explanation?.images.map(\.offered) == [true, false])
        #expect(ConsolePages.Explanation(.object([:])) == nil && ConsolePages.Explanation(nil) == nil)
        guard let explanation else { return }
        var detail = ConsolePages.ClientDetail(mac: "02:00:00:00:00:01", device: nil, leases: [], events: [], runs: [], inventory: [],
                                               explanation: .success(explanation),
                                               bootDecision: BootDecision(action: .localDisk, basis: .imageApplied, reason: "run r1 applied <its> image", run: "r1"),
                                               logs: [.init(name: "install.log", receivedAt: Date(timeIntervalSince1970: 1_800_000_000), text: "<b>done</b>")])
        let page = ConsolePages.client(detail, viewer: administrator)
        #expect(page.contains("Boots from <strong>its local disk"))
        #expect(page.contains("because run r1 applied &lt;its&gt; image"))
        #expect(page.contains("<td>0x8101<td>Lab &lt;10.9&gt;<td>yes (default)"))
        #expect(page.contains("<td>0x0102<td>Old<td>no<td>model MacPro6,1 is not in the image&#39;s enabled list; disabled"))
        #expect(page.contains("Collections: Lab. Deployed sequences: deploy lab → Lab."))
        #expect(page.contains("<td>install.log<td><pre>&lt;b&gt;done&lt;/b&gt;</pre>"))
        detail.explanation = .failure(.init(message: "netboot serve is not running"))
        #expect(ConsolePages.client(detail, viewer: administrator).contains("Images not explained: netboot serve is not running"))
    }

    @Test func theSequencesPagePlansForAMachineWithSecretsHidden() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netboot-console-plan-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sequences = (directory as NSString).appendingPathComponent("sequences")
        try FileManager.default.createDirectory(atPath: sequences, withIntermediateDirectories: true)
        try Data("name: deploy lab\nsteps:\n  - {type: runScript, id: s, package: p, script: run.sh}\n".utf8)
            .write(to: URL(fileURLWithPath: (sequences as NSString).appendingPathComponent("deploy-lab.yaml")))
        let inventory = (directory as NSString).appendingPathComponent("inventory.yaml")
        try Data("""
            collections:
              - name: Lab
                variables:
                  JoinPassword:
                    value: hunter2-secret
                    secret: true
              - name: Unknown Mac OS X Systems
                variables:
                  JoinPassword:
                    value: hunter2-secret
                    secret: true
            """.utf8).write(to: URL(fileURLWithPath: inventory))
        let store = try BridgeStore(stateDirectory: directory)
        let loaded = try SequenceCatalog(directory: sequences, inventoryFile: inventory).load(store: store)
        let request = ConsolePages.PlanRequest(sequence: "deploy lab", mac: "02-00-00-00-00-09", model: "MacPro6,1")
        let planned = ConsoleWeb.plan(request, loaded: loaded, store: store)
        guard case let .success(text) = planned else {
            Issue.record("no plan: \(planned), sequences \(loaded.sequences.map(\.file))")
            return
        }
        #expect(text.contains("JoinPassword") && text.contains("***") && !text.contains("hunter2-secret"))
        #expect(text.contains("02:00:00:00:00:09"))
        var bad = request
        bad.mac = "not-a-mac"
        guard case let .failure(problem) = ConsoleWeb.plan(bad, loaded: loaded, store: store) else { return #expect(Bool(false)) }
        #expect(problem.message == "'not-a-mac' is not a MAC address")
        bad = request
        bad.sequence = "nothing"
        #expect((try? ConsoleWeb.plan(bad, loaded: loaded, store: store).get()) == nil)

        let model = ConsolePages.Sequences(files: [], deployments: [], sequenceNames: ["a", "deploy lab"], collections: [],
                                           planRequest: request, plan: .success("step <1>"))
        let page = ConsolePages.sequences(model, notice: nil, viewer: monitor)
        #expect(page.contains("<option selected>deploy lab</option>") && page.contains("<pre id=\"plan\">step &lt;1&gt;</pre>"))
        #expect(page.contains("<form class=\"plan\" method=\"get\""))
    }

    @Test func pagesHaveNoInlineScriptOrStyle() {
        let pages = [ConsolePages.login(error: "x", nonce: "n"), ConsolePages.clients([], query: "", total: 0, viewer: administrator),
                     ConsolePages.runs([], viewer: administrator), ConsolePages.audit([], viewer: administrator),
                     ConsolePages.capture([], notice: nil, viewer: administrator)]
        for page in pages {
            #expect(page.components(separatedBy: "<script").count - 1 == 1)
            #expect(page.contains("<script src=\"/console/static/console.js\" defer></script>"))
            #expect(!page.contains("style=") && !page.contains("<style") && !page.contains(" onclick") && !page.contains("javascript:"))
        }
    }

    @Test func everyFormCarriesTheCSRFToken() {
        let lease = ConsolePages.LeaseLine(address: "198.51.100.10", mac: "02:00:00:00:00:01", hostname: nil, state: "bound",
                                           expires: Date(timeIntervalSince1970: 1_800_000_000))
        let sequences = ConsolePages.Sequences(files: [], deployments: [], sequenceNames: ["deploy lab"], collections: ["Lab"])
        for page in [ConsolePages.leases([lease], query: "", total: 1, notice: nil, viewer: administrator),
                     ConsolePages.sequences(sequences, notice: nil, viewer: administrator),
                     ConsolePages.images(.object([:]), notice: nil, viewer: administrator),
                     ConsolePages.capture([], notice: nil, viewer: administrator)] {
            let posts = page.components(separatedBy: "method=\"post\"").count - 1
            let fields = page.components(separatedBy: "name=\"csrf\" value=\"CSRF-TOKEN\"").count - 1
            #expect(posts >= 2 && posts == fields)
        }
    }

    @Test func problemMonitorUsersGetNoActionButtonsOrNavigationTheyCannotUse() {
        let lease = ConsolePages.LeaseLine(address: "198.51.100.10", mac: "02:00:00:00:00:01", hostname: nil, state: "bound",
                                           expires: Date(timeIntervalSince1970: 1_800_000_000))
        let leases = ConsolePages.leases([lease], query: "", total: 1, notice: nil, viewer: monitor)
        #expect(!leases.contains("/console/leases/release"))
        #expect(ConsolePages.leases([lease], query: "", total: 1, notice: nil, viewer: administrator).contains("/console/leases/release"))
        let sequences = ConsolePages.Sequences(files: [], deployments: [], sequenceNames: ["a"], collections: ["Lab"])
        #expect(!ConsolePages.sequences(sequences, notice: nil, viewer: monitor).contains("/console/sequences/deploy"))
        #expect(!ConsolePages.images(.object([:]), notice: nil, viewer: monitor).contains("/console/images/rescan"))
        // Problem Monitor Users have no audit.read: the page is not in their navigation.
        #expect(!ConsolePages.runs([], viewer: monitor).contains("href=\"/console/audit\""))
        #expect(ConsolePages.runs([], viewer: administrator).contains("href=\"/console/audit\""))
        // capture.run is the Administrator's alone: no dump button, no Capture in the navigation.
        #expect(!ConsolePages.capture([], notice: nil, viewer: monitor).contains("/console/capture/dump"))
        #expect(ConsolePages.capture([], notice: nil, viewer: administrator).contains("/console/capture/dump"))
        #expect(!ConsolePages.runs([], viewer: monitor).contains("href=\"/console/capture\""))
        #expect(ConsolePages.runs([], viewer: administrator).contains("href=\"/console/capture\""))
    }

    @Test func theCapturePageListsDumpsAsEscapedDownloadLinks() {
        let file = ConsolePages.CaptureFile(name: "flight-1800000000000.pcap", bytes: 2048, written: Date(timeIntervalSince1970: 1_800_000_000))
        let page = ConsolePages.capture([file], notice: ("Dumped 3 packet(s) to <x>.", false), viewer: administrator)
        #expect(page.contains("<a href=\"/console/capture/files/flight-1800000000000.pcap\" download>flight-1800000000000.pcap</a>"))
        #expect(page.contains("2048 bytes"))
        #expect(page.contains("Dumped 3 packet(s) to &lt;x&gt;.") && !page.contains("<x>"))
        #expect(ConsolePages.capture([], notice: nil, viewer: administrator).contains("No captures yet."))
    }

    @Test func theBoundedCaptureFormOffersOnlyServedInterfacesAndTheBoundsAreChecked() {
        let page = ConsolePages.capture([], interfaces: ["eth0", "<b>"], notice: nil, viewer: administrator)
        #expect(page.contains("<option value=\"eth0\">eth0</option>") && page.contains("<option value=\"&lt;b&gt;\">&lt;b&gt;</option>"))
        #expect(page.contains("action=\"/console/capture/run\"") && page.contains("max=\"60\""))
        #expect(!ConsolePages.capture([], interfaces: ["eth0"], notice: nil, viewer: monitor).contains("/console/capture/run"))
        #expect(BoundedCapture(interface: "eth0", seconds: 60, packets: 100_000) != nil)
        #expect(BoundedCapture(interface: "eth0", seconds: 61, packets: 10) == nil)
        #expect(BoundedCapture(interface: "eth0", seconds: 0, packets: 10) == nil)
        #expect(BoundedCapture(interface: "eth0", seconds: 5, packets: 100_001) == nil)
        #expect(BoundedCapture(interface: "", seconds: 5, packets: 10) == nil)
    }

    @Test func onlyADumpsOrCapturesNameIsServed() {
        #expect(ConsoleWeb.isDumpName("flight-1800000000000.pcap") && ConsoleWeb.isDumpName("capture-1800000000000.pcap"))
        for name in ["", "flight-.pcap", "../flight-1.pcap", "flight-1.pcap/..", "flight-1a.pcap", "dump-1.pcap", "capture-.pcap", "flight-1.pcapng",
                     "flight-%2e%2e.pcap", "flight-١٢.pcap", "flight-" + String(repeating: "1", count: 21) + ".pcap", "x/flight-1.pcap"] {
            #expect(!ConsoleWeb.isDumpName(name), "\(name)")
        }
    }

    @Test func clientsMergeDevicesLeasesEventsAndRuns() {
        let seen = Date(timeIntervalSince1970: 1_800_000_100)
        let device = DeviceRecord(mac: "02:00:00:00:00:01", serial: "S1", model: "MacPro6,1", hostname: "lab1", osVersion: nil,
                                  enrolledAt: seen, updatedAt: seen, lastSeen: seen, lastSequence: 0, reportCount: 0)
        let lease = ConsolePages.LeaseLine(address: "198.51.100.10", mac: "02:00:00:00:00:02", hostname: "pxe", state: "bound", expires: seen)
        let event = BootEvent(at: seen.addingTimeInterval(5), service: .dhcp, mac: "02:00:00:00:00:02", client: nil, summary: "ACK", detail: "")
        let rows = ConsolePages.mergeClients(devices: [device], leases: [lease], events: [event], runs: [])
        #expect(rows.map(\.mac) == ["02:00:00:00:00:02", "02:00:00:00:00:01"])
        #expect(rows[0].lease == "198.51.100.10" && rows[0].lastEvent == "ACK" && !rows[0].enrolled)
        #expect(rows[1].model == "MacPro6,1" && rows[1].enrolled)
        #expect(ConsolePages.filter(rows, query: "macpro").map(\.mac) == ["02:00:00:00:00:01"])
        #expect(ConsolePages.filter(rows, query: "198.51").map(\.mac) == ["02:00:00:00:00:02"])
    }

    @Test func aFailedRunSaysWhichStepAndWhy() {
        let record = RunRecord(id: "r1", mac: "02:00:00:00:00:01", sequence: "deploy",
                               steps: [.init(pointer: 0, name: "apply", type: "applyImage"), .init(pointer: 1, name: "host", type: nil)],
                               state: "failed", startedAtMilliseconds: 1000, finishedAtMilliseconds: 5000)
        let events = [RunEvent(sequence: 1, kind: .start, step: 0, name: "apply", atMilliseconds: 1000),
                      RunEvent(sequence: 2, kind: .finish, step: 0, name: "apply", atMilliseconds: 2000, result: .failed, exitCode: 3,
                               message: "disk not found")]
        let view = RunView.fold(record, events: events, nowMilliseconds: 6000)
        #expect(ConsolePages.failure(view) == "Failed at step 0 “apply”, exit code 3: disk not found")
        let page = ConsolePages.run(view, viewer: monitor)
        #expect(page.contains("id=\"run-failure\""))
        #expect(page.contains("data-live=\"runs\""))
    }

    @Test func progressShowsBytesRateAndETA() {
        let text = ConsolePages.progressText(.init(bytes: 5 * 1_048_576, total: 10 * 1_048_576, rate: 1_048_576, eta: 65))
        #expect(text == "5.0 MiB of 10.0 MiB (50%), 1.0 MiB/s, ETA 1 min 5 s")
        #expect(ConsolePages.progressText(nil) == "–")
    }
}

@Suite struct BootEventFeedTests {
    func event(_ summary: String) -> BootEvent {
        BootEvent(at: Date(timeIntervalSince1970: 1_800_000_000), service: .dhcp, mac: "02:00:00:00:00:01", client: nil,
                  summary: summary, detail: "")
    }

    @Test func theRingKeepsTheNewestAndNumbersEvents() {
        let feed = BootEventFeed(capacity: 3)
        for index in 1...5 { feed.publish(event("e\(index)")) }
        #expect(feed.recent().map(\.summary) == ["e3", "e4", "e5"])
        #expect(feed.recent().map(\.id) == [3, 4, 5])
        #expect(feed.total == 5)
    }

    /// `netboot serve` without the bridge keeps no events: nobody could read them, and making
    /// one per HTTP request costs the server a share of its CPU.
    @Test func aFeedThatKeepsNothingMakesNoEvent() async {
        let feed = BootEventFeed(capacity: 10)
        #expect(feed.isKept)
        feed.keep(false)
        var made = 0
        let stream = feed.subscribe(buffer: 4)
        feed.publish({
            made += 1
            return event("dropped")
        }())
        #expect(made == 0 && feed.recent().isEmpty && feed.total == 0)
        feed.keep(true)
        feed.publish(event("kept"))
        #expect(feed.recent().map(\.summary) == ["kept"])
        for await event in stream {
            #expect(event.summary == "kept")
            break
        }
    }

    @Test func aSubscriberGetsNewEventsAndASlowOneLosesTheOldest() async {
        let feed = BootEventFeed(capacity: 10)
        feed.publish(event("before"))
        let stream = feed.subscribe(buffer: 2)
        #expect(feed.subscriberCount == 1)
        for index in 1...4 { feed.publish(event("e\(index)")) }
        var got: [String] = []
        for await event in stream {
            got.append(event.summary)
            if got.count == 2 { break }
        }
        #expect(got == ["e3", "e4"])
    }
}
