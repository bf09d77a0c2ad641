#!/usr/bin/env bash
# Installs the host tools for the SD-card image. Two levels, because CI runs
# the cross-compile on every `make test` and must not pull in qemu & co:
#
#   deps.sh cross   gcc-aarch64-linux-gnu + mmdebstrap (arm64 cgo build only)
#   deps.sh image   everything `make image` and `make image-test` need
#
# Idempotent: does nothing when everything is there.
#
# NEVER `dpkg --add-architecture arm64` here: apt once removed dozens of host
# packages to satisfy multi-arch versions. The arm64 libraries come from a
# sysroot made by `mmdebstrap --variant=extract` instead (see cross.sh).
set -euo pipefail

level=${1:-image}
cross_pkgs=(gcc-aarch64-linux-gnu mmdebstrap)
image_pkgs=(
  "${cross_pkgs[@]}"
  qemu-user-static binfmt-support   # run arm64 maintainer scripts in the root
  dosfstools mtools fdisk e2fsprogs # assemble the image without loop devices
  qemu-system-arm                   # image-test: boot it under -M virt
  device-tree-compiler              # image-test: fdtput, the firmware stand-in's /chosen/bootloader
  openssh-client                    # image-test: a shell over ssh on a kiosk that did not start
  zstd                              # compress the image
  bmap-tools                        # a block map, so flashing skips the image's holes
  arch-test                         # mmdebstrap's check that arm64 can run
  gcc-12-aarch64-linux-gnu make     # tryboot/build.sh: the kernel's compiler (gcc-12), kbuild
  kmod debian-archive-keyring       # tryboot/build.sh: depmod, modinfo; the headers' signatures
)
case $level in
cross) pkgs=("${cross_pkgs[@]}") ;;
image) pkgs=("${image_pkgs[@]}") ;;
*)
  echo "usage: $0 cross|image" >&2
  exit 2
  ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "images/deps: missing packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "images/deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[[ $level == image ]] || exit 0

# mmdebstrap runs the arm64 maintainer scripts through binfmt_misc +
# qemu-aarch64-static. On a machine without systemd nobody mounts
# binfmt_misc or registers the interpreter, so do it here.
if [[ ! -e /proc/sys/fs/binfmt_misc/status ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "images/deps: binfmt_misc is not mounted (as root: mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc)" >&2
    exit 1
  fi
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if [[ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "images/deps: qemu-aarch64 binfmt is not registered (as root: update-binfmts --enable qemu-aarch64)" >&2
    exit 1
  fi
  update-binfmts --enable qemu-aarch64
fi
# The F (fix-binary) flag lets the interpreter work inside the chroot,
# where /usr/bin/qemu-aarch64-static of the host does not exist.
if ! grep -q '^flags:.*F' /proc/sys/fs/binfmt_misc/qemu-aarch64; then
  echo "images/deps: warning: qemu-aarch64 binfmt lacks the F flag; mmdebstrap may fail in the chroot" >&2
fi
