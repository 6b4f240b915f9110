/// A typed view of one DHCP option: its code and how its data (all instances concatenated,
/// RFC 3396) maps to a Swift value. Used with ``DHCPMessage/value(_:)`` and
/// ``DHCPMessage/setValue(_:_:)``: `try message.value(.routers)`,
/// `message.setValue(.leaseTime, 3600)`.
///
/// Reads check the lengths RFC 2132 gives for each option and throw ``WireError``
/// (`.badLength` for a wrong or zero length, `.badString` for text that is not UTF-8).
public struct DHCPOptionKey<Value: Sendable>: Sendable {
    public let code: DHCPOptionCode
    let decode: @Sendable ([UInt8]) throws(WireError) -> Value
    let encode: @Sendable (Value) -> [UInt8]

    public init(_ code: DHCPOptionCode,
                decode: @escaping @Sendable ([UInt8]) throws(WireError) -> Value,
                encode: @escaping @Sendable (Value) -> [UInt8]) {
        self.code = code
        self.decode = decode
        self.encode = encode
    }
}

// MARK: - Building blocks

extension DHCPOptionKey {
    static func lengthError(_ code: DHCPOptionCode, _ data: [UInt8], _ expected: String) -> WireError {
        WireError(.badLength, at: 0, "option \(code): \(data.count) bytes, expected \(expected)")
    }
}

extension DHCPOptionKey where Value == IPv4Address {
    /// RFC 2132: exactly four bytes.
    public static func address(_ code: DHCPOptionCode) -> Self {
        Self(code, decode: { (data) throws(WireError) in
            guard data.count == 4, let address = IPv4Address(bytes: data) else { throw lengthError(code, data, "4") }
            return address
        }, encode: { $0.bytes })
    }
    public static var subnetMask: Self { address(.subnetMask) }
    public static var broadcastAddress: Self { address(.broadcastAddress) }
    public static var requestedIPAddress: Self { address(.requestedIPAddress) }
    public static var serverIdentifier: Self { address(.serverIdentifier) }
}

extension DHCPOptionKey where Value == [IPv4Address] {
    /// RFC 2132: a non-empty multiple of four bytes.
    public static func addresses(_ code: DHCPOptionCode) -> Self {
        Self(code, decode: { (data) throws(WireError) in
            guard !data.isEmpty, data.count % 4 == 0 else { throw lengthError(code, data, "a non-zero multiple of 4") }
            return stride(from: 0, to: data.count, by: 4).compactMap { IPv4Address(bytes: data[$0..<$0 + 4]) }
        }, encode: { $0.flatMap(\.bytes) })
    }
    public static var routers: Self { addresses(.router) }
    public static var domainNameServers: Self { addresses(.domainNameServer) }
}

extension DHCPOptionKey where Value == String {
    /// RFC 2132 text: at least one byte; trailing NULs (sent by some clients) are dropped.
    public static func text(_ code: DHCPOptionCode) -> Self {
        Self(code, decode: { (data) throws(WireError) in
            guard !data.isEmpty else { throw lengthError(code, data, "at least 1") }
            var end = data.count
            while end > 0, data[end - 1] == 0 { end -= 1 }
            guard let text = String(strictUTF8: data[0..<end]) else {
                throw WireError(.badString, at: 0, "option \(code): not UTF-8 text")
            }
            return text
        }, encode: { Array($0.utf8) })
    }
    public static var hostName: Self { text(.hostName) }
    public static var domainName: Self { text(.domainName) }
    public static var rootPath: Self { text(.rootPath) }
    public static var vendorClassIdentifier: Self { text(.vendorClassIdentifier) }
    public static var tftpServerName: Self { text(.tftpServerName) }
    public static var bootfileName: Self { text(.bootfileName) }
    public static var message: Self { text(.message) }
}

extension DHCPOptionKey where Value == UInt32 {
    /// Exactly four bytes, big-endian.
    public static func seconds(_ code: DHCPOptionCode) -> Self {
        Self(code, decode: { (data) throws(WireError) in
            guard data.count == 4 else { throw lengthError(code, data, "4") }
            return data.reduce(0) { $0 << 8 | UInt32($1) }
        }, encode: { value in (0..<4).map { UInt8(truncatingIfNeeded: value >> UInt32(24 - 8 * $0)) } })
    }
    /// Option 51, seconds; 0xFFFFFFFF means infinite.
    public static var leaseTime: Self { seconds(.ipAddressLeaseTime) }
    public static var renewalTime: Self { seconds(.renewalTime) }
    public static var rebindingTime: Self { seconds(.rebindingTime) }
}

extension DHCPOptionKey where Value == UInt16 {
    /// Option 57: two bytes. RFC 2132 §9.10 sets 576 as the legal minimum; the value is returned
    /// as sent and callers clamp it.
    public static var maximumMessageSize: Self {
        Self(.maximumMessageSize, decode: { (data) throws(WireError) in
            guard data.count == 2 else { throw lengthError(.maximumMessageSize, data, "2") }
            return UInt16(data[0]) << 8 | UInt16(data[1])
        }, encode: { [UInt8(truncatingIfNeeded: $0 >> 8), UInt8(truncatingIfNeeded: $0)] })
    }
}

extension DHCPOptionKey where Value == [UInt8] {
    /// Any bytes, as concatenated (RFC 3396).
    public static func raw(_ code: DHCPOptionCode) -> Self {
        Self(code, decode: { $0 }, encode: { $0 })
    }
    /// Option 43 concatenated; use ``DHCPMessage/instances(of:)`` for BSDP's separate instances.
    public static var vendorSpecificInformation: Self { raw(.vendorSpecificInformation) }
}

