import LocatedYAML
import NetbootWire
import Yams

/// Reads one YAML mapping of the configuration key by key, with typed getters that fall back
/// to a default and record a located diagnostic for a wrong type or an out-of-range value.
///
/// Every getter declares its key as known; `finish()` then reports each key of the mapping
/// that no getter asked for, with the closest known key as a did-you-mean. A section's reader
/// is therefore the one list of its keys — adding a key is adding one getter call.
final class MappingReader {
    /// The dotted path of this mapping (`tftp`, `dhcp.subnets[0]`; empty at the top level).
    let path: String
    /// Where the mapping starts (for missing-key errors).
    let mark: Mark?
    let log: DiagnosticLog
    private let entries: [(key: String, keyNode: Node, value: Node)]
    private var known: [String] = []

    /// A reader over `node`; an absent or null node reads as an empty mapping (all defaults),
    /// anything else that is not a mapping is reported and also read as empty.
    init(_ node: Node?, path: String, log: DiagnosticLog) {
        self.path = path
        self.log = log
        self.mark = node?.mark
        switch node {
        case let .mapping(mapping)?:
            entries = mapping.map { (key: $0.key.scalar?.string ?? Scalars.describe($0.key), keyNode: $0.key, value: $0.value) }
        case let node? where !Scalars.isNull(node):
            log.error("\(path.isEmpty ? "configuration" : path): expected a mapping, found \(Scalars.describe(node))",
                      at: node.mark, rule: .wrongType)
            entries = []
        default:
            entries = []
        }
    }

    /// The full dotted name of `key` in this mapping.
    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Declares `key` and returns its value node, or nil when absent or null.
    func node(_ key: String) -> Node? {
        known.append(key)
        log.declared.insert(name(key))
        if entries.contains(where: { $0.key == key }) { log.written.insert(name(key)) }
        guard let value = entries.last(where: { $0.key == key })?.value, !Scalars.isNull(value) else { return nil }
        return value
    }

    /// Reports every key that no getter declared. Call once, after all getters.
    func finish() {
        for entry in entries where !known.contains(entry.key) {
            var message = "unknown key '\(name(entry.key))'"
            if let suggestion = MappingReader.suggestion(for: entry.key, among: known) {
                message += " (did you mean '\(name(suggestion))'?)"
            }
            log.error(message, at: entry.keyNode.mark, rule: .unknownKey)
        }
    }

    /// The closest known key to a misspelt one: by edit distance over whole keys, else over
    /// their last hyphenated word (`blocksize` → `max-blksize` through `blksize`).
    static func suggestion(for key: String, among known: [String]) -> String? {
        if let whole = Suggestion.closest(to: key, among: known) { return whole }
        let lastWords = known.compactMap { candidate -> (word: String, key: String)? in
            guard let word = candidate.split(separator: "-").last, word.count >= 4, String(word) != candidate else { return nil }
            return (String(word), candidate)
        }
        guard let word = Suggestion.closest(to: key, among: lastWords.map(\.word)) else { return nil }
        return lastWords.first { $0.word == word }?.key
    }

    // MARK: scalars

    func string(_ key: String, default value: String) -> String {
        optionalString(key) ?? value
    }

    func optionalString(_ key: String) -> String? {
        guard let node = node(key) else { return nil }
        return Scalars.string(node, name(key), log)
    }

    func bool(_ key: String, default value: Bool) -> Bool {
        guard let node = node(key) else { return value }
        return Scalars.bool(node, name(key), log) ?? value
    }

    func int(_ key: String, default value: Int, in range: ClosedRange<Int>) -> Int {
        guard let node = node(key) else { return value }
        return Scalars.int(node, name(key), in: range, log) ?? value
    }

    func optionalInt(_ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let node = node(key) else { return nil }
        return Scalars.int(node, name(key), in: range, log)
    }

