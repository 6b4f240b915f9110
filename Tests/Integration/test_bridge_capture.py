"""Captured images sent to the appliance through the bridge (issue 16 §4, docs/bridge.md
"Captured images", docs/task-sequences.md "Drivers"): the client-port route `PUT
/v1/runs/{id}/images/{name}` — a zstd stream checked against its declared SHA-256 (a header, or
the digest frame ending the stream) and registered in the appliance's disk-image catalog only
when all of it arrived and checked out; then `netboot-runner run --bridge` capturing a small
file-backed disk, which `netboot images list` shows on the appliance."""
import hashlib
import json
import os
import re
import socket
import ssl
import struct
import subprocess
import time
import uuid

from bridge_support import Bridge
from conftest import netboot_bin, require_tool
from test_runner import runner_bin

MAC = "02:00:5e:" + ":".join(uuid.uuid4().hex[i:i + 2] for i in (0, 2, 4))
OTHER_MAC = "02:00:5f:" + ":".join(uuid.uuid4().hex[i:i + 2] for i in (0, 2, 4))
SECRET = "capture-pw-" + uuid.uuid4().hex[:12]

SEQUENCES = {
    "capture-lab": """name: capture lab
steps:
  - type: captureImage
    id: capture
    name: capture
    share: '\\\\\\\\appliance\\\\images'
    account: imaging
    directory: {name}
    sourceDisk: {disk}
""",
    "no-capture": "name: no capture\nsteps:\n  - {{type: setHostname, id: host, hostname: x}}\n",
}

INVENTORY = """collections:
  - name: Unknown Mac OS X Systems
    variables:
      PmmOSDCaptureAccountPassword:
        value: {secret}
        secret: true
deployments:
  - sequence: capture-lab
    collection: Unknown Mac OS X Systems
  - sequence: no-capture
    collection: Unknown Mac OS X Systems
"""


def make_disk(path, mib=4):
    """A file-backed "disk": alternating MiB of pseudo-random data and zeros."""
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        for i in range(mib):
            block = hashlib.sha256(f"{i}".encode()).digest() * 32768 if i % 2 == 0 else bytes(1 << 20)
            f.write(block)
            digest.update(block)
    return digest.hexdigest()


def zstd(data):
    return subprocess.run(["zstd", "-q", "-c", "-3"], input=data, capture_output=True, check=True).stdout


def digest_frame(hexdigest):
    """The 48-byte zstd skippable frame carrying the raw content's SHA-256 (CaptureDigestFrame)."""
    return struct.pack("<II", 0x184D2A5E, 40) + b"NBSHA256" + bytes.fromhex(hexdigest)


def appliance(tmp_path, disk="/nonexistent", name="golden", extra=""):
    sequences = tmp_path / "sequences"
    sequences.mkdir()
    for file, text in SEQUENCES.items():
        (sequences / f"{file}.yaml").write_text(text.format(name=name, disk=disk))
    (tmp_path / "inventory.yaml").write_text(INVENTORY.format(secret=SECRET))
    images = tmp_path / "images"
    images.mkdir()
    config = (f"  sequences-dir: {sequences}\n  inventory: {tmp_path / 'inventory.yaml'}\n{extra}"
              f"images-dir: {images}\n")
    return Bridge(tmp_path, extra=config), images


def catalog(images):
    """Every file of the disk-image catalog, hidden ones (uploads in progress) included."""
    directory = images / "disk"
    return sorted(os.listdir(directory)) if directory.exists() else []


def images_list(b, images):
    out = subprocess.run([netboot_bin(), "images", "list", "--json", "--images-dir", str(images), "--config", str(b.config)],
                         capture_output=True, text=True)
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


def enroll_and_start(b, mac, sequence):
    status, body, _ = b.client("POST", "/v1/enroll", b.token("enrollment"), body={"mac": mac})
    assert status == 201, body
    token = body["token"]
    status, started, _ = b.client("POST", "/v1/runs", token, body={"sequence": sequence})
    assert status == 201, started
    return token, started["run"]["id"]


