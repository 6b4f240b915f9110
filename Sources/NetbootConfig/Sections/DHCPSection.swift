import NetbootWire
import Yams

/// `dhcp:` — the DHCPv4 service (RFC 2131/2132; issue 3). `proxy` never assigns addresses
/// (a proxyDHCP beside the site's server, answering BSDP and PXE only); `authoritative`
/// serves the `subnets` pools and the `reservations`.
extension NetbootConfiguration {
    public struct DHCP: Sendable, Equatable {
        public enum Mode: String, Sendable, CaseIterable {
            case proxy, authoritative
        }

        public var enabled: Bool = true
        public var mode: Mode = .proxy
        public var port: Int = 67
        /// SCHED_RR priority (1–99) of DHCP's event loop and lease-store threads, so DHCP, BSDP
        /// and PXE answer at once while the appliance serves images (issue 21); 0 leaves them in
        /// the normal class at the appliance's `nice`. Needs root or `CAP_SYS_NICE`; without, the
        /// appliance says so once and goes on.
        public var realtimePriority: Int = 1
        /// Group commit's delay in microseconds (PostgreSQL's `commit_delay`): while lease
        /// commits run back to back, the next waits this long after the last one finished (or
        /// until 64 decisions wait), so one transaction and one sync carry a whole burst; a
        /// store idle that long commits at once. 0: every commit starts as soon as it may.
        public var commitDelayMicroseconds: Int = 500
        public var subnets: [Subnet] = []
        public var reservations: [Reservation] = []
        /// Global `option-data` (the least specific level; `DHCPOptionData.swift`).
        public var optionData: [DHCPOptionData] = []
        /// Named client classes (`DHCPClientClasses.swift`).
        public var clientClasses: [ClientClass] = []

        public init() {}

        /// One address pool and the options handed out with it.
        public struct Subnet: Sendable, Equatable {
            public var subnet: IPv4Subnet
            /// The first and last address leased, both inside `subnet`; nil: no dynamic pool
            /// (reservations only).
            public var range: ClosedRange<IPv4Address>?
            /// Option 3.
            public var router: IPv4Address?
            /// Option 6.
            public var dns: [IPv4Address]
            /// Option 15.
            public var domain: String?
            /// Option 51, seconds.
            public var leaseTime: Int
            /// The subnet's `option-data`.
            public var optionData: [DHCPOptionData] = []
            /// The dynamic range serves only members of this class.
            public var clientClass: String?

            public init(subnet: IPv4Subnet, range: ClosedRange<IPv4Address>? = nil, router: IPv4Address? = nil,
                        dns: [IPv4Address] = [], domain: String? = nil, leaseTime: Int = 3600) {
                self.subnet = subnet
                self.range = range
                self.router = router
                self.dns = dns
                self.domain = domain
                self.leaseTime = leaseTime
            }
        }

        /// A fixed address (and optionally a host name, option 12) for one MAC address, and the
        /// host's classes, options and boot settings. Without an address (Kea allows it) it only
        /// carries those, and serves in proxy mode too.
        public struct Reservation: Sendable, Equatable {
            public var mac: MACAddress
            public var address: IPv4Address?
            public var hostname: String?
            public var optionData: [DHCPOptionData] = []
            /// Classes the host belongs to whatever its packets say.
            public var clientClasses: [String] = []
            public var boot = BootSettings()

            public init(mac: MACAddress, address: IPv4Address?, hostname: String? = nil) {
                self.mac = mac
                self.address = address
                self.hostname = hostname
            }
        }

        static func read(_ r: MappingReader) -> DHCP {
            let d = DHCP()
            var s = DHCP()
            s.enabled = r.bool("enabled", default: d.enabled)
            s.mode = r.word("mode", default: d.mode)
            s.port = r.int("port", default: d.port, in: 1...65535)
            s.realtimePriority = r.int("realtime-priority", default: d.realtimePriority, in: 0...99)
            s.commitDelayMicroseconds = r.int("commit-delay-us", default: d.commitDelayMicroseconds, in: 0...100_000)
            let subnets = r.list("subnets", default: []) { node, name in
                readSubnet(node, name, r.log).map { Located(value: $0, mark: node.mark, name: name) }
            }
            let reservations = r.list("reservations", default: []) { node, name in
                readReservation(node, name, r.log).map { Located(value: $0, mark: node.mark, name: name) }
            }
            s.subnets = r.has("subnets") ? subnets.map(\.value) : d.subnets
            s.reservations = r.has("reservations") ? reservations.map(\.value) : d.reservations
            s.optionData = r.optionData("option-data")
            s.clientClasses = readClientClasses(r)
            checkClassNames(r, classes: s.clientClasses, subnets: subnets, reservations: reservations)
            // Cross-checks only when every subnet was read: a subnet already reported would
            // otherwise make reservations look out of place.
            let allSubnetsRead = subnets.count == (r.sequenceCount("subnets") ?? 0)
            check(subnets, reservations, checkContainment: allSubnetsRead, r)
            if s.enabled, s.mode == .authoritative, s.subnets.isEmpty, !r.has("subnets") {
                r.log.error("\(r.name("mode")): authoritative mode needs at least one entry in \(r.name("subnets"))",
                            at: r.mark(of: "mode"), rule: .missingKey)
            }
            return s
        }

