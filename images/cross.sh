#!/usr/bin/env bash
# Cross-compiles the Go commands for the board (linux/arm64, cgo on) into
# images/work/bin-arm64/. CI runs this on every `make test` so a change that
# breaks the board build fails at once, so it stays light: the arm64 sysroot
# (libc6-dev, libpcsclite-dev: ebfe/scard needs libpcsclite through cgo) is
# an `mmdebstrap --variant=extract` tree, made once (~4 s) and cached.
#
#   cross.sh            build ./cmd/... for arm64
#   cross.sh sysroot    only make sure the sysroot is there
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
work=$here/work
sysroot=$work/sysroot-arm64
out=$work/bin-arm64
suite=${SUITE:-bookworm}
go=${GO:-go}
# Bump when the package list changes so cached sysroots are rebuilt.
sysroot_pkgs="libc6-dev,libpcsclite-dev,libpcsclite1"
stamp="$sysroot/.kiosk-sysroot"

bash "$here/deps.sh" cross

# images/work holds root trees (with /proc mounted while mmdebstrap runs):
# a go.mod makes it a module of its own, which `go ... ./...` skips.
mkdir -p "$work"
[[ -f $work/go.mod ]] || echo "module ignore // build trees, not Go code" >"$work/go.mod"

if [[ ! -f $stamp || "$(cat "$stamp")" != "$suite $sysroot_pkgs" ]]; then
  echo "cross: making the arm64 sysroot in ${sysroot#"$top"/} ($suite: $sysroot_pkgs)"
  rm -rf "$sysroot"
  mkdir -p "$work"
  # extract only unpacks the .debs: no maintainer scripts, so no qemu needed.
  # Build in a temporary directory so an interrupted run leaves no half tree.
  tmp=$(mktemp -d "$work/sysroot.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  mmdebstrap --quiet --arch=arm64 --variant=extract --include="$sysroot_pkgs" \
    "$suite" "$tmp/root"
  echo "$suite $sysroot_pkgs" >"$tmp/root/.kiosk-sysroot"
  mv "$tmp/root" "$sysroot"
  rm -rf "$tmp"
  trap - EXIT
fi

[[ ${1:-} == sysroot ]] && exit 0

mapfile -t cmds < <(cd "$top" && "$go" list -f '{{.ImportPath}}' ./cmd/...)
if ((${#cmds[@]} == 0)); then
  echo "cross: no commands under ./cmd to build" >&2
  exit 1
fi

# --sysroot is what makes gcc and ld take the arm64 headers and libraries
# instead of the host's; a static link is not possible (Debian ships no
# static libpcsclite), so the binaries need libpcsclite1 on the board.
export CGO_ENABLED=1 GOOS=linux GOARCH=arm64 CC=aarch64-linux-gnu-gcc \
  CGO_CFLAGS="--sysroot=$sysroot -O2" CGO_LDFLAGS="--sysroot=$sysroot" \
  PKG_CONFIG_SYSROOT_DIR="$sysroot" PKG_CONFIG_LIBDIR="$sysroot/usr/lib/aarch64-linux-gnu/pkgconfig"
# The commit time, as the top-level Makefile sets it: the kiosk takes a clock
# earlier than this as certainly wrong (the Pi has no battery clock).
ldflags="-s -w -X main.buildTime=$(git -C "$top" log -1 --format=%cI 2>/dev/null || true)"
ldflags+=" -X main.version=${VERSION:-$(bash "$here/version.sh")}"
mkdir -p "$out"
cd "$top"
echo "cross: go build linux/arm64 ${cmds[*]##*/}"
"$go" build -trimpath -ldflags="$ldflags" -o "$out/" "${cmds[@]}"
ls -l "$out"
