"""A running proxy bridge for tests (docs/bridge.md): a config file in a temporary directory,
`netboot bridge` on loopback ports picked free, tokens from the CLI, and an HTTPS client (the
ssl module) that trusts exactly the bridge's own certificate."""
import http.client
import json
import os
import socket
import ssl
import subprocess
import time

from conftest import netboot_bin


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Bridge:
    def __init__(self, tmp_path, extra="", plain=False, listen="127.0.0.1"):
        self.dir = tmp_path
        self.state = tmp_path / "var"
        self.client_port = free_port()
        self.console_port = free_port()
        self.plain = plain
        self.host = "127.0.0.1"
        self.config = tmp_path / "netboot.yaml"
        self.config.write_text(
            f"state-dir: {self.state}\nlogs:\n  dir: {tmp_path / 'logs'}\n"
            f"bridge:\n  listen-address: {listen}\n  client-port: {self.client_port}\n"
            f"  console-port: {self.console_port}\n  plain-http: {'true' if plain else 'false'}\n"
            f"  files-dir: {tmp_path / 'files'}\n{extra}")
        self.process = None
        self.output = tmp_path / "bridge.out"

    def token(self, role, *extra):
        out = subprocess.run([netboot_bin(), "tokens", "issue", "--role", role, "--state-dir", str(self.state), *extra],
                             capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def start(self, command=("bridge",), wrap=()):
        self.process = subprocess.Popen([*wrap, netboot_bin(), *command, "--config", str(self.config)],
                                        stdout=open(self.output, "w"), stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            text = self.output.read_text()
            if text.count("port listening on") >= 2:
                return self
            if self.process.poll() is not None:
                raise AssertionError(f"bridge exited: {text}")
            time.sleep(0.1)
        raise AssertionError(f"bridge did not start: {self.output.read_text()}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def context(self):
        context = ssl.create_default_context(cafile=str(self.state / "bridge-cert.pem"))
        return context

    def connection(self, port):
        if self.plain:
            return http.client.HTTPConnection(self.host, port, timeout=10)
        return http.client.HTTPSConnection(self.host, port, timeout=10, context=self.context())

    def call(self, port, method, path, token=None, body=None, raw=None, headers=None):
        """(status, parsed JSON or raw bytes, headers) of one request on a new connection."""
        connection = self.connection(port)
        fields = dict(headers or {})
        if token:
            fields["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            fields.setdefault("Content-Type", "application/json")
        try:
            connection.request(method, path, body=data, headers=fields)
            response = connection.getresponse()
            payload = response.read()
            try:
                parsed = json.loads(payload) if payload else None
            except ValueError:
                parsed = payload
            return response.status, parsed, dict(response.getheaders())
        finally:
            connection.close()

    def client(self, method, path, token=None, **kwargs):
        return self.call(self.client_port, method, path, token, **kwargs)

    def console(self, method, path, token=None, **kwargs):
        return self.call(self.console_port, method, path, token, **kwargs)