    /// An integer that the seed clamps rather than rejects: a value outside `limits` becomes
    /// the nearest limit, with a warning.
    func clampedInt(_ key: String, default value: Int, limits: ClosedRange<Int>) -> Int {
        guard let node = node(key), let raw = Scalars.int(node, name(key), in: Int.min...Int.max, log) else { return value }
        let clamped = min(max(raw, limits.lowerBound), limits.upperBound)
        if clamped != raw {
            log.warning("\(name(key)): \(raw) is outside \(limits.lowerBound)-\(limits.upperBound); \(clamped) is used",
                        at: node.mark, rule: .clamped)
        }
        return clamped
    }

    func ipv4(_ key: String) -> IPv4Address? {
        guard let node = node(key) else { return nil }
        return Scalars.ipv4(node, name(key), log)
    }

    func mac(_ key: String) -> MACAddress? {
        guard let node = node(key) else { return nil }
        return Scalars.mac(node, name(key), log)
    }

    func prefix(_ key: String) -> IPv4Subnet? {
        guard let node = node(key) else { return nil }
        return Scalars.prefix(node, name(key), log)
    }

    /// One of `E`'s raw values; a near miss gets a did-you-mean.
    func word<E: RawRepresentable & CaseIterable>(_ key: String, default value: E) -> E where E.RawValue == String {
        guard let node = node(key), let text = Scalars.string(node, name(key), log) else { return value }
        if let word = E(rawValue: text) { return word }
        let words = E.allCases.map(\.rawValue)
        var message = "\(name(key)): '\(text)' is not one of \(words.joined(separator: ", "))"
        if let suggestion = Suggestion.closest(to: text, among: words) { message += " (did you mean '\(suggestion)'?)" }
        log.error(message, at: node.mark, rule: .invalidValue)
        return value
    }

    /// Reports a required key that is absent, at the start of this mapping.
    func require<T>(_ value: T?, _ key: String) -> T? {
        if value == nil, !has(key) {
            log.error("\(path.isEmpty ? "configuration" : path): missing required key '\(key)'", at: mark, rule: .missingKey)
        }
        return value
    }

    // MARK: containers

    /// A nested mapping read by `read`, then checked for unknown keys. Absent or null: `default`.
    func section<T>(_ key: String, default value: T, _ read: (MappingReader) -> T) -> T {
        guard let node = node(key) else { return value }
        let reader = MappingReader(node, path: name(key), log: log)
        defer { reader.finish() }
        return read(reader)
    }

    /// A list whose elements are converted by `element` (given the node and its `path[i]`
    /// name; nil drops an element that was reported). Absent or null: `default`.
    func list<T>(_ key: String, default value: [T], _ element: (Node, String) -> T?) -> [T] {
        guard let node = node(key) else { return value }
        guard case let .sequence(sequence) = node else {
            log.error("\(name(key)): expected a list, found \(Scalars.describe(node))", at: node.mark, rule: .wrongType)
            return value
        }
        return sequence.enumerated().compactMap { element($0.element, "\(name(key))[\($0.offset)]") }
    }

    /// The number of elements when `key` holds a list (does not declare the key).
    func sequenceCount(_ key: String) -> Int? {
        guard case let .sequence(list)? = entries.last(where: { $0.key == key })?.value else { return nil }
        return list.count
    }

    /// Whether the mapping writes `key` with a non-null value (does not declare the key).
    func has(_ key: String) -> Bool {
        entries.contains { $0.key == key && !Scalars.isNull($0.value) }
    }

    /// The value node's position, for cross-field errors (does not declare the key).
    func mark(of key: String) -> Mark? {
        entries.last(where: { $0.key == key })?.value.mark ?? mark
    }

    /// Where the file writes the value of a nested key (`["logs", "dir"]`), or nil when it
    /// does not write it.
    func writtenMark(of keys: [String]) -> Mark? {
        guard let first = keys.first, var node = entries.last(where: { $0.key == first })?.value else { return nil }
        for key in keys.dropFirst() {
            guard let next = node.mapping?[key] else { return nil }
            node = next
        }
        return node.mark
    }
}
