#!/usr/bin/env bash
# Smoke test of the built SD-card image: boots it under qemu-system-aarch64
# (-M virt, cortex-a72) with the image's own kernel and initrd (read from its
# boot partition), qemu's emulated CCID reader on USB, and the kernel
# argument kiosk.smoketest=1, which enables kiosk-smoke.service in the guest.
# That unit prints "SMOKE key=value" lines on the serial console; this script
# checks them. Two boots:
#   1. a valid provisioning file: the kiosk must report ready (KIOSK-READY)
#      within READY_BUDGET seconds of power-on, no unit failed, / read-only,
#      /var/lib/kiosk the data partition, the file applied, pcscd sees the
#      reader (as the kiosk user), ssh off, volatile journal, watchdogs set.
#   2. a provisioning file with a mistake: the console names the field and
#      the kiosk does not start.
#
#   image-test.sh [IMAGE]   IMAGE: .img or .img.zst (default images/work/kiosk.img)
# Environment: READY_BUDGET (s, default 60), BOOT_TIMEOUT (s, default 180),
# SKIP_BAD=1 to skip the second boot.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work=$here/work
src=${1:-$work/kiosk.img}
ready_budget=${READY_BUDGET:-60}
boot_timeout=${BOOT_TIMEOUT:-180}
boot_off=$((4 * 1024 * 1024)) # p1 starts at 4 MiB (assemble.sh)
t=$work/test
mkdir -p "$t"

bash "$here/deps.sh" image
[[ -e $src ]] || { echo "image-test: no image at $src (make image first)" >&2; exit 1; }

# kioskctl for the test's provisioning file: the board's own binary, run
# through qemu-user against the sysroot (no host libpcsclite needed).
[[ -x $work/bin-arm64/kioskctl && -d $work/sysroot-arm64 ]] || bash "$here/cross.sh"
kioskctl() { qemu-aarch64-static -L "$work/sysroot-arm64" "$work/bin-arm64/kioskctl" "$@"; }

base=$t/base.img
if [[ $src == *.zst ]]; then
  zstd -q -d --sparse -f "$src" -o "$base"
else
  cp --sparse=always "$src" "$base"
fi
mcopy -n -i "$base@@$boot_off" ::vmlinuz "$t/vmlinuz"
mcopy -n -i "$base@@$boot_off" ::initrd.img "$t/initrd.img"
mcopy -n -i "$base@@$boot_off" ::cmdline.txt "$t/cmdline.txt"
# The image's own kernel arguments, with qemu's serial port as the console.
cmdline="$(tr ' ' '\n' <"$t/cmdline.txt" | grep -v '^console=' | grep -v '^$' | tr '\n' ' ')console=ttyAMA0 kiosk.smoketest=1"

passed=0 failed=0
check() { # check NAME OK(0|1) DETAIL
  if [[ $2 == 0 ]]; then
    passed=$((passed + 1))
    printf '  PASS  %-22s %s\n' "$1" "$3"
  else
    failed=$((failed + 1))
    printf '  FAIL  %-22s %s\n' "$1" "$3"
  fi
}
secs() { printf '%d.%01d' $(($1 / 1000)) $(($1 % 1000 / 100)); }
smoke() { tr -d '\r' <"$2" | sed -n "s/.*SMOKE $1=//p" | head -1; }

# boot NAME PROVISION_FILE: boots a copy of the image with that provisioning
# file on its boot partition; the serial console goes to $t/NAME.log.
# Sets ready_s (power-on to KIOSK-READY, or empty) and boot_s.
boot() {
  local name=$1 prov=$2 img=$t/$1.img log=$t/$1.log
  cp --sparse=always "$base" "$img"
  mcopy -o -i "$img@@$boot_off" "$prov" ::kiosk-provision.toml
  rm -f "$log"
  : >"$log"
  echo "image-test: booting ($name): $cmdline"
  local start now
  start=$(date +%s%3N)
  qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 1536 -accel tcg,thread=multi \
    -display none -monitor none -serial "file:$log" -no-reboot -nic none \
    -kernel "$t/vmlinuz" -initrd "$t/initrd.img" -append "$cmdline" \
    -drive "file=$img,format=raw,if=none,id=d0,snapshot=on" -device virtio-blk-pci,drive=d0 \
    -device qemu-xhci -device usb-ccid </dev/null >"$t/$name.qemu.log" 2>&1 &
  local qpid=$!
  ready_s=
  while kill -0 "$qpid" 2>/dev/null; do
    now=$(date +%s%3N)
    if [[ -z $ready_s ]] && grep -qa 'KIOSK-READY' "$log"; then
      ready_s=$(secs $((now - start)))
      ready_ms=$((now - start))
    fi
    if grep -qa 'SMOKE done' "$log"; then break; fi
    if ((now - start > boot_timeout * 1000)); then
      echo "image-test: ($name) no 'SMOKE done' within ${boot_timeout}s" >&2
      break
    fi
    sleep 0.2
  done
  boot_s=$(secs $(($(date +%s%3N) - start)))
  # The probe powers the guest off; give it a moment, then stop it.
  for _ in $(seq 50); do kill -0 "$qpid" 2>/dev/null || break; sleep 0.2; done
  kill "$qpid" 2>/dev/null || true
  wait "$qpid" 2>/dev/null || true
  rm -f "$img"
  grep -a 'SMOKE \|KIOSK-' "$log" | tr -d '\r' | sed 's/^/  | /' || true
}

