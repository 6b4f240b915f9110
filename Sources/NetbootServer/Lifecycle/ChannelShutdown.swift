import NIOCore
import ServiceLifecycle

/// How a service's `run()` waits on its listening channels: until they close by themselves, or
/// until graceful shutdown (SIGTERM/SIGINT) **or task cancellation** closes them. The service
/// group cancels every service when one of them fails to start (issue 14 item 1); a service
/// that waited only for graceful shutdown would keep the group, and the process, alive for
/// ever, with no signal handled any more.
enum ChannelShutdown {
    /// Returns once every channel in `channels` is closed.
    static func waitClosed(_ channels: [any Channel]) async {
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                for channel in channels { try? await channel.closeFuture.get() }
            } onGracefulShutdown: {
                for channel in channels { channel.close(promise: nil) }
            }
        } onCancel: {
            for channel in channels { channel.close(promise: nil) }
        }
    }
}
