"""Zero-touch deployment in the virtual lab (issue 17, docs/lab.md "Deployment"): an unknown VM
with stock OVMF and an empty sparse 2 GiB virtio disk network-boots from the appliance alone
(authoritative DHCP, TFTP, HTTP, bridge), enrolls with the one-time token on its kernel line,
runs the sequence deployed to Unknown Computers — apply the disk image built by
scripts/lab/build-disk-image (SHA-256 checked) to /dev/vda, set the hostname from the
collection's variable into the applied root the runner mounted, a script using tsvar, restart —
boots from its disk, whose init runs `netboot-runner resume`, and a last script step finishes the
run. The VM stays network first across the restart: the appliance tells it to boot its disk.
On the way, the appliance is killed and started again while the VM streams its image; the run
still succeeds with every step run once. Then the faults: a wrong checksum on the appliance, an
enrollment token used before.

Everything runs in namespaces the lab creates and always removes (scripts/lab/lab.py); the
phases' times and the apply rate against busybox wget | gunzip | dd are printed, not asserted."""
import os
import sys

import pytest

from conftest import netboot_bin, require_root, require_tool
from test_runner import runner_bin

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "lab"))
import lab  # noqa: E402


def prerequisites():
    require_root()
    for tool in ("qemu-system-x86_64", "apt-get", "curl", "sfdisk", "mke2fs", "debugfs", "mkfs.fat", "mcopy",
                 "grub-mkstandalone", "strip", "tc", "ss"):
        require_tool(tool)
    if not os.path.exists(lab.OVMF_CODE):
        pytest.skip("ovmf not installed (scripts/install-deps test)")
    runner = runner_bin()
    return netboot_bin(), runner, os.path.join(os.path.dirname(runner), "tsvar")


def explain(result):
    return (f"{result.get('console', '')[-8000:]}\n--- appliance\n{result.get('appliance_log', '')[-6000:]}\n"
            f"--- run\n{result.get('run')}")


def test_vm_deploys_itself_reboots_into_its_disk_and_resumes(capsys):
    binary, runner, tsvar = prerequisites()
    result = lab.run_deploy(binary, runner, tsvar, restart_appliance=True)
    console, hostname = result.get("console", ""), result["expected_hostname"]
    assert result["ok"], explain(result)
    # The fault: the appliance was killed in the middle of the image's GET and came back; the
    # runner went on from the byte it had reached (a ranged GET answered by the new process).
    fault = result.get("appliance_restart") or {}
    assert fault.get("state") == "restarted" and fault.get("ready"), (fault, explain(result))
    resumed = [line for line in result["image_requests"] if line.startswith("netboot-restarted.log") and '"bytes=' in line]
    assert resumed and " 206 " in resumed[0], result["image_requests"]
    # The network boot carried the bridge, its pin and the token; the console shows no token.
    booted = [line for line in console.splitlines() if f"{lab.MARKER} booted:" in line]
    assert booted and "netboot.bridge=https://" in booted[0] and "netboot.bridge_fp=" in booted[0], explain(result)
    assert "netboot.token=***" in booted[0] and result["token"] not in console
    # Before the restart, in the initramfs: the hostname was written into the mounted target root.
    assert f"{lab.MARKER} probe: OSDComputerName={hostname} target-hostname={hostname}" in console, explain(result)
    assert f"{lab.MARKER} restart: runner and journal carried onto the disk" in console
    # After it, the disk's own init: the marker with the hostname it found, the resumed last step.
    assert f"{lab.DISK_MARKER} booted from disk: hostname={hostname}" in console
    assert f"{lab.MARKER} after-restart: hostname={hostname} LabStage=imaged-{hostname}" in console
    assert f"{lab.MARKER} resume exited 0" in console
    assert (result["hostname"] or "").strip() == hostname
    # The appliance's boot decision once the image was applied: local disk, so the VM stayed
    # network-first across the restart (docs/pxe.md "Boot decisions").
    assert result.get("local_boot_decision") is True, explain(result)
    # The restart was network first: OVMF ran the NIC's PXE option, the appliance's script said
    # local disk (iPXE's echo), iPXE handed control back, and only then did OVMF start the disk.
    restart = result["restart_boot"]
    assert restart and restart[0].startswith("loading Boot") and "UEFI PXEv4" in restart[0], restart
    assert "ipxe: local disk" in restart, restart
    assert any(step.startswith("failed to start") and "UEFI PXEv4" in step for step in restart), restart
    last = restart[-1]
    assert last.startswith("starting Boot") and "PXE" not in last and "HTTP" not in last, restart
    assert restart.index("ipxe: local disk") < len(restart) - 1, restart
    assert any(f"boot decision for {lab.DEPLOY_MAC}: local-disk" in line for line in result["boot_decisions"]), \
        result["boot_decisions"]
    # The appliance's view: succeeded, every step with its times.
    run = result["run"]
    assert run["state"] == "succeeded" and run["steps_done"] == run["steps_total"], explain(result)
    names = [step["name"] for step in run["steps"]]
    assert run["sequence"] == "lab-deploy"
    assert names[:5] == ["apply image", "set hostname", "probe with tsvar", "restart into the disk", "after the restart"]
    for step in run["steps"]:
        if step["name"] in names[:5]:
            assert step["state"] == "success", step
            assert step.get("started_at_milliseconds") and step.get("finished_at_milliseconds"), step
        # No step ran twice, the apply through the appliance's restart included.
        assert step["attempts"] == 1, step
    log = result["appliance_log"]
    assert any(lab.DEPLOY_MAC in line for line in result["enrollments"]), result["enrollments"]
    # The second run, from the deployed system with the client token the first one left: the
    # disk captured back to the appliance, registered in its catalog.
    assert f"{lab.MARKER} capture run exited 0" in console, explain(result)
    capture = result.get("capture_run") or {}
    assert capture.get("state") == "succeeded", capture
    assert f"New image distributed: {lab.CAPTURE_NAME}" in log, log[-4000:]
    assert lab.CAPTURE_NAME in result["disk_images"], result["disk_images"]
    with capsys.disabled():
        print()
        for name, seconds in result["phases"].items():
            print(f"lab deploy: phase {name}: " + (f"{seconds:.1f}s" if seconds is not None else "-"))
        apply, raw = result["phases"].get("image apply"), result["raw_bytes"]
        if apply:
            print(f"lab deploy: apply in the VM {raw / apply / 1e6:.1f} MB/s ({raw} bytes, gzip, SHA-256 checked)")
        print(f"lab deploy: local-boot decision by the appliance: {result.get('local_boot_decision')}")
        print("lab deploy: network-first restart: " + " → ".join(result["restart_boot"]))
        print(f"lab deploy: appliance restart during the apply: {result.get('appliance_restart')}")


