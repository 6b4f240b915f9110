import Foundation
import NetbootWire

/// BSDP sub-option 4 following this server's load, so that Macs spread over several appliances
/// (issue 19; bsdp-protocol-and-servers.md §1.2 step 7: a client without a menu takes the
/// highest priority, and §1.10: Apple's `priority = max(0, base − #client records)`).
///
/// Apple counts every client record it ever kept, so an old server stays unattractive forever.
/// Here the load is the number of Macs that *selected* this server within the last `window`
/// (they are the ones fetching its booter, kernel and root image now), measured against a
/// configured `capacity`: idle → `base`, at or beyond capacity → 0, linear in between. With
/// `capacity` 0 the rule is off and the priority is `base`, as before.
public enum BSDPServerPriority {
    /// The priority to announce.
    public static func priority(base: UInt16, recentSelections: Int, capacity: Int) -> UInt16 {
        guard capacity > 0 else { return base }
        let free = max(0, capacity - max(0, recentSelections))
        // In Double: base × free cannot overflow whatever the capacity.
        return UInt16(clamping: Int((Double(base) * Double(free) / Double(capacity)).rounded(.down)))
    }

    /// How many of `bindings` name `server` and were made at most `window` before `now`
    /// (a selection dated after `now`, from a peer with a clock slightly ahead, counts).
    public static func recentSelections(_ bindings: some Sequence<BSDPBinding>, server: IPv4Address,
                                        now: Date, window: TimeInterval) -> Int {
        bindings.reduce(0) { count, binding in
            binding.serverIdentifier == server && now.timeIntervalSince(binding.selectedAt) <= window ? count + 1 : count
        }
    }
}
