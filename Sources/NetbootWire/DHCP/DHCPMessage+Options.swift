extension DHCPMessage {
    /// Every option entry in interpretation order (RFC 2131 §4.1): the options field, then
    /// `file`, then `sname` (the last two only when option 52 overloads them).
    public var allOptions: [DHCPOption] { options + fileOptions + snameOptions }

    /// True when at least one instance of `code` is present in any area.
    public func contains(_ code: DHCPOptionCode) -> Bool {
        options.contains { $0.code == code } || fileOptions.contains { $0.code == code }
            || snameOptions.contains { $0.code == code }
    }

    /// The data of each instance of `code`, separately, in interpretation order. BSDP reads
    /// its option-43 instances this way (each one is a self-contained sub-option list).
    public func instances(of code: DHCPOptionCode) -> [[UInt8]] {
        var found: [[UInt8]] = []
        forEachInstance(of: code) { found.append($0) }
        return found
    }

    /// Calls `body` with the data of each instance of `code` in interpretation order, without
    /// building `allOptions` (option lookups run many times per message).
    @inline(__always)
    private func forEachInstance(of code: DHCPOptionCode, _ body: ([UInt8]) -> Void) {
        for option in options where option.code == code { body(option.data) }
        for option in fileOptions where option.code == code { body(option.data) }
        for option in snameOptions where option.code == code { body(option.data) }
    }

    /// The value of `code` as RFC 3396 defines it: all instances concatenated in
    /// interpretation order; nil when the option is absent.
    public func data(for code: DHCPOptionCode) -> [UInt8]? {
        var data: [UInt8]?
        forEachInstance(of: code) { instance in
            // One instance (the usual case) is returned as it is, without a copy.
            if data == nil { data = instance } else { data?.append(contentsOf: instance) }
        }
        return data
    }

    /// Appends one entry to the options field (after everything already there). Data longer
    /// than 255 bytes is split on encode (RFC 3396).
    public mutating func append(_ code: DHCPOptionCode, _ data: [UInt8]) {
        options.append(DHCPOption(code, data))
    }

    /// Replaces every instance of `code` (in all areas) with `instances`, one entry each, placed
    /// where the first instance was in the options field, else at the end of it. An empty
    /// array removes the option.
    public mutating func setInstances(_ code: DHCPOptionCode, _ instances: [[UInt8]]) {
        let position = options.firstIndex { $0.code == code }
        remove(code)
        let entries = instances.map { DHCPOption(code, $0) }
        if let position, position <= options.count {
            options.insert(contentsOf: entries, at: position)
        } else {
            options.append(contentsOf: entries)
        }
    }

    /// Sets `code` to `data` (one entry, split on encode if long), or removes it when nil.
    public mutating func set(_ code: DHCPOptionCode, _ data: [UInt8]?) {
        setInstances(code, data.map { [$0] } ?? [])
    }

    /// Removes every instance of `code` from every area.
    public mutating func remove(_ code: DHCPOptionCode) {
        // Looked for first: a removal rewrites (and may copy) the array; most calls find nothing.
        if options.contains(where: { $0.code == code }) { options.removeAll { $0.code == code } }
        if fileOptions.contains(where: { $0.code == code }) { fileOptions.removeAll { $0.code == code } }
        if snameOptions.contains(where: { $0.code == code }) { snameOptions.removeAll { $0.code == code } }
    }

    /// The typed value of an option (all instances concatenated, RFC 3396), nil when absent;
    /// throws ``WireError`` when present but malformed for its type.
    public func value<Value>(_ key: DHCPOptionKey<Value>) throws(WireError) -> Value? {
        guard let data = data(for: key.code) else { return nil }
        return try key.decode(data)
    }

    /// Sets the typed value of an option (replacing every instance), or removes it when nil.
    public mutating func setValue<Value>(_ key: DHCPOptionKey<Value>, _ value: Value?) {
        set(key.code, value.map { key.encode($0) })
    }

    /// The message type (option 53); nil when absent or malformed.
    public var messageType: DHCPMessageType? {
        get { try? value(.messageType) }
        set { setValue(.messageType, newValue) }
    }

    /// The encoded size after adding an entry of `dataCount` bytes to the options field; for
    /// callers that fill a byte budget (BSDP image lists, RFC 2132 §9.10 maximum size).
    public func encodedSize(adding dataCount: Int) -> Int {
        encodedSize + DHCPOption.encodedSize(dataCount: dataCount)
    }
}
