"""`netboot config check` and `netboot serve` against good and broken configuration files:
exit codes, the exact `file:line:col` lines, refusal to start, and a clean start and stop on
SIGTERM/SIGINT inside a network namespace."""
import os
import signal
import subprocess
import time

import pytest

from conftest import REPO, netboot_bin

BROKEN = """\
interfaces: [eth0]
dhcp:
  mode: proxi
  port: 70000
tftp:
  blocksize: 1460
  max-blksize: "1468"
http:
  port: abc
logs:
  size-limit: 100
"""

BROKEN_LINES = [
    "{f}:3:9: error: dhcp.mode: 'proxi' is not one of proxy, authoritative (did you mean 'proxy'?) [invalid-value]",
    "{f}:4:9: error: dhcp.port: 70000 is out of range 1-65535 [out-of-range]",
    "{f}:6:3: error: unknown key 'tftp.blocksize' (did you mean 'tftp.max-blksize'?) [unknown-key]",
    "{f}:7:16: error: tftp.max-blksize: expected an integer, found '1468' [wrong-type]",
    "{f}:9:9: error: http.port: expected an integer, found 'abc' [wrong-type]",
    "{f}:11:15: warning: logs.size-limit: 100 is outside 204800-4194304; 204800 is used [clamped]",
]


