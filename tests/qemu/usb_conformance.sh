#!/usr/bin/env bash
# Kernel-in-the-loop test of the USB transport: QEMU (TCG, no KVM needed) boots Debian's stock kernel with
# a small initramfs; in the guest dummy_hcd joins a USB host controller and a device controller back to
# back, test_gadget makes the guest a SeedChip evaluation board through ConfigFS and FunctionFS
# (seedval/transport/functionfs.h), and test_usb runs the USB transport's conformance cases against it
# through libusb, the kernel's USB core and usbfs: the real stack, no mock.
#
#   tests/qemu/usb_conformance.sh BUILD_DIR
#
# BUILD_DIR holds the built test_gadget (tests/qemu) and test_usb (tests/framework/usb). The script
# installs what it needs from Debian (qemu-system-x86, busybox-static, kmod, cpio; through sudo when not
# root), fetches the kernel package without installing it (apt-get download, dpkg-deb -x) into a cache
# (SEEDVAL_QEMU_CACHE, default BUILD_DIR/qemu-cache), and exits 0 only when the guest reports a pass.
#
# Environment:
#   SEEDVAL_QEMU_CACHE         where the kernel package and its extracted tree are kept
#   SEEDVAL_QEMU_TIMEOUT       seconds the VM may run (default 900)
#   SEEDVAL_QEMU_HOST_PROGRAM  run this program in the guest as the host side instead of test_usb (with
#                              its libraries; for trying the gadget with another client)
set -euo pipefail

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
start=$SECONDS
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
cache=${SEEDVAL_QEMU_CACHE:-$build/qemu-cache}
work=$build/qemu-usb
timeout_s=${SEEDVAL_QEMU_TIMEOUT:-900}
guest_timeout_s=$((timeout_s * 2 / 3))  # the host side's limit in the guest, so a hang still reports
serial=QEMU0001
gadget_bin=$build/tests/qemu/test_gadget
host_bin=${SEEDVAL_QEMU_HOST_PROGRAM:-$build/tests/framework/usb/test_usb}

say() { echo "usb_conformance: $*"; }
die() {
  echo "usb_conformance: $*" >&2
  exit 1
}
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

for f in "$gadget_bin" "$host_bin"; do
  [ -x "$f" ] || die "$f: not built (cmake --build $build --target test_gadget test_usb)"
done

# --- tools -------------------------------------------------------------------------------------------
export PATH=$PATH:/usr/sbin:/sbin  # depmod and modprobe, for a user whose PATH lacks them
missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' || missing+=(busybox-static)
command -v depmod >/dev/null || missing+=(kmod)
command -v cpio >/dev/null || missing+=(cpio)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
    { as_root apt-get update -q >/dev/null && as_root apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; } ||
    die "cannot install ${missing[*]}"
fi

# --- kernel: Debian's stock one, fetched, never installed ---------------------------------------------
kernel_pkg() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }
pkg=$(kernel_pkg)
if [ -z "$pkg" ]; then
  as_root apt-get update -q >/dev/null
  pkg=$(kernel_pkg)
fi
[ -n "$pkg" ] || die "apt-cache knows no linux-image-amd64 (apt sources?)"
kver=${pkg#linux-image-}
kroot=$cache/$kver
mkdir -p "$cache"
if [ ! -f "$kroot/.done" ]; then
  deb=$(ls "$cache/${pkg}"_*.deb 2>/dev/null | head -n 1 || true)
  if [ -z "$deb" ]; then
    say "fetching $pkg"
    (cd "$cache" && apt-get download -q "$pkg" >/dev/null 2>&1) || die "apt-get download $pkg failed"
    deb=$(ls "$cache/${pkg}"_*.deb | head -n 1)
  fi
  rm -rf "$kroot"
  mkdir -p "$kroot"
  dpkg-deb -x "$deb" "$kroot"
  depmod -b "$kroot" "$kver"
  touch "$kroot/.done"
fi
vmlinuz=$kroot/boot/vmlinuz-$kver
[ -f "$vmlinuz" ] || die "$vmlinuz: not in $pkg"

# --- initramfs -----------------------------------------------------------------------------------------
rm -rf "$work"
root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,run,modules,seedval/boards}

cp /bin/busybox "$root/bin/busybox"
{ ldd /bin/busybox 2>&1 || true; } | grep -q 'not a dynamic' ||
  die "/bin/busybox is not the static one (apt-get install busybox-static)"

