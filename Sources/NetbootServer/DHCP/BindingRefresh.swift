import BootServices
import Foundation
import Logging
import NetbootConfig
import NetbootStore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Keeps the BSDP responder's bindings in step with a shared store (docs/store.md "BSDP across
/// appliances"): every `store.binding-refresh` seconds the whole `bsdp_binding` table is read on
/// a thread of its own — never on the event loop, never in the way of a lease commit — and
/// merged into the core (`BSDPResponder.merge`). A read that is still running when the next is
/// due (a database that does not answer) makes the next one wait; a failed read keeps the
/// bindings the core has and is logged at debug level (the commit path reports outages).
final class BindingRefresh: Sendable {
    private let task: RepeatedTask
    private let threadPool: NIOThreadPool

    private init(task: RepeatedTask, threadPool: NIOThreadPool) {
        self.task = task
        self.threadPool = threadPool
    }

    /// Starts refreshing when the store is shared and BSDP is served; nil otherwise.
    static func start(_ configuration: NetbootConfiguration, core: DHCPCoreBox, store: any BSDPBindingStore,
                      on loop: any EventLoop, logger: Logger) -> BindingRefresh? {
        guard configuration.bsdp.enabled, case .postgresql(let settings) = configuration.store else { return nil }
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let reading = NIOLockedValueBox(false)
        let interval = TimeAmount.seconds(Int64(settings.bindingRefresh))
        let task = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let busy = reading.withLockedValue { busy in
                defer { busy = true }
                return busy
            }
            guard !busy else { return }
            let read = pool.runIfActive(eventLoop: loop) { () throws -> ([BSDPClientBinding], Date) in
                let readAt = Date()
                return (try store.allBindings(), readAt)
            }
            read.whenComplete { result in
                reading.withLockedValue { $0 = false }
                switch result {
                case .success(let (stored, readAt)):
                    core.mergeBindings(stored.map {
                        BSDPBinding(mac: $0.mac, imageID: $0.imageID, serverIdentifier: $0.serverIdentifier,
                                    selectedAt: $0.selectedAt)
                    }, readAt: readAt)
                case .failure(let error):
                    logger.debug("bsdp: reading the shared selections failed: \(error)")
                }
            }
        }
        return BindingRefresh(task: task, threadPool: pool)
    }

    func cancel() {
        task.cancel()
        threadPool.shutdownGracefully { _ in }
    }
}
