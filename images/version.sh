#!/usr/bin/env bash
# Prints the version every program and the image carry: the release number
# from images/VERSION and the commit, e.g. 2026.12.1+ee11cf2
# (".dirty" when tracked files differ from the commit). A technician reads it
# aloud on the phone: the number says which release, the commit which build.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
release=$(tr -d ' \t\r\n' <"$top/images/VERSION" 2>/dev/null || true)
release=${release:-0.0.0}
if commit=$(git -C "$top" rev-parse --short=7 HEAD 2>/dev/null); then
  if [[ -n $(git -C "$top" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
    commit+=.dirty
  fi
  echo "$release+$commit"
else
  echo "$release+unknown"
fi
