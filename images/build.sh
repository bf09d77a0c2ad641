#!/usr/bin/env bash
# Builds the SD-card image: images/out/kiosk-$VERSION-arm64.img.zst (+ .sha256).
#
#   1. cross-compile ./cmd/... for arm64 (cross.sh)
#   2. base tree: mmdebstrap --arch=arm64 of packages.txt, initramfs made once
#      (base-hooks.sh); cached in images/work/base-<hash>/ while packages.txt,
#      base-hooks.sh and the mirrors stay the same
#   3. customize a copy with our binaries, units and settings (customize.sh)
#   4. assemble partitions without loop devices or mounts (assemble.sh), zstd
#
# Environment: VERSION (default: git describe), MIRROR, SECURITY_MIRROR,
# PROVISION (a provisioning TOML to put on the boot partition; default none:
# the technician copies one there), REBUILD_BASE=1 to ignore the cache.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
work=$here/work
out=$here/out
suite=bookworm
mirror=${MIRROR:-http://deb.debian.org/debian}
security_mirror=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
export VERSION=${VERSION:-$(bash "$here/version.sh")}
# Orders releases for the updater: later commits, higher serials.
export SERIAL=${SERIAL:-$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)}

t_start=$(date +%s)
declare -a timings=()
step() { # step NAME: closes the previous step's timer, starts the next
  local now
  now=$(date +%s)
  if [[ -n ${step_name:-} ]]; then timings+=("$step_name $((now - step_t)) s"); fi
  step_name=$1
  step_t=$now
  [[ -n $1 ]] && echo "== image: $1"
  return 0
}

if [[ $(id -u) -ne 0 ]]; then
  echo "image: must run as root (mmdebstrap root mode, chroot, file ownership in the image)" >&2
  exit 1
fi
mkdir -p "$work" "$out"

step "host tools"
bash "$here/deps.sh" image

step "cross-compile"
bash "$here/cross.sh"
bindir=$work/bin-arm64
[[ -x $bindir/kiosk ]] || { echo "image: cmd/kiosk did not build" >&2; exit 1; }
[[ -x $bindir/kioskctl ]] || { echo "image: cmd/kioskctl did not build" >&2; exit 1; }

step "base tree"
mapfile -t pkgs < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/packages.txt" | tr -s ' \t' '\n' | sed '/^$/d')
sources=(
  "deb $mirror $suite main non-free-firmware"
  "deb $mirror $suite-updates main non-free-firmware"
  "deb $security_mirror $suite-security main non-free-firmware"
)
# Documentation, man pages and translations are dead weight on a kiosk;
# copyright files stay (licences travel with the binaries).
dpkgopts=(
  'path-exclude=/usr/share/man/*'
  'path-exclude=/usr/share/info/*'
  'path-exclude=/usr/share/doc/*'
  'path-include=/usr/share/doc/*/copyright'
  'path-exclude=/usr/share/locale/*'
  'path-include=/usr/share/locale/locale.alias'
  'path-exclude=/usr/share/lintian/*'
)
key=$({
  printf '%s\n' "${pkgs[@]}" "${sources[@]}" "${dpkgopts[@]}"
  cat "$here/base-hooks.sh"
} | sha256sum | cut -c1-16)
base=$work/base-$key
if [[ -n ${REBUILD_BASE:-} ]]; then rm -rf "$base"; fi
if [[ -d $base ]]; then
  echo "image: reusing the base tree ${base#"$top"/}"
else
  # Old bases are a gigabyte each: keep only the one being built.
  rm -rf "$work"/base-* "$work"/base.tmp
  mmopts=()
  for o in "${dpkgopts[@]}"; do mmopts+=("--dpkgopt=$o"); done
  IFS=, pkglist="${pkgs[*]}"
  mmdebstrap --mode=root --arch=arm64 --variant=minbase --format=directory \
    --include="$pkglist" "${mmopts[@]}" \
    --essential-hook="bash '$here/base-hooks.sh' essential \"\$1\"" \
    --customize-hook="bash '$here/base-hooks.sh' finish \"\$1\"" \
    "$suite" "$work/base.tmp" "${sources[@]}"
  mv "$work/base.tmp" "$base"
fi

step "release key"
# Without a town release key (images/release-keys/*.pub, whose private half
# is kept offline) the image trusts a development key made here once, which
# `make update` signs with by default.
export RELEASE_DEV_PUB=$work/release-dev.pub
if ! compgen -G "$here/release-keys/*.pub" >/dev/null && [[ ! -f $work/release-dev.key ]]; then
  (cd "$top" && ${GO:-go} run ./cmd/kioskctl update keygen --key "$work/release-dev.key" --pub "$RELEASE_DEV_PUB")
fi

step "customize"
rm -rf "$work/rootfs"
cp -a "$base" "$work/rootfs"
bash "$here/customize.sh" "$work/rootfs" "$bindir"

step "assemble"
img=$work/kiosk.img
bash "$here/assemble.sh" "$work/rootfs" "$img" "${PROVISION:-}"

step "compress"
name=kiosk-$VERSION-arm64.img.zst
bmap=kiosk-$VERSION-arm64.img.bmap
rm -f "$out"/kiosk-*-arm64.img.zst "$out"/kiosk-*-arm64.img.zst.sha256 "$out"/kiosk-*-arm64.img.bmap
zstd -q -T0 -6 --sparse -f "$img" -o "$out/$name"
# The image is 3.8 GiB with 0.9 GiB of data: bmaptool writes only that.
bmaptool -q create -o "$out/$bmap" "$img"
(cd "$out" && sha256sum "$name" >"$name.sha256")
step ""

echo "== image: done in $(($(date +%s) - t_start)) s"
for t in "${timings[@]}"; do echo "   $t"; done
ls -l "$out/$name" "$out/$name.sha256" "$out/$bmap"
echo "   raw image $(du -h --apparent-size "$img" | cut -f1) (sparse, $(du -h "$img" | cut -f1) allocated), compressed $(du -h "$out/$name" | cut -f1)"
