import Foundation
import NetbootWire
import Testing
@testable import BootServices

/// Pool statistics per subnet (issue 20 metrics): total, assigned, declined, free.
@Suite struct DHCPPoolUsageTests {
    @Test func boundDeclinedAndExpiredLeasesAreCountedPerSubnet() throws {
        var engine = DHCPLeaseEngine(configuration: Lab.configuration())
        #expect(engine.poolUsage(now: Lab.t0) == [
            DHCPPoolUsage(subnet: Lab.local, total: 5, assigned: 0, declined: 0),
            DHCPPoolUsage(subnet: Lab.remote, total: 10, assigned: 0, declined: 0),
        ])
        let first = engine.dora(Lab.mac(1), now: Lab.t0)
        #expect(first != nil)
        let second = engine.dora(Lab.mac(2), now: Lab.t0)
        let declined = try #require(second)
        _ = engine.handle(Lab.message(.decline, Lab.mac(2), requested: declined, server: Lab.server), now: Lab.t0)
        let relayed = engine.dora(Lab.mac(3), now: Lab.t0, giaddr: Lab.relay)
        #expect(relayed != nil)
        // A reservation outside the range is not pool usage.
        let reserved = engine.dora(Lab.reservedMAC, now: Lab.t0)
        #expect(reserved == Lab.reservedAddress)
        let usage = engine.poolUsage(now: Lab.t0)
        #expect(usage[0] == DHCPPoolUsage(subnet: Lab.local, total: 5, assigned: 1, declined: 1))
        #expect(usage[0].free == 3)
        #expect(usage[1].assigned == 1 && usage[1].free == 9)
        // After the leases run out (3600 s here, 600 s remote, 900 s decline hold) all is free again.
        let later = engine.poolUsage(now: Lab.t0.addingTimeInterval(7200))
        #expect(later.map(\.free) == [5, 10])
    }
}
