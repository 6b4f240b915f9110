import TaskSequenceCore

/// The runner's side of `tsvar`: answers one request against the running executor. Pure;
/// the socket shell calls it on the run loop so that sets are ordered with step events.
public enum VariableRequests {
    public static func answer(_ request: VariableUtility.Request, executor: inout Executor) -> VariableUtility.Response {
        guard executor.runningStep != nil else {
            return .refused(code: .outsideRun, message: "no step is running")
        }
        switch request {
        case .get(let names):
            var values: [VariableUtility.Assignment] = []
            for name in names {
                guard VariableUtility.isVariableName(name), let text = executor.variables.text(VariableName(name)) else {
                    return .refused(code: .unknownVariable, message: "variable '\(VariableUtility.printable(name))' has no value")
                }
                values.append(VariableUtility.Assignment(name: name, value: text))
            }
            return .values(values)
        case .set(let assignments):
            // All or nothing: check every name before setting any.
            for assignment in assignments {
                let name = VariableName(assignment.name)
                guard VariableUtility.isVariableName(assignment.name) else {
                    return .refused(code: .usage, message: "'\(VariableUtility.printable(assignment.name))' is not a variable name")
                }
                if name.isReadOnly {
                    return .refused(code: .readOnly, message: "'\(assignment.name)' is a read-only built-in variable")
                }
            }
            for assignment in assignments {
                do {
                    try executor.setRunning(VariableName(assignment.name), assignment.value)
                } catch {
                    return .refused(code: .usage, message: "'\(VariableUtility.printable(assignment.name))' cannot be set")
                }
            }
            return .done
        }
    }
}
