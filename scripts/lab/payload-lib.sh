# Shared by scripts/lab/build-disk-image and scripts/lab/build-runner-initrd (sourced, bash):
# Debian's kernel and busybox-static fetched with apt-get download into a cache, kernel modules
# with their dependencies in load order, a binary with the libraries it links, udhcpc's script.

LAB_CACHE=${LAB_CACHE:-var/lab/cache}

# Extracts linux-image-amd64's kernel package and busybox-static into $LAB_CACHE (once);
# sets LAB_KERNEL_DIR (the unpacked package) and LAB_BUSYBOX (the static binary).
lab_fetch_debs() {
  mkdir -p "$LAB_CACHE"
  LAB_CACHE=$(cd "$LAB_CACHE" && pwd)
  local kernel_package
  kernel_package=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  if [ -z "$kernel_package" ]; then
    apt-get update -qq
    kernel_package=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  fi
  [ -n "$kernel_package" ] || { echo "payload-lib: cannot resolve linux-image-amd64" >&2; return 1; }
  if [ ! -d "$LAB_CACHE/$kernel_package" ] || [ ! -x "$LAB_CACHE/busybox/bin/busybox" ]; then
    local debs
    debs=$(mktemp -d)
    chmod 755 "$debs"
    (cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root "$kernel_package" busybox-static)
    rm -rf "$LAB_CACHE/$kernel_package.tmp" "$LAB_CACHE/busybox"
    dpkg-deb -x "$debs/$kernel_package"_*.deb "$LAB_CACHE/$kernel_package.tmp"
    dpkg-deb -x "$debs"/busybox-static_*.deb "$LAB_CACHE/busybox"
    mv "$LAB_CACHE/$kernel_package.tmp" "$LAB_CACHE/$kernel_package"
    rm -rf "$debs"
  fi
  LAB_KERNEL_DIR="$LAB_CACHE/$kernel_package"
  LAB_BUSYBOX="$LAB_CACHE/busybox/bin/busybox"
}

# lab_busybox ROOT: busybox in ROOT/bin with a link for every applet.
lab_busybox() {
  local root=$1 applet
  mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,run,etc,mnt}
  cp "$LAB_BUSYBOX" "$root/bin/busybox"
  for applet in $("$LAB_BUSYBOX" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
}

# lab_modules ROOT MODULE…: the modules and everything they depend on (".modinfo" depends=)
# copied flat into ROOT/lib/modules/, their load order in ROOT/etc/modules.order.
lab_modules() {
  local root=$1
  shift
  mkdir -p "$root/lib/modules"
  /usr/bin/python3 - "$LAB_KERNEL_DIR" "$root" "$@" <<'PY'
import os, re, shutil, sys
kernel, root, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
index = {}
for base, _, files in os.walk(os.path.join(kernel, "lib", "modules")):
    for name in files:
        if name.endswith(".ko"):
            index[name[:-3].replace("-", "_")] = os.path.join(base, name)
order = []
def depends(name):
    data = open(index[name], "rb").read()
    found = re.search(rb"(?:^|\x00)depends=([^\x00]*)", data)
    return [d.decode().replace("-", "_") for d in found.group(1).split(b",") if d] if found else []
def visit(name):
    if name in order:
        return
    if name not in index:
        sys.exit(f"payload-lib: module {name} is not in {kernel}")
    for dependency in depends(name):
        visit(dependency)
    order.append(name)
for name in wanted:
    visit(name.replace("-", "_"))
for name in order:
    shutil.copy(index[name], os.path.join(root, "lib", "modules", name + ".ko"))
with open(os.path.join(root, "etc", "modules.order"), "w") as out:
    out.write("\n".join(order) + "\n")
PY
}

# lab_binary ROOT PATH [DEST]: PATH copied to ROOT/DEST (default its own path) with every
# library ldd names, at the same paths, so it runs in ROOT as on this host.
lab_binary() {
  local root=$1 binary=$2 dest=${3:-$2} library
  mkdir -p "$root/$(dirname "$dest")"
  cp "$binary" "$root/$dest"
  for library in $(ldd "$binary" | awk '/=>/ { print $3 } !/=>/ && $1 ~ /^\// { print $1 }'); do
    [ -e "$root/$library" ] && continue
    mkdir -p "$root/$(dirname "$library")"
    cp -L "$library" "$root/$library"
  done
}

# lab_udhcpc_script ROOT: busybox udhcpc's hook, which configures the lease it got.
lab_udhcpc_script() {
  cat > "$1/etc/udhcpc.script" <<'SCRIPT'
#!/bin/sh
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"
    ;;
esac
exit 0
SCRIPT
  chmod +x "$1/etc/udhcpc.script"
}

# The shell functions every init uses (written into ROOT/etc/lab-functions).
lab_functions() {
  cat > "$1/etc/lab-functions" <<'FUNCTIONS'
export PATH=/usr/local/bin:/bin:/sbin
# The value of NAME= on the kernel command line.
cmdline_arg() { tr ' ' '\n' < /proc/cmdline | sed -n "s/^$1=//p" | tail -n 1; }
load_modules() { for m in $(cat /etc/modules.order); do insmod "/lib/modules/$m.ko" 2>/dev/null; done; }
# Brings the first Ethernet interface up with DHCP; prints its name.
network_up() {
  ip link set lo up
  for i in $(seq 1 50); do
    nic=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)
    [ -n "$nic" ] && break
    sleep 0.1
  done
  ip link set "$nic" up
  udhcpc -i "$nic" -q -f -n -t 20 -T 1 -s /etc/udhcpc.script >/dev/null 2>&1
  echo "$nic"
}
uptime_s() { cut -d' ' -f1 /proc/uptime; }
FUNCTIONS
}
