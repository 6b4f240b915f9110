import TaskSequenceCore

/// The drivers of a platform, by step type. Set Variables and Restart are run by the
/// executor itself and have no driver.
public enum Drivers {
    public static func linux(_ type: StepType) -> (any StepDriver)? {
        switch type {
        case .applyImage: return ApplyImageDriver()
        case .setHostname: return SetHostnameDriver()
        case .runScript, .installSoftware, .installClient: return PackageScriptDriver()
        case .joinDomain: return JoinDomainDriver()
        case .captureImage: return CaptureImageDriver()
        case .setVariables, .restart: return nil
        }
    }
}
