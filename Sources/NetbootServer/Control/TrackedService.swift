import NetbootConfig
import ServiceLifecycle

/// A service of the group whose lifecycle `ApplianceState` records for `netboot status`:
/// `running` while its `run()` runs, then `stopped`, or `failed` with the error.
struct TrackedService: Service {
    let name: String
    let service: any Service
    let state: ApplianceState

    func run() async throws {
        state.mark(name, .running)
        do {
            try await service.run()
            state.mark(name, .stopped)
        } catch {
            state.mark(name, .failed, detail: "\(error)")
            throw error
        }
    }

    /// Registers each entry with its addresses and wraps it.
    static func tracking(_ entries: [ServiceAssembly.Entry], in state: ApplianceState,
                         configuration: NetbootConfiguration) -> [ServiceAssembly.Entry] {
        entries.map { entry in
            state.register(entry.name,
                           addresses: ServiceAddresses.addresses(of: entry.name, configuration,
                                                                 dhcpEndpoints: DHCPEndpoint.resolve(configuration).endpoints),
                           detail: ServiceAddresses.detail(of: entry.name, configuration))
            return ServiceAssembly.Entry(name: entry.name,
                                         service: TrackedService(name: entry.name, service: entry.service, state: state))
        }
    }
}
