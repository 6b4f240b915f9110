"""`netboot images list --json` and `netboot images rescan` on a temporary images directory
built here: XML and binary (plistlib FMT_BINARY) NBImageInfo.plist files, broken folders and a
PXE image. No network and no root needed."""
import json
import os
import plistlib
import subprocess

from conftest import netboot_bin


def write_nbi(root, folder, info, binary=False, files=("i386/booter", "NetBoot.dmg")):
    path = os.path.join(root, folder)
    os.makedirs(path, exist_ok=True)
    for relative in files:
        os.makedirs(os.path.dirname(os.path.join(path, relative)), exist_ok=True)
        with open(os.path.join(path, relative), "wb") as handle:
            handle.write(b"x")
    if info is not None:
        with open(os.path.join(path, "NBImageInfo.plist"), "wb") as handle:
            plistlib.dump(info, handle, fmt=plistlib.FMT_BINARY if binary else plistlib.FMT_XML)


def base(index, name, **extra):
    info = {"Name": name, "Index": index, "Type": "HTTP", "RootPath": "NetBoot.dmg",
            "BootFile": "booter", "Architectures": ["i386"]}
    info.update(extra)
    return info


def run(*args, cwd=None, check=True):
    return subprocess.run([netboot_bin(), *args], capture_output=True, text=True, cwd=cwd, check=check)


def make_tree(root):
    write_nbi(root, "Install.nbi", base(16, "Mojave Install", IsInstall=True, IsDefault=True))
    write_nbi(root, "Binary.nbi", base(4097, "Catalina", EnabledSystemIdentifiers=["Macmini7,1"]), binary=True)
    write_nbi(root, "Diag.nbi", {"Name": "AHT", "Index": 3000, "Kind": 3, "Type": "BootFileOnly",
                                 "BootFile": "diags.efi", "Architectures": ["i386"]}, files=("i386/diags.efi",))
    write_nbi(root, "Zdup.nbi", base(16, "Duplicate", IsInstall=True))
    write_nbi(root, "NoIndex.nbi", {"Name": "No index", "Type": "NFS", "BootFile": "booter"})
    write_nbi(root, "NoBooter.nbi", base(30, "No booter"), files=("NetBoot.dmg",))
    write_nbi(root, "WrongType.nbi", base("7", "Index as string"))
    os.makedirs(os.path.join(root, "Garbage.nbi"))
    with open(os.path.join(root, "Garbage.nbi", "NBImageInfo.plist"), "wb") as handle:
        handle.write(os.urandom(64) + b"\x00bplist00")
    os.makedirs(os.path.join(root, "pxe", "debian"))
    for name, body in (("vmlinuz", "k"), ("initrd.img", "i"), ("cmdline", "console=ttyS0\nquiet\n")):
        with open(os.path.join(root, "pxe", "debian", name), "w") as handle:
            handle.write(body)


def test_list_json_shows_images_ids_and_skipped_reasons(tmp_path):
    root = str(tmp_path / "images")
    make_tree(root)
    out = run("images", "list", "--images-dir", root, "--json", check=False)
    assert out.returncode == 2, out.stderr  # documented: some images were skipped
    assert "5 images were skipped" in out.stderr
    doc = json.loads(out.stdout)
    by_name = {image["name"]: image for image in doc["images"]}
    assert set(by_name) == {"Mojave Install", "Catalina", "AHT"}
    assert by_name["Mojave Install"]["id"] == "0x81000010"
    assert by_name["Mojave Install"]["default"] is True and by_name["Mojave Install"]["install"] is True
    assert by_name["Catalina"]["id"] == "0x01001001"          # read from the binary plist
    assert by_name["Catalina"]["enabledSystemIdentifiers"] == ["Macmini7,1"]
    assert by_name["AHT"]["id"] == "0x03000bb8" and by_name["AHT"]["filterOnly"] is True
    assert by_name["AHT"].get("rootPath") is None  # optional keys are left out when empty
    assert by_name["Mojave Install"]["bootFilePaths"] == {"i386": "Install.nbi/i386/booter"}
    skipped = {entry["folder"]: [p["code"] for p in entry["problems"]] for entry in doc["skipped"]}
    assert skipped == {
        "Zdup.nbi": ["duplicate-id"],
        "Garbage.nbi": ["plist-invalid"],
        "NoBooter.nbi": ["boot-file-missing"],
        # Every reason at once: the plist's missing keys and the missing ppc booter.
        "NoIndex.nbi": ["missing-key", "missing-key", "boot-file-missing"],
        "WrongType.nbi": ["wrong-type"],
    }
    assert doc["pxe"]["images"] == [{"name": "debian", "kernel": "pxe/debian/vmlinuz",
                                     "initrd": "pxe/debian/initrd.img", "cmdline": "console=ttyS0 quiet",
                                     "default": True}]


