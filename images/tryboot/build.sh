#!/usr/bin/env bash
# Builds kiosk-tryboot.ko for the kernel in an arm64 root tree and installs it:
#
#   images/tryboot/build.sh ROOT
#
# ROOT/lib/modules/$KVER/updates/kiosk-tryboot.ko, then depmod for ROOT, so
# udev loads it by modalias on a Pi (of:N*T*Craspberrypi,bcm2835-firmware*).
# ROOT needs only lib/modules/$KVER (one kernel) and var/lib/dpkg/status.
#
# A module must match its kernel exactly (vermagic, symbol CRCs): the headers
# are linux-headers-$KVER and -common at the very Debian version of ROOT's
# linux-image-$KVER, fetched from the mirror with a private apt setup
# (download only: the host's apt and dpkg database are never touched) and
# unpacked once into images/work/kheaders-$KVER-$VERSION/. The .ko is cached
# in images/work/tryboot-ko/ by (that version, this script, the .c, Kbuild):
# a cached image build spends only the install and depmod (~1 s) here.
#
# Environment: MIRROR, SECURITY_MIRROR as images/build.sh.
set -euo pipefail

root=${1:?usage: build.sh ROOT}
here=$(cd "$(dirname "$0")" && pwd)
work=$(cd "$here/.." && pwd)/work
suite=bookworm
mirror=${MIRROR:-http://deb.debian.org/debian}
security_mirror=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
cross=aarch64-linux-gnu-
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

die() { echo "tryboot: $*" >&2; exit 1; }

# The kernel: the one directory in ROOT/lib/modules, and its package version.
shopt -s nullglob
kdirs=("$root"/lib/modules/*/)
shopt -u nullglob
((${#kdirs[@]} == 1)) || die "expected one kernel in $root/lib/modules, found ${#kdirs[@]}"
kver=$(basename "${kdirs[0]}")
kpkg=linux-image-$kver
kpkgver=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Version}' "$kpkg" 2>/dev/null) ||
  die "$kpkg is not installed in $root"
[[ -n $kpkgver ]] || die "$kpkg has no version in $root/var/lib/dpkg/status"
abi=${kver%-*} # 6.1.0-57: the -common package is named by the ABI, not the flavour
kbuild_pkg=linux-kbuild-${kver%%.*}.$(cut -d. -f2 <<<"$kver")
dest=$root/lib/modules/$kver/updates/kiosk-tryboot.ko

key=$({
  echo "$kver $kpkgver"
  cat "$here/build.sh" "$here/kiosk-tryboot.c" "$here/Kbuild"
} | sha256sum | cut -c1-16)
ko=$work/tryboot-ko/kiosk-tryboot-$key.ko

if [[ -f $ko ]]; then
  echo "tryboot: reusing kiosk-tryboot.ko for $kver ($kpkg $kpkgver)"
else
  hdrs=$work/kheaders-$kver-$kpkgver
  if [[ ! -f $hdrs/.complete ]]; then
    echo "tryboot: fetching the headers of $kpkg $kpkgver"
    mkdir -p "$work"
    tmp=$(mktemp -d "$work/kheaders.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    # apt with its own configuration and state in $tmp (APT_CONFIG is read
    # before the host's apt.conf.d, and points away from it): the image's
    # suites (main), amd64 (the host's) and arm64 indexes, Debian's key.
    mkdir -p "$tmp/apt/lists/partial" "$tmp/apt/cache/archives/partial" "$tmp/apt/parts" "$tmp/debs" "$tmp/tree"
    for s in "$mirror $suite" "$mirror $suite-updates" "$security_mirror $suite-security"; do
      echo "deb [signed-by=$keyring] $s main"
    done >"$tmp/apt/sources.list"
    cat >"$tmp/apt/apt.conf" <<CONF
Dir::Etc::Main "/dev/null";
Dir::Etc::Parts "$tmp/apt/parts";
Dir::Etc::PreferencesParts "$tmp/apt/parts";
Dir::Etc::SourceList "$tmp/apt/sources.list";
Dir::Etc::SourceParts "$tmp/apt/parts";
Dir::State "$tmp/apt";
Dir::State::Lists "$tmp/apt/lists";
Dir::State::Status "/dev/null";
Dir::Cache "$tmp/apt/cache";
APT::Architecture "amd64";
APT::Architectures { "amd64"; "arm64"; };
APT::Sandbox::User "root";
Acquire::Languages "none";
CONF
    export APT_CONFIG=$tmp/apt/apt.conf
    apt-get -q update >"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log" >&2; die "apt-get update failed"; }
    # The arm64 headers' scripts/ and tools/ are symlinks into linux-kbuild,
    # whose programs (fixdep, modpost, ...) run on the build machine: take
    # the amd64 linux-kbuild of the same version rather than run the arm64
    # one under qemu-user (native, no binfmt needed, same source exactly).
    want=("linux-headers-$kver:arm64=$kpkgver" "linux-headers-$abi-common=$kpkgver" "$kbuild_pkg:amd64=$kpkgver")
    if ! (cd "$tmp/debs" && apt-get -q download "${want[@]}") >>"$tmp/apt.log" 2>&1; then
      cat "$tmp/apt.log" >&2
      die "the headers of $kpkg $kpkgver are on neither $mirror nor $security_mirror any more:
  Debian keeps only the newest kernel of a suite, and the cached base tree is older.
  Rebuild the base so the image gets the current kernel: REBUILD_BASE=1 make image"
    fi
    for deb in "$tmp"/debs/*.deb; do dpkg-deb -x "$deb" "$tmp/tree"; done
    # The flavour's Makefile includes the -common one by an absolute
    # /usr/src path: point it at the unpacked copy, wherever it lies.
    mk=$tmp/tree/usr/src/linux-headers-$kver/Makefile
    grep -q "^include /usr/src/linux-headers-$abi-common/Makefile\$" "$mk" || die "unexpected $mk: $(cat "$mk")"
    echo "include \$(dir \$(realpath \$(lastword \$(MAKEFILE_LIST))))../linux-headers-$abi-common/Makefile" >"$mk"
    touch "$tmp/tree/.complete"
    rm -rf "$work"/kheaders-* # other kernels' headers: 80 MB each
    mv "$tmp/tree" "$hdrs"
    rm -rf "$tmp"
    trap - EXIT
  fi
  kdir=$hdrs/usr/src/linux-headers-$kver

  # The compiler: Debian built the kernel with gcc-12 (its Makefile asks for
  # $(CROSS_COMPILE)gcc-12 and skips kbuild's compiler-text check), so check
  # the version number here: the same GCC release keeps the ABI, flags and
  # feature tests (CONFIG_CC_HAS_*) of the kernel's own build.
  cc=${cross}gcc-12
  command -v "$cc" >/dev/null || die "$cc is missing (images/deps.sh image installs gcc-12-aarch64-linux-gnu)"
  want_gcc=$(sed -n 's/^CONFIG_GCC_VERSION=//p' "$kdir/.config")
  have_gcc=$(echo __GNUC__ __GNUC_MINOR__ __GNUC_PATCHLEVEL__ | "$cc" -E -P - | awk '{ printf "%d%02d%02d", $1, $2, $3 }')
  [[ $want_gcc == "$have_gcc" ]] ||
    die "the kernel was built by $(sed -n 's/^CONFIG_CC_VERSION_TEXT=//p' "$kdir/.config"), $cc is $("$cc" --version | head -1)"

  # The symbols the module calls must be exported by this very kernel.
  for sym in rpi_firmware_get rpi_firmware_put rpi_firmware_property register_reboot_notifier unregister_reboot_notifier; do
    grep -qP "^0x[0-9a-f]+\t$sym\tvmlinux\t" "$kdir/Module.symvers" || die "$kver does not export $sym"
  done

  # A copy of the source: kbuild writes its objects beside it (M=). A fixed
  # directory, and paths under images/work/ mapped to work/ in the debug
  # info the build ID is computed over: the same .ko from any checkout.
  bdir=$work/tryboot-build
  rm -rf "$bdir"
  mkdir -p "$bdir"
  trap 'rm -rf "$bdir"' EXIT
  cp "$here/kiosk-tryboot.c" "$here/Kbuild" "$bdir/"
  echo "tryboot: building kiosk-tryboot.ko for $kver ($kpkg $kpkgver, $("$cc" --version | head -1))"
  # KBUILD_MODPOST_WARN empty: an undefined symbol is an error, not a warning.
  # env -u: `make image` runs this under make, whose MAKEFLAGS (a jobserver
  # this make cannot reach) and MAKELEVEL must not leak into kbuild.
  if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEFILES \
    make -s ARCH=arm64 CROSS_COMPILE="$cross" KBUILD_MODPOST_WARN= KCFLAGS="-ffile-prefix-map=$work/=work/" \
    -C "$kdir" M="$bdir" modules >"$bdir/build.log" 2>&1; then
    cat "$bdir/build.log" >&2
    die "the module did not build"
  fi
  # "Skipping BTF generation" (no vmlinux in the headers) is expected; any
  # other line is a compiler or modpost warning: fail on it too.
  if grep -v 'Skipping BTF generation' "$bdir/build.log" | grep -q .; then
    cat "$bdir/build.log" >&2
    die "the build said more than expected (above)"
  fi
  # Debian ships its modules without debug sections; so do we (~10x smaller).
  "${cross}strip" --strip-debug -o "$bdir/out.ko" "$bdir/kiosk-tryboot.ko"
  rm -rf "$work/tryboot-ko" # modules of older sources or kernels
  mkdir -p "$work/tryboot-ko"
  mv "$bdir/out.ko" "$ko"
  rm -rf "$bdir"
  trap - EXIT
fi

# The same vermagic and struct module layout (module_layout's CRC) as the
# kernel's own modules, or the kernel refuses it.
ref=$(find "$root/lib/modules/$kver/kernel" -name '*.ko' -print -quit)
[[ -n $ref ]] || die "no module in $root/lib/modules/$kver/kernel to compare with"
[[ $(modinfo -F vermagic "$ko") == "$(modinfo -F vermagic "$ref")" ]] ||
  die "vermagic '$(modinfo -F vermagic "$ko")' differs from the kernel's '$(modinfo -F vermagic "$ref")'"
layout() { modprobe --dump-modversions "$1" | awk '$2 == "module_layout" { print $1 }'; }
[[ $(layout "$ko") == "$(layout "$ref")" && -n $(layout "$ko") ]] ||
  die "module_layout CRC $(layout "$ko") differs from the kernel's $(layout "$ref")"

install -D -m 0644 "$ko" "$dest"
# The host's depmod (kmod) reads arm64 modules as well. -b: ROOT's modules;
# -C: ROOT's configuration, never the host's (the image has none: kmod's
# default order then puts updates/ before kernel/).
depmod -b "$root" -C "$root/etc/depmod.d" "$kver"
grep -q "^updates/kiosk-tryboot.ko:" "$root/lib/modules/$kver/modules.dep" || die "depmod did not list the module"
echo "tryboot: installed ${dest#"$root"} (vermagic $(modinfo -F vermagic "$dest"))"
