#!/usr/bin/env bash
# Builds the update bundle of the last `make image`: images/out/kiosk-<version>-arm64.kup
# (+ .sha256), signed with the release key. The bundle holds the root image
# and both slots' boot images (images/work/slots/, from assemble.sh) and a
# manifest with the version, serial, board, sizes and SHA-256 of each, signed
# with Ed25519 (kiosk/update). Version and serial are read from the root
# image's own /etc/kiosk-release, so a bundle never claims another build.
#
#   RELEASE_KEY=FILE   the release private key (default: the development key
#                      images/work/release-dev.key that `make image` made;
#                      kiosks trust it only when the image was built without
#                      images/release-keys/*.pub)
#   OUT=FILE           where to write the bundle
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
slots=$here/work/slots
key=${RELEASE_KEY:-$here/work/release-dev.key}
for f in boot-a.vfat boot-b.vfat root.ext4; do
  [[ -f $slots/$f ]] || { echo "update: no $slots/$f (make image first)" >&2; exit 1; }
done
[[ -f $key ]] || { echo "update: no release key $key (RELEASE_KEY=FILE)" >&2; exit 1; }
release=$(debugfs -R "cat /etc/kiosk-release" "$slots/root.ext4" 2>/dev/null)
version=$(sed -n 's/^VERSION=//p' <<<"$release")
serial=$(sed -n 's/^SERIAL=//p' <<<"$release")
[[ -n $version && -n $serial ]] || { echo "update: the root image's /etc/kiosk-release has no VERSION/SERIAL" >&2; exit 1; }
[[ $key == "$here/work/release-dev.key" ]] && echo "update: WARNING: signing with the development key (RELEASE_KEY= for the town's)"
mkdir -p "$here/out"
out=${OUT:-$here/out/kiosk-$version-arm64.kup}
(cd "$top" && ${GO:-go} run ./cmd/kioskctl update build --key "$key" --version "$version" --serial "$serial" \
  --root "$slots/root.ext4" --boot-a "$slots/boot-a.vfat" --boot-b "$slots/boot-b.vfat" --out "$out")
(cd "$(dirname "$out")" && sha256sum "$(basename "$out")" >"$(basename "$out").sha256")
ls -l "$out"
