"""A small HTTPS upstream for the bridge's relay tests: records every POST it receives as one
JSON line (key, device, kind, sequence) in a file, answers 500 to the first --fail requests,
answers 409 to a key it has already accepted (as an idempotent upstream does), and with --late N
accepts the next N events but answers only after --late-seconds (the bridge times out first, so
its retry must not make a duplicate). --delay S answers every request after S seconds (a slow
upstream: a second sender would send the same event meanwhile).

Usage: upstream_server.py PORT CERT KEY LOG [--fail N] [--late N] [--late-seconds S] [--delay S]"""
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, cert, key, log = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
fail = int(sys.argv[sys.argv.index("--fail") + 1]) if "--fail" in sys.argv else 0
late = int(sys.argv[sys.argv.index("--late") + 1]) if "--late" in sys.argv else 0
late_seconds = float(sys.argv[sys.argv.index("--late-seconds") + 1]) if "--late-seconds" in sys.argv else 0
every_delay = float(sys.argv[sys.argv.index("--delay") + 1]) if "--delay" in sys.argv else 0
lock = threading.Lock()
seen = set()
try:
    with open(log) as f:
        seen = {json.loads(line)["key"] for line in f if json.loads(line)["accepted"]}
except FileNotFoundError:
    pass


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global fail, late
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = self.headers["Idempotency-Key"]
        delay = every_delay
        with lock:
            if fail > 0:
                fail -= 1
                status = 500
            elif key in seen:
                status = 409
            else:
                status = 202
                seen.add(key)
                if late > 0:
                    late -= 1
                    delay = late_seconds
            with open(log, "a") as f:
                f.write(json.dumps({"key": key, "device": body["device"], "kind": body["kind"],
                                    "event": body["event"], "status": status, "accepted": status == 202}) + "\n")
        time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print("ready", flush=True)
server.serve_forever()
