// libFuzzer harness: the TFTP read and write transfer machines (BootServices/TFTP) driven by a
// byte-derived script of packets, time steps, file loads and failures. Invariants checked after
// every event: DATA stays inside the file, the loaded range and the window (RFC 7440); at most
// blksize bytes per block; uploads never exceed the limit; nothing after `finish`; a live
// transfer always has a deadline or a pending load (it can never hang). docs/fuzzing.md
import BootServices
import NetbootWire

struct Script {
    var bytes: [UInt8]
    var index = 0
    var atEnd: Bool { index >= bytes.count }
    mutating func u8() -> UInt8 {
        guard index < bytes.count else { return 0 }
        defer { index += 1 }
        return bytes[index]
    }
    mutating func u16() -> UInt16 { UInt16(u8()) << 8 | UInt16(u8()) }
    mutating func u32() -> UInt32 { UInt32(u16()) << 16 | UInt32(u16()) }
}

func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var script = Script(bytes: Array(UnsafeBufferPointer(start: data, count: size)))
    let flags = script.u8()
    let configuration = TFTPTransferConfiguration(
        maxBlockSize: Int(script.u16()), maxWindowSize: Int(script.u8()),
        retransmitTimeout: .milliseconds(Int(script.u16())), maxRetransmitTimeout: .milliseconds(Int(script.u16())),
        maxRetries: Int(script.u8() % 8),
        numbering: TFTPBlockNumbering(rollover: flags & 2 == 0 ? .toZero : .toOne),
        readAheadBytes: Int(script.u32() % (4 << 20)), maxUploadSize: UInt64(script.u32()))
    // Requested options, as a client would send them (decimal text, possibly out of range).
    var requested: [TFTPOption] = []
    if flags & 4 != 0 { requested.append(TFTPOption(TFTPOption.blockSize, String(script.u16()))) }
    if flags & 8 != 0 { requested.append(TFTPOption(TFTPOption.windowSize, String(script.u16()))) }
    if flags & 16 != 0 { requested.append(TFTPOption(TFTPOption.timeout, String(script.u8()))) }
    if flags & 32 != 0 { requested.append(TFTPOption(TFTPOption.transferSize, String(script.u32()))) }
    let limits = configuration.limits(for: nil)
    let start = ContinuousClock.now
    if flags & 1 == 0 {
        read(&script, configuration, requested, limits, start)
    } else {
        write(&script, configuration, requested, limits, start)
    }
    return 0
}

func read(_ script: inout Script, _ configuration: TFTPTransferConfiguration, _ requested: [TFTPOption],
          _ limits: TFTPOptionLimits, _ start: ContinuousClock.Instant) {
    let fileSize = UInt64(script.u32() % (64 << 20))
    let options = TFTPNegotiation.negotiate(requested, direction: .read(size: fileSize), limits: limits)
    let blockSize = UInt64(options.blockSize)
    check(TFTPLimits.blockSize.contains(options.blockSize) && options.blockSize <= limits.maxBlockSize
              || options.blockSize == TFTPLimits.defaultBlockSize, "blksize \(options.blockSize)")
    check(options.windowSize >= 1 && options.windowSize <= limits.maxWindowSize, "windowsize \(options.windowSize)")
    var transfer = TFTPReadTransfer(size: fileSize, options: options, configuration: configuration)
    var now = start
    var loaded: Range<UInt64> = 0..<0
    var pendingLoad: Range<UInt64>?
    var finished = false
    var actions: [TFTPReadTransfer.Action] = []

    func apply(_ actions: [TFTPReadTransfer.Action], _ transfer: TFTPReadTransfer) {
        for action in actions {
            check(!finished, "action after finish: \(action)")
            switch action {
            case .sendData(_, let offset, let count):
                check(count >= 0 && UInt64(count) <= blockSize, "DATA of \(count) bytes, blksize \(blockSize)")
                check(offset % blockSize == 0 && offset + UInt64(count) <= fileSize, "DATA at \(offset)+\(count) past \(fileSize)")
                check(count == 0 || (loaded.lowerBound <= offset && offset + UInt64(count) <= loaded.upperBound),
                      "DATA at \(offset)+\(count) outside loaded \(loaded)")
                check(UInt64(count) == blockSize || offset + UInt64(count) == fileSize, "short DATA before the end")
                let block = offset / blockSize + 1
                let ackedBlocks = transfer.statistics.bytes / blockSize
                check(block <= ackedBlocks + UInt64(options.windowSize) + 1,
                      "block \(block) beyond window (acked bytes \(transfer.statistics.bytes), window \(options.windowSize))")
            case .load(let range):
                check(range.upperBound <= fileSize && !range.isEmpty, "load \(range) of \(fileSize)")
                check(pendingLoad == nil, "second load while one is pending")
                pendingLoad = range
            case .finish:
                finished = true
            case .sendOptionAcknowledgement, .sendError:
                break
            }
        }
    }

    transfer.start(now: now, into: &actions)
    apply(actions, transfer)
    var steps = 0
    while !script.atEnd, steps < 4096 {
        steps += 1
        actions.removeAll(keepingCapacity: true)
        switch script.u8() % 8 {
        case 0, 1, 2:
            transfer.packetReceived(.acknowledgement(block: script.u16()), now: now, into: &actions)
        case 3:
            now = now + .milliseconds(Int(script.u16()))
            transfer.deadlineReached(now: now, into: &actions)
        case 4:
            if let range = pendingLoad {
                pendingLoad = nil
                loaded = range
                transfer.fileDataLoaded(range, now: now, into: &actions)
            }
        case 5:
            if let deadline = transfer.nextDeadline { now = deadline }
            transfer.deadlineReached(now: now, into: &actions)
        case 6:
            transfer.packetReceived(.error(code: TFTPErrorCode(UInt16(script.u8())), message: "x"), now: now, into: &actions)
        default:
            if script.u8() & 0x80 != 0 {
                transfer.fileReadFailed("fuzz", into: &actions)
            } else {
                transfer.packetReceived(.data(block: script.u16(), payload: []), now: now, into: &actions)
            }
        }
        apply(actions, transfer)
        check(finished == transfer.isFinished, "finish action and isFinished disagree")
        check(finished || transfer.nextDeadline != nil || pendingLoad != nil,
              "live read transfer with no deadline and no pending load: it would hang")
    }
}

