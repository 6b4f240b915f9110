/// Maps a transfer's 64-bit block counter to the 16-bit block number on the wire and back.
///
/// RFC 1350 numbers DATA blocks from 1 in a 16-bit field, so a file of more than 65535 blocks
/// wraps. No RFC says where it wraps to; most peers (tftp-hpa, atftp, curl, dnsmasq, Erlang's
/// tftp) go 65535 → 0, a few firmware clients expect 65535 → 1
/// (boot-servers-dhcp-tftp-http.md §1.3). Counter 0 is the ACK of an OACK (RFC 2347).
public struct TFTPBlockNumbering: Hashable, Sendable {
    /// Where the 16-bit number wraps to after 65535.
    public enum Rollover: String, Hashable, Sendable {
        /// 65535 → 0 (the common behaviour; the default).
        case toZero = "0"
        /// 65535 → 1 (block 0 stays reserved for the OACK's ACK).
        case toOne = "1"
    }

    public var rollover: Rollover

    public init(rollover: Rollover = .toZero) { self.rollover = rollover }

    /// The wire number of counter `counter` (counter 0 → 0).
    public func wire(_ counter: UInt64) -> UInt16 {
        switch rollover {
        case .toZero:
            return UInt16(truncatingIfNeeded: counter)
        case .toOne:
            guard counter > 0 else { return 0 }
            return UInt16(truncatingIfNeeded: (counter - 1) % 65535 + 1)
        }
    }

    /// The largest counter `≤ latest` whose wire number is `wire`, or nil when there is none.
    ///
    /// A peer only ever acknowledges or sends blocks at or behind the newest one in flight, so
    /// this picks the one meaning a 16-bit number can have there.
    public func expand(_ wire: UInt16, notAfter latest: UInt64) -> UInt64? {
        switch rollover {
        case .toZero:
            let distance = UInt64(UInt16(truncatingIfNeeded: latest) &- wire)
            return distance <= latest ? latest - distance : nil
        case .toOne:
            if wire == 0 { return 0 }
            guard latest > 0 else { return nil }
            let position = (latest - 1) % 65535 + 1
            let distance = (position + 65535 - UInt64(wire)) % 65535
            return distance < latest ? latest - distance : nil
        }
    }
}
