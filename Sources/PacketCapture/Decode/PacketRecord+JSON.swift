import NetbootWire

/// The `netboot decode --json` object of a packet (schema in docs/capture.md): always `time`,
/// `src`, `dst`, `proto`; the DHCP fields for `dhcp` and `bsdp`; `bsdp` for BSDP; the TFTP
/// fields for `tftp` (null where the opcode has none); `error` only when decoding stopped.
extension PacketRecord {
    public var json: JSONValue {
        var fields: [(String, JSONValue)] = [
            ("time", .number(time.epochText)),
            ("src", .string(source)),
            ("dst", .string(destination)),
            ("proto", .string(proto.rawValue)),
        ]
        if let dhcp {
            fields += DHCPFieldsJSON.fields(dhcp)
        }
        if let bsdp {
            fields.append(("bsdp", bsdp.json))
        }
        if proto == .tftp {
            fields += TFTPFieldsJSON.fields(tftp)
        }
        if let error {
            fields.append(("error", .string(error)))
        }
        return .object(fields)
    }
}

extension BSDPSummary {
    /// `{messageType, images: [{id, name}], selectedImage, defaultImage, serverPriority, replyPort}`;
    /// image ids as `0x…` hex strings of the 32-bit boot image id.
    public var json: JSONValue {
        .object([
            ("messageType", .optional(messageType?.description)),
            ("images", .array(images.map { .object([("id", .string(Self.hex($0.id))), ("name", .string($0.name))]) })),
            ("selectedImage", .optional(selectedImage.map(Self.hex))),
            ("defaultImage", .optional(defaultImage.map(Self.hex))),
            ("serverPriority", .optionalInt(serverPriority)),
            ("replyPort", .optionalInt(replyPort)),
        ])
    }

    static func hex(_ id: BootImageID) -> String { "0x" + HexText.padded(UInt64(id.rawValue), digits: 8) }
}

enum HexText {
    static func padded(_ value: UInt64, digits: Int) -> String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - hex.count)) + hex
    }

    static func colon(_ bytes: [UInt8]) -> String {
        bytes.map { padded(UInt64($0), digits: 2) }.joined(separator: ":")
    }
}

enum TFTPFieldsJSON {
    static func fields(_ packet: TFTPPacket?) -> [(String, JSONValue)] {
        var opcode: JSONValue = .null, file: JSONValue = .null, mode: JSONValue = .null, options: JSONValue = .null
        var block: JSONValue = .null, errorCode: JSONValue = .null, errorMessage: JSONValue = .null
        if let packet {
            opcode = .string(packet.opcode.description)
            switch packet {
            case .readRequest(let request), .writeRequest(let request):
                file = .string(request.filename)
                mode = .string(request.mode.rawValue)
                options = optionObject(request.options)
            case .data(let number, _), .acknowledgement(let number):
                block = .int(number)
            case .error(let code, let message):
                errorCode = .int(code.rawValue)
                errorMessage = .string(message)
            case .optionAcknowledgement(let list):
                options = optionObject(list)
            }
        }
        return [("opcode", opcode), ("file", file), ("mode", mode), ("options", options),
                ("block", block), ("errorCode", errorCode), ("errorMessage", errorMessage)]
    }

    static func optionObject(_ options: [TFTPOption]) -> JSONValue {
        .object(options.map { ($0.key, .string($0.value)) })
    }
}

/// RFC 2131 fixed fields and RFC 2132 options as JSON.
enum DHCPFieldsJSON {
    static func fields(_ message: DHCPMessage) -> [(String, JSONValue)] {
        [
            ("op", .string(message.op == .bootRequest ? "BOOTREQUEST" : "BOOTREPLY")),
            ("xid", .string("0x" + HexText.padded(UInt64(message.xid), digits: 8))),
            ("msgType", .optional(message.messageType.map { $0.name ?? "DHCP type \($0.rawValue)" })),
            ("chaddr", .string(message.clientMAC?.description ?? HexText.colon(message.hardwareAddress))),
            ("ciaddr", .string(message.ciaddr.description)),
            ("yiaddr", .string(message.yiaddr.description)),
            ("siaddr", .string(message.siaddr.description)),
            ("giaddr", .string(message.giaddr.description)),
            ("options", options(message)),
        ]
    }

