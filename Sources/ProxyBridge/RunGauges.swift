import Logging
import Metrics
import NetbootStore
import ServiceLifecycle

/// The run gauges (issue 20: "run and transfer gauges"): `netboot_runs{state}`, the runs the
/// bridge's store holds in each state (`running`, `succeeded`, `failed`), counted again every
/// `interval` as the DHCP pool gauges are, so they follow runs started and finished through any
/// bridge on this store. Exported by `/metrics` when the bridge runs inside `netboot serve`.
struct RunGauges: Service {
    static let label = "netboot_runs"
    static let states = ["running", "succeeded", "failed"]

    let store: any BridgeRecords
    let interval: Duration
    let logger: Logger

    func run() async throws {
        let gauges = Self.states.map { ($0, Gauge(label: Self.label, dimensions: [("state", $0)])) }
        await cancelWhenGracefulShutdown {
            var failing = false
            while !Task.isCancelled {
                do {
                    let counts = try await Blocking.run { [store] in try store.runCounts() }
                    for (state, gauge) in gauges { gauge.record(counts[state, default: 0]) }
                    failing = false
                } catch {
                    // Said once per failing stretch, not every interval.
                    if !failing { logger.warning("bridge: cannot count runs for netboot_runs: \(error)") }
                    failing = true
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
