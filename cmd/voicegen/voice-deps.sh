#!/usr/bin/env bash
# Installs the renderers of make voice (open-jtalk + its dictionary from
# main, flite, sox) and unpacks the NIT ATR503 M001 voice from contrib
# into $1 with a throwaway apt configuration (the system's sources are
# left as they are).
set -euo pipefail
tools=${1:?usage: voice-deps.sh DIR}
pkgs=(open-jtalk open-jtalk-mecab-naist-jdic flite sox)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "voice-deps: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
voice=$tools/usr/share/hts-voice/nitech-jp-atr503-m001/nitech_jp_atr503_m001.htsvoice
[[ -f $voice ]] && exit 0
apt_dir=$(mktemp -d)
trap 'rm -rf "$apt_dir"' EXIT
mkdir -p "$apt_dir"/lists/partial "$apt_dir"/cache/archives/partial "$tools"
echo "deb http://deb.debian.org/debian bookworm contrib" > "$apt_dir/sources.list"
touch "$apt_dir/status"
opts=(-o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" -o Dir::State::status="$apt_dir/status"
  -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
apt-get "${opts[@]}" update -qq
(cd "$apt_dir" && apt-get "${opts[@]}" download hts-voice-nitech-jp-atr503-m001 >/dev/null)
dpkg-deb -x "$apt_dir"/hts-voice-nitech-jp-atr503-m001_*.deb "$tools"
echo "voice-deps: voice in $tools (CC BY 3.0, see $tools/usr/share/doc/hts-voice-nitech-jp-atr503-m001/copyright)"
