extension Program {
    /// A short digest of the instruction table's shape (kinds, step types, ids, names, nesting),
    /// so that a journal is only resumed against the program it was written for. FNV-1a 64: it
    /// detects a changed or tampered plan by accident or edit, not by an adversary who can also
    /// rewrite the journal.
    public var fingerprint: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ text: String) {
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
            hash ^= 0x1f
            hash = hash &* 0x0000_0100_0000_01b3
        }
        mix(name)
        for instruction in instructions {
            switch instruction.kind {
            case .beginGroup(let end): mix("begin \(end)")
            case .endGroup(let begin): mix("end \(begin)")
            case .step: mix("step \(instruction.step?.type.rawValue ?? "?")")
            }
            mix(instruction.options.id ?? "")
            mix(instruction.options.name)
            mix("\(instruction.depth) \(instruction.parent ?? -1)")
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