# The modules in load order, each after what it needs (modprobe --show-depends on the extracted tree);
# decompressed, so busybox's insmod can load them whatever the kernel's module compression.
: >"$root/modules/order"
n=0
for m in dummy_hcd configfs libcomposite usb_f_fs; do
  for ko in $(modprobe -d "$kroot" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'); do
    name=$(basename "$ko")
    name=${name%.xz}
    name=${name%.zst}
    name=${name%.gz}
    grep -qx "$name" "$root/modules/order" && continue
    case $ko in
      *.xz) xz -dc "$ko" >"$root/modules/$name" ;;
      *.zst) zstd -qdc "$ko" >"$root/modules/$name" ;;
      *.gz) gzip -dc "$ko" >"$root/modules/$name" ;;
      *) cp "$ko" "$root/modules/$name" ;;
    esac
    echo "$name" >>"$root/modules/order"
    n=$((n + 1))
  done
done
say "kernel $kver, modules: $(tr '\n' ' ' <"$root/modules/order")"

# The programs and every shared library they need, at the paths the dynamic loader looks for them.
copy_with_libs() {
  cp "$1" "$root/bin/"
  ldd "$1" | awk '/=> \// {print $3} /^[ \t]*\/[^ ]+ \(/ {print $1}' | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    [ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
  done
}
copy_with_libs "$gadget_bin"
copy_with_libs "$host_bin"
host_name=$(basename "$host_bin")
cp "$src"/boards/*.json "$root/seedval/boards/"
cp -r "$src/fixtures" "$root/seedval/"

if [ -n "${SEEDVAL_QEMU_HOST_PROGRAM:-}" ]; then
  host_cmd="/bin/$host_name"
else
  host_cmd="/bin/$host_name --run_test=transport_conformance --log_level=message --report_level=short"
fi

cat >"$root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin SEEDVAL_ROOT=/seedval HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
result() {
  echo "SEEDVAL-QEMU-RESULT: \$1"
  sync
  poweroff -f
}
for m in \$(cat /modules/order); do
  insmod /modules/\$m || result "FAIL (insmod \$m)"
done
mount -t configfs configfs /sys/kernel/config || result "FAIL (mount configfs)"
echo "guest: modules loaded at \$(cut -d' ' -f1 /proc/uptime) s"
/bin/test_gadget --serial $serial --ready /tmp/gadget.ready &
gadget=\$!
i=0
until [ -f /tmp/gadget.ready ] && grep -qs 1209 /sys/bus/usb/devices/*/idVendor; do
  i=\$((i + 1))
  [ \$i -lt 300 ] || result "FAIL (no board on the bus after 30 s)"
  kill -0 \$gadget 2>/dev/null || result "FAIL (test_gadget ended)"
  sleep 0.1
done
echo "guest: board on the bus at \$(cut -d' ' -f1 /proc/uptime) s: \$(cat /sys/bus/usb/devices/*/product 2>/dev/null | tr '\n' ' ')"
export SEEDVAL_TEST_USB_BOARD=usb:1209:5eed:$serial
t0=\$(cut -d' ' -f1 /proc/uptime)
timeout $guest_timeout_s $host_cmd
rc=\$?
echo "guest: host side exited \$rc after \$(cut -d' ' -f1 /proc/uptime) s (started at \$t0 s)"
kill -TERM \$gadget
wait \$gadget
grc=\$?
[ \$rc -eq 0 ] || result "FAIL (host side exit \$rc)"
[ \$grc -eq 0 ] || result "FAIL (test_gadget exit \$grc)"
result PASS
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.gz"
say "initramfs $(du -h "$work/initramfs.gz" | cut -f1) ready after $((SECONDS - start)) s"

# --- boot ----------------------------------------------------------------------------------------------
boot=$SECONDS
set +e
timeout "$timeout_s" qemu-system-x86_64 -accel tcg -machine q35 -cpu max -smp 2 -m 1024 \
  -nographic -no-reboot -monitor none -nic none \
  -kernel "$vmlinuz" -initrd "$work/initramfs.gz" \
  -append "console=ttyS0 rdinit=/init panic=-1 quiet loglevel=4" </dev/null 2>&1 | tee "$work/console.log"
qemu_rc=${PIPESTATUS[0]}
set -e
say "VM ran $((SECONDS - boot)) s (qemu exit $qemu_rc); $((SECONDS - start)) s in all; console in $work/console.log"
marker=$(tr -d '\r' <"$work/console.log" | grep -a '^SEEDVAL-QEMU-RESULT: ' | tail -n 1 || true)
case $marker in
  "SEEDVAL-QEMU-RESULT: PASS") say "pass"; exit 0 ;;
  "") die "no result from the guest (timeout ${timeout_s}s or crash; see $work/console.log)" ;;
  *) die "${marker#SEEDVAL-QEMU-RESULT: }" ;;
esac
