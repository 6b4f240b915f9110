extension DHCPMessage {
    /// Decodes a message from the UDP payload `bytes` (RFC 2131 §2, RFC 2132 §2, RFC 3396).
    ///
    /// Throws `.truncated` when the fixed part or an option is cut off, `.overrun` when an
    /// option length runs past its area, `.badValue` for a wrong `op`, `hlen` > 16, a wrong
    /// magic cookie or a bad option 52, `.badLength` for an option 52 that is not one byte.
    /// Pad options are skipped; bytes after the end option are ignored (they are padding).
    public init(decoding bytes: [UInt8]) throws(WireError) {
        var reader = ByteReader(bytes)
        let opValue = try reader.readUInt8("op")
        guard let op = Opcode(rawValue: opValue) else {
            throw WireError(.badValue, at: 0, "op \(opValue) is neither BOOTREQUEST (1) nor BOOTREPLY (2)")
        }
        let htype = try reader.readUInt8("htype")
        let hlen = try reader.readUInt8("hlen")
        guard Int(hlen) <= DHCPMessage.chaddrSize else {
            throw WireError(.badValue, at: 2, "hlen \(hlen) exceeds the 16-byte chaddr")
        }
        let hops = try reader.readUInt8("hops")
        let xid = try reader.readUInt32("xid")
        let secs = try reader.readUInt16("secs")
        let flags = try reader.readUInt16("flags")
        let ciaddr = IPv4Address(rawValue: try reader.readUInt32("ciaddr"))
        let yiaddr = IPv4Address(rawValue: try reader.readUInt32("yiaddr"))
        let siaddr = IPv4Address(rawValue: try reader.readUInt32("siaddr"))
        let giaddr = IPv4Address(rawValue: try reader.readUInt32("giaddr"))
        let chaddr = try reader.readBytes(DHCPMessage.chaddrSize, "chaddr")
        let snameRange = try reader.readRange(DHCPMessage.snameSize, "sname")
        let fileRange = try reader.readRange(DHCPMessage.fileSize, "file")
        let cookieOffset = reader.offset
        let cookie = try reader.readBytes(4, "magic cookie")
        guard cookie == DHCPMessage.magicCookie else {
            throw WireError(.badValue, at: cookieOffset, "magic cookie \(cookie) is not 99.130.83.99")
        }
        let options = try DHCPMessage.decodeArea(bytes, reader.offset..<bytes.count, name: "options")

        var fileOptions: [DHCPOption] = []
        var snameOptions: [DHCPOption] = []
        var overload: DHCPOptionOverload?
        let overloadEntries = options.filter { $0.code == .optionOverload }
        if !overloadEntries.isEmpty {
            let data = overloadEntries.flatMap(\.data)
            guard data.count == 1 else {
                throw WireError(.badLength, at: cookieOffset, "option 52 (overload) has \(data.count) bytes, needs 1")
            }
            guard let value = DHCPOptionOverload(rawValue: data[0]) else {
                throw WireError(.badValue, at: cookieOffset, "option 52 (overload) value \(data[0]) is not 1, 2 or 3")
            }
            overload = value
            if value.includesFile {
                fileOptions = try DHCPMessage.decodeArea(bytes, fileRange, name: "file (overloaded)")
            }
            if value.includesSname {
                snameOptions = try DHCPMessage.decodeArea(bytes, snameRange, name: "sname (overloaded)")
            }
            if let nested = (fileOptions + snameOptions).first(where: { $0.code == .optionOverload }) {
                throw WireError(.badValue, at: cookieOffset,
                                "option 52 (overload) inside an overloaded field (\(nested.data.count) bytes)")
            }
        }
        self.init(op: op, htype: htype, hlen: hlen, hops: hops, xid: xid, secs: secs, flags: flags,
                  ciaddr: ciaddr, yiaddr: yiaddr, siaddr: siaddr, giaddr: giaddr, chaddr: chaddr,
                  sname: overload?.includesSname == true ? [] : DHCPMessage.trimmed(bytes[snameRange]),
                  file: overload?.includesFile == true ? [] : DHCPMessage.trimmed(bytes[fileRange]),
                  options: options, fileOptions: fileOptions, snameOptions: snameOptions)
    }

    private static func trimmed(_ field: ArraySlice<UInt8>) -> [UInt8] {
        var end = field.endIndex
        while end > field.startIndex, field[end - 1] == 0 { end -= 1 }
        return Array(field[field.startIndex..<end])
    }

    /// Reads options from `range` until the end option or the end of the range.
    private static func decodeArea(_ bytes: [UInt8], _ range: Range<Int>, name: String) throws(WireError) -> [DHCPOption] {
        var reader = ByteReader(bytes, range: range)
        var result: [DHCPOption] = []
        while let code = reader.peek() {
            let start = reader.offset
            try reader.skip(1)
            if code == DHCPOptionCode.pad.rawValue { continue }
            if code == DHCPOptionCode.end.rawValue { break }
            guard let length = reader.peek() else {
                throw WireError(.truncated, at: start, "\(name): option \(code) has no length byte")
            }
            try reader.skip(1)
            guard Int(length) <= reader.remaining else {
                throw WireError(.overrun, at: start,
                                "\(name): option \(code) length \(length) runs past the field (\(reader.remaining) left)")
            }
            result.append(DHCPOption(DHCPOptionCode(code), try reader.readBytes(Int(length))))
        }
        return result
    }

    /// The size of the encoded message without padding: 240 fixed bytes, the options field's
    /// entries (RFC 3396 splits included) and the end option. The `sname` and `file` areas are
    /// inside the fixed part, so ``fileOptions`` and ``snameOptions`` add nothing here.
    public var encodedSize: Int {
        DHCPMessage.fixedSize + options.reduce(0) { $0 + $1.encodedSize } + 1
    }

    /// Encodes the message: fixed fields, cookie, ``options`` in list order (entries longer
    /// than 255 bytes split into consecutive instances per RFC 3396), the end option, then
    /// pad bytes up to `minimumSize` (default 300, RFC 1542 §2.1; BSDP requires it).
    ///
    /// Throws `.tooLarge` when the result would exceed `maximumSize`, when `chaddr`, `sname` or
    /// `file` exceed their fields, or when overloaded options do not fit their field;
    /// `.badValue` when an entry has code 0 or 255, or when ``fileOptions``/``snameOptions`` are
    /// set without a matching option 52.
    public func encode(minimumSize: Int = DHCPMessage.bootpMinimumSize, maximumSize: Int? = nil) throws(WireError) -> [UInt8] {
        let size = encodedSize
        if let maximumSize, size > maximumSize {
            throw WireError(.tooLarge, at: 0, "message is \(size) bytes, budget is \(maximumSize)")
        }
        guard chaddr.count <= DHCPMessage.chaddrSize else {
            throw WireError(.tooLarge, at: 28, "chaddr has \(chaddr.count) bytes, field holds 16")
        }
        guard Int(hlen) <= DHCPMessage.chaddrSize else {
            throw WireError(.badValue, at: 2, "hlen \(hlen) exceeds the 16-byte chaddr")
        }
        let overload = try checkedOverload()
        var writer = ByteWriter(capacity: max(size, minimumSize))
        writer.writeUInt8(op.rawValue)
        writer.writeUInt8(htype)
        writer.writeUInt8(hlen)
        writer.writeUInt8(hops)
        writer.writeUInt32(xid)
        writer.writeUInt16(secs)
        writer.writeUInt16(flags)
        writer.writeUInt32(ciaddr.rawValue)
        writer.writeUInt32(yiaddr.rawValue)
        writer.writeUInt32(siaddr.rawValue)
        writer.writeUInt32(giaddr.rawValue)
        writer.writeFixed(chaddr, width: DHCPMessage.chaddrSize)
        try writeField(overload?.includesSname == true ? nil : sname, options: snameOptions,
                       width: DHCPMessage.snameSize, name: "sname", into: &writer)
        try writeField(overload?.includesFile == true ? nil : file, options: fileOptions,
                       width: DHCPMessage.fileSize, name: "file", into: &writer)
        writer.writeBytes(DHCPMessage.magicCookie)
        for option in options { try DHCPMessage.write(option, into: &writer) }
        writer.writeUInt8(DHCPOptionCode.end.rawValue)
        writer.writeZeros(minimumSize - writer.count)
        return writer.bytes
    }

    /// Option 52 as the encoder will honour it; options in an area it does not name are an error.
    private func checkedOverload() throws(WireError) -> DHCPOptionOverload? {
        let entries = options.filter { $0.code == .optionOverload }
        var overload: DHCPOptionOverload?
        if !entries.isEmpty {
            let data = entries.flatMap(\.data)
            guard data.count == 1, let value = DHCPOptionOverload(rawValue: data[0]) else {
                throw WireError(.badValue, at: 0, "option 52 (overload) must be one byte of 1, 2 or 3")
            }
            overload = value
        }
        if !fileOptions.isEmpty, overload?.includesFile != true {
            throw WireError(.badValue, at: 108, "options in file need option 52 with value 1 or 3")
        }
        if !snameOptions.isEmpty, overload?.includesSname != true {
            throw WireError(.badValue, at: 44, "options in sname need option 52 with value 2 or 3")
        }
        return overload
    }

    /// Writes `sname` or `file`: the plain bytes, or (when `plain` is nil) the overloaded options
    /// followed by the end option and zero fill.
    private func writeField(_ plain: [UInt8]?, options: [DHCPOption], width: Int, name: String,
                            into writer: inout ByteWriter) throws(WireError) {
        if let plain {
            guard plain.count <= width else {
                throw WireError(.tooLarge, at: writer.count, "\(name) has \(plain.count) bytes, field holds \(width)")
            }
            writer.writeFixed(plain, width: width)
            return
        }
        let used = options.reduce(0) { $0 + $1.encodedSize } + 1
        guard used <= width else {
            throw WireError(.tooLarge, at: writer.count, "overloaded \(name) needs \(used) bytes, field holds \(width)")
        }
        let start = writer.count
        for option in options { try DHCPMessage.write(option, into: &writer) }
        writer.writeUInt8(DHCPOptionCode.end.rawValue)
        writer.writeZeros(width - (writer.count - start))
    }

    /// Writes one entry, split into instances of at most 255 bytes (RFC 3396).
    static func write(_ option: DHCPOption, into writer: inout ByteWriter) throws(WireError) {
        guard option.code != .pad, option.code != .end else {
            throw WireError(.badValue, at: writer.count, "option \(option.code) (pad/end) cannot carry data")
        }
        var rest = option.data[...]
        repeat {
            let chunk = rest.prefix(DHCPOption.maximumInstanceLength)
            writer.writeUInt8(option.code.rawValue)
            writer.writeUInt8(UInt8(chunk.count))
            writer.writeBytes(chunk)
            rest = rest.dropFirst(chunk.count)
        } while !rest.isEmpty
    }
}
