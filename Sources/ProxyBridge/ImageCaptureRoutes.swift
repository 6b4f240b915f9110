import BridgeCore

/// The captured-image route's row of ``BridgeRoute`` (issue 16 §4, capture image to the
/// appliance; docs/bridge.md "Captured images"): registered, checked and documented with the
/// rest through ``BridgeRoute/all``.
extension BridgeRoute {
    public static let captures: [BridgeRoute] = [
        BridgeRoute(port: .client, method: "PUT", path: "/v1/runs/{id}/images/{name}", scope: .runsWrite, operation: "uploadCapturedImage",
                    summary: "Send an image captured by a Capture Image step of this machine's running run; the appliance checks it "
                        + "(it must decode; its raw SHA-256 must equal the declared one: a Netboot-Image-SHA256 header, or a "
                        + "48-byte zstd skippable frame ending the stream) and registers it in its disk-image catalog. "
                        + "Nothing is registered unless all of it arrived and checked out.",
                    responses: [201: "Stored and registered: the disk-image record.",
                                400: "A bad name or header, no declared SHA-256, or an image that does not decode.",
                                401: "No live client token.", 403: "Not a client token.",
                                404: "No such run of this machine.",
                                409: "The run has finished or has no Capture Image step, the name is taken, or an upload of it is under way.",
                                413: "Larger than bridge.max-image-bytes.", 422: "The declared SHA-256 is not the received content's.",
                                503: "This bridge stores no images (remote mode)."],
                    requestMediaType: "application/octet-stream"),
    ]
}
