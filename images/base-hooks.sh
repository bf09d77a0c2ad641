#!/usr/bin/env bash
# mmdebstrap hooks for the cached base tree (packages + initramfs). Called by
# build.sh as:
#   --essential-hook='base-hooks.sh essential "$1"'   before the packages
#   --customize-hook='base-hooks.sh finish "$1"'      after the packages
#
# Why: every package that touches the kernel or the initramfs (the kernel,
# initramfs-tools, udev, kmod, ...) runs update-initramfs, and each run under
# qemu-user emulation takes minutes; in the trial they were most of a
# 20-minute build. So update-initramfs is diverted to a no-op while the
# packages go in, and run once for real at the end.
set -euo pipefail

stage=$1
root=$2
real=/usr/sbin/update-initramfs
diverted=/usr/sbin/update-initramfs.kiosk-real

case $stage in
essential)
  # Divert before initramfs-tools is unpacked: dpkg then installs the real
  # script under the diverted name and leaves our stub in place.
  chroot "$root" dpkg-divert --quiet --local --rename --divert "$diverted" --add "$real"
  cat >"$root$real" <<'EOF'
#!/bin/sh
# Stub installed by the kiosk image build: the initramfs is generated once at
# the end of the build (images/base-hooks.sh), not by every package.
echo "update-initramfs: deferred by the kiosk image build ($*)" >&2
exit 0
EOF
  chmod 0755 "$root$real"
  # raspi-firmware's hooks write into /boot/firmware.
  mkdir -p "$root/boot/firmware"
  ;;
finish)
  rm -f "$root$real"
  chroot "$root" dpkg-divert --quiet --local --rename --remove "$real"
  # MODULES=most (the default) because the same initramfs must find the root
  # on the Pi's SD card (sdhci-iproc, its GPIO-expander regulator, ...) and on
  # qemu's virtio disk for the smoke test; "dep" cannot be used in a chroot.
  mkdir -p "$root/etc/initramfs-tools/conf.d"
  cat >"$root/etc/initramfs-tools/conf.d/kiosk.conf" <<'EOF'
MODULES=most
COMPRESS=zstd
EOF
  mapfile -t kernels < <(cd "$root/boot" && ls vmlinuz-* | sed 's/^vmlinuz-//')
  if ((${#kernels[@]} != 1)); then
    echo "base-hooks: expected exactly one kernel in /boot, found: ${kernels[*]:-none}" >&2
    exit 1
  fi
  echo "base-hooks: generating the initramfs for ${kernels[0]} (once, under emulation)"
  start=$(date +%s)
  chroot "$root" update-initramfs -c -k "${kernels[0]}"
  echo "base-hooks: initramfs took $(($(date +%s) - start)) s"
  # Package caches and lists are not needed on a read-only kiosk.
  rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  ;;
*)
  echo "usage: $0 essential|finish ROOT" >&2
  exit 2
  ;;
esac
