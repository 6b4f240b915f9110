"""Mutual TLS on the bridge (docs/bridge.md, "Mutual TLS"): with `bridge.client-ca`, a console
caller may present a certificate signed by that CA instead of a token, its role named in the
subject's OU. Certificates are made here with openssl; one from another CA fails the handshake,
a certificate naming no role is 401, the wrong role 403, and tokens still work."""
import http.client
import ssl
import subprocess

import pytest

from bridge_support import Bridge
from conftest import require_tool


def make_ca(directory, name):
    openssl = require_tool("openssl")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
                    f"{name}.pem", "-days", "2", "-subj", f"/CN={name}"], check=True, capture_output=True, cwd=directory)


def make_client(directory, ca, name, subject):
    openssl = require_tool("openssl")
    run = lambda *a: subprocess.run([openssl, *a], check=True, capture_output=True, cwd=directory)
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject)
    (directory / "client.cnf").write_text("extendedKeyUsage=clientAuth\n")
    run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial",
        "-out", f"{name}.pem", "-days", "2", "-extfile", "client.cnf")


@pytest.fixture(scope="module")
def bridge(tmp_path_factory):
    directory = tmp_path_factory.mktemp("mtls")
    make_ca(directory, "ca")
    make_ca(directory, "other")
    make_client(directory, "ca", "admin", "/CN=ops/OU=administrator")
    make_client(directory, "ca", "monitor", "/CN=watch/OU=problem-monitor-users")
    make_client(directory, "ca", "nobody", "/CN=nobody/OU=lab")
    make_client(directory, "other", "stranger", "/CN=stranger/OU=administrator")
    b = Bridge(directory, extra=f"  client-ca: {directory / 'ca.pem'}\n")
    b.admin = b.token("administrator")
    b.certs = directory
    b.start()
    yield b
    b.stop()


def call(bridge, cert, method, path, body=None):
    context = bridge.context()
    if cert:
        context.load_cert_chain(str(bridge.certs / f"{cert}.pem"), str(bridge.certs / f"{cert}.key"))
    connection = http.client.HTTPSConnection("127.0.0.1", bridge.console_port, timeout=10, context=context)
    try:
        connection.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_role_from_the_client_certificate(bridge):
    assert call(bridge, "admin", "GET", "/v1/tokens")[0] == 200
    assert call(bridge, "admin", "POST", "/v1/tokens", b'{"role":"enrollment"}')[0] == 201
    assert call(bridge, "monitor", "GET", "/v1/devices")[0] == 200
    assert call(bridge, "monitor", "GET", "/v1/tokens") == (403, b'{"error":"forbidden"}')
    assert call(bridge, "nobody", "GET", "/v1/devices") == (401, b'{"error":"unauthorized"}')
    assert call(bridge, None, "GET", "/v1/devices")[0] == 401
    # The audit log names the certificate's caller.
    status, body = call(bridge, "admin", "GET", "/v1/audit")
    assert b'"role":"administrator"' in body and b'"action":"token.issue"' in body


def test_a_certificate_from_another_ca_is_refused_in_the_handshake(bridge):
    with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected)):
        call(bridge, "stranger", "GET", "/v1/devices")
    # The service lives, and tokens still work without a certificate.
    connection = http.client.HTTPSConnection("127.0.0.1", bridge.console_port, timeout=10, context=bridge.context())
    connection.request("GET", "/v1/devices", headers={"Authorization": f"Bearer {bridge.admin}"})
    assert connection.getresponse().status == 200
    connection.close()
