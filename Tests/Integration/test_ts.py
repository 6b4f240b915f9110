"""`netboot ts`: lint exit codes and output format on the example sequences and the broken
corpus, `ts plan --json` on known and unknown machines (secrets never printed), and
`ts schema` checked by an independent JSON Schema validator (python3-jsonschema)."""
import glob
import json
import os
import re
import subprocess

import pytest

from conftest import REPO, netboot_bin

EXAMPLES = sorted(glob.glob(os.path.join(REPO, "etc", "sequences", "*.yaml")))
FIXTURES = os.path.join(REPO, "Tests", "TaskSequenceTests", "Fixtures", "lint")
BROKEN = sorted(glob.glob(os.path.join(FIXTURES, "*.yaml")))
INVENTORY = os.path.join(REPO, "etc", "inventory.yaml")
SECRETS = ["correct-horse-battery-staple", "tr0ub4dor"]
LINE = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning|note): .+ \[(?P<rule>[a-z0-9-]+)\]$")


def ts(*args, cwd=REPO):
    return subprocess.run([netboot_bin(), "ts", *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def test_examples_lint_clean_and_exit_zero():
    assert len(EXAMPLES) >= 6
    out = ts("lint", *EXAMPLES, INVENTORY)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout == ""
    assert "0 error(s), 0 warning(s)" in out.stderr


@pytest.mark.parametrize("path", BROKEN, ids=os.path.basename)
def test_broken_files_report_located_diagnostics(path):
    out = ts("lint", "--no-inventory", path)
    expected = open(path[:-len(".yaml")] + ".expected", encoding="utf-8").read()
    has_error = re.search(r": error: ", expected) is not None
    assert out.returncode == (1 if has_error else 0), out.stdout + out.stderr
    lines = out.stdout.splitlines()
    headers = [l for l in lines if LINE.match(l)]
    assert headers, out.stdout
    for header in headers:
        m = LINE.match(header)
        assert m.group("file") == path
        # the next two lines are the source line and a caret under the column
        i = lines.index(header)
        if i + 2 < len(lines) and not LINE.match(lines[i + 1]):
            assert lines[i + 2].strip() == "^"


def test_did_you_mean_for_keys_types_and_variables():
    out = ts("lint", "--no-inventory", os.path.join(FIXTURES, "unknown-keys.yaml"),
             os.path.join(FIXTURES, "unknown-step-type.yaml"), os.path.join(FIXTURES, "undefined-variables.yaml"))
    assert out.returncode == 1
    assert "did you mean 'continueOnError'?" in out.stdout
    assert "did you mean 'applyImage'?" in out.stdout
    assert "did you mean 'ImageName'?" in out.stdout


def test_json_format():
    out = ts("lint", "--no-inventory", "--format", "json", os.path.join(FIXTURES, "wrong-types.yaml"), EXAMPLES[0])
    assert out.returncode == 1
    doc = json.loads(out.stdout)
    assert doc["errors"] == sum(1 for f in doc["files"] for d in f["diagnostics"] if d["severity"] == "error")
    first = doc["files"][0]["diagnostics"][0]
    assert {"file", "line", "column", "severity", "message", "rule"} <= set(first)
    assert first["rule"] == "wrong-type" and first["line"] == 1


def test_secrets_never_in_lint_output():
    out = ts("lint", "--no-inventory", os.path.join(FIXTURES, "secrets.yaml"))
    assert out.returncode == 1
    for secret in ["correct-horse-battery-staple", "hunter2-very-secret", "tok-123456-secret"]:
        assert secret not in out.stdout + out.stderr
    assert "password: ***" in out.stdout


def test_unreadable_and_not_utf8():
    out = ts("lint", "/nonexistent/x.yaml")
    assert out.returncode == 1 and "cannot read file: No such file or directory [io]" in out.stdout
    out = ts("lint", os.path.join(FIXTURES, "not-utf8.yaml"))
    assert out.returncode == 1 and "not valid UTF-8 [encoding]" in out.stdout


def test_plan_json_known_device():
    out = ts("plan", "etc/sequences/deploy-macos.yaml", "--mac", "00-1C-42-00-00-01", "--json")
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    assert plan["device"] == "lab-mac-01"
    assert plan["collections"] == ["Lab Macs", "Laptops"]
    assert plan["deployedTo"] == ["Lab Macs"]
    variables = {v["name"]: v for v in plan["variables"]}
    assert variables["OSDComputerName"]["layer"] == "device"
    assert variables["ImageName"]["layer"] == "task sequence"
    assert variables["Site"]["value"] == "mobile"  # Laptops has the higher priority
    assert variables["PmmOSDJoinPassword"] == {"name": "PmmOSDJoinPassword", "value": "***", "layer": "collection",
                                               "secret": True, "prompted": False}
    assert plan["steps"][-1]["type"] == "installClient" and plan["steps"][-1]["automatic"]
    for secret in SECRETS:
        assert secret not in out.stdout


def test_plan_unknown_mac_falls_into_unknown_collection_and_prompts():
    out = ts("plan", "deploy-macos", "--mac", "00:50:56:aa:bb:cc", "--json")
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    assert plan.get("device") is None
    assert plan["collections"] == ["Unknown Mac OS X Systems"]
    assert plan["prompted"] == ["OSDComputerName"]
    pc = json.loads(ts("plan", "deploy-macos", "--mac", "00:50:56:aa:bb:cc", "--model", "PowerEdge R640", "--json").stdout)
    assert pc["collections"] == ["Unknown Computers"] and pc["deployedTo"] == []


def test_plan_conditions_evaluated_or_decided_at_run_time():
    out = ts("plan", "etc/sequences/conditions.yaml", "--mac", "00:1c:42:00:00:02", "--model", "iMac18,3", "--json")
    assert out.returncode == 0, out.stderr
    steps = {s["id"]: s for s in json.loads(out.stdout)["steps"] if s["id"]}
    assert steps["xcode"]["condition"] == "true" and steps["xcode"]["runs"] == "yes"
    assert steps["battery"]["condition"] == "false" and steps["battery"]["runs"] == "no"
    assert steps["report"]["condition"] == "decided at run time"
    text = ts("plan", "etc/sequences/conditions.yaml", "--mac", "00:1c:42:00:00:02", "--model", "iMac18,3")
    assert "condition: decided at run time" in text.stdout


def test_plan_refuses_a_broken_sequence_and_a_bad_mac():
    out = ts("plan", os.path.join(FIXTURES, "wrong-types.yaml"), "--mac", "00:11:22:33:44:55")
    assert out.returncode == 1 and "[wrong-type]" in out.stderr
    out = ts("plan", "deploy-macos", "--mac", "not-a-mac")
    assert out.returncode != 0 and "not a MAC address" in out.stderr


def test_schema_is_committed_and_validates_examples():
    out = ts("schema")
    assert out.returncode == 0
    committed = open(os.path.join(REPO, "docs", "schema", "task-sequence.schema.json"), encoding="utf-8").read()
    assert out.stdout == committed
    jsonschema = pytest.importorskip("jsonschema")
    yaml = pytest.importorskip("yaml")
    schema = json.loads(out.stdout)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    for path in EXAMPLES:
        document = yaml.safe_load(open(path, encoding="utf-8"))
        errors = list(validator.iter_errors(document))
        assert not errors, f"{path}: {errors[0].message if errors else ''}"
    for name in ["unknown-keys.yaml", "wrong-types.yaml", "unknown-step-type.yaml"]:
        document = yaml.safe_load(open(os.path.join(FIXTURES, name), encoding="utf-8"))
        assert list(validator.iter_errors(document)), name
    inventory_schema = json.loads(ts("schema", "--inventory").stdout)
    jsonschema.Draft7Validator.check_schema(inventory_schema)
    assert not list(jsonschema.Draft7Validator(inventory_schema).iter_errors(yaml.safe_load(open(INVENTORY, encoding="utf-8"))))