def test_wrong_checksum_fails_the_step_and_the_run(capsys):
    binary, runner, tsvar = prerequisites()
    result = lab.run_deploy(binary, runner, tsvar, fault="checksum", bench=True)
    console = result.get("console", "")
    assert not result["ok"]
    run = result.get("run")
    assert run and run["state"] == "failed", explain(result)
    apply = run["steps"][0]
    assert apply["state"] == "failed" and "SHA-256 mismatch" in (apply.get("message") or ""), explain(result)
    assert all(step["state"] not in ("success", "running") for step in run["steps"][1:]), run["steps"]
    # The runner said why on the console and stopped; the VM never restarted into the disk.
    assert "SHA-256 mismatch" in console and f"{lab.MARKER} runner exited 1" in console, explain(result)
    assert lab.DISK_MARKER not in console
    # A failed run gets the menu again, not the half-written disk.
    after = result.get("boot_script_after", "")
    assert "kernel " in after and "\nexit 1\n" not in after, after
    # The measurement: the runner wrote the whole image before the digest check failed; then the
    # same initramfs wrote the same image with busybox, in the same boot (printed, not asserted).
    apply, wget, raw = result["phases"].get("image apply"), result.get("wget") or {}, result["raw_bytes"]
    with capsys.disabled():
        print()
        if apply:
            print(f"lab deploy: netboot-runner apply {apply:.1f}s, {raw / apply / 1e6:.1f} MB/s (gzip decode, SHA-256)")
        if wget.get("seconds"):
            print(f"lab deploy: busybox wget | gunzip | dd {wget['seconds']:.1f}s, {raw / wget['seconds'] / 1e6:.1f} MB/s"
                  f" ({wget['dd']})")
            if apply:
                print(f"lab deploy: ratio (busybox time / runner time) {wget['seconds'] / apply:.2f}x")
        else:
            print(f"lab deploy: busybox reference: {wget.get('error', 'not run')}")


def test_used_enrollment_token_is_refused_visibly():
    binary, runner, tsvar = prerequisites()
    result = lab.run_deploy(binary, runner, tsvar, fault="used-token")
    console = result.get("console", "")
    assert not result["ok"] and not result.get("run"), explain(result)
    assert "the bridge refused the token" in console and f"{lab.MARKER} runner exited 2" in console, explain(result)
    assert result["token"] not in console
