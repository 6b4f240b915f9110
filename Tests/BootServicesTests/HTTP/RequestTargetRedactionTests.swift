import Testing

@testable import BootServices

/// The access log's view of a target: query values never appear, names and paths do.
@Suite struct RequestTargetRedactionTests {
    @Test(arguments: [
        ("/boot/ipxe?mac=52:54:00:12:34:56&token=s3cr3t", "/boot/ipxe?mac=***&token=***"),
        ("/f.img?s3cr3t", "/f.img?***"),
        ("/f.img", "/f.img"),
        ("/f.img?", "/f.img?"),
        ("/a?x=&y=1", "/a?x=&y=***"),
        ("/a?&&t=1", "/a?&&t=***"),
        ("/a?t=1=2&u", "/a?t=***&***"),
        ("/a?t=%41%42#frag", "/a?t=***"),
        ("http://host/p?token=abc", "http://host/p?token=***"),
    ])
    func valuesAreRedacted(target: String, logged: String) {
        #expect(RequestTarget.redactingQueryValues(target) == logged)
    }
}
