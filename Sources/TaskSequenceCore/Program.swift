/// The compiled form of a sequence: a flat instruction table walked by an instruction pointer,
/// as SCCM's engine does ("Adding begin group instruction at 46", `SMSTSNextInstructionPointer`,
/// `_SMSTSInstructionTableSize`; engines §1.5). Groups become a begin/end pair that point at each
/// other, so skipping or leaving a group is one jump, and a run can resume from a saved pointer.
public struct Program: Sendable {
    public struct Instruction: Sendable {
        public enum Kind: Sendable, Equatable {
            /// Enter a group; `end` is the index of its `endGroup`.
            case beginGroup(end: Int)
            case step
            /// Leave a group; `begin` is the index of its `beginGroup`.
            case endGroup(begin: Int)
        }

        public var kind: Kind
        /// The options of the step or group (for `endGroup`: the group's).
        public var options: ItemOptions
        /// The step, for `.step`.
        public var step: Step?
        /// Index of the enclosing `beginGroup`, nil at the top level.
        public var parent: Int?
        /// Group nesting depth (0 = top level).
        public var depth: Int
    }

    public var name: String
    public var instructions: [Instruction]

    public var count: Int { instructions.count }

    /// Compiles the validated model into the instruction table.
    public init(_ definition: TaskSequenceDefinition) {
        name = definition.name
        instructions = []
        emit(definition.items, parent: nil, depth: 0)
    }

    private mutating func emit(_ items: [SequenceItem], parent: Int?, depth: Int) {
        for item in items {
            switch item {
            case .step(let step):
                instructions.append(Instruction(kind: .step, options: step.options, step: step, parent: parent, depth: depth))
            case .group(let group):
                let begin = instructions.count
                instructions.append(Instruction(kind: .beginGroup(end: -1), options: group.options, step: nil, parent: parent, depth: depth))
                emit(group.items, parent: begin, depth: depth + 1)
                let end = instructions.count
                instructions.append(Instruction(kind: .endGroup(begin: begin), options: group.options, step: nil, parent: parent, depth: depth))
                instructions[begin].kind = .beginGroup(end: end)
            }
        }
    }

    /// The index after the group that starts at `begin` (or `begin + 1` for a step).
    public func after(_ index: Int) -> Int {
        if case .beginGroup(let end) = instructions[index].kind { return end + 1 }
        return index + 1
    }

    /// Whether `index` or any enclosing group is disabled ("Disable this step" on a group
    /// disables all its steps, seed L4869-4870).
    public func isDisabled(_ index: Int) -> Bool {
        var current: Int? = index
        while let i = current {
            if instructions[i].options.disabled { return true }
            current = instructions[i].parent
        }
        return false
    }
}
