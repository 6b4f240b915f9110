// libFuzzer harness: task-sequence lint (LocatedYAML + TaskSequence) on arbitrary text, the
// same text read as an inventory, and a plan of whatever sequence read cleanly for one machine.
// docs/fuzzing.md
import Foundation
import TaskSequence

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    let report = Linter.lint(data: bytes, file: "fuzz.yaml")
    _ = report.rendered
    let (inventory, _) = Linter.inventory(data: bytes, file: "inventory.yaml")
    if let definition = report.definition {
        let machine = Inventory.Machine(mac: "00:1c:42:00:00:01", model: "iMac18,3")
        _ = Planner.plan(definition, inventory: inventory, machine: machine)
    }
    return 0
}
