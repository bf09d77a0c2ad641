# Sourced by image-test.sh (issue 23): a third boot with a USB speaker.
# qemu's usb-audio records what the guest plays into a WAV (its wav
# audiodev); the kiosk finds the card by its ID ("Audio", the last word of
# "QEMU USB Audio", as the kernel names cards), plays the waiting prompt at
# its first frame and a valid card's status summary. The recording is then
# held against the rendered prompts (build/voice/manifest.tsv): how long
# speech was heard, and at what level (volume 2 = -6 dB on prompts brought
# to a -3 dBFS peak). No screen is compared here: the goldens stay those of
# boot 1. VOICE_TEST=0 skips it.

# prompt_secs LANG ID...: the prompts' total length, with the player's pauses.
prompt_secs() {
  local lang=$1 total=0 id s
  shift
  for id in "$@"; do
    s=$(awk -F'\t' -v l="$lang" -v i="$id" '$1 == l && $2 == i { print $3 }' "$top/build/voice/manifest.tsv")
    total=$(awk -v a="$total" -v b="${s:-0}" 'BEGIN { print a + b + 0.3 }')
  done
  echo "$total"
}

voice_boot() {
  local prov=$t/voice.toml rec=$t/speaker.wav v
  # With sync keys like boot 1: the probe reads the journal through a
  # signed export, which needs the kiosk's key.
  kioskctl provision write --force --out "$prov" --kiosk-id T01 --municipality テスト村 --office 住民課 \
    --phone 0000-00-0000 --hours "平日 9:00〜17:00" --keypad sim --keypad-layout '123A,456B,789C,*0#D' \
    --printer sim --touch none --screen real --collector https://collector.invalid:8443 --cert-ref-key \
    --speaker alsa --speaker-card Audio --speaker-volume 2 >/dev/null
  if ! v=$(kioskctl provision check "$prov" 2>&1); then
    check "voice: provisioning" 1 "$v"
    return
  fi
  rm -f "$rec"
  # vcard leaves when the guest powers off: a command after that must not
  # kill the test with SIGPIPE.
  trap '' PIPE
  qemu_extra=(-audiodev "wav,id=snd0,path=$rec" -device usb-audio,audiodev=snd0)
  start voice "$prov" "$t/keys"
  qemu_extra=()
  local heard_waiting= status_at=
  if wait_line "$log" 'SMOKE step=waiting' 240; then
    # Let the waiting prompt end before the card cuts it short.
    sleep "$(prompt_secs ja w.Insert w.InsertHow v.Help | awk '{ printf "%d", $1 * 1.5 + 3 }')"
    heard_waiting=y
    mkfifo "$t/vcard.in" 2>/dev/null || true
    "$hostbin/vcard" --profile "$top/testdata/cards/fresh.json" --qemu-ccid "unix:$t/ccid.sock" \
      <"$t/vcard.in" >"$t/vcard.log" 2>&1 &
    vcard_pid=$!
    exec 7>"$t/vcard.in"
    vcard_wait 'card inserted' || true
    wait_line "$log" 'SMOKE step=card1' 150 && status_at=y
    # The status summary, whole, before the card leaves.
    sleep "$(prompt_secs ja page.valid.auth.title tries.auth.3 tries.sign.5 v.NoDates page.valid.auth.next | awk '{ printf "%d", $1 * 1.5 + 3 }')"
    vcard_cmd remove || true
    vcard_wait 'card removed' 0 || true
    wait_line "$log" 'SMOKE step=removed1' 150 || true
    # The probe waits for a second card: one quick round.
    vcard_cmd "insert $top/testdata/cards/fresh.json" || true
    vcard_wait 'card inserted' 1 || true
    wait_line "$log" 'SMOKE step=card2' 150 || true
    vcard_cmd remove || true
    vcard_cmd quit || true
    wait "$vcard_pid" 2>/dev/null || true
    vcard_pid=
  fi
  finish voice
  trap - PIPE
  echo "image-test: results (voice, USB speaker):"
  check "voice: steps" "$(ok "$heard_waiting$status_at")" "waiting ${heard_waiting:-no}, status ${status_at:-no}"
  if [[ ! -s $rec ]]; then
    check "voice: recording" 1 "qemu wrote no $rec"
    return
  fi
  local speech=$t/speaker-speech.wav want got pk rms
  # Speech only: every pause over 0.4 s cut out (the player's own are 0.3 s).
  sox "$rec" "$speech" silence -l 1 0.05 0.3% -1 0.4 0.3% 2>/dev/null || true
  got=$(soxi -D "$speech" 2>/dev/null || echo 0)
  want=$(awk -v a="$(prompt_secs ja w.Insert w.InsertHow v.Help)" \
    -v b="$(prompt_secs ja page.valid.auth.title tries.auth.3 tries.sign.5 v.NoDates page.valid.auth.next)" 'BEGIN { print a + b }')
  check "voice: heard" "$(ok "$(awk -v g="$got" -v w="$want" 'BEGIN { if (g >= 0.8 * w) print "y" }')")" \
    "$(printf '%.1f' "$got") s of speech recorded; the waiting prompt and the status summary last $(printf '%.1f' "$want") s (80 %% needed)"
  pk=$(sox "$speech" -n stats 2>&1 | awk '/^Pk lev dB/ { print $4; exit }')
  rms=$(sox "$speech" -n stats 2>&1 | awk '/^RMS lev dB/ { print $4; exit }')
  check "voice: level" "$(ok "$(awk -v p="${pk:--99}" 'BEGIN { if (p >= -12 && p <= -7) print "y" }')")" \
    "peak ${pk:-?} dBFS, RMS ${rms:-?} dB (prompts at a -3 dBFS peak, volume 2 = -6 dB: want -12 to -7)"
}
