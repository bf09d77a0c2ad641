#!/usr/bin/env bash
# Smoke test of the built SD-card image under qemu-system-aarch64 (-M virt,
# cortex-a72, 2 cores), with the image's own kernel and initrd, read from the
# slot the firmware stand-in picks (images/fwsim.sh: the partition table and
# autoboot.txt, as the Pi 4 firmware reads them; /chosen/bootloader in the
# device tree), and the kernel argument kiosk.smoketest=1, which enables
# kiosk-smoke.service in the guest: it prints "SMOKE key=value" lines on the
# serial console, which this script checks. The machine has what the kiosk
# meets on the Pi, as far as qemu has it:
#   - a screen: virtio-gpu (1280x800) + virtio-keyboard + virtio-tablet, so
#     the kiosk unit runs cage + foot exactly as on the Pi; the tablet is
#     also the kiosk's touchscreen (an absolute pointer with BTN_LEFT, read
#     by the kiosk's own evdev driver), tapped through QMP. Screendumps
#     through QMP are checked by images/vmctl (not blank, not a console, the
#     kiosk's colours and regions, and the golden of that screen in
#     images/screens/) and kept in images/out/screens/;
#   - a card reader: qemu's usb-ccid with ccid-card-passthru, into which
#     `vcard --qemu-ccid` inserts a virtual My Number Card (guest libccid →
#     pcscd → the kiosk); qemu listens on the chardev socket, vcard dials it;
#   - a hardware watchdog (i6300esb) for systemd's RuntimeWatchdogSec.
# Two boots:
#   1. a valid provisioning file (+ four keys in kiosk-keys/): power-on → the
#      kiosk's first frame (screendumps polled), the waiting screen; a valid
#      card in: status journaled on KIOSKDATA, status screen, a tap on
#      つぎへ: the menu, a tap on English: the menu in English; out: waiting
#      again; a card with a locked PIN: the
#      status screen and back to waiting; then the system checks
#      (units, mounts, ssh, timers, keys, users, watchdogs).
#   2. a provisioning file with a mistake: the console names the field and
#      the kiosk does not start.
#   (before 2) a USB speaker (qemu's usb-audio recording to a WAV) and a
#      valid card: the waiting prompt and the status summary were heard
#      (images/voice-test.sh; VOICE_TEST=0 skips it).
#
#   image-test.sh [IMAGE]   IMAGE: .img or .img.zst (default images/work/kiosk.img)
# Environment: READY_BUDGET (s to the first frame, default 60: a loaded
# machine runs TCG slower; the target is 30), BOOT_TIMEOUT (s, default 300),
# SKIP_BAD=1 to skip the second boot, GOLDEN=update to take this run's
# screens as the new goldens (make image-goldens).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
work=$here/work
src=${1:-$work/kiosk.img}
ready_budget=${READY_BUDGET:-60}
boot_timeout=${BOOT_TIMEOUT:-300}
source "$here/fwsim.sh"
t=$work/test
shots=$here/out/screens
goldens=$here/screens
mkdir -p "$t" "$shots"

bash "$here/deps.sh" image
[[ -e $src ]] || { echo "image-test: no image at $src (make image first)" >&2; exit 1; }

# kioskctl for the test's provisioning file: the board's own binary, run
# through qemu-user against the sysroot (no host libpcsclite needed).
[[ -x $work/bin-arm64/kioskctl && -d $work/sysroot-arm64 ]] || bash "$here/cross.sh"
kioskctl() { qemu-aarch64-static -L "$work/sysroot-arm64" "$work/bin-arm64/kioskctl" "$@"; }
# Host tools: the virtual card and the QMP/screen tool.
hostbin=$work/bin-host
(cd "$top" && ${GO:-go} build -o "$hostbin/" ./cmd/vcard ./cmd/collector ./images/vmctl)
vmctl() { "$hostbin/vmctl" "$@"; }

base=$t/base.img
if [[ $src == *.zst ]]; then
  zstd -q -d --sparse -f "$src" -o "$base"
else
  cp --sparse=always "$src" "$base"
fi
sel_off=$(fw_part_offset "$base" 1) # p1, KIOSKBOOT: provisioning, autoboot.txt

