"""The netboot executable answers its most basic commands."""
import subprocess

from conftest import netboot_bin


def test_version_prints_the_version():
    out = subprocess.run([netboot_bin(), "version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("netboot ")


def test_decode_and_capture_help_do_not_claim_http_decoding():
    """The decoder reads DHCP/BSDP and TFTP; TCP (HTTP) gets addresses and ports only (issue 14 item 8)."""
    for command in ("decode", "capture"):
        text = subprocess.run([netboot_bin(), command, "--help"], capture_output=True, text=True, check=True).stdout
        overview = text.split("USAGE:")[0].replace("\n", " ")
        assert "decode DHCP/BSDP and TFTP" in overview or "Decode DHCP, BSDP and TFTP" in overview, overview
        assert "HTTP is not decoded" in overview or "HTTP included, is not decoded" in overview, overview
        assert "decode DHCP/BSDP, TFTP, HTTP" not in overview
