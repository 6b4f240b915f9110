// Target TaskSequence: see docs/architecture.md for what it holds. Replaced as the target fills in.
enum TaskSequencePlaceholder {}
