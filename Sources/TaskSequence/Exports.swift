// The pure core (program, executor, variables, conditions) lives in `TaskSequenceCore`; the
// YAML reader, lint, plan and schema here build on it, and their users see both.
@_exported import TaskSequenceCore