def put(b, token, run, name, data, headers=None):
    fields = {"Content-Type": "application/octet-stream", **(headers or {})}
    return b.client("PUT", f"/v1/runs/{run}/images/{name}", token, raw=data, headers=fields)


def test_upload_route_checks_and_registers_only_whole_checked_images(tmp_path):
    require_tool("zstd")
    b, images = appliance(tmp_path, extra="  max-image-bytes: 1048576\n")
    b.start()
    try:
        token, run = enroll_and_start(b, MAC, "capture-lab")
        raw = os.urandom(300_000) + bytes(300_000)
        sha = hashlib.sha256(raw).hexdigest()
        stream = zstd(raw)

        # A digest that is not the content's: refused, nothing registered, no temporary file left.
        status, body, _ = put(b, token, run, "golden", stream, {"Netboot-Image-SHA256": "0" * 64})
        assert status == 422 and "checksum mismatch" in body["error"] and sha in body["error"], body
        assert catalog(images) == []
        status, body, _ = put(b, token, run, "golden", stream + digest_frame("1" * 64))
        assert status == 422, body
        assert catalog(images) == []
        # No digest at all, a stream that does not decode, a bad name, a bad header.
        status, body, _ = put(b, token, run, "golden", stream)
        assert status == 400 and body["field"] == "Netboot-Image-SHA256", body
        status, body, _ = put(b, token, run, "golden", stream[:-20] + digest_frame(sha))
        assert status == 400 and "does not decode" in body["error"], body
        assert put(b, token, run, ".hidden", stream, {"Netboot-Image-SHA256": sha})[0] == 400
        assert put(b, token, run, "golden", stream, {"Netboot-Image-SHA256": "xyz"})[0] == 400
        # Larger than max-image-bytes: 413.
        status, body, _ = put(b, token, run, "big", os.urandom((1 << 20) + 1), {"Netboot-Image-SHA256": sha})
        assert status == 413, body
        assert catalog(images) == []

        # Not this machine's run, not a run with a capture step, no token: refused before any byte is stored.
        other, other_run = enroll_and_start(b, OTHER_MAC, "no-capture")
        assert put(b, other, run, "golden", stream, {"Netboot-Image-SHA256": sha})[0] == 404
        assert put(b, other, other_run, "golden", stream, {"Netboot-Image-SHA256": sha})[0] == 409
        assert put(b, None, run, "golden", stream, {"Netboot-Image-SHA256": sha})[0] == 401
        assert put(b, b.token("administrator"), run, "golden", stream, {"Netboot-Image-SHA256": sha})[0] == 403

        # An upload cut off halfway: nothing registered, the temporary file removed.
        connection = socket.create_connection(("127.0.0.1", b.client_port), timeout=10)
        wrapped = b.context().wrap_socket(connection, server_hostname="localhost")
        wrapped.sendall((f"PUT /v1/runs/{run}/images/golden HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n"
                         f"Content-Length: {len(stream) + 48}\r\n\r\n").encode() + stream[:len(stream) // 2])
        deadline = time.time() + 10
        while time.time() < deadline and not any(".upload-" in f for f in catalog(images)):
            time.sleep(0.05)
        assert any(".upload-" in f for f in catalog(images)), "the upload did not start"
        wrapped.close()
        deadline = time.time() + 10
        while time.time() < deadline and catalog(images):
            time.sleep(0.1)
        assert catalog(images) == [], catalog(images)

        # The whole stream with its digest frame: registered, listed, logged with the seed's words.
        status, record, _ = put(b, token, run, "golden", stream + digest_frame(sha))
        assert status == 201, record
        assert record["name"] == "golden" and record["sha256"] == sha and record["rawSize"] == len(raw)
        assert record["compression"] == "zstd" and record["file"] == "golden.img.zst"
        assert catalog(images) == ["golden.img.zst", "golden.img.zst.sha256", "golden.json"]
        stored = (images / "disk" / "golden.img.zst").read_bytes()
        assert subprocess.run(["zstd", "-q", "-d", "-c"], input=stored, capture_output=True, check=True).stdout == raw
        assert (images / "disk" / "golden.img.zst.sha256").read_text().split()[0] == sha
        listed = images_list(b, images)
        assert [(d["name"], d["sha256"]) for d in listed["diskImages"]] == [("golden", sha)], listed
        assert "New image distributed: golden" in b.output.read_text()
        # The same name again: refused, the first kept. A header digest works as well as the frame.
        assert put(b, token, run, "golden", stream, {"Netboot-Image-SHA256": sha})[0] == 409
        status, second, _ = put(b, token, run, "golden-2", stream, {"Netboot-Image-SHA256": sha})
        assert status == 201 and second["sha256"] == sha, second

        # A finished run takes no more images.
        assert b.client("POST", f"/v1/runs/{run}/finish", token, body={"outcome": "succeeded", "at_ms": 1})[0] == 200
        assert put(b, token, run, "golden-3", stream, {"Netboot-Image-SHA256": sha})[0] == 409
    finally:
        b.stop()


def test_runner_captures_a_disk_to_the_appliance_through_the_bridge(tmp_path):
    require_tool("zstd")
    runner = runner_bin()
    disk = tmp_path / "disk.img"
    expected = make_disk(disk)
    name = "lab-" + uuid.uuid4().hex[:6]
    b, images = appliance(tmp_path, disk=str(disk), name=name)
    enrollment = b.token("enrollment")
    b.start()
    state = tmp_path / "state"
    try:
        fingerprint = re.search(r"fingerprint ([0-9A-F:]{95})", b.output.read_text()).group(1)
        out = subprocess.run([runner, "run", "--bridge", f"https://127.0.0.1:{b.client_port}", "--token", enrollment,
                              "--fingerprint", fingerprint, "--mac", MAC, "--sequence", "capture lab", "--state-dir", str(state),
                              "--bridge-wait", "30"], capture_output=True, text=True, timeout=120)
        log = (state / "logs" / "netboot_ts_executor.log").read_text()
        assert out.returncode == 0, out.stderr + log[-3000:]
        assert f"New image distributed: {name}" in log and f"sha256 {expected}" in log, log[-3000:]

        # On the appliance: in the catalog with the disk's digest, listed, logged; the stored stream decodes to the disk.
        record = json.loads((images / "disk" / f"{name}.json").read_text())
        assert record["sha256"] == expected and record["rawSize"] == disk.stat().st_size and record["compression"] == "zstd"
        assert record["size"] < disk.stat().st_size
        decoded = subprocess.run(["zstd", "-q", "-d", "-c", str(images / "disk" / f"{name}.img.zst")], capture_output=True, check=True)
        assert hashlib.sha256(decoded.stdout).hexdigest() == expected
        assert [d["name"] for d in images_list(b, images)["diskImages"]] == [name]
        assert f"New image distributed: {name}" in b.output.read_text()
        assert not [f for f in catalog(images) if f.startswith(".")]

        runs = json.loads(subprocess.run([netboot_bin(), "ts", "runs", "--json", "--state-dir", str(b.state)],
                                         capture_output=True, text=True, check=True).stdout)["runs"]
        assert runs[0]["state"] == "succeeded" and runs[0]["sequence"] == "capture lab", runs
        # The runner's logs were sent at the end: `ts runs show` lists them, stored on the appliance.
        shown = subprocess.run([netboot_bin(), "ts", "runs", "show", runs[0]["id"], "--json", "--state-dir", str(b.state)],
                               capture_output=True, text=True, check=True)
        logs = {entry["name"]: entry for entry in json.loads(shown.stdout)["logs"]}
        assert sorted(logs) == ["netboot_ts_executor.log", "netboot_tswizard.log"], logs
        executor = open(logs["netboot_ts_executor.log"]["path"]).read()
        assert f"New image distributed: {name}" in executor and "finished: succeeded" in executor
        assert logs["netboot_ts_executor.log"]["bytes"] == len(executor.encode())
        text = subprocess.run([netboot_bin(), "ts", "runs", "show", runs[0]["id"], "--state-dir", str(b.state)],
                              capture_output=True, text=True, check=True).stdout
        assert re.search(r"^log: .*run-logs/.*/netboot_tswizard\.log \(\d+ bytes\)$", text, re.M), text
    finally:
        b.stop()
    for base in (state, b.state, tmp_path / "logs"):
        for dirpath, _, files in os.walk(base):
            for file in files:
                path = os.path.join(dirpath, file)
                if os.path.isfile(path) and not os.path.islink(path):
                    assert SECRET.encode() not in open(path, "rb").read(), f"the secret is in {path}"


def test_a_bridge_run_without_images_applies_from_the_appliances_image_server(tmp_path):
    """`netboot serve` with its bridge and image server on loopback: the start answer names the
    image server (`image_server`), and `netboot-runner run --bridge` without `--images` applies
    an image of the appliance's catalog from it — the bridge URL is all the machine needs."""
    from bridge_support import free_port
    from test_runner import make_image
    require_tool("zstd")
    runner = runner_bin()
    source = tmp_path / "source"
    source.mkdir()
    expected = make_image(str(source))
    www = tmp_path / "srv" / "www"
    www.mkdir(parents=True)
    disk = tmp_path / "disk.img"
    sequences = tmp_path / "sequences"
    sequences.mkdir()
    (sequences / "apply.yaml").write_text(f"name: apply\nsteps:\n  - {{type: applyImage, name: apply, image: base, destination: {disk}}}\n")
    (tmp_path / "inventory.yaml").write_text("deployments:\n  - sequence: apply\n    collection: Unknown Mac OS X Systems\n")
    http_port = free_port()
    b = Bridge(tmp_path, extra=(f"  enabled: true\n  sequences-dir: {sequences}\n  inventory: {tmp_path / 'inventory.yaml'}\n"
                                "dhcp:\n  enabled: false\ntftp:\n  enabled: false\n"
                                f"http:\n  port: {http_port}\n  listen: [127.0.0.1]\n  root: {tmp_path / 'srv'}\nimages-dir: {www}\n"))
    added = subprocess.run([netboot_bin(), "images", "add", str(source / "base.img.zst"), "--name", "base", "--images-dir", str(www)],
                           capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    enrollment = b.token("enrollment")
    b.start(command=("serve",))
    state = tmp_path / "state"
    try:
        status, body, _ = b.client("POST", "/v1/enroll", b.token("enrollment"), body={"mac": OTHER_MAC})
        status, started, _ = b.client("POST", "/v1/runs", body["token"], body={"sequence": "apply"})
        assert status == 201 and started["image_server"] == {"port": http_port, "path": "/www/"}, started.get("image_server")
        fingerprint = re.search(r"fingerprint ([0-9A-F:]{95})", b.output.read_text()).group(1)
        out = subprocess.run([runner, "run", "--bridge", f"https://127.0.0.1:{b.client_port}", "--token", enrollment,
                              "--fingerprint", fingerprint, "--mac", MAC, "--state-dir", str(state), "--bridge-wait", "30"],
                             capture_output=True, text=True, timeout=180)
        assert out.returncode == 0, out.stderr + (state / "logs" / "netboot_ts_executor.log").read_text()[-3000:]
        wizard = (state / "logs" / "netboot_tswizard.log").read_text()
        assert f"images from the appliance's image server http://127.0.0.1:{http_port}/www/" in wizard, wizard
    finally:
        b.stop()
    digest = hashlib.sha256()
    with open(disk, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    assert digest.hexdigest() == expected
