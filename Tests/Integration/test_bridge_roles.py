"""Every route of both OpenAPI documents refuses a call without a token (401), with a bad or
dead token (401) and with a live token of a role that lacks the route's scope (403), with bodies
that say nothing more (docs/bridge.md, "Roles"). Generated from the committed documents, so a
new route is checked as soon as it is published, and a path not published is refused."""
import json
import os
import subprocess

import pytest

from bridge_support import Bridge
from conftest import REPO, netboot_bin

ROLES = ["administrator", "enrollers", "problem-monitor-users", "key-administrators", "enrollment"]


def operations(name):
    with open(os.path.join(REPO, "docs", f"openapi-{name}.json")) as f:
        document = json.load(f)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


def concrete(path):
    return (path.replace("{mac}", "02:00:00:00:00:01").replace("{id}", "000000000000").replace("{name}", "agent.pkg")
            .replace("{lease}", "02:00:00:00:00:01"))


@pytest.fixture(scope="module")
def bridge(tmp_path_factory):
    b = Bridge(tmp_path_factory.mktemp("roles"), extra="  rate-limit: 100000\n  rate-burst: 100000\n")
    b.tokens = {role: b.token(role, "--ttl", "1h") for role in ROLES}
    b.start()
    # A live client token, from enrolling (which spends that enrollment token: issue another).
    status, body, _ = b.client("POST", "/v1/enroll", b.tokens["enrollment"], body={"mac": "02:00:00:00:00:01"})
    assert status == 201
    b.tokens["client"] = body["token"]
    b.tokens["enrollment"] = b.token("enrollment")
    # A dead one: revoked.
    out = subprocess.run([netboot_bin(), "tokens", "issue", "--role", "administrator", "--json", "--state-dir", str(b.state)],
                         capture_output=True, text=True, check=True)
    dead = json.loads(out.stdout)
    subprocess.run([netboot_bin(), "tokens", "revoke", dead["id"], "--state-dir", str(b.state)], check=True, capture_output=True)
    b.dead = dead["token"]
    yield b
    b.stop()


def all_routes():
    for name in ("client", "console"):
        for path, method, operation in operations(name):
            yield pytest.param(name, path, method, operation, id=f"{name}:{method} {path}")


@pytest.mark.parametrize("port,path,method,operation", list(all_routes()))
def test_route_refuses_unauthenticated_and_wrong_role(bridge, port, path, method, operation):
    call = bridge.client if port == "client" else bridge.console
    body = {} if method == "POST" else None
    if not operation["security"]:
        assert path == "/openapi.json"
        assert call(method, path)[0] == 200
        return
    for token in (None, "nbt_" + "A" * 43, "garbage", bridge.dead):
        status, answer, headers = call(method, concrete(path), token, body=body)
        assert (status, answer) == (401, {"error": "unauthorized"}), (token, status, answer)
        assert headers.get("WWW-Authenticate") == "Bearer"
    allowed = set(operation["x-netboot-roles"])
    wrong = [role for role in ROLES + ["client"] if role not in allowed]
    assert wrong, "a route every role may call"
    for role in wrong:
        status, answer, _ = call(method, concrete(path), bridge.tokens[role], body=body)
        assert (status, answer) == (403, {"error": "forbidden"}), (role, status, answer)
    for role in allowed:
        status, _, _ = call(method, concrete(path), bridge.tokens[role], body=body)
        assert status not in (401, 403), (role, status)


@pytest.mark.parametrize("port", ["client", "console"])
def test_unpublished_paths_are_refused(bridge, port):
    call = bridge.client if port == "client" else bridge.console
    for method, path in (("GET", "/v1/secret"), ("DELETE", "/v1/devices"), ("PUT", "/v1/tokens"), ("GET", "/")):
        assert call(method, path)[0] == 401
        assert call(method, path, bridge.tokens["administrator"])[0] in (404, 405)
