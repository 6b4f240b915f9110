import NetbootWire
import NIOCore

/// A pass-through channel handler that records every datagram in and out of a UDP channel in
/// the ``FlightRecorder``: the one tap a DHCP/BSDP or TFTP service adds to its pipeline
/// (`channel.pipeline.addHandler(FlightRecorderTap(recorder:interface:), position: .first)`).
/// IPv4 peers only.
public final class FlightRecorderTap: ChannelDuplexHandler, Sendable {
    public typealias InboundIn = AddressedEnvelope<ByteBuffer>
    public typealias InboundOut = AddressedEnvelope<ByteBuffer>
    public typealias OutboundIn = AddressedEnvelope<ByteBuffer>
    public typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    let recorder: FlightRecorder
    let interface: String

    public init(recorder: FlightRecorder, interface: String) {
        self.recorder = recorder
        self.interface = interface
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if recorder.isEnabled {
            tap(unwrapInboundIn(data), local: context.channel.localAddress, direction: .received)
        }
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if recorder.isEnabled {
            tap(unwrapOutboundIn(data), local: context.channel.localAddress, direction: .sent)
        }
        context.write(data, promise: promise)
    }

    private func tap(_ envelope: AddressedEnvelope<ByteBuffer>, local: SocketAddress?, direction: FlightRecorder.Direction) {
        guard let peer = Self.ipv4(envelope.remoteAddress) else { return }
        // A wildcard socket's own address: the packet info's destination when the channel
        // asked for it (`receivePacketInfo`), else the bound address.
        let own = direction == .received ? envelope.metadata?.packetInfo?.destinationAddress : nil
        let bound = local.flatMap(Self.ipv4)
        let me = own.flatMap(Self.ipv4).map { ($0.0, bound?.1 ?? 0) } ?? bound ?? (IPv4Address(rawValue: 0), 0)
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