    /// Options in order of first appearance, RFC 3396 instances concatenated, keyed by code.
    static func options(_ message: DHCPMessage) -> JSONValue {
        var order: [DHCPOptionCode] = []
        var data: [DHCPOptionCode: [UInt8]] = [:]
        for option in message.allOptions {
            if data[option.code] == nil { order.append(option.code) }
            data[option.code, default: []] += option.data
        }
        return .object(order.map { code in (String(code.rawValue), value(code, data[code] ?? [])) })
    }

    private static let singleAddress: Set<UInt8> = [1, 16, 28, 32, 50, 54, 118]
    private static let addressList: Set<UInt8> = [3, 4, 5, 6, 7, 8, 9, 10, 11, 41, 42, 44, 45, 48, 49, 65, 68, 69, 70, 71, 72, 73, 74, 75, 76]
    private static let text: Set<UInt8> = [12, 14, 15, 17, 18, 40, 47, 56, 60, 62, 64, 66, 67, 86, 87, 100, 101]
    private static let uint32: Set<UInt8> = [2, 24, 35, 38, 51, 58, 59]
    private static let uint16: Set<UInt8> = [13, 22, 26, 57]
    private static let uint8: Set<UInt8> = [19, 20, 23, 27, 29, 30, 31, 34, 36, 37, 39, 46, 52]

    static func value(_ code: DHCPOptionCode, _ bytes: [UInt8]) -> JSONValue {
        let raw = code.rawValue
        if singleAddress.contains(raw), bytes.count == 4 {
            return .string(IPv4Address(bytes: bytes)?.description ?? HexText.colon(bytes))
        }
        if addressList.contains(raw), !bytes.isEmpty, bytes.count % 4 == 0 {
            return .array(stride(from: 0, to: bytes.count, by: 4).map {
                .string(IPv4Address(bytes: bytes[$0..<$0 + 4])?.description ?? "")
            })
        }
        // Text options: some servers NUL-terminate them (dnsmasq's 67); the NULs are dropped.
        // User class (77) is text when it is printable (iPXE sends "iPXE"), else RFC 3004 hex.
        if text.contains(raw) || raw == 77, let string = printable(bytes, allowControl: raw != 77) {
            return .string(string)
        }
        if uint32.contains(raw), bytes.count == 4 { return .int(bigEndian(bytes)) }
        if uint16.contains(raw), bytes.count == 2 { return .int(bigEndian(bytes)) }
        if uint8.contains(raw), bytes.count == 1 { return .int(bytes[0]) }
        switch raw {
        case 53 where bytes.count == 1:
            let type = DHCPMessageType(rawValue: bytes[0])
            return .string(type.name ?? "DHCP type \(bytes[0])")
        case 55:
            return .array(bytes.map { .int($0) })
        case 93 where !bytes.isEmpty && bytes.count % 2 == 0:
            return .array(stride(from: 0, to: bytes.count, by: 2).map { .int(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1])) })
        case 94 where bytes.count == 3:
            return .object([("type", .int(bytes[0])), ("major", .int(bytes[1])), ("minor", .int(bytes[2]))])
        case 97 where bytes.count == 17 && bytes[0] == 0:
            return .string(DHCPClientMachineIdentifier(type: 0, identifier: Array(bytes[1...])).guidString ?? HexText.colon(bytes))
        case 82:
            guard let subs = try? DHCPSubOption.decodeList(bytes, option: code) else { return .string(HexText.colon(bytes)) }
            return .object(subs.map { (String($0.code), .string(HexText.colon($0.data))) })
        default:
            return .string(HexText.colon(bytes))
        }
    }

    private static func printable(_ bytes: [UInt8], allowControl: Bool) -> String? {
        var trimmed = bytes[...]
        while trimmed.last == 0 { trimmed = trimmed.dropLast() }
        guard let string = String(validating: trimmed, as: UTF8.self) else { return nil }
        if !allowControl, string.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return nil }
        return string
    }

    private static func bigEndian(_ bytes: [UInt8]) -> UInt64 { bytes.reduce(0) { $0 << 8 | UInt64($1) } }
}
