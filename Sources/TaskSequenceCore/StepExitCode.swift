/// Exit codes with a meaning to the engine.
///
/// 3010 is SCCM's "success, restart required" (`ERROR_SUCCESS_REBOOT_REQUIRED`, engines §1.4):
/// the step succeeded and the machine must restart before the next step. Exit statuses are
/// 8 bits on Linux and macOS, so a script's `exit 3010` reaches the runner as 3010 mod 256 =
/// 194; for a command-like step 194 therefore means 3010, and is recorded and shown as 3010
/// (the raw 194 is kept beside it).
public enum StepExitCode {
    public static let successRebootRequired: Int32 = 3010
    /// 3010 as an 8-bit exit status.
    public static let successRebootRequiredTruncated: Int32 = 3010 & 0xFF

    /// The code the step's rules read: 194 becomes 3010.
    public static func normalized(_ raw: Int32) -> Int32 {
        raw == successRebootRequiredTruncated ? successRebootRequired : raw
    }
}
