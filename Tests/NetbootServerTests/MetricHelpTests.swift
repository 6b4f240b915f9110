import Testing
@testable import NetbootServer

/// `# HELP` lines are written before each `# TYPE` line of the exposition (issue 20).
@Suite struct MetricHelpTests {
    @Test func helpGoesBeforeEachTypeOnce() {
        let text = """
        # TYPE netboot_tftp_active_transfers gauge
        netboot_tftp_active_transfers 0
        # HELP already_helped Said.
        # TYPE already_helped counter
        already_helped 1
        # TYPE netboot_unlisted counter
        netboot_unlisted 2

        """
        #expect(MetricHelp.annotate(text) == """
        # HELP netboot_tftp_active_transfers TFTP transfers running now.
        # TYPE netboot_tftp_active_transfers gauge
        netboot_tftp_active_transfers 0
        # HELP already_helped Said.
        # TYPE already_helped counter
        already_helped 1
        # HELP netboot_unlisted netboot metric netboot_unlisted.
        # TYPE netboot_unlisted counter
        netboot_unlisted 2

        """)
        #expect(MetricHelp.annotate("") == "")
    }

    @Test func everyListedNameHasThePrefix() {
        for name in MetricHelp.texts.keys { #expect(name.hasPrefix("netboot_"), "\(name)") }
    }
}
