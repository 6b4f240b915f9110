import NetbootWire

/// Where a configured option was written, most specific first (Kea's order of precedence:
/// host reservation, subnet, client class, global — Kea ARM "DHCPv4 Server Configuration",
/// option precedence).
public enum DHCPOptionLevel: String, Hashable, Sendable, Comparable {
    case host, subnet
    case clientClass = "class"
    case global

    var rank: Int {
        switch self {
        case .host: 0
        case .subnet: 1
        case .clientClass: 2
        case .global: 3
        }
    }

    public static func < (lhs: DHCPOptionLevel, rhs: DHCPOptionLevel) -> Bool { lhs.rank < rhs.rank }
}

/// One option that won for a client, with the level (and class name) it came from.
public struct DHCPResolvedOption: Hashable, Sendable {
    public var option: DHCPOptionData
    public var level: DHCPOptionLevel
    /// The class that set it, for `.clientClass`.
    public var className: String?

    public init(option: DHCPOptionData, level: DHCPOptionLevel, className: String? = nil) {
        self.option = option
        self.level = level
        self.className = className
    }
}

/// Picks each option's value for one client from the levels that configure it: the most specific
/// level wins per code (host over subnet over class over global; among classes, the first
/// matching class in configuration order), then the client's parameter request list (option 55)
/// decides which are sent — a configured option is sent when the client asks for it or when its
/// entry says `always-send` (RFC 2131 §4.3.1: "the server MAY … return options … not requested";
/// Kea's default is to send only the requested ones). Pure.
public enum DHCPOptionResolver {
    /// One level's entries; `className` names the class for class levels.
    public struct Level: Hashable, Sendable {
        public var level: DHCPOptionLevel
        public var className: String?
        public var options: [DHCPOptionData]

        public init(_ level: DHCPOptionLevel, className: String? = nil, _ options: [DHCPOptionData]) {
            self.level = level
            self.className = className
            self.options = options
        }
    }

    /// The winning entry of every configured code, ordered by code. `levels` may come in any
    /// order; classes keep their relative order.
    public static func winners(_ levels: [Level]) -> [DHCPResolvedOption] {
        let ordered = levels.enumerated().sorted { ($0.element.level, $0.offset) < ($1.element.level, $1.offset) }
        var byCode: [UInt8: DHCPResolvedOption] = [:]
        for (_, level) in ordered {
            for option in level.options where byCode[option.code.rawValue] == nil {
                byCode[option.code.rawValue] = DHCPResolvedOption(option: option, level: level.level, className: level.className)
            }
        }
        return byCode.keys.sorted().compactMap { byCode[$0] }
    }

    /// The options to put in a reply: the winners the client requested (in the order of its
    /// list), then the `always-send` ones it did not request (by code). No list: only
    /// `always-send` ones.
    public static func toSend(_ winners: [DHCPResolvedOption], requested: [DHCPOptionCode]?) -> [DHCPResolvedOption] {
        let wanted = requested ?? []
        var sent: [DHCPResolvedOption] = []
        var seen: Set<UInt8> = []
        for code in wanted where seen.insert(code.rawValue).inserted {
            if let winner = winners.first(where: { $0.option.code == code }) { sent.append(winner) }
        }
        for winner in winners where winner.option.alwaysSend && !seen.contains(winner.option.code.rawValue) {
            sent.append(winner)
        }
        return sent
    }
}
