#!/usr/bin/env bash
# Puts the voice guidance into the root filesystem (issue 23):
#   voice-root.sh ROOT VOICE_DIR VOICE_TOOLS
# - the prompts rendered by `make voice` (VOICE_DIR: ja/, en/, manifest.tsv)
#   into /usr/share/kiosk/voice, the kiosk's default devices.speaker.prompts;
#   prompts with the same words are hard links (cp -a keeps them so);
# - the credit and licence texts the voice, Open JTalk and flite ask for
#   into /usr/share/doc/kiosk-voice: the WAVs are made with the NIT ATR503
#   M001 voice (CC BY 3.0, which asks for the credit), by Open JTalk and its
#   dictionary (BSD-3: keep the notices) and flite (BSD-like).
# The kiosk needs only aplay (alsa-utils, packages.txt) to play them.
set -euo pipefail
root=$1
voice=$2
tools=$3
n=$(find "$voice/ja" "$voice/en" -name '*.wav' 2>/dev/null | wc -l)
if ((n == 0)) || [[ ! -f $voice/manifest.tsv ]]; then
  echo "voice-root: no rendered prompts in $voice (make voice)" >&2
  exit 1
fi
mkdir -p "$root/usr/share/kiosk"
rm -rf "$root/usr/share/kiosk/voice"
cp -a --no-preserve=ownership "$voice" "$root/usr/share/kiosk/voice"
doc=$root/usr/share/doc/kiosk-voice
mkdir -p "$doc"
cp "$tools/usr/share/doc/hts-voice-nitech-jp-atr503-m001/copyright" "$doc/copyright.hts-voice-nitech-jp-atr503-m001"
for p in open-jtalk open-jtalk-mecab-naist-jdic libhtsengine1 flite; do
  cp "/usr/share/doc/$p/copyright" "$doc/copyright.$p"
done
cat >"$doc/README" <<'TXT'
Voice guidance of the village hall kiosk (/usr/share/kiosk/voice)

The Japanese prompts were rendered at build time with Open JTalk
(https://open-jtalk.sourceforge.net/, BSD-3-Clause; dictionary
open-jtalk-mecab-naist-jdic, BSD-3-Clause; hts_engine API, BSD-3-Clause)
using the voice:

  HTS voice "NIT ATR503 M001", Nagoya Institute of Technology,
  licensed under Creative Commons Attribution 3.0
  (https://creativecommons.org/licenses/by/3.0/).

The English prompts were rendered with flite (CMU Flite, BSD-like licence).
The licence texts are beside this file (copyright.*). The kiosk itself
contains no synthesiser: it plays these files with aplay.
TXT
echo "voice-root: $n prompts ($(du -sh "$root/usr/share/kiosk/voice" | cut -f1)) and their credits in the root"
