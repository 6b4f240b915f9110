"""`netboot ts lint --format github|sarif` and `--json` (issue 20): GitHub Actions annotations,
and SARIF 2.1.0 checked against the published OASIS JSON Schema by python3-jsonschema; the
same diagnostics as the text format, exit codes unchanged, secrets never printed."""
import glob
import json
import os
import re
import subprocess

import pytest

from conftest import REPO, netboot_bin

FIXTURES = os.path.join(REPO, "Tests", "TaskSequenceTests", "Fixtures", "lint")
BROKEN = sorted(glob.glob(os.path.join(FIXTURES, "*.yaml")))
SCHEMA = os.path.join(REPO, "Tests", "Integration", "schemas", "sarif-schema-2.1.0.json")
SECRETS = ["correct-horse-battery-staple", "tr0ub4dor"]
TEXT = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning|note): (?P<msg>.+) \[(?P<rule>[a-z0-9-]+)\]$")
ANNOTATION = re.compile(r"^::(?P<cmd>error|warning|notice) file=(?P<file>[^,]+),line=(?P<line>\d+),col=(?P<col>\d+)(,title=(?P<rule>[^:]+))?::(?P<msg>.*)$")


def lint(*args, inventory=False):
    extra = [] if inventory else ["--no-inventory"]
    return subprocess.run([netboot_bin(), "ts", "lint", *extra, *args], capture_output=True, text=True,
                          cwd=REPO, timeout=60)


def text_diagnostics():
    out = lint(*BROKEN)
    found = []
    for line in out.stdout.splitlines():
        m = TEXT.match(line)
        if m:
            found.append((m["file"], int(m["line"]), int(m["col"]), m["sev"], m["msg"], m["rule"]))
    assert found
    return out.returncode, sorted(found)


def unescape(value):
    return value.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def test_github_annotations_carry_every_diagnostic():
    code, expected = text_diagnostics()
    out = lint("--format", "github", *BROKEN)
    assert out.returncode == code == 1
    got = []
    for line in out.stdout.splitlines():
        m = ANNOTATION.match(line)
        assert m, line
        severity = {"notice": "note"}.get(m["cmd"], m["cmd"])
        got.append((unescape(m["file"]), int(m["line"]), int(m["col"]), severity, unescape(m["msg"]), m["rule"]))
    assert sorted(got) == expected
    for secret in SECRETS:
        assert secret not in out.stdout


def test_sarif_validates_against_the_published_schema_and_matches_the_text():
    jsonschema = pytest.importorskip("jsonschema")
    with open(SCHEMA) as f:
        schema = json.load(f)
    code, expected = text_diagnostics()
    out = lint("--format", "sarif", *BROKEN)
    assert out.returncode == code == 1
    log = json.loads(out.stdout)
    jsonschema.Draft4Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    got = []
    for result in run["results"]:
        loc = result["locations"][0]["physicalLocation"]
        assert rules[result["ruleIndex"]] == result["ruleId"]
        got.append((loc["artifactLocation"]["uri"], loc["region"]["startLine"], loc["region"]["startColumn"],
                    result["level"], result["message"]["text"], result["ruleId"]))
    # Absolute paths become file:// URIs, with RFC 3986 percent-encoding.
    assert sorted(got) == sorted(("file://" + f.replace(" ", "%20"), l, c, s, m, r) for f, l, c, s, m, r in expected)
    for secret in SECRETS:
        assert secret not in out.stdout


def test_json_flag_is_format_json_and_a_clean_file_gives_an_empty_sarif_run():
    fixture = os.path.join(FIXTURES, "wrong-types.yaml")
    assert lint("--json", fixture).stdout == lint("--format", "json", fixture).stdout
    clean = sorted(glob.glob(os.path.join(REPO, "etc", "sequences", "*.yaml")))
    inventory = os.path.join(REPO, "etc", "inventory.yaml")
    out = lint("--format", "sarif", *clean, inventory, inventory=True)
    assert out.returncode == 0, out.stdout
    assert json.loads(out.stdout)["runs"][0]["results"] == []
    out = lint("--format", "github", *clean, inventory, inventory=True)
    assert out.returncode == 0 and out.stdout == ""
