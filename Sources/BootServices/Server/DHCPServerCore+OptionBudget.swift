import NetbootWire

extension DHCPServerCore {
    /// The bytes a reply to `request` may take: the client's maximum message size (option 57, at
    /// least 576, RFC 2132 §9.10) less the IP and UDP headers.
    static func replyBudget(_ request: DHCPMessage) -> Int {
        max(576, (try? request.value(.maximumMessageSize)).map(Int.init) ?? 576) - 28
    }

    /// Removes configured options (`option-data`) from `out` until it fits the client's budget:
    /// the unrequested `always-send` ones first, then the requested ones from the end of the
    /// client's request list. The server's own options (and a PXE answer's 43/60/67) are never
    /// removed; a reply that still does not fit is dropped by the encoder. Returns the codes left
    /// out, for the log line.
    static func fitConfiguredOptions(_ out: inout DHCPMessage, _ options: [DHCPResolvedOption],
                                     request: DHCPMessage) -> [UInt8] {
        let budget = replyBudget(request)
        guard out.encodedSize > budget else { return [] }
        let sent = DHCPOptionResolver.toSend(options, requested: try? request.value(.parameterRequestList))
        var dropped: [UInt8] = []
        for candidate in sent.reversed() where out.encodedSize > budget {
            guard out.data(for: candidate.option.code) == candidate.option.data else { continue }
            out.remove(candidate.option.code)
            dropped.append(candidate.option.code.rawValue)
        }
        return dropped
    }
}
