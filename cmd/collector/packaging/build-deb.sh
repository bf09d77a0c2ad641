#!/usr/bin/env bash
# Builds the town hall's Debian package village-collector for each
# architecture given (amd64, arm64): the collector (static, no cgo), its
# hardened systemd unit and the example configuration.
#
#   build-deb.sh OUTDIR VERSION ARCH...      (make deb runs it)
#   COLLECTOR_BIN_amd64=FILE build-deb.sh …  packages FILE instead of building
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
out=$1 version=$2
shift 2
go=${GO:-go}
# A Debian version starts with a digit: a bare commit hash becomes 0~gHASH.
[[ $version =~ ^[0-9] ]] || version="0~g${version//[^A-Za-z0-9.+~]/.}"
mkdir -p "$out"
for arch in "$@"; do
  case $arch in amd64|arm64) ;; *) echo "build-deb: unknown architecture $arch" >&2; exit 2 ;; esac
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  install -d "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/collector" \
    "$root/usr/share/doc/village-collector"
  prebuilt=COLLECTOR_BIN_$arch
  if [[ -n ${!prebuilt:-} ]]; then # a test's binary, already built for that architecture
    install -m 0755 "${!prebuilt}" "$root/usr/bin/collector"
  else
    (cd "$top" && CGO_ENABLED=0 GOOS=linux GOARCH=$arch "$go" build \
      -ldflags "-s -w -X main.version=$version" -o "$root/usr/bin/collector" ./cmd/collector)
  fi
  install -m 0644 "$here/collector.service" "$root/lib/systemd/system/collector.service"
  install -m 0640 "$here/collector.toml" "$root/etc/collector/collector.toml"
  install -m 0644 "$top/README.md" "$root/usr/share/doc/village-collector/README.md"
  install -m 0755 "$here/postinst" "$here/postrm" "$root/DEBIAN/"
  echo /etc/collector/collector.toml >"$root/DEBIAN/conffiles"
  size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
  cat >"$root/DEBIAN/control" <<CONTROL
Package: village-collector
Version: $version
Architecture: $arch
Maintainer: Village hall kiosk team <kiosk@village.invalid>
Installed-Size: $size
Depends: adduser
Recommends: postgresql-client
Section: admin
Priority: optional
Description: town hall collector for the village hall kiosks
 Receives the kiosks' hash-chained journals over mutual TLS, keeps them
 in bbolt or PostgreSQL, and serves the staff console, Prometheus
 metrics and health checks. Runs as the collector user under a hardened
 systemd unit; configure /etc/collector/collector.toml, then
 systemctl enable --now collector.
CONTROL
  deb="$out/village-collector_${version}_${arch}.deb"
  dpkg-deb --root-owner-group -Zgzip --build "$root" "$deb" >/dev/null
  echo "$deb"
  rm -rf "$root"
  trap - EXIT
done