def netboot(*args, cwd=REPO, timeout=30):
    return subprocess.run([netboot_bin(), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def diagnostic_lines(text):
    """The `file:line:col: …` lines of an output, without the source lines and carets under them."""
    return [line for line in text.splitlines()
            if not line.startswith("  ") and (": error: " in line or ": warning: " in line)]


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return str(path)


def test_check_accepts_the_shipped_file():
    out = netboot("config", "check")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout == "etc/netboot.yaml: OK\n"


def test_check_without_a_file_follows_serve(tmp_path):
    out = netboot("config", "check", cwd=tmp_path)
    assert out.returncode == 0
    assert out.stdout == "etc/netboot.yaml not found: netboot serve uses the embedded defaults\n"
    (tmp_path / "etc").mkdir()
    write(tmp_path / "etc" / "netboot.yaml", "tftp: { port: 0 }\n")
    out = netboot("config", "check", cwd=tmp_path)
    assert out.returncode == 1
    assert out.stdout.splitlines()[0] == \
        "etc/netboot.yaml:1:15: error: tftp.port: 0 is out of range 1-65535 [out-of-range]"


def test_check_reports_every_error_at_its_line_and_column(tmp_path):
    path = write(tmp_path / "broken.yaml", BROKEN)
    out = netboot("config", "check", path)
    assert out.returncode == 1
    assert diagnostic_lines(out.stdout) == [line.format(f=path) for line in BROKEN_LINES]
    # Each diagnostic is followed by its source line and a caret under the column.
    assert "\n    port: 70000\n          ^\n" in out.stdout
    assert out.stdout.endswith(f"{path}: 5 errors, 1 warning\n")


def test_check_passes_with_warnings_only(tmp_path):
    path = write(tmp_path / "clamped.yaml", "logs: { size-limit: 100, max-files: 99 }\n")
    out = netboot("config", "check", path)
    assert out.returncode == 0
    assert out.stdout.endswith(f"{path}: OK (2 warnings)\n")


def test_check_reports_broken_yaml_and_missing_files(tmp_path):
    path = write(tmp_path / "syntax.yaml", "tftp:\n  port: [69\n")
    out = netboot("config", "check", path)
    assert out.returncode == 1
    assert diagnostic_lines(out.stdout)[0].startswith(f"{path}:3:")
    assert "[yaml-syntax]" in out.stdout
    missing = str(tmp_path / "absent.yaml")
    out = netboot("config", "check", missing)
    assert out.returncode == 1
    assert out.stdout.splitlines()[0] == f"{missing}:1:1: error: cannot read file: No such file or directory [io]"


def test_serve_refuses_to_start_on_a_broken_file(tmp_path):
    path = write(tmp_path / "broken.yaml", BROKEN + f"state-dir: {tmp_path}/var\n")
    out = netboot("serve", "--config", path, cwd=tmp_path, timeout=20)
    assert out.returncode == 1
    assert diagnostic_lines(out.stderr) == [line.format(f=path) for line in BROKEN_LINES]
    assert out.stderr.endswith(f"netboot: not starting: 5 errors in {path}\n")
    assert not (tmp_path / "var").exists(), "nothing may be created before the configuration is valid"


def test_serve_refuses_a_broken_default_file(tmp_path):
    (tmp_path / "etc").mkdir()
    write(tmp_path / "etc" / "netboot.yaml", "dhcp:\n  mode: proxi\n")
    out = netboot("serve", cwd=tmp_path, timeout=20)
    assert out.returncode == 1
    assert diagnostic_lines(out.stderr) == [
        "etc/netboot.yaml:2:9: error: dhcp.mode: 'proxi' is not one of proxy, authoritative "
        "(did you mean 'proxy'?) [invalid-value]"]
    assert not (tmp_path / "var").exists()


def test_serve_refuses_an_explicit_file_that_is_missing(tmp_path):
    out = netboot("serve", "--config", str(tmp_path / "absent.yaml"), cwd=tmp_path, timeout=20)
    assert out.returncode == 1
    assert "cannot read file" in out.stderr


def wait_for(path, text, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path) and text in open(path).read():
            return True
        time.sleep(0.1)
    return False


def serve_in_namespace(netns, cwd, *args):
    return netns.popen(netns.server, netboot_bin(), "serve", "--quiet", *args, cwd=cwd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def stop(process, sig):
    process.send_signal(sig)
    try:
        _, stderr = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"netboot did not stop on {sig.name}")
    return process.returncode, stderr


def test_serve_on_embedded_defaults_starts_and_stops_on_sigterm(netns, tmp_path):
    # No etc/netboot.yaml in the working directory: the compiled-in defaults, logs in ./var/log.
    process = serve_in_namespace(netns, tmp_path)
    log = tmp_path / "var" / "log" / "netboot.log"
    try:
        assert wait_for(log, "running services:"), "netboot did not start"
    finally:
        code, stderr = stop(process, signal.SIGTERM)
    assert code == 0, stderr
    text = log.read_text()
    assert "starting configuration=embedded defaults (etc/netboot.yaml not found)" in text
    assert "enabled in configuration: dhcp (proxy, port 67), bsdp, tftp (port 69), http (port 80)" in text
    assert text.rstrip().endswith("netboot stopped")


def test_serve_uses_the_default_file_when_present(netns, tmp_path):
    # The shipped file, from a working directory of its own: relative paths resolve there.
    (tmp_path / "etc").mkdir()
    write(tmp_path / "etc" / "netboot.yaml", open(os.path.join(REPO, "etc", "netboot.yaml")).read())
    process = serve_in_namespace(netns, tmp_path)
    log = tmp_path / "var" / "log" / "netboot.log"
    try:
        assert wait_for(log, "running services:"), "netboot did not start"
    finally:
        code, stderr = stop(process, signal.SIGTERM)
    assert code == 0, stderr
    assert "starting configuration=etc/netboot.yaml" in log.read_text()


def test_serve_with_a_config_file_logs_it_reloads_on_sighup_and_stops_on_sigint(netns, tmp_path):
    logs = tmp_path / "logs"
    path = write(tmp_path / "netboot.yaml",
                 f"state-dir: {tmp_path}/state\nlogs: {{ dir: {logs}, level: debug }}\n"
                 "dhcp: { enabled: false }\nhttp: { port: 8080 }\n")
    process = serve_in_namespace(netns, tmp_path, "--config", path)
    log = logs / "netboot.log"
    try:
        assert wait_for(log, "running services:"), "netboot did not start"
        process.send_signal(signal.SIGHUP)
        assert wait_for(log, "SIGHUP: reload requested"), "SIGHUP was not handled"
    finally:
        code, stderr = stop(process, signal.SIGINT)
    assert code == 0, stderr
    text = log.read_text()
    assert f"configuration={path}" in text
    assert "enabled in configuration: bsdp, tftp (port 69), http (port 8080)" in text
    assert "netboot stopped" in text


def test_state_and_logs_inside_a_served_root_are_refused(tmp_path):
    """`http.root: .` would publish the pid file, the database and the logs (issue 14 item 5)."""
    path = write(tmp_path / "open.yaml", "tftp: { enabled: false }\nhttp:\n  root: .\nlogs:\n  dir: var/log\n")
    expected = [
        f"{path}:3:9: error: capture.dir: 'var/captures' is inside http.root '.': HTTP would serve the captures "
        "to anyone; move one of them [conflict]",
        f"{path}:3:9: error: state-dir: 'var' is inside http.root '.': HTTP would serve the pid file and the lease "
        "database to anyone; move one of them [conflict]",
        f"{path}:5:8: error: logs.dir: 'var/log' is inside http.root '.': HTTP would serve the logs to anyone; "
        "move one of them [conflict]",
    ]
    check = netboot("config", "check", path, cwd=tmp_path)
    assert check.returncode == 1
    assert sorted(diagnostic_lines(check.stdout)) == sorted(expected)
    out = netboot("serve", "--config", path, cwd=tmp_path, timeout=20)
    assert out.returncode == 1
    assert sorted(diagnostic_lines(out.stderr)) == sorted(expected)
    assert not (tmp_path / "var").exists()