def test_list_text_table(tmp_path):
    root = str(tmp_path / "images")
    make_tree(root)
    out = run("images", "list", "--images-dir", root, check=False).stdout
    assert "0x81000010  Mojave Install" in out
    assert "skipped Zdup.nbi: image id 0x81000010 is already used by Install.nbi" in out


def test_rescan_prints_new_image_distributed_then_nothing(tmp_path):
    root = str(tmp_path / "images")
    make_tree(root)
    snapshot = str(tmp_path / "state" / "snapshot.json")
    first = run("images", "rescan", "--images-dir", root, "--snapshot", snapshot, cwd=str(tmp_path)).stdout
    assert "New image distributed: Mojave Install" in first
    assert "New image distributed: Catalina" in first
    # One statement about the server, and the true one: none runs, nothing was signalled.
    assert "No running netboot serve (none holds var/netboot.lock): nothing signalled" in first
    assert "kill -HUP" not in first and "Sent SIGHUP" not in first
    second = run("images", "rescan", "--images-dir", root, "--snapshot", snapshot).stdout
    assert "No change since the last rescan." in second
    write_nbi(root, "Sonoma.nbi", base(44, "Sonoma Lab"))
    import shutil
    shutil.rmtree(os.path.join(root, "Diag.nbi"))
    third = json.loads(run("images", "rescan", "--images-dir", root, "--snapshot", snapshot, "--json").stdout)
    assert third["logLines"][:2] == ["New image distributed: Sonoma Lab", "Image withdrawn: AHT"]


def test_passwords_in_root_paths_never_printed(tmp_path):
    root = str(tmp_path / "images")
    write_nbi(root, "Remote.nbi", base(5, "Remote", RootPath="http://user:hunter2@127.0.0.1:8080/x/NetBoot.dmg"))
    snapshot = str(tmp_path / "snap.json")
    listing = run("images", "list", "--images-dir", root, "--json", check=False).stdout
    rescan = run("images", "rescan", "--images-dir", root, "--snapshot", snapshot).stdout
    assert "hunter2" not in listing and "hunter2" not in rescan
    assert "hunter2" not in open(snapshot).read()
    assert json.loads(listing)["images"][0]["rootPath"] == "http://user:***@127.0.0.1:8080/x/NetBoot.dmg"


def test_missing_directory_is_an_error(tmp_path):
    out = run("images", "list", "--images-dir", str(tmp_path / "absent"), check=False)
    assert out.returncode != 0
    assert "not a readable directory" in out.stderr


def test_configuration_gives_images_dir_pxe_set_and_state_dir(tmp_path):
    make_tree(str(tmp_path / "lab-images"))
    os.makedirs(tmp_path / "etc")
    (tmp_path / "etc" / "netboot.yaml").write_text(
        "images-dir: lab-images\n"
        "state-dir: state\n"
        "pxe:\n"
        "  images:\n"
        "    - { name: debian, kernel: vmlinuz, initrd: initrd.img, cmdline: 'console=ttyS0' }\n"
        "    - { name: ghost, kernel: vmlinuz }\n"
        "  default-image: debian\n")
    doc = json.loads(run("images", "list", "--json", "--no-resolve", cwd=str(tmp_path), check=False).stdout)
    assert doc["imagesDirectory"] == "lab-images"
    assert {image["name"] for image in doc["images"]} == {"Mojave Install", "Catalina", "AHT"}
    assert [image["name"] for image in doc["pxe"]["images"]] == ["debian"]
    assert doc["pxe"]["images"][0]["cmdline"] == "console=ttyS0" and doc["pxe"]["images"][0]["default"] is True
    assert doc["pxe"]["problems"] == [{"code": "file-missing", "message": "pxe/ghost: pxe/ghost/vmlinuz does not exist"}]
    assert doc["pxe"]["missingBootFiles"] == ["bios: undionly.kpxe", "uefi-x64: ipxe.efi", "uefi-arm64: ipxe-arm64.efi"]
    out = run("images", "rescan", "--no-resolve", cwd=str(tmp_path)).stdout
    assert "New image distributed: Catalina" in out
    assert os.path.isfile(tmp_path / "state" / "images-snapshot.json")