# -- boot 1: a good provisioning file ------------------------------------------
good=$t/good.toml
kioskctl provision write --force --out "$good" --kiosk-id T01 --municipality テスト村 --office 住民課 \
  --phone 0000-00-0000 --hours "平日 9:00〜17:00" --keypad sim --printer sim --touch none --screen real >/dev/null
kioskctl provision check "$good" >/dev/null
boot good "$good"
log=$t/good.log
echo "image-test: results (good provisioning):"
if [[ -n $ready_s ]]; then
  ok=1
  ((ready_ms <= ready_budget * 1000)) && ok=0
  check "ready" $ok "KIOSK-READY after ${ready_s}s from power-on (budget ${ready_budget}s, target 30s)"
else
  check "ready" 1 "no KIOSK-READY line on the serial console"
fi
v=$(smoke kiosk "$log"); check "kiosk active" "$([[ $v == active ]] && echo 0 || echo 1)" "$v"
v=$(smoke failed "$log"); check "no failed units" "$([[ $v == none ]] && echo 0 || echo 1)" "$v"
v=$(smoke root-ro "$log"); check "root read-only" "$([[ $v == yes ]] && echo 0 || echo 1)" "$v"
v=$(smoke data-label "$log"); check "data partition" "$([[ $v == KIOSKDATA ]] && echo 0 || echo 1)" "/var/lib/kiosk on $v"
v=$(smoke data-opts "$log"); check "data=journal" "$([[ $v == *data=journal* ]] && echo 0 || echo 1)" "$v"
v=$(smoke provisioned "$log"); check "provisioning applied" "$([[ $v == yes ]] && echo 0 || echo 1)" "$v"
v=$(smoke reader "$log"); check "pcscd sees reader" "$([[ $v == yes* ]] && echo 0 || echo 1)" "$v"
v=$(smoke ssh "$log"); check "ssh off" "$([[ $v != active ]] && echo 0 || echo 1)" "$v"
v=$(smoke journal "$log"); check "journal volatile" "$([[ $v == volatile ]] && echo 0 || echo 1)" "$v"
v=$(smoke getty-tty1 "$log"); check "no getty on tty1" "$([[ $v == masked ]] && echo 0 || echo 1)" "$v"
v=$(smoke runtime-watchdog "$log"); check "RuntimeWatchdogSec" "$([[ $v == 15s ]] && echo 0 || echo 1)" "$v"
v=$(smoke kiosk-watchdog "$log"); check "kiosk WatchdogSec" "$([[ $v == 30s ]] && echo 0 || echo 1)" "$v"
v=$(smoke kiosk-user "$log"); check "kiosk user" "$([[ $v == kiosk ]] && echo 0 || echo 1)" "$v"
v=$(smoke watchdog-kept "$log"); check "watchdog fed" "$([[ $v == "active restarts=0" ]] && echo 0 || echo 1)" "kiosk after one WatchdogSec: $v"
v=$(smoke data-fast-commit "$log"); check "data fast_commit off" "$([[ $v == off ]] && echo 0 || echo 1)" "$v"
echo "  (guest: KIOSK-READY at $(tr -d '\r' <"$log" | grep -ao 'KIOSK-READY.*uptime=[0-9.]*s' | head -1 | sed 's/.*uptime=//') uptime; whole boot + probe ${boot_s}s)"

# -- boot 2: a provisioning file with a mistake ---------------------------------
if [[ -z ${SKIP_BAD:-} ]]; then
  bad=$t/bad.toml
  sed 's/^width_mm = .*/width_mm = 70/' "$good" >"$bad"
  boot bad "$bad"
  log=$t/bad.log
  echo "image-test: results (provisioning file with a mistake):"
  v=$(tr -d '\r' <"$log" | grep -a 'KIOSK-PROVISION-ERROR.*devices.printer.width_mm' | head -1 || true)
  check "error names the field" "$([[ -n $v ]] && echo 0 || echo 1)" "${v:-no KIOSK-PROVISION-ERROR line naming devices.printer.width_mm}"
  v=$(smoke kiosk "$log"); check "kiosk not started" "$([[ -n $v && $v != active ]] && echo 0 || echo 1)" "$v"
  v=$(smoke failed "$log"); check "provision unit failed" "$([[ $v == *kiosk-provision.service* ]] && echo 0 || echo 1)" "$v"
fi

echo "image-test: logs in ${t#"$here"/}/"
echo "image-test: $passed passed, $failed failed"
((failed == 0))
