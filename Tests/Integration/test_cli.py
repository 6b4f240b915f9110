"""The netboot executable answers its most basic commands."""
import subprocess

from conftest import netboot_bin


def test_version_prints_the_version():
    out = subprocess.run([netboot_bin(), "version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("netboot ")


HIDDEN = [["tftp-serve"], ["http-serve"]]


def subcommands(path):
    """The subcommands `netboot PATH --help` lists."""
    text = subprocess.run([netboot_bin(), *path, "--help"], capture_output=True, text=True, check=True).stdout
    if "SUBCOMMANDS:" not in text:
        return []
    section = text.split("SUBCOMMANDS:", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in section.splitlines() if line.startswith("  ") and not line.startswith("   ")]


def every_command():
    found, queue = [], [[]]
    while queue:
        path = queue.pop(0)
        found.append(path)
        queue += [path + [name] for name in subcommands(path) if name != "help"]
    return found + HIDDEN


def test_every_help_has_an_example_and_the_exit_codes():
    commands = every_command()
    assert ["images", "list"] in commands and ["ts", "lint"] in commands and len(commands) >= 20
    for path in commands:
        out = subprocess.run([netboot_bin(), *path, "--help"], capture_output=True, text=True)
        assert out.returncode == 0, (path, out.stderr)
        text = out.stdout
        assert "\nEXAMPLES:\n" in text, (path, text)
        examples = text.split("\nEXAMPLES:\n", 1)[1].split("\n\n", 1)[0]
        assert f"  netboot {' '.join(path)}".rstrip() in examples, (path, examples)
        assert "\nEXIT CODES:\n" in text, (path, text)
        codes = text.split("\nEXIT CODES:\n", 1)[1].split("\n\n", 1)[0]
        assert codes.startswith("  0   "), (path, codes)
        assert "\n  64  wrong usage" in codes, (path, codes)


def test_decode_and_capture_help_do_not_claim_http_decoding():
    """The decoder reads DHCP/BSDP and TFTP; TCP (HTTP) gets addresses and ports only (issue 14 item 8)."""
    for command in ("decode", "capture"):
        text = subprocess.run([netboot_bin(), command, "--help"], capture_output=True, text=True, check=True).stdout
        overview = text.split("USAGE:")[0].replace("\n", " ")
        assert "decode DHCP/BSDP and TFTP" in overview or "Decode DHCP, BSDP and TFTP" in overview, overview
        assert "HTTP is not decoded" in overview or "HTTP included, is not decoded" in overview, overview
        assert "decode DHCP/BSDP, TFTP, HTTP" not in overview
