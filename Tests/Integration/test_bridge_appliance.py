"""The bridge's console routes for images and lease release (docs/bridge.md, "Images and
leases"): `netboot serve` (authoritative DHCP) in a namespace, `netboot bridge` beside it on the
same state and images directories. Images come from the same loader as `netboot images list
--json`; a rescan and a release go through the appliance's control socket, are refused to
Problem Monitor Users, and are written to the audit log."""
import json
import subprocess

from bridge_support import Bridge
from conftest import netboot_bin
from dhcp_support import run_client_script
from test_control import make_nbi, start_control_server, wait_for
from test_dhcp import DORA


def beside(server, tmp_path):
    (tmp_path / "bridge").mkdir(exist_ok=True)
    bridge = Bridge(tmp_path / "bridge")
    bridge.state = server.state
    text = bridge.config.read_text().replace(f"state-dir: {tmp_path / 'bridge' / 'var'}\n",
                                             f"state-dir: {server.state}\nimages-dir: {server.images}\n")
    bridge.config.write_text(text)
    return bridge


def test_images_rescan_and_lease_release_through_the_console(netns, tmp_path):
    server = start_control_server(netns, tmp_path)
    make_nbi(server.images, "Lab", 7)
    (server.images / "Broken.nbi").mkdir()
    bridge = beside(server, tmp_path)
    admin = bridge.token("administrator")
    monitor = bridge.token("problem-monitor-users")
    bridge.start()
    try:
        got = run_client_script(netns, DORA.replace("int(sys.argv[1]), sys.argv[2]", "2, 7"))
        assert got == ["198.51.100.100", "198.51.100.101"]

        # Images: exactly what `netboot images list --json` prints for the same configuration.
        status, images, _ = bridge.console("GET", "/v1/images", monitor)
        assert status == 200, images
        listed = subprocess.run([netboot_bin(), "images", "list", "--json", "--config", str(bridge.config)],
                                capture_output=True, text=True)
        assert images == json.loads(listed.stdout)
        assert [i["name"] for i in images["images"]] == ["Lab"]
        assert [s["folder"] for s in images["skipped"]] == ["Broken.nbi"]
        assert images["skipped"][0]["problems"]

        # Rescan: Administrators only, answered by the running appliance.
        assert bridge.console("POST", "/v1/images/rescan", monitor)[0] == 403
        status, rescan, _ = bridge.console("POST", "/v1/images/rescan", admin)
        assert status == 200, rescan
        assert rescan["images"] == 1 and rescan["skipped"] == 1
        assert any("Lab" in line for line in rescan["changes"]), rescan

        # Release: by MAC and by address; nothing held is 404; junk is 400.
        assert bridge.console("DELETE", "/v1/leases/02:00:00:00:07:00", monitor)[0] == 403
        status, released, _ = bridge.console("DELETE", "/v1/leases/02:00:00:00:07:00", admin)
        assert status == 200, released
        assert [(r["address"], r["state"]) for r in released["released"]] == [("198.51.100.100", "released")]
        status, again, _ = bridge.console("DELETE", "/v1/leases/02:00:00:00:07:00", admin)
        assert status == 404, again
        status, by_address, _ = bridge.console("DELETE", "/v1/leases/198.51.100.101", admin)
        assert status == 200 and by_address["released"][0]["mac"] == "02:00:00:00:07:01", by_address
        status, junk, _ = bridge.console("DELETE", "/v1/leases/not-a-lease", admin)
        assert (status, junk.get("field")) == (400, "lease"), junk

        # The appliance's own view agrees.
        status, leases, _ = bridge.console("GET", "/v1/leases", monitor)
        assert status == 200
        assert {l["address"]: l["state"] for l in leases["leases"]} == {"198.51.100.100": "released",
                                                                          "198.51.100.101": "released"}

        # Every admin action is an audit line, the refused and the failed ones too.
        status, audit, _ = bridge.console("GET", "/v1/audit", admin)
        lines = [(a["action"], a["target"], a["outcome"]) for a in audit["audit"]]
        assert ("images.rescan", "images", "allowed") in lines
        assert ("leases.release", "02:00:00:00:07:00", "allowed") in lines
        assert ("leases.release", "02:00:00:00:07:00", "not-found") in lines
        assert ("leases.release", "198.51.100.101", "allowed") in lines
        assert ("releaseLease", "/v1/leases/02:00:00:00:07:00", "forbidden") in lines

        # Without the appliance the bridge keeps serving: 503 for what needs it.
        server.kill()
        assert wait_for(lambda: not (server.state / "netboot.sock").exists())
        status, down, _ = bridge.console("DELETE", "/v1/leases/02:00:00:00:07:01", admin)
        assert status == 503, down
        assert bridge.console("GET", "/v1/images", monitor)[0] == 200
    finally:
        bridge.stop()
        server.kill()
