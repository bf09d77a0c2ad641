#!/usr/bin/env bash
# What the image and its smoke test are made of, for the CI stamp
# (.ci/image-tested): CI rebuilds and re-tests the image only when one of
# these files changed since the last `make image-test` that passed.
#
#   images/inputs.sh list    the files, one a line
#   images/inputs.sh hash    "inputs sha256:<hex>" over their committed blobs;
#                            exits 1 (naming them) if any is modified or untracked
#
# The inputs:
#   - images/ itself: recipe, package list, units, scripts, boot files, the
#     test and its host tool (images/vmctl), but not images/screens/ (the
#     goldens the test compares with: they change no byte of the image) nor
#     documentation (*.md);
#   - the Go sources (non-test .go files, embedded files) of every package
#     of this module that the baked binaries (cmd/kiosk, cmd/kioskctl, for
#     linux/arm64) and the test's host tools (cmd/vcard, cmd/collector for
#     its throw-away PKI, images/vmctl) are built from, and go.mod/go.sum
#     (the versions of everything else);
#   - the card profiles and test PKI that vcard inserts (testdata/cards, testdata/pki).
# Not covered: what the Debian mirror serves on build day (packages.txt
# names packages, not versions): a rebuild may differ without any change here.
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}

list() {
  {
    git ls-files images | grep -v -e '^images/screens/' -e '\.md$'
    echo go.mod
    echo go.sum
    git ls-files testdata/cards testdata/pki
    git ls-files cmd/voicegen kiosk/readings.tsv | grep -v '_test\.go$'
    fmt='{{if .Module}}{{if .Module.Main}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .CgoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{end}}{{end}}'
    GOOS=linux GOARCH=arm64 CGO_ENABLED=1 "$go" list -deps -f "$fmt" ./cmd/kiosk ./cmd/kioskctl
    CGO_ENABLED=1 "$go" list -deps -f "$fmt" ./cmd/vcard ./cmd/collector ./cmd/voicegen ./images/vmctl
  } | sed "s|^$PWD/||" | sed '/^$/d' | sort -u
}

case ${1:-} in
list) list ;;
hash)
  mapfile -t files < <(list)
  dirty=$(git status --porcelain --untracked-files=all -- "${files[@]}")
  if [[ -n $dirty ]]; then
    echo "images/inputs.sh: inputs not committed:" >&2
    echo "$dirty" >&2
    exit 1
  fi
  echo "inputs sha256:$(git ls-files -s -- "${files[@]}" | sha256sum | cut -d' ' -f1)"
  ;;
*)
  echo "usage: $0 list|hash" >&2
  exit 2
  ;;
esac