extension DHCPOptionKey where Value == DHCPMessageType {
    /// Option 53: exactly one byte.
    public static var messageType: Self {
        Self(.messageType, decode: { (data) throws(WireError) in
            guard data.count == 1 else { throw lengthError(.messageType, data, "1") }
            return DHCPMessageType(rawValue: data[0])
        }, encode: { [$0.rawValue] })
    }
}

extension DHCPOptionKey where Value == DHCPOptionOverload {
    /// Option 52: one byte, 1, 2 or 3.
    public static var optionOverload: Self {
        Self(.optionOverload, decode: { (data) throws(WireError) in
            guard data.count == 1 else { throw lengthError(.optionOverload, data, "1") }
            guard let value = DHCPOptionOverload(rawValue: data[0]) else {
                throw WireError(.badValue, at: 0, "option 52: value \(data[0]) is not 1, 2 or 3")
            }
            return value
        }, encode: { [$0.rawValue] })
    }
}

extension DHCPOptionKey where Value == [DHCPOptionCode] {
    /// Option 55: at least one code.
    public static var parameterRequestList: Self {
        Self(.parameterRequestList, decode: { (data) throws(WireError) in
            guard !data.isEmpty else { throw lengthError(.parameterRequestList, data, "at least 1") }
            return data.map(DHCPOptionCode.init(rawValue:))
        }, encode: { $0.map(\.rawValue) })
    }
}

extension DHCPOptionKey where Value == DHCPClientIdentifier {
    /// Option 61: a type byte and at least one identifier byte.
    public static var clientIdentifier: Self {
        Self(.clientIdentifier, decode: { (data) throws(WireError) in
            guard data.count >= 2 else { throw lengthError(.clientIdentifier, data, "at least 2") }
            return DHCPClientIdentifier(type: data[0], identifier: Array(data.dropFirst()))
        }, encode: { [$0.type] + $0.identifier })
    }
}

extension DHCPOptionKey where Value == DHCPUserClass {
    /// Option 77: at least one byte (RFC 3004 §4), kept raw.
    public static var userClass: Self {
        Self(.userClass, decode: { (data) throws(WireError) in
            guard !data.isEmpty else { throw lengthError(.userClass, data, "at least 1") }
            return DHCPUserClass(raw: data)
        }, encode: { $0.raw })
    }
}

extension DHCPOptionKey where Value == RelayAgentInformation {
    /// Option 82 (RFC 3046): at least one sub-option. A sub-option longer than 255 bytes cannot
    /// be expressed; this key cuts it to 255, ``RelayAgentInformation/encoded()`` throws instead.
    public static var relayAgentInformation: Self {
        Self(.relayAgentInformation, decode: { (data) throws(WireError) in
            guard !data.isEmpty else { throw lengthError(.relayAgentInformation, data, "at least 2") }
            return try RelayAgentInformation(decoding: data)
        }, encode: { info in
            info.subOptions.flatMap { sub in
                let data = Array(sub.data.prefix(255))
                return [sub.code.rawValue, UInt8(data.count)] + data
            }
        })
    }
}

extension DHCPOptionKey where Value == IPXEEncapsulatedOptions {
    /// Option 175: a sub-option list (sub-options longer than 255 bytes are cut to 255).
    public static var ipxeEncapsulated: Self {
        Self(.ipxeEncapsulated, decode: { (data) throws(WireError) in
            try IPXEEncapsulatedOptions(decoding: data)
        }, encode: { options in
            options.subOptions.flatMap { sub in
                let data = Array(sub.data.prefix(255))
                return [sub.code, UInt8(data.count)] + data
            }
        })
    }
}

extension DHCPOptionKey where Value == [DHCPClientArchitecture] {
    /// Option 93 (RFC 4578 §2.1): a non-empty list of 16-bit types.
    public static var clientSystemArchitecture: Self {
        Self(.clientSystemArchitecture, decode: { (data) throws(WireError) in
            guard !data.isEmpty, data.count % 2 == 0 else {
                throw lengthError(.clientSystemArchitecture, data, "a non-zero multiple of 2")
            }
            return stride(from: 0, to: data.count, by: 2).map {
                DHCPClientArchitecture(rawValue: UInt16(data[$0]) << 8 | UInt16(data[$0 + 1]))
            }
        }, encode: { $0.flatMap { [UInt8(truncatingIfNeeded: $0.rawValue >> 8), UInt8(truncatingIfNeeded: $0.rawValue)] } })
    }
}

extension DHCPOptionKey where Value == DHCPClientNetworkInterface {
    /// Option 94 (RFC 4578 §2.2): exactly three bytes.
    public static var clientNetworkInterfaceIdentifier: Self {
        Self(.clientNetworkInterfaceIdentifier, decode: { (data) throws(WireError) in
            guard data.count == 3 else { throw lengthError(.clientNetworkInterfaceIdentifier, data, "3") }
            return DHCPClientNetworkInterface(type: data[0], major: data[1], minor: data[2])
        }, encode: { [$0.type, $0.major, $0.minor] })
    }
}

extension DHCPOptionKey where Value == DHCPClientMachineIdentifier {
    /// Option 97 (RFC 4578 §2.3): a type byte (0) and the identifier (16 bytes for type 0).
    public static var clientMachineIdentifier: Self {
        Self(.clientMachineIdentifier, decode: { (data) throws(WireError) in
            guard let type = data.first else { throw lengthError(.clientMachineIdentifier, data, "17") }
            guard type != 0 || data.count == 17 else { throw lengthError(.clientMachineIdentifier, data, "17 for type 0") }
            return DHCPClientMachineIdentifier(type: type, identifier: Array(data.dropFirst()))
        }, encode: { [$0.type] + $0.identifier })
    }
}