        private static func readSubnet(_ node: Node, _ name: String, _ log: DiagnosticLog) -> Subnet? {
            let e = MappingReader(node, path: name, log: log)
            defer { e.finish() }
            let prefix = e.require(e.prefix("subnet"), "subnet")
            var range: ClosedRange<IPv4Address>?
            let rangeAddresses = e.list("range", default: [IPv4Address]()) { node, name in Scalars.ipv4(node, name, log) }
            if e.has("range") {
                let rangeMark = e.mark(of: "range")
                if let count = e.sequenceCount("range"), count != 2 {
                    log.error("\(e.name("range")): expected two addresses [first, last], found \(count)", at: rangeMark, rule: .wrongType)
                } else if rangeAddresses.count == 2 {
                    let (first, last) = (rangeAddresses[0], rangeAddresses[1])
                    if first > last {
                        log.error("\(e.name("range")): first address \(first) is after last address \(last)", at: rangeMark, rule: .conflict)
                    } else if let prefix, !prefix.contains(first) || !prefix.contains(last) {
                        let outside = prefix.contains(first) ? last : first
                        log.error("\(e.name("range")): \(outside) is outside subnet \(prefix)", at: rangeMark, rule: .conflict)
                    } else if let prefix, prefix.prefixLength < 31, first == prefix.network || last == prefix.broadcast {
                        log.error("\(e.name("range")): includes the network or broadcast address of \(prefix)", at: rangeMark, rule: .conflict)
                    } else {
                        range = first...last
                    }
                }
            }
            let router = e.ipv4("router")
            let dns = e.list("dns", default: [IPv4Address]()) { node, name in Scalars.ipv4(node, name, log) }
            let domain = e.optionalString("domain")
            let leaseTime = e.int("lease-time", default: 3600, in: 60...4_294_967_294)
            let optionData = e.optionData("option-data")
            let clientClass = e.optionalString("client-class")
            guard let prefix else { return nil }
            var subnet = Subnet(subnet: prefix, range: range, router: router, dns: dns, domain: domain, leaseTime: leaseTime)
            subnet.optionData = optionData
            subnet.clientClass = clientClass
            return subnet
        }

        private static func readReservation(_ node: Node, _ name: String, _ log: DiagnosticLog) -> Reservation? {
            let e = MappingReader(node, path: name, log: log)
            defer { e.finish() }
            let mac = e.require(e.mac("mac"), "mac")
            let address = e.ipv4("address")
            let hostname = e.optionalString("hostname")
            if let hostname, !isHostname(hostname) {
                log.error("\(e.name("hostname")): '\(hostname)' is not a host name (RFC 1123 labels)", at: e.mark(of: "hostname"), rule: .invalidValue)
            }
            var reservation = Reservation(mac: mac ?? MACAddress(rawValue: 0), address: address, hostname: hostname)
            reservation.optionData = e.optionData("option-data")
            reservation.clientClasses = e.scalarOrList("client-classes") { text, _ in text }
            reservation.boot = readBootSettings(e)
            if address == nil, !e.has("address"), hostname == nil, reservation.optionData.isEmpty,
               reservation.clientClasses.isEmpty, reservation.boot == BootSettings() {
                log.error("\(name): missing required key 'address' (or option-data, client-classes, a boot setting)",
                          at: node.mark, rule: .missingKey)
            }
            guard mac != nil else { return nil }
            return reservation
        }

        /// A list entry with where it was written.
        struct Located<T> {
            var value: T
            var mark: Mark?
            var name: String
        }

        /// Subnets must not overlap; reservations must be unique by MAC and by address, and
        /// lie in a configured subnet when there are any. Each error points at its entry.
        private static func check(_ subnets: [Located<Subnet>], _ reservations: [Located<Reservation>],
                                  checkContainment: Bool, _ r: MappingReader) {
            for (i, a) in subnets.enumerated() {
                for b in subnets[..<i] where a.value.subnet.overlaps(b.value.subnet) {
                    r.log.error("\(a.name): \(a.value.subnet) overlaps \(b.value.subnet) (\(b.name))", at: a.mark, rule: .conflict)
                }
            }
            for (i, a) in reservations.enumerated() {
                let earlier = reservations[..<i]
                if let b = earlier.first(where: { $0.value.mac == a.value.mac }) {
                    r.log.error("\(a.name): \(a.value.mac) is already reserved (\(b.name))", at: a.mark, rule: .conflict)
                }
                if a.value.address != nil, let b = earlier.first(where: { $0.value.address == a.value.address }) {
                    r.log.error("\(a.name): \(a.value.address?.description ?? "") is already reserved (\(b.name))", at: a.mark, rule: .conflict)
                }
                if checkContainment, !subnets.isEmpty, let address = a.value.address,
                   !subnets.contains(where: { $0.value.subnet.contains(address) }) {
                    r.log.error("\(a.name): \(address) is in no configured subnet", at: a.mark, rule: .conflict)
                }
            }
        }

        static func isHostname(_ text: String) -> Bool {
            guard (1...253).contains(text.utf8.count) else { return false }
            return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
                (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                    && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            }
        }
    }
}