passed=0 failed=0
check() { # check NAME OK(0|1) DETAIL
  if [[ $2 == 0 ]]; then
    passed=$((passed + 1))
    printf '  PASS  %-24s %s\n' "$1" "$3"
  else
    failed=$((failed + 1))
    printf '  FAIL  %-24s %s\n' "$1" "$3"
  fi
}
ok() { [[ $1 ]] && echo 0 || echo 1; } # ok "$(test ...)" → 0/1 for check
secs() { printf '%d.%01d' $(($1 / 1000)) $(($1 % 1000 / 100)); }
smoke() { tr -d '\r' <"$2" | sed -n "s/.*SMOKE $1=//p" | head -1; }

# wait_line LOG PATTERN TIMEOUT_S: waits for a line on the console (or qemu's end).
# listen_ok "NETID/ADDR:PORT ..." [PORT...]: every socket is on loopback, or
# on one of PORTs (images/README.md lists what may listen on the network).
listen_ok() {
  local s addr port p ok
  for s in $1; do
    addr=${s#*/}
    port=${addr##*:}
    addr=${addr%:*}
    addr=${addr%\%*} # 127.0.0.53%lo
    case $addr in 127.* | "[::1]") continue ;; esac
    ok=
    for p in "${@:2}"; do [[ $port == "$p" ]] && ok=1; done
    [[ -n $ok ]] || return 1
  done
  return 0
}

net=(-nic none)

wait_line() {
  local end=$(($(date +%s) + $3))
  while (($(date +%s) < end)); do
    grep -qa -- "$2" "$1" && return 0
    kill -0 "$qpid" 2>/dev/null || return 1
    sleep 0.3
  done
  return 1
}

# shot NAME [vmctl wait flags]: waits for a settled kiosk screen and keeps
# it as $shots/NAME.png.
shot() {
  local name=$1
  shift
  vmctl wait "$t/qmp.sock" "$shots/$name.png" "$@" 2>&1
}

# golden NAME OTHER...: the screen against its golden and the other screens'.
golden() {
  local name=$1 args=()
  shift
  if [[ ${GOLDEN:-} == update ]]; then
    mkdir -p "$goldens"
    local why
    if why=$(vmctl check "$shots/$name.png" 2>&1); then
      cp "$shots/$name.png" "$goldens/$name.png"
      check "screen $name" 0 "new golden images/screens/$name.png ($(tail -1 <<<"$why"))"
    else
      check "screen $name" 1 "not taken as a golden: $why"
    fi
    return
  fi
  if [[ ! -f $goldens/$name.png ]]; then
    check "screen $name" 1 "no golden images/screens/$name.png (make image-goldens)"
    return
  fi
  for o in "$@"; do [[ $o != "$name" && -f $goldens/$o.png ]] && args+=(--other "$goldens/$o.png"); done
  local out
  if out=$(vmctl check "$shots/$name.png" --golden "$goldens/$name.png" "${args[@]}" 2>&1); then
    check "screen $name" 0 "$(tr '\n' ' ' <<<"$out")"
  else
    check "screen $name" 1 "$(tr '\n' ' ' <<<"$out") — a redesigned screen? make image-goldens, look at images/screens/, commit"
  fi
}

# start NAME PROVISION_FILE [KEYDIR [SSH_PUB]]: boots a copy of the image with
# that provisioning file (and the files of KEYDIR in kiosk-keys/, SSH_PUB as
# kiosk-ssh.pub) on its boot partition; the serial console goes to
# $t/NAME.log. ${net[@]}: qemu's network options (default -nic none).
# Sets qpid, start_ms.
start() {
  local name=$1 prov=$2 keys=${3:-} sshpub=${4:-} img=$t/$1.img
  log=$t/$1.log
  cp --sparse=always "$base" "$img"
  mcopy -o -i "$img@@$sel_off" "$prov" ::kiosk-provision.toml
  [[ -z $keys ]] || mcopy -o -i "$img@@$sel_off" "$keys"/* ::kiosk-keys/
  [[ -z $sshpub ]] || mcopy -o -i "$img@@$sel_off" "$sshpub" ::kiosk-ssh.pub
  rm -f "$log" "$t/qmp.sock" "$t/ccid.sock"
  : >"$log"
  # The firmware stand-in: which slot, its kernel, initrd and arguments (with
  # qemu's serial port as the console: the last console= is /dev/console,
  # where the probe writes).
  fw_boot "$img" "$t/$name.tryboot"
  fw_extract "$img" "$t" || { echo "image-test: no kernel in partition $fw_part ($fw_how)" >&2; exit 1; }
  fw_dtb "$t/fw.dtb" || { echo "image-test: no device tree (fdtput)" >&2; exit 1; }
  cmdline="$(tr ' ' '\n' <"$t/cmdline.txt" | grep -v '^console=' | grep -v '^$' | tr '\n' ' ')console=tty1 console=ttyAMA0 kiosk.smoketest=1"
  echo "image-test: booting ($name) partition $fw_part ($fw_how): $cmdline"
  start_ms=$(date +%s%3N)
  qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 1536 -accel tcg,thread=multi \
    -display none -monitor none -serial "file:$log" -no-reboot "${net[@]}" \
    -qmp "unix:$t/qmp.sock,server=on,wait=off" \
    -kernel "$t/vmlinuz" -initrd "$t/initrd.img" -append "$cmdline" -dtb "$t/fw.dtb" \
    -drive "file=$img,format=raw,if=none,id=d0,snapshot=on" -device virtio-blk-pci,drive=d0 \
    -device virtio-gpu-pci,xres=1280,yres=800 -device virtio-keyboard-pci -device "virtio-tablet-pci,addr=$tablet_slot" \
    -device i6300esb \
    -chardev "socket,id=ccid,path=$t/ccid.sock,server=on,wait=off" \
    -device qemu-xhci -device usb-ccid -device ccid-card-passthru,chardev=ccid "${qemu_extra[@]}" \
    </dev/null >"$t/$name.qemu.log" 2>&1 &
  qpid=$!
  for _ in $(seq 50); do [[ -S $t/qmp.sock ]] && break; sleep 0.1; done
}

# finish NAME: waits for the probe's "SMOKE done" (it powers the guest
# off), then stops qemu. Sets boot_s.
finish() {
  local name=$1
  wait_line "$log" 'SMOKE done' "$boot_timeout" || echo "image-test: ($name) no 'SMOKE done' within ${boot_timeout}s" >&2
  boot_s=$(secs $(($(date +%s%3N) - start_ms)))
  for _ in $(seq 50); do kill -0 "$qpid" 2>/dev/null || break; sleep 0.2; done
  kill "$qpid" 2>/dev/null || true
  wait "$qpid" 2>/dev/null || true
  rm -f "$t/$name.img"
  grep -a 'SMOKE \|KIOSK-' "$log" | tr -d '\r' | sed 's/^/  | /' || true
}

vcard_pid=
qemu_extra=() # more qemu arguments for the next start (the voice boot's speaker)
cleanup() {
  [[ -n $vcard_pid ]] && kill "$vcard_pid" 2>/dev/null || true
  [[ -n ${qpid:-} ]] && kill "$qpid" 2>/dev/null || true
}
trap cleanup EXIT

# vcard_cmd LINE: a command to the virtual card (remove, insert PROFILE).
vcard_cmd() { echo "$1" >&7; }
# vcard_wait: waits for vcard to log that it did it (once more than before).
vcard_wait() { # vcard_wait WORDS [SEEN_BEFORE]
  for _ in $(seq 100); do
    (($(grep -c -- "$1" "$t/vcard.log" || true) > ${2:-0})) && return 0
    sleep 0.2
  done
  return 1
}

# The touchscreen: qemu's tablet on a fixed PCI slot, so udev's by-path
# name is known before the boot (as a technician names the Pi's panel).
tablet_slot=0x10
tablet_dev=/dev/input/by-path/platform-4010000000.pcie-pci-0000:00:10.0-event-mouse
screens=(waiting status-valid menu-valid menu-valid-en status-locked)

# -- boot 1: a good provisioning file, the screen and two cards -----------------
# Sync to a collector (unreachable: the machine has no network) with a
# throw-away village PKI: the kiosk's key and certificate sign journal
# exports, and the four key files exercise the move off the FAT.
good=$t/good.toml
kioskctl provision write --force --out "$good" --kiosk-id T01 --municipality テスト村 --office 住民課 \
  --phone 0000-00-0000 --hours "平日 9:00〜17:00" --keypad sim --printer sim --touch real --touch-device "$tablet_dev" --screen real \
  --collector https://collector.invalid:8443 --cert-ref-key >/dev/null
kioskctl provision check "$good" >/dev/null
rm -rf "$t/pki" "$t/keys"
mkdir -p "$t/keys"
"$hostbin/collector" gen-test-pki "$t/pki" T01 >/dev/null
cp "$t/pki/ca.pem" "$t/keys/collector-ca.pem"
cp "$t/pki/client-T01.pem" "$t/keys/kiosk.pem"
cp "$t/pki/client-T01-key.pem" "$t/keys/kiosk-key.pem"
head -c 32 /dev/urandom >"$t/keys/cert-ref.key"
start good "$good" "$t/keys"
echo "image-test: results (good provisioning):"

# Power-on → the first frame the kiosk drew, from the screen itself.
rm -f "$shots"/*.png
if out=$(shot first-frame --first --since "$start_ms" --timeout "${boot_timeout}s"); then
  ff=$(sed -n 's/^after \([0-9.]*\) s$/\1/p' <<<"$out" | tail -1)
  check "first frame" "$(ok "$(awk -v f="$ff" -v b="$ready_budget" 'BEGIN { if (f <= b) print "y" }')")" \
    "power-on → first kiosk frame ${ff}s (budget ${ready_budget}s, target 30s; screendumps every 0.5 s)"
else
  check "first frame" 1 "$out"
fi

# The waiting screen, then two cards in and out.
steps_ok=
if wait_line "$log" 'SMOKE step=waiting' 180; then
  out=$(shot waiting --timeout 60s) && golden waiting "${screens[@]}" || check "screen waiting" 1 "$out"
  mkfifo "$t/vcard.in" 2>/dev/null || true
  "$hostbin/vcard" --profile "$top/testdata/cards/fresh.json" --qemu-ccid "unix:$t/ccid.sock" \
    <"$t/vcard.in" >"$t/vcard.log" 2>&1 &
  vcard_pid=$!
  exec 7>"$t/vcard.in"
  vcard_wait 'card inserted' && steps_ok=1
  check "card in (valid)" "$(ok "$steps_ok")" "$(grep -m1 'card inserted\|level=ERROR' "$t/vcard.log" || echo 'vcard did not insert the card')"
fi
card_step() { # card_step N NAME EXPECT_STATUS NEXT_PROFILE [tap]
  local n=$1 name=$2 want=$3 next=${4:-} tap=${5:-} v out
  wait_line "$log" "SMOKE step=card$n" 150 || true
  v=$(smoke "card$n" "$log")
  check "status journaled ($name)" "$(ok "$([[ $v == "$want"* ]] && echo y)")" "KIOSKDATA journal: ${v:-nothing} (want $want…)"
  out=$(shot "status-$name" --not "$shots/waiting.png" --timeout 60s) && golden "status-$name" "${screens[@]}" ||
    check "screen status-$name" 1 "$out"
  if [[ -n $tap ]]; then
    # Touches through virtio-tablet, the guest's evdev and the kiosk's own
    # touch driver: つぎへ (right of the bottom row) opens the menu, then
    # English [0] (top right) turns it to English. A tap that acted twice
    # would turn English back to Japanese: the second screen never comes.
    if out=$(vmctl tap "$t/qmp.sock" 0.78 0.89 2>&1) &&
      out=$(shot "menu-$name" --not "$shots/status-$name.png" --timeout 60s); then
      golden "menu-$name" "${screens[@]}"
      if out=$(vmctl tap "$t/qmp.sock" 0.92 0.05 2>&1) &&
        out=$(shot "menu-$name-en" --not "$shots/menu-$name.png" --timeout 30s); then
        golden "menu-$name-en" "${screens[@]}"
      else
        check "screen menu-$name-en" 1 "a tap on English: $out"
      fi
    else
      check "screen menu-$name" 1 "a tap on つぎへ: $out"
    fi
  fi
  vcard_cmd remove
  vcard_wait 'card removed' $((n - 1)) || true
  wait_line "$log" "SMOKE step=removed$n" 150 || true
  v=$(smoke "removed$n" "$log")
  if out=$(shot "waiting-after-$name" --like "$shots/waiting.png" --timeout 60s); then v2="the waiting screen again ($out)"; else v2=; fi
  check "back to waiting ($name)" "$(ok "$([[ $v == yes && -n $v2 ]] && echo y)")" \
    "pcscd: card gone ${v:-?}; screen: ${v2:-$out}"
  if [[ -n $next ]]; then
    vcard_cmd "insert $top/testdata/cards/$next.json"
    v=
    vcard_wait 'card inserted' 1 && v=y
    check "card in ($next)" "$(ok "$v")" "$(grep 'card inserted\|level=ERROR' "$t/vcard.log" | tail -1)"
  fi
}
if [[ -n $steps_ok ]]; then
  card_step 1 valid "valid auth_tries=3" auth-locked tap
  card_step 2 locked "auth_locked auth_tries=0"
  vcard_cmd quit
  wait "$vcard_pid" 2>/dev/null || true
  vcard_pid=
else
  check "card steps" 1 "the guest never reported the waiting kiosk (SMOKE step=waiting)"
fi
finish good

v=$(smoke kiosk "$log"); check "kiosk active" "$(ok "$([[ $v == active ]] && echo y)")" "$v"
v=$(smoke failed "$log"); check "no failed units" "$(ok "$([[ $v == none ]] && echo y)")" "$v"
v=$(smoke root-ro "$log"); check "root read-only" "$(ok "$([[ $v == yes ]] && echo y)")" "$v"
v=$(smoke data-label "$log"); check "data partition" "$(ok "$([[ $v == KIOSKDATA ]] && echo y)")" "/var/lib/kiosk on $v"
v=$(smoke data-opts "$log"); check "data=journal" "$(ok "$([[ $v == *data=journal* ]] && echo y)")" "$v"
v=$(smoke data-fast-commit "$log"); check "data fast_commit off" "$(ok "$([[ $v == off ]] && echo y)")" "$v"
v=$(smoke provisioned "$log"); check "provisioning applied" "$(ok "$([[ $v == yes ]] && echo y)")" "$v"
v=$(smoke reader "$log"); check "pcscd sees reader" "$(ok "$([[ $v == yes* ]] && echo y)")" "$v"
v=$(smoke touch "$log"); check "touchscreen node" "$(ok "$([[ " $v " == *" ${tablet_dev##*/} "* ]] && echo y)")" "by-path: ${v:-none} (want ${tablet_dev##*/})"
v=$(smoke ssh "$log"); check "ssh off" "$(ok "$([[ $v == "service:inactive socket:inactive listen22:0" ]] && echo y)")" "$v"
v=$(smoke listen "$log"); check "listening: loopback only" "$(ok "$([[ -n $v ]] && listen_ok "$v" && echo y)")" "${v:-none}"
v=$(smoke journal "$log"); check "journal volatile" "$(ok "$([[ $v == volatile ]] && echo y)")" "$v"
v=$(smoke getty-tty1 "$log"); check "no getty on tty1" "$(ok "$([[ $v == masked ]] && echo y)")" "$v"
v=$(smoke apt-timers "$log")
check "apt/dpkg timers off" "$(ok "$([[ $v == *apt-daily.timer:masked/inactive* && $v == *apt-daily-upgrade.timer:masked/inactive* && $v == *dpkg-db-backup.timer:masked/inactive* ]] && echo y)")" "$v; running: $(smoke timers-running "$log")"
v=$(smoke data-keys "$log")
check "keys on KIOSKDATA" "$(ok "$([[ $v == "cert-ref.key:root:kiosk:640 collector-ca.pem:root:kiosk:640 kiosk-key.pem:root:kiosk:640 kiosk.pem:root:kiosk:640 " ]] && echo y)")" "$v"
v=$(smoke boot-keys "$log"); check "keys gone from FAT" "$(ok "$([[ $v == 0 ]] && echo y)")" "$v key file(s) left in KIOSKBOOT/kiosk-keys"
v=$(smoke boot-readable-by-kiosk "$log"); check "FAT root-only (0077)" "$(ok "$([[ $v == no ]] && echo y)")" "kiosk user can read KIOSKBOOT: $v"
v=$(smoke process-users "$log")
check "processes run as kiosk" "$(ok "$([[ $v == *kiosk:kiosk* && $v == *foot:kiosk* && $v == *cage:kiosk* && $v != *:root* ]] && echo y)")" "$v"
v=$(smoke slot "$log"); check "committed slot A" "$(ok "$([[ $v == "partition=2 tryboot=0"* ]] && echo y)")" "firmware stand-in chose ${v:-nothing}"
v=$(smoke update "$log"); check "updater at boot" "$(ok "$([[ $v == "phase=- "* ]] && echo y)")" "kiosk-update.service: ${v:-no line}"
v=$(smoke runtime-watchdog "$log"); check "RuntimeWatchdogSec" "$(ok "$([[ $v == 15s ]] && echo y)")" "$v"
v=$(smoke hw-watchdog "$log"); check "hardware watchdog armed" "$(ok "$([[ $v == *:active* && $v == *bcm2835_wdt:loaded* ]] && echo y)")" "$v"
v=$(smoke tryboot-module "$log"); check "tryboot module in the image" "$(ok "$([[ $v == built-for-*' alias:yes loaded:no' ]] && echo y)")" "$v (loaded only on a Pi)"
v=$(smoke kiosk-watchdog "$log"); check "kiosk WatchdogSec" "$(ok "$([[ $v == 30s ]] && echo y)")" "$v"
v=$(smoke watchdog-kept "$log"); check "watchdog fed" "$(ok "$([[ $v == "active restarts=0" ]] && echo y)")" "kiosk after one WatchdogSec: $v"
echo "  (guest: KIOSK-READY at $(tr -d '\r' <"$log" | grep -ao 'KIOSK-READY.*uptime=[0-9.]*s' | head -1 | sed 's/.*uptime=//') uptime; whole boot + probe ${boot_s}s)"
tr -d '\r' <"$log" | grep -a 'SMOKE-LOG analyze: ' | sed -n '1,/blame/p' | sed 's/SMOKE-LOG analyze: /  analyze| /' | head -30

# -- boot 3 (images/voice-test.sh): a USB speaker, recorded ----------------------
# shellcheck source=voice-test.sh
source "$here/voice-test.sh"
if [[ ${VOICE_TEST:-1} != 0 ]]; then
  voice_boot
fi

# -- boot 2: a provisioning file with a mistake ---------------------------------
# With a network (qemu's user net: DHCP, the guest's port 22 forwarded to the
# host's loopback) and a technician's key in kiosk-ssh.pub: the reason on the
# kiosk's screen, and a shell over ssh on the kiosk that did not start.
if [[ -z ${SKIP_BAD:-} ]]; then
  bad=$t/bad.toml
  sed 's/^width_mm = .*/width_mm = 70/' "$good" >"$bad"
  rm -f "$t/tech" "$t/tech.pub"
  ssh-keygen -q -t ed25519 -N '' -C technician -f "$t/tech"
  ssh_port=$(shuf -i 20000-60000 -n 1)
  # romfile= : no PXE option ROM (efi-virtio.rom is not installed, nor needed)
  net=(-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$ssh_port-:22" -device virtio-net-pci,netdev=n0,romfile=)
  start bad "$bad" "" "$t/tech.pub"
  net=(-nic none)
  if wait_line "$log" 'SMOKE step=cannot-start' 240; then
    out=$(shot cannot-start --timeout 60s) && golden cannot-start "${screens[@]}" || check "screen cannot-start" 1 "$out"
    shell=
    for _ in $(seq 20); do
      shell=$(ssh -i "$t/tech" -p "$ssh_port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o ConnectTimeout=10 -o BatchMode=yes -o LogLevel=ERROR root@127.0.0.1 \
        'echo "$(id -un) provision:$(systemctl is-failed kiosk-provision.service)" | tee /run/kiosk-smoke-ssh' 2>>"$t/ssh.log") && break
      sleep 3
    done
    check "ssh shell, not started" "$(ok "$([[ $shell == "root provision:failed" ]] && echo y)")" "${shell:-no shell (see ${t#"$here"/}/ssh.log)}"
  else
    check "screen cannot-start" 1 "the guest never reported the failed provisioning (SMOKE step=cannot-start)"
  fi
  finish bad
  echo "image-test: results (provisioning file with a mistake):"
  v=$(tr -d '\r' <"$log" | grep -a 'KIOSK-PROVISION-ERROR.*devices.printer.width_mm' | head -1 || true)
  check "error names the field" "$(ok "$v")" "${v:-no KIOSK-PROVISION-ERROR line naming devices.printer.width_mm}"
  v=$(smoke kiosk "$log"); check "kiosk not started" "$(ok "$([[ -n $v && $v != active ]] && echo y)")" "$v"
  v=$(smoke failed "$log"); check "provision unit failed" "$(ok "$([[ $v == *kiosk-provision.service* ]] && echo y)")" "$v"
  v=$(smoke fault-screen "$log"); check "cannot-start unit" "$(ok "$([[ $v == "active kiosk-process:yes" ]] && echo y)")" "$v"
  # sshd, and networkd's DHCP clients (68, 546: the leased address, for renewals)
  v=$(smoke listen "$log"); check "listening: only ssh" "$(ok "$([[ -n $v ]] && listen_ok "$v" 22 68 546 && echo y)")" "${v:-none}"
fi

echo "image-test: logs in ${t#"$here"/}/, screens in ${shots#"$here"/}/"
echo "image-test: $passed passed, $failed failed"
((failed == 0))
