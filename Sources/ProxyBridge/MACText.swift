import NetbootWire

/// MAC addresses in paths and CLI arguments, normalized to the store's `aa:bb:cc:dd:ee:ff`.
public enum MACText {
    public static func normalized(_ text: String) -> String? {
        MACAddress(text)?.description
    }
}
