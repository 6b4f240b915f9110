import BootServices
import NetbootConfig
import NetbootWire

extension TFTPServiceOptions {
    /// The options from the `tftp:` section of `etc/netboot.yaml` (docs/configuration.md).
    ///
    /// A client class's `vendor-class` needs the DHCP service's record of which address sent
    /// which option 60, which the TFTP service does not see yet; an `AAPLBSDPC…` vendor class is
    /// therefore matched by what only Apple firmware requests — paths inside a `.nbi/` folder —
    /// and any other vendor class is reported in `unmatchedVendorClasses` (logged at start-up).
    public init(_ section: NetbootConfiguration.TFTP) {
        var classes: [TFTPClientClass] = []
        var unmatched: [String] = []
        for (index, entry) in section.clientClasses.enumerated() {
            var rules: [TFTPClientClass.Rule] = []
            if let network = entry.network { rules.append(.network(network.network, prefixLength: network.prefixLength)) }
            if let prefix = entry.pathPrefix { rules.append(.pathPrefix(prefix)) }
            if let text = entry.pathContains { rules.append(.pathContains(text)) }
            if let vendor = entry.vendorClass {
                if "AAPLBSDPC".hasPrefix(vendor) || vendor.hasPrefix("AAPLBSDPC") {
                    rules.append(.pathContains(".nbi/"))
                } else {
                    unmatched.append(vendor)
                }
            }
            guard !rules.isEmpty else { continue }
            let name = entry.vendorClass.map { $0.hasPrefix("AAPLBSDPC") ? "apple-firmware" : $0 } ?? "class-\(index + 1)"
            classes.append(TFTPClientClass(name: name, rules: rules, maxBlockSize: entry.maxBlksize,
                                           maxWindowSize: entry.maxWindowsize))
        }
        let transfer = TFTPTransferConfiguration(
            maxBlockSize: section.maxBlksize, maxWindowSize: section.maxWindowsize,
            retransmitTimeout: .seconds(section.timeout),
            maxRetransmitTimeout: .seconds(max(8, section.timeout)), maxRetries: section.retries,
            clientClasses: classes)
        self.init(port: section.port, root: section.root, uploadDirectory: section.uploadDir,
                  pathMapping: TFTPPathMapping(prefixes: section.pathPrefixes), transfer: transfer,
                  maxTransfersPerClient: section.maxTransfersPerClient)
        self.unmatchedVendorClasses = unmatched
        self.segmentationOffload = section.segmentationOffload
        if section.transferThreads > 0 { self.transferThreads = section.transferThreads }
        self.busyPoll = .microseconds(section.busyPollMicroseconds)
    }
}
