// libFuzzer harness: the configuration reader (LocatedYAML + NetbootConfig) on arbitrary text.
// Every input must come back as a configuration plus diagnostics, never a trap. docs/fuzzing.md
import NetbootConfig

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let result = NetbootConfiguration.parse(text, file: "fuzz.yaml")
    _ = result.rendered
    return 0
}
