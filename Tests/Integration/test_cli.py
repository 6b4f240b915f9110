"""The netboot executable answers its most basic commands."""
import subprocess

from conftest import netboot_bin


def test_version_prints_the_version():
    out = subprocess.run([netboot_bin(), "version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("netboot ")