def test_list_exits_zero_when_every_image_is_served(tmp_path):
    root = str(tmp_path / "images")
    write_nbi(root, "Install.nbi", base(16, "Mojave Install"))
    for name in ("debian", "fedora"):
        os.makedirs(os.path.join(root, "pxe", name))
        for file in ("vmlinuz", "default"):
            with open(os.path.join(root, "pxe", name, file), "w") as handle:
                handle.write("k")
    config = tmp_path / "lab.yaml"
    config.write_text(f"images-dir: {root}\n")
    # A remark about the default image (two are marked) is not a skipped image.
    out = run("images", "list", "--config", str(config), "--json", check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert [p["code"] for p in json.loads(out.stdout)["pxe"]["problems"]] == ["several-defaults"]
    # A PXE folder without a kernel is skipped: exit 2.
    os.makedirs(os.path.join(root, "pxe", "empty"))
    out = run("images", "list", "--config", str(config), check=False)
    assert out.returncode == 2 and "1 image was skipped" in out.stderr, out.stdout + out.stderr


def test_boot_files_are_looked_for_where_the_server_looks(tmp_path):
    """`netboot serve` finds PXE boot files in tftp.root, then http.root; so does the listing."""
    (tmp_path / "tftp").mkdir()
    (tmp_path / "tftp" / "undionly.kpxe").write_bytes(b"x")
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "ipxe.efi").write_bytes(b"x")
    config = tmp_path / "lab.yaml"
    config.write_text(f"images-dir: {tmp_path / 'images'}\ntftp:\n  root: {tmp_path / 'tftp'}\n"
                      f"http:\n  root: {tmp_path / 'web'}\n")
    os.makedirs(tmp_path / "images")
    doc = json.loads(run("images", "list", "--json", "--config", str(config)).stdout)
    assert doc["pxe"]["bootFileRoots"] == [str(tmp_path / "tftp"), str(tmp_path / "web")]
    assert doc["pxe"]["missingBootFiles"] == ["uefi-arm64: ipxe-arm64.efi"]


def test_every_command_reads_the_config_file_the_same_way(tmp_path):
    """`--config` everywhere; a broken file stops every command with the same located report."""
    make_tree(str(tmp_path / "lab-images"))
    good = tmp_path / "good.yaml"
    good.write_text(f"images-dir: {tmp_path / 'lab-images'}\nstate-dir: {tmp_path / 'lab-state'}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # explain reads images-dir from the configuration (no --images-dir needed).
    out = run("explain", "--mac", "00:17:f2:00:00:01", "--config", str(good), "--no-resolve", cwd=str(elsewhere))
    assert "Mojave Install" in out.stdout, out.stdout
    # leases list reads state-dir from it.
    out = run("leases", "list", "--config", str(good), cwd=str(elsewhere))
    assert f"no lease database at {tmp_path / 'lab-state'}/netboot.sqlite" in out.stderr
    # config check takes --config too.
    assert run("config", "check", "--config", str(good)).returncode == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("images-dir: [1]\nbsdp:\n  enabled: yes\n")
    for command in (["images", "list"], ["images", "rescan"], ["explain", "--mac", "00:17:f2:00:00:01"],
                    ["leases", "list"], ["debug", "dump-packets", "-w", str(tmp_path / "x.pcap")],
                    ["config", "check"], ["serve"]):
        out = run(*command, "--config", str(bad), cwd=str(elsewhere), check=False)
        assert out.returncode == 1, (command, out.stdout, out.stderr)
        report = out.stderr + out.stdout
        assert f"{bad}:1:13: error: images-dir: expected a string" in report, (command, report)
        assert f"{bad}:3:12: error: bsdp.enabled: expected true or false, found 'yes'" in report, (command, report)
