import Foundation
import Synchronization

/// One thing a boot service did for a client, as the web console's Overview and Clients pages
/// show it live (issue 18): a DHCP/BSDP/PXE decision with the server's reason, or a finished
/// TFTP or HTTP transfer with its size and rate. Plain text fields only, already redacted by
/// the service that publishes it (no secret is ever put here).
public struct BootEvent: Sendable, Hashable {
    public enum Service: String, Sendable {
        case dhcp, tftp, http
    }

    /// The feed's number for this event (from 1, increasing).
    public var id: Int64
    public var at: Date
    public var service: Service
    /// The client's MAC (DHCP) or nil when the service knows only an address (TFTP, HTTP).
    public var mac: String?
    /// The client's address (`ip` or `ip:port`), or nil.
    public var client: String?
    /// What happened: `OFFER`, `ACK`, `DROP`, `READ pxelinux.0`, `GET /boot.ipxe 200`.
    public var summary: String
    /// Why, or the transfer's figures: the DHCP core's reason, `bytes=… rate=…`.
    public var detail: String

    public init(id: Int64 = 0, at: Date, service: Service, mac: String?, client: String?, summary: String, detail: String) {
        self.id = id
        self.at = at
        self.service = service
        self.mac = mac
        self.client = client
        self.summary = summary
        self.detail = detail
    }
}

/// The in-process feed from the boot services (DHCP/BSDP, TFTP, HTTP) to the bridge's web
/// console when the bridge runs inside `netboot serve`. Publishing never blocks a service:
/// one short lock to append to a bounded ring (the oldest event is dropped when it is full)
/// and a non-blocking `yield` to each subscriber, whose own buffer also drops its oldest.
public final class BootEventFeed: Sendable {
    /// The process's feed: the services publish here, the console reads here. Nothing is kept
    /// until a service publishes, and with no subscriber a publish is an append to the ring;
    /// without a console in the process (``keep(_:)`` false) a publish makes no event at all.
    public static let shared = BootEventFeed(capacity: 200)

    public let capacity: Int
    private let state: Mutex<State>
    private let kept = Atomic<Bool>(true)

    private struct State {
        var ring: [BootEvent] = []
        var next = 0
        var lastID: Int64 = 0
        var subscribers: [Int: AsyncStream<BootEvent>.Continuation] = [:]
        var nextSubscriber = 0
    }

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        state = Mutex(State())
    }

    /// Whether published events are kept and handed to subscribers (from the start: yes).
    public var isKept: Bool { kept.load(ordering: .relaxed) }

    /// Keeps published events or not. `netboot serve` turns keeping off when no console runs in
    /// the process (the bridge is disabled): nobody could ever read them, and each event costs
    /// the service a clock read, its strings and a lock per answer (for HTTP, per request).
    public func keep(_ on: Bool) {
        kept.store(on, ordering: .relaxed)
    }

    /// Adds an event (its `id` is assigned here) and hands it to every subscriber. The event is
    /// only made when it is kept (``keep(_:)``).
    public func publish(_ make: @autoclosure () -> BootEvent) {
        guard kept.load(ordering: .relaxed) else { return }
        let event = make()
        let capacity = capacity
        let (numbered, subscribers) = state.withLock { state -> (BootEvent, [AsyncStream<BootEvent>.Continuation]) in
            state.lastID += 1
            var event = event
            event.id = state.lastID
            if state.ring.count < capacity {
                state.ring.append(event)
            } else {
                state.ring[state.next] = event
            }
            state.next = (state.next + 1) % capacity
            return (event, Array(state.subscribers.values))
        }
        for subscriber in subscribers { subscriber.yield(numbered) }
    }

    /// The held events, oldest first.
    public func recent() -> [BootEvent] {
        state.withLock { state in
            state.ring.count < capacity ? state.ring : Array(state.ring[state.next...] + state.ring[..<state.next])
        }
    }

    /// How many events were published in all (the last id).
    public var total: Int64 { state.withLock { $0.lastID } }

    /// Events published from now on; the stream keeps at most `buffer` unread events (dropping
    /// the oldest) and unsubscribes when its consumer stops.
    public func subscribe(buffer: Int = 64) -> AsyncStream<BootEvent> {
        let (stream, continuation) = AsyncStream<BootEvent>.makeStream(bufferingPolicy: .bufferingNewest(max(1, buffer)))
        let key = state.withLock { state in
            state.nextSubscriber += 1
            state.subscribers[state.nextSubscriber] = continuation
            return state.nextSubscriber
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: key) }
        }
        return stream
    }

    /// How many subscribers listen now.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }
}

/// A boot service's state as the console's Overview shows it (mirrored from the appliance's
/// own status table when `netboot serve` registers and moves its services).
public struct BootServiceLine: Sendable, Hashable {
    public var name: String
    public var state: String
    public var addresses: [String]
    public var detail: String?

    public init(name: String, state: String, addresses: [String], detail: String?) {
        self.name = name
        self.state = state
        self.addresses = addresses
        self.detail = detail
    }
}

/// The services of the process, for the console (``BootEventFeed/shared`` holds one).
public final class BootServiceBoard: Sendable {
    public static let shared = BootServiceBoard()
    private let lines = Mutex<[BootServiceLine]>([])

    public init() {}

    /// Adds or replaces the line of `line.name` (in first-seen order).
    public func update(_ line: BootServiceLine) {
        lines.withLock { lines in
            if let index = lines.firstIndex(where: { $0.name == line.name }) { lines[index] = line } else { lines.append(line) }
        }
    }

    public var all: [BootServiceLine] { lines.withLock { $0 } }
}