func write(_ script: inout Script, _ configuration: TFTPTransferConfiguration, _ requested: [TFTPOption],
           _ limits: TFTPOptionLimits, _ start: ContinuousClock.Instant) {
    let options = TFTPNegotiation.negotiate(requested, direction: .write, limits: limits)
    var transfer = TFTPWriteTransfer(options: options, configuration: configuration)
    var now = start
    var finished = false
    var appended: UInt64 = 0
    var committed = false
    var actions: [TFTPWriteTransfer.Action] = []

    func apply(_ actions: [TFTPWriteTransfer.Action]) {
        for action in actions {
            check(!finished, "action after finish: \(action)")
            switch action {
            case .append(let bytes):
                check(!committed, "append after commit")
                check(!bytes.isEmpty && bytes.count <= options.blockSize, "append of \(bytes.count) bytes")
                appended += UInt64(bytes.count)
                check(appended <= configuration.maxUploadSize, "upload past the limit")
            case .commit:
                check(!committed, "second commit")
                committed = true
            case .finish:
                finished = true
            case .sendAcknowledgement, .sendOptionAcknowledgement, .sendError:
                break
            }
        }
    }

    transfer.start(now: now, into: &actions)
    apply(actions)
    var steps = 0
    while !script.atEnd, steps < 4096 {
        steps += 1
        actions.removeAll(keepingCapacity: true)
        switch script.u8() % 6 {
        case 0, 1, 2:
            let block = script.u16()
            let selector = script.u8()
            let count = selector & 0x80 != 0 ? options.blockSize : Int(selector) % (options.blockSize + 2)
            transfer.packetReceived(.data(block: block, payload: [UInt8](repeating: 0x5A, count: count)),
                                    now: now, into: &actions)
        case 3:
            now = now + .milliseconds(Int(script.u16()))
            transfer.deadlineReached(now: now, into: &actions)
        case 4:
            if let deadline = transfer.nextDeadline { now = deadline }
            transfer.deadlineReached(now: now, into: &actions)
        default:
            switch script.u8() % 3 {
            case 0: transfer.packetReceived(.error(code: .notDefined, message: "x"), now: now, into: &actions)
            case 1: transfer.packetReceived(.acknowledgement(block: script.u16()), now: now, into: &actions)
            default: transfer.fileWriteFailed("fuzz", into: &actions)
            }
        }
        apply(actions)
        check(finished == transfer.isFinished, "finish action and isFinished disagree")
        check(finished || transfer.nextDeadline != nil, "live write transfer with no deadline: it would hang")
    }
}
