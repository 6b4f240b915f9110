import NetbootWire
import NIOCore

/// A pass-through channel handler that records every datagram in and out of a UDP channel in
/// the ``FlightRecorder``: the one tap a DHCP/BSDP or TFTP service adds to its pipeline
/// (`channel.pipeline.addHandler(FlightRecorderTap(recorder:interface:), position: .first)`).
/// IPv4 peers only.
///
/// Addresses are recorded as they were on the wire, not as the socket is bound (a wildcard
/// `0.0.0.0:67` socket made every broadcast DISCOVER look sent to `0.0.0.0`, and the TFTP
/// listener's ERRORs look sent from `0.0.0.0`, which decoders then did not take for TFTP):
/// - received: the destination from the packet info (`receivePacketInfo`), so a broadcast is
///   recorded as `255.255.255.255`;
/// - sent: the source from the outbound envelope's packet info when the sender attached the
///   address of the datagram it answers (``answering(from:)``; the tap removes it before the write
///   goes on, so the socket sees the envelope it always saw), else `address` (the socket's
///   interface address, for a socket bound to the wildcard on one interface), else the bound
///   address.
public final class FlightRecorderTap: ChannelDuplexHandler, Sendable {
    public typealias InboundIn = AddressedEnvelope<ByteBuffer>
    public typealias InboundOut = AddressedEnvelope<ByteBuffer>
    public typealias OutboundIn = AddressedEnvelope<ByteBuffer>
    public typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let recorder: FlightRecorder
    let interface: String
    let address: IPv4Address?

    public init(recorder: FlightRecorder, interface: String, address: IPv4Address? = nil) {
        self.recorder = recorder
        self.interface = interface
        self.address = address
    }

    /// The metadata an answer from a wildcard socket carries so that the tap records the
    /// address it leaves from: `local`, the address the datagram it answers was sent to.
    public static func answering(from local: SocketAddress?) -> AddressedEnvelope<ByteBuffer>.Metadata? {
        guard let local else { return nil }
        return .init(ecnState: .transportNotCapable, packetInfo: NIOPacketInfo(destinationAddress: local, interfaceIndex: 0))
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if recorder.isEnabled {
            tap(unwrapInboundIn(data), local: context.channel.localAddress, direction: .received)
        }
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var envelope = unwrapOutboundIn(data)
        if recorder.isEnabled {
            tap(envelope, local: context.channel.localAddress, direction: .sent)
        }
        guard envelope.metadata?.packetInfo != nil else {
            context.write(data, promise: promise)
            return
        }
        // Only the tap reads an outbound packet info: pass on what the socket always got.
        envelope.metadata?.packetInfo = nil
        if envelope.metadata?.segmentSize == nil { envelope.metadata = nil }
        context.write(wrapOutboundOut(envelope), promise: promise)
    }

    private func tap(_ envelope: AddressedEnvelope<ByteBuffer>, local: SocketAddress?, direction: FlightRecorder.Direction) {
        guard let peer = Self.ipv4(envelope.remoteAddress) else { return }
        // Our end (see the type's notes): the packet info's address, else the interface's
        // address for a wildcard socket, else the bound address; the port is the bound one.
        let own = (envelope.metadata?.packetInfo?.destinationAddress).flatMap(Self.ipv4)?.0
        let bound = local.flatMap(Self.ipv4)
        let port = bound?.1 ?? 0
        let wildcard = bound.map { $0.0.rawValue == 0 } ?? true
        let me = (own ?? (wildcard ? address : nil) ?? bound?.0 ?? IPv4Address(rawValue: 0), port)
        for payload in Self.datagrams(envelope) {
            if direction == .received {
                recorder.record(datagram: payload, source: peer.0, sourcePort: peer.1, destination: me.0,
                                destinationPort: me.1, direction: direction, interface: interface)
            } else {
                recorder.record(datagram: payload, source: me.0, sourcePort: me.1, destination: peer.0,
                                destinationPort: peer.1, direction: direction, interface: interface)
            }
        }
    }

    /// The datagrams an envelope stands for: one, or — for a `UDP_SEGMENT` write — the
    /// segments the kernel cuts it into (each `segmentSize` bytes, the last possibly shorter).
    static func datagrams(_ envelope: AddressedEnvelope<ByteBuffer>) -> [[UInt8]] {
        let bytes = envelope.data.readableBytesView
        guard let size = envelope.metadata?.segmentSize, size > 0, bytes.count > size else { return [Array(bytes)] }
        return stride(from: bytes.startIndex, to: bytes.endIndex, by: size).map { start in
            Array(bytes[start ..< min(start + size, bytes.endIndex)])
        }
    }

    static func ipv4(_ address: SocketAddress) -> (IPv4Address, UInt16)? {
        guard case .v4(let v4) = address, let port = address.port else { return nil }
        return (IPv4Address(rawValue: UInt32(bigEndian: v4.address.sin_addr.s_addr)), UInt16(port))
    }
}
