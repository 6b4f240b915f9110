"""`/metrics` of `netboot serve` (issue 20): every metric is `netboot_…` with a `# HELP` line;
the pool gauges say total, assigned, declined and free per subnet; BSDP selections are counted
per image."""
import re
import time

from conftest import require_tool
from dhcp_support import Server
from test_bsdp import client as bsdp_client, make_images


def metrics(netns):
    out = netns.run(netns.client, "curl", "-s", "--max-time", "5", f"http://{netns.server_ip}/metrics")
    return out.stdout


def test_metrics_have_help_and_prefix_pool_gauges_and_bsdp_selections(netns, tmp_path):
    require_tool("curl")
    require_tool("udhcpc")
    images = tmp_path / "images"
    make_images(images, count=3)
    server = Server(netns, tmp_path, images_dir=images)
    server.config.write_text(server.config.read_text().replace("http:\n  enabled: false\n", "http:\n  enabled: true\n"))
    server.start()
    try:
        netns.run(netns.client, "timeout", "30", "udhcpc", "-i", netns.client_if, "-f", "-q", "-n", "-t", "5",
                  "-T", "2", "-s", "/bin/true")
        result = bsdp_client(netns, select=True)
        assert result["select"]["file"] == "Install 03.nbi/i386/booter"
        deadline = time.time() + 15
        text = metrics(netns)
        while time.time() < deadline and 'state="assigned"} 1' not in text:
            time.sleep(0.5)
            text = metrics(netns)
        lines = text.splitlines()
        types = [l.split()[2] for l in lines if l.startswith("# TYPE ")]
        assert types, text
        for index, line in enumerate(lines):
            if line.startswith("# TYPE "):
                name = line.split()[2]
                assert name.startswith("netboot_"), name
                assert lines[index - 1].startswith(f"# HELP {name} ") and "netboot metric" not in lines[index - 1], name
        for line in lines:
            if line and not line.startswith("#"):
                assert line.startswith("netboot_"), line
        subnet = f'subnet="{netns.prefix}.0/24"'
        def gauge(state):
            match = re.search(r'^netboot_dhcp_pool_addresses\{(.*)\} (\S+)$', "\n".join(
                l for l in lines if subnet in l and f'state="{state}"' in l), re.M)
            return float(match.group(2)) if match else None
        assert gauge("total") == 100 and gauge("assigned") == 1 and gauge("declined") == 0 and gauge("free") == 99, text
        assert re.search(r'^netboot_bsdp_selections_total\{image="macOS Install Image 03"\} 1$', text, re.M), text
        assert re.search(r'^netboot_dhcp_exchanges_total\{.*decision="ack".*\} [1-9]', text, re.M), text
        # The HTTP transfer gauge: curl's own connection is open while /metrics renders.
        assert re.search(r'^netboot_http_open_connections [1-9]', text, re.M), text
    finally:
        server.kill()
