import BootEvents
import BridgeCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle

/// The console's live updates (docs/console.md, "Live"): one Server-Sent Events stream per open
/// page, `GET /console/events?topics=boot,runs`. `boot` forwards the services' events from
/// ``BootEventFeed`` as they are published; `runs` looks at the store every
/// ``ConsoleWeb/runPollInterval`` and sends each run whose state or event count changed. Each
/// message carries table cells rendered by ``ConsolePages`` (escaped as on the page), so the
/// page's script only places them. A comment every 15 s keeps proxies from closing the stream.
extension ConsoleWeb {
    func events(_ request: Request) async throws -> Response {
        let topics = Set((request.uri.queryParameters.get("topics") ?? "boot").split(separator: ",").map(String.init))
        let scope: BridgeScope = topics.contains("runs") ? .runsRead : .devicesRead
        let passage = try await gate(request, scope: scope)
        guard case let .allowed(viewer, _) = passage else { return passage.response }
        let wantsBoot = topics.contains("boot") && viewer.may(.devicesRead)
        let wantsRuns = topics.contains("runs") && viewer.may(.runsRead)
        let onlyRun = request.uri.queryParameters.get("run").map { String($0) }
        let (messages, sink) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(256))
        var producers: [Task<Void, Never>] = []
        if wantsBoot {
            let stream = feed.subscribe()
            producers.append(Task {
                for await event in stream { sink.yield(Self.message(event)) }
            })
        }
        if wantsRuns {
            let web = self
            producers.append(Task {
                var seen: [String: (String, Int)] = [:]
                while !Task.isCancelled {
                    let before = seen
                    if let (changed, after) = try? await Blocking.run({ () throws -> ([RunView], [String: (String, Int)]) in
                        var next = before
                        return (try web.changedRuns(since: &next, only: onlyRun), next)
                    }) {
                        seen = after
                        for view in changed { sink.yield(Self.message(view)) }
                    }
                    try? await Task.sleep(for: web.runPollInterval)
                }
            })
        }
        producers.append(Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(15))
                sink.yield(": keep-alive\n\n")
            }
        })
        let tasks = producers
        sink.onTermination = { _ in for task in tasks { task.cancel() } }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.xContentTypeOptions] = "nosniff"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            defer { for task in tasks { task.cancel() } }
            try await writer.write(ByteBuffer(string: "retry: 2000\n: connected\n\n"))
            // The stream ends when the bridge shuts down, so an open page never holds a stop up.
            try await withGracefulShutdownHandler {
                for await message in messages {
                    try await writer.write(ByteBuffer(string: message))
                }
            } onGracefulShutdown: {
                sink.finish()
            }
            try await writer.finish(nil)
        })
    }

    /// The runs (the newest 100, or one) whose state or number of events differs from `seen`,
    /// with their steps; `seen` is updated.
    func changedRuns(since seen: inout [String: (String, Int)], only: String?) throws -> [RunView] {
        let milliseconds = Int64((now().timeIntervalSince1970 * 1000).rounded())
        let records = try only.map { id in try store.run(id: id).map { [$0] } ?? [] } ?? store.runs(limit: 100)
        var changed: [RunView] = []
        for record in records {
            let known = seen[record.id]
            // A finished run that was seen finished needs no new fold.
            if let known, known.0 != "running", known.0 == record.state { continue }
            let view = RunView.fold(record, events: try store.runEvents(id: record.id), nowMilliseconds: milliseconds)
            if let known, known == (view.state, view.events) { continue }
            seen[record.id] = (view.state, view.events)
            changed.append(view)
        }
        return changed
    }

    /// `event: boot` with the Overview's exchange cells and the Clients page's row cells.
    static func message(_ event: BootEvent) -> String {
        var fields: [String: JSONValue] = [
            "id": .number(Double(event.id)), "exchange": .array(ConsolePages.exchangeCells(event).map(JSONValue.string)),
        ]
        if let mac = event.mac {
            let row = ConsolePages.ClientRow(mac: mac, lastSeen: event.at, enrolled: false, lastEvent: event.summary)
            fields["mac"] = .string(mac)
            fields["client"] = .array(ConsolePages.clientCells(row).map(JSONValue.string))
        }
        return "event: boot\ndata: \(String(decoding: JSONValue.object(fields).canonicalJSON, as: UTF8.self))\n\n"
    }

    /// `event: run` with the Runs page's row cells and, for the run's own page, its summary
    /// values, step rows and failure.
    static func message(_ view: RunView) -> String {
        var fields: [String: JSONValue] = [
            "id": .string(view.id), "row": .array(ConsolePages.runCells(view).map(JSONValue.string)),
            "state": .string(view.state), "steps_done": .number(Double(view.stepsDone)), "steps_total": .number(Double(view.stepsTotal)),
            "summary": .object([
                "state": .string("<span class=\"state \(ConsoleHTML.escape(view.state))\">\(ConsoleHTML.escape(view.state))</span>"),
                "step": .string(ConsoleHTML.escape(ConsolePages.stepOf(view))),
                "current": .string(ConsoleHTML.escape(view.currentStepName ?? "–")),
                "progress": .string(ConsoleHTML.escape(ConsolePages.progressText(view.progress))),
                "elapsed": .string(ConsoleHTML.escape(ConsoleHTML.duration(seconds: view.elapsedMilliseconds / 1000))),
            ]),
            "steps": .array(ConsolePages.stepRows(view).map { .array($0.map(JSONValue.string)) }),
        ]
        if let failure = ConsolePages.failure(view) { fields["failure"] = .string(failure) }
        return "event: run\ndata: \(String(decoding: JSONValue.object(fields).canonicalJSON, as: UTF8.self))\n\n"
    }
}
