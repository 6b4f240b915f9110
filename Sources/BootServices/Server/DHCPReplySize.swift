import NetbootWire

/// How large a DHCP reply may be, and how one that is too large is made to fit rather than
/// dropped: the size rule of `DHCPServerCore.encode`.
///
/// - The client's limit is its option 57 (RFC 2132 §9.10), never below the 576-byte datagram
///   every client must take (RFC 2131 §2), less the 28 bytes of IPv4 and UDP headers.
/// - A reply to a relay echoes the request's option 82 (RFC 3046 §2.2), and the relay removes
///   it before the reply goes on to the client (RFC 3046 §2.1.1): its bytes do not count
///   against the client's limit. (The relay itself added them to a request that fit its link.)
/// - A reply still too large moves options out of the options field into `file` and `sname`
///   where those fields are unused, announced by option 52 (RFC 2131 §4.1, RFC 2132 §9.3).
///   Options 53, 54, 52 and 82 stay in the options field, where relays and clients look first.
public enum DHCPReplySize {
    /// The encoded size allowed for `reply` answering `request` (see the type's notes).
    public static func budget(request: DHCPMessage, reply: DHCPMessage, relayed: Bool) -> Int {
        let stated = (try? request.value(.maximumMessageSize)).map(Int.init) ?? 576
        var budget = max(576, stated) - 28
        if relayed {
            budget += reply.options.filter { $0.code == .relayAgentInformation }.reduce(0) { $0 + $1.encodedSize }
        }
        return budget
    }

    /// Options that never leave the options field.
    static let pinned: Set<DHCPOptionCode> = [.messageType, .serverIdentifier, .optionOverload, .relayAgentInformation]

    /// `reply` as is when it fits `budget`, else with options moved into the unused `file`
    /// and `sname` fields (largest first, `file` before `sname`) until it fits; nil when even
    /// that is not enough.
    public static func fit(_ reply: DHCPMessage, budget: Int) -> DHCPMessage? {
        if reply.encodedSize <= budget { return reply }
        guard !reply.options.contains(where: { $0.code == .optionOverload }),
              reply.fileOptions.isEmpty, reply.snameOptions.isEmpty else { return nil }
        var message = reply
        let fileFree = reply.file.isEmpty, snameFree = reply.sname.isEmpty
        var fileUsed = 1, snameUsed = 1  // each overloaded field ends with option 255
        var inFile: [Int] = [], inSname: [Int] = []
        var size = reply.encodedSize + 3  // option 52 itself
        let movable = reply.options.indices
            .filter { !pinned.contains(reply.options[$0].code) }
            .sorted { reply.options[$0].encodedSize > reply.options[$1].encodedSize }
        for index in movable where size > budget {
            let cost = reply.options[index].encodedSize
            if fileFree, fileUsed + cost <= DHCPMessage.fileSize {
                inFile.append(index)
                fileUsed += cost
            } else if snameFree, snameUsed + cost <= DHCPMessage.snameSize {
                inSname.append(index)
                snameUsed += cost
            } else {
                continue
            }
            size -= cost
        }
        guard size <= budget, !(inFile.isEmpty && inSname.isEmpty) else { return nil }
        // Each area keeps the reply's order (RFC 3396 joins split options in that order).
        let moved = Set(inFile + inSname)
        message.fileOptions = inFile.sorted().map { reply.options[$0] }
        message.snameOptions = inSname.sorted().map { reply.options[$0] }
        message.options = reply.options.indices.filter { !moved.contains($0) }.map { reply.options[$0] }
        let overload: DHCPOptionOverload = inFile.isEmpty ? .sname : inSname.isEmpty ? .file : .both
        let position = message.options.firstIndex { $0.code == .messageType }.map { $0 + 1 } ?? 0
        message.options.insert(DHCPOption(.optionOverload, [overload.rawValue]), at: position)
        return message
    }
}
