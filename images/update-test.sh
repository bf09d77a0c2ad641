#!/usr/bin/env bash
# A/B update scenarios of the built image under qemu (make update-test),
# booted by the firmware stand-in (images/fwsim.sh: the partition table,
# autoboot.txt and the one-shot tryboot flag, as the Pi 4 firmware documents
# them). A kiosk's "reboot 0 tryboot" shows on the serial console as the
# kernel's "Restarting system with command '0 tryboot'": that, and only that,
# sets the flag for the next boot; any other end (reboot, panic, watchdog,
# power cut = qemu killed) boots autoboot.txt's [all] slot.
#
# Scenarios, each on its own copy of one kiosk: the image provisioned like
# image-test's good boot (a reader without a card, the journal on KIOSKDATA,
# four keys) and booted once (first.img, made once per run: every scenario
# starts from the same journal and keys):
#   usb-good    a USB stick (KIOSKUPD, plugged into the running kiosk through
#               QMP) with a newer signed bundle: the kiosk gives way, shows
#               the update, writes and reads back slot B, trial-boots it,
#               commits after health; the next plain boot runs B. The disk as
#               it is when the kiosk asks for its trial is kept (written.img)
#               for cut-trial and cut-commit, which start there
#   cut-trial   power cut during the trial, before the commit: the old slot
#               boots, the failure is reported
#   cut-commit  power cut between the commit's two writes (autoboot.txt names
#               slot B, the state does not say so yet; held there by
#               kiosk.update_commit_pause): the next plain boot runs B and
#               records the commit
#   collector-good  the town hall publishes the bundle on a real collector
#               (collector release, a window around now, for T01 only); the
#               kiosk, on qemu's user network, reaches it at 10.0.2.2 over
#               mutual TLS when asked over ssh (systemctl start
#               kiosk-update-fetch: the timer's first run is 10 min after
#               boot), writes slot B, trial-boots and commits; its heartbeat
#               then shows the new version on the collector
#   refused     sticks with a bundle signed by another key, an older one and
#               a truncated one: refused with the reason on the console, the
#               running slot and autoboot.txt byte-identical
#   never-ready a bundle whose slot never gets the kiosk up (its cmdline masks
#               kiosk.service): the trial falls back by itself, the old slot
#               runs and says why
#   cut-write   power cut while the stick's bundle is being written: the old
#               slot boots and the interruption is reported
# After every scenario: the keys on KIOSKDATA are byte-identical and the
# journal is the same journal (same ID, no record lost, chain intact).
#
#   update-test.sh [IMAGE]   (default images/work/kiosk.img; needs images/work/slots/ from the same build)
# Environment: SCENARIOS="usb-good refused ..." (default all), BOOT_TIMEOUT (s, 300).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
work=$here/work
src=${1:-$work/kiosk.img}
t=$work/utest
shots=$here/out/screens
boot_timeout=${BOOT_TIMEOUT:-300}
scenarios=${SCENARIOS:-usb-good cut-trial cut-commit refused never-ready cut-write collector-good}
mkdir -p "$t" "$shots"
rm -f "$t/first.img" "$t/first.state" "$t/written.img" # one run's kiosk, never an earlier run's
source "$here/fwsim.sh"

bash "$here/deps.sh" image
[[ -e $src && -f $work/slots/root.ext4 ]] || { echo "update-test: no image or images/work/slots/ (make image first)" >&2; exit 1; }
[[ -x $work/bin-arm64/kioskctl && -d $work/sysroot-arm64 ]] || bash "$here/cross.sh"
kioskctl_arm() { qemu-aarch64-static -L "$work/sysroot-arm64" "$work/bin-arm64/kioskctl" "$@"; }
hostbin=$work/bin-host-update # its own: image-test may build into bin-host at the same time
(cd "$top" && ${GO:-go} build -o "$hostbin/" ./cmd/collector ./cmd/kioskctl ./images/vmctl)
kctl() { "$hostbin/kioskctl" "$@"; }
vmctl() { "$hostbin/vmctl" "$@"; }

passed=0 failed=0
check() { # check NAME OK(0|1) DETAIL
  if [[ $2 == 0 ]]; then passed=$((passed + 1)); printf '  PASS  %-28s %s\n' "$1" "$3"
  else failed=$((failed + 1)); printf '  FAIL  %-28s %s\n' "$1" "$3"; fi
}
ok() { [[ $1 ]] && echo 0 || echo 1; }

base=$t/base.img
if [[ $src == *.zst ]]; then zstd -q -d --sparse -f "$src" -o "$base"; else cp --sparse=always "$src" "$base"; fi

# -- the bundles ----------------------------------------------------------------
key=$work/release-dev.key
[[ -f $key ]] || { echo "update-test: no development release key $key (the image must trust it: make image without images/release-keys/)" >&2; exit 1; }
release=$(debugfs -R "cat /etc/kiosk-release" "$work/slots/root.ext4" 2>/dev/null)
version=$(sed -n 's/^VERSION=//p' <<<"$release")
serial=$(sed -n 's/^SERIAL=//p' <<<"$release")
# mk_root VERSION SERIAL OUT: the image's root with another release line, so
# the running version shows which slot's root is up.
mk_root() {
  cp --sparse=always "$work/slots/root.ext4" "$3"
  printf 'VERSION=%s\nSERIAL=%s\nBUILT=update-test\n' "$1" "$2" >"$t/kiosk-release"
  debugfs -w -R "rm /etc/kiosk-release" "$3" >/dev/null 2>&1
  debugfs -w -R "write $t/kiosk-release /etc/kiosk-release" "$3" >/dev/null 2>&1
  [[ $(debugfs -R "cat /etc/kiosk-release" "$3" 2>/dev/null | head -1) == "VERSION=$1" ]] || { echo "update-test: debugfs could not write the release file" >&2; exit 1; }
}
bundle() { # bundle OUT VERSION SERIAL KEY [BOOT_B]
  kctl update build --key "$4" --version "$2" --serial "$3" --root "$t/root-$2.ext4" \
    --boot-a "$work/slots/boot-a.vfat" --boot-b "${5:-$work/slots/boot-b.vfat}" --out "$1" >/dev/null
}
v1=$version-u1 v2=$version-u2
mk_root "$v1" $((serial + 1)) "$t/root-$v1.ext4"
mk_root "$v2" $((serial + 2)) "$t/root-$v2.ext4"
bundle "$t/good.kup" "$v1" $((serial + 1)) "$key"
# A slot that never gets the kiosk up: its kernel arguments mask the kiosk.
cp --sparse=always "$work/slots/boot-b.vfat" "$t/boot-b-sick.vfat"
mcopy -n -i "$t/boot-b-sick.vfat" ::cmdline.txt "$t/cmdline-sick.txt"
sed -i 's/$/ systemd.mask=kiosk.service/' "$t/cmdline-sick.txt"
mcopy -o -i "$t/boot-b-sick.vfat" "$t/cmdline-sick.txt" ::cmdline.txt
bundle "$t/sick.kup" "$v2" $((serial + 2)) "$key" "$t/boot-b-sick.vfat"
kctl update keygen --key "$t/other.key" --pub "$t/other.pub"
bundle "$t/foreign.kup" "$v2" $((serial + 2)) "$t/other.key"
mk_root "$version-old" $((serial - 1)) "$t/root-$version-old.ext4"
bundle "$t/old.kup" "$version-old" $((serial - 1)) "$key"
head -c $(($(stat -c %s "$t/good.kup") * 3 / 5)) "$t/good.kup" >"$t/truncated.kup"
ls -l "$t"/*.kup | sed 's/^/update-test: /'

stick() { # stick NAME BUNDLE: a FAT stick labelled KIOSKUPD holding it
  local s=$t/stick-$1.img
  rm -f "$s"
  mkfs.vfat -F 32 -n KIOSKUPD -C "$s" $(($(stat -c %s "$2") / 1024 + 65536)) >/dev/null
  mcopy -i "$s" "$2" "::kiosk-$1.kup"
}

# -- a kiosk ----------------------------------------------------------------------
# Every kiosk syncs to a collector on the build machine; only collector-good
# gives it a network to reach it by (the others boot with -nic none).
cport=$(shuf -i 20000-60000 -n 1)
prov=$t/good.toml
kioskctl_arm provision write --force --out "$prov" --kiosk-id T01 --municipality テスト村 --office 住民課 \
  --phone 0000-00-0000 --hours "平日 9:00〜17:00" --keypad sim --printer sim --touch none --screen real \
  --collector "https://10.0.2.2:$cport" >/dev/null
kioskctl_arm provision check "$prov" >/dev/null
rm -rf "$t/pki" "$t/keys"
mkdir -p "$t/keys"
# 10.0.2.2: the build machine's loopback as qemu's user network shows it
# to the guest (collector-good).
"$hostbin/collector" gen-test-pki --server-host 10.0.2.2 "$t/pki" T01 staff-ut >/dev/null
cp "$t/pki/ca.pem" "$t/keys/collector-ca.pem"
cp "$t/pki/client-T01.pem" "$t/keys/kiosk.pem"
cp "$t/pki/client-T01-key.pem" "$t/keys/kiosk-key.pem"

new_disk() { # new_disk: $disk, a provisioned copy of the image
  disk=$t/disk.img
  cp --sparse=always "$base" "$disk"
  local off
  off=$(fw_part_offset "$disk" 1)
  mcopy -o -i "$disk@@$off" "$prov" ::kiosk-provision.toml
  mcopy -o -i "$disk@@$off" "$t/keys"/* ::kiosk-keys/
  rm -f "$t/flag"
}

# boot NAME [STICK]: powers the kiosk on; the stick's drive is there to plug
# (id "stick"; boot_extra: more qemu arguments for this boot only).
boot_extra=()
net=(-nic none)
boot() {
  local name=$1 stickimg=${2:-} extra=()
  log=$t/$name.log
  : >"$log"
  fw_boot "$disk" "$t/flag"
  fw_extract "$disk" "$t" || { echo "update-test: no kernel in partition $fw_part" >&2; exit 1; }
  fw_dtb "$t/fw.dtb"
  local cmdline
  cmdline="$(tr ' ' '\n' <"$t/cmdline.txt" | grep -v '^console=' | grep -v '^$' | tr '\n' ' ')console=tty1 console=ttyAMA0 kiosk.update_soak=20s kiosk.update_limit=${LIMIT:-240s}${CMDLINE_EXTRA:+ $CMDLINE_EXTRA}"
  [[ -n $stickimg ]] && extra=(-drive "file=$stickimg,format=raw,if=none,id=stick,readonly=on")
  extra+=("${boot_extra[@]}")
  boot_extra=()
  echo "update-test: ($name) partition $fw_part, tryboot $fw_tryboot ($fw_how)"
  rm -f "$t/qmp.sock"
  qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 1536 -accel tcg,thread=multi \
    -display none -monitor none -serial "file:$log" -no-reboot "${net[@]}" \
    -qmp "unix:$t/qmp.sock,server=on,wait=off" \
    -kernel "$t/vmlinuz" -initrd "$t/initrd.img" -append "$cmdline" -dtb "$t/fw.dtb" \
    -drive "file=$disk,format=raw,if=none,id=d0" -device virtio-blk-pci,drive=d0 \
    -device virtio-gpu-pci,xres=1280,yres=800 -device virtio-keyboard-pci -device virtio-tablet-pci \
    -device i6300esb -device qemu-xhci -device usb-ccid "${extra[@]}" \
    </dev/null >"$t/$name.qemu.log" 2>&1 &
  qpid=$!
  for _ in $(seq 50); do [[ -S $t/qmp.sock ]] && break; sleep 0.1; done
}
wait_line() { # wait_line PATTERN TIMEOUT_S
  local end=$(($(date +%s) + $2))
  while (($(date +%s) < end)); do
    grep -qa -- "$1" "$log" && return 0
    kill -0 "$qpid" 2>/dev/null || { grep -qa -- "$1" "$log"; return; }
    sleep 0.3
  done
  return 1
}
# ended TIMEOUT_S: waits for the machine to stop by itself (a reboot under
# -no-reboot); the kernel's reboot line decides the firmware flag.
ended() {
  local end=$(($(date +%s) + $1))
  while kill -0 "$qpid" 2>/dev/null && (($(date +%s) < end)); do sleep 0.5; done
  if kill -0 "$qpid" 2>/dev/null; then power_cut; return 1; fi
  wait "$qpid" 2>/dev/null || true
  if grep -qa "Restarting system with command '0 tryboot'" "$log"; then touch "$t/flag"; fi
  return 0
}
power_cut() { kill -9 "$qpid" 2>/dev/null || true; wait "$qpid" 2>/dev/null || true; }
line() { tr -d '\r' <"$log" | grep -ao "$1.*" | tail -1; }
cleanup() { # under set -e: a kill of what already ended must not end the script with 1
  if [[ -n ${qpid:-} ]]; then kill -9 "$qpid" 2>/dev/null || true; fi
  if [[ -n ${cpid:-} ]]; then kill "$cpid" 2>/dev/null || true; fi
}
trap cleanup EXIT

# data_state: the keys' bytes and the journal (ID, newest record, chain) on
# the disk's KIOSKDATA, read offline from the image file.
data_state() {
  local off d=$t/data
  off=$(fw_part_offset "$disk" 7)
  rm -rf "$d" && mkdir -p "$d"
  dd if="$disk" of="$d/data.ext4" bs=1M skip=$((off / 1048576)) count=508 conv=sparse status=none
  # After a power cut the file system needs its journal replayed (as the
  # kernel does at mount; data=journal keeps the newest data there) before
  # debugfs can open it: e2fsck does that on this copy, never on the disk.
  e2fsck -fy "$d/data.ext4" >"$d/e2fsck.log" 2>&1 || (($? < 4)) || { echo "update-test: e2fsck of the KIOSKDATA copy failed (see $d/e2fsck.log)" >&2; return 1; }
  debugfs -R "rdump /keys $d" "$d/data.ext4" >/dev/null 2>&1
  debugfs -R "dump /journal/journal.db $d/journal.db" "$d/data.ext4" >/dev/null 2>&1
  printf 'keys %s; ' "$(cd "$d/keys" 2>/dev/null && sha256sum -- * | sha256sum | cut -c1-12)"
  kctl journal status --db "$d/journal.db" 2>&1 | sed -n 's/^journal: *\([^ ]*\).*/journal \1;/p; s/^newest seq: *\(.*\)/newest \1;/p; s/^chain: *\(.*\)/chain \1/p' | tr '\n' ' '
}
slot_sums() { # the running slot A and autoboot.txt, by bytes
  local p
  for p in 1 2 5; do
    dd if="$disk" bs=1M skip=$(($(fw_part_offset "$disk" $p) / 1048576)) count=$([[ $p == 5 ]] && echo 1472 || echo 16) status=none | sha256sum | cut -c1-12
  done | tr '\n' ' '
}
same_data() { # same_data NAME BEFORE
  local after
  after=$(data_state)
  local kb=${2%%;*} ka=${after%%;*} jb jn_b jn_a
  jb=$(sed -n 's/.*journal \([^;]*\);.*/\1/p' <<<"$2")
  jn_b=$(sed -n 's/.*newest \([0-9]*\);.*/\1/p' <<<"$2")
  jn_a=$(sed -n 's/.*newest \([0-9]*\);.*/\1/p' <<<"$after")
  check "$1: data kept" "$(ok "$([[ $kb == "$ka" && -n $jb && $after == *"journal $jb;"* && ${jn_a:-0} -ge ${jn_b:-1} && $after == *"chain ok"* ]] && echo y)")" "before: $2 | after: $after"
}
# first_disk: $disk, a copy of the kiosk after its first boot (provisioning
# and the journal's first record, then a power cut once the data partition
# has committed: commit=5), made once; $before, its keys and journal.
first_disk() {
  if [[ ! -f $t/first.img ]]; then
    new_disk
    boot first
    local v=
    wait_line 'KIOSK-READY' "$boot_timeout" && v=y
    sleep 8
    power_cut
    check "first boot: kiosk ready" "$(ok "$v")" "$(line 'KIOSK-READY')"
    data_state >"$t/first.state"
    cp --sparse=always "$disk" "$t/first.img"
  fi
  disk=$t/disk.img
  cp --sparse=always "$t/first.img" "$disk"
  before=$(cat "$t/first.state")
  rm -f "$t/flag"
}
# from_written NAME: $disk as usb-good left it when the kiosk asked for its
# trial (the stick's bundle written to slot B and read back, the tryboot
# flag set); written here if usb-good did not run first.
from_written() {
  if [[ ! -f $t/written.img ]]; then
    first_disk
    stick good "$t/good.kup"
    boot "$1-write" "$t/stick-good.img"
    wait_line 'KIOSK-READY' "$boot_timeout" || true
    plug stick
    ended 1800 || true
    [[ -e $t/flag ]] && cp --sparse=always "$disk" "$t/written.img"
  fi
  [[ -f $t/written.img ]] || { check "$1: slot B written" 1 "the stick's bundle was not written (see $1-write.log)"; return 1; }
  first_disk
  cp --sparse=always "$t/written.img" "$disk"
  touch "$t/flag"
}

# -- the scenarios ------------------------------------------------------------------
plug() { # plug DRIVE: the technician plugs the stick in
  local out
  out=$(vmctl plug "$t/qmp.sock" "$1" 2>&1) || echo "update-test: plug $1: $out" >&2
}
running() { # running PARTITION VERSION: what the next plain boot runs
  boot "$1"
  local v=
  wait_line "KIOSK-UPDATE running partition=$2 tryboot=false release=$3" "$boot_timeout" && v=y
  check "$1: runs $3" "$(ok "$v")" "firmware stand-in: partition $fw_part ($fw_how); guest: $(line 'KIOSK-UPDATE running')"
  # A slot switch must not make the boot slower: the first frame on this
  # slot beside the first boot's on slot A (printed, not judged: TCG's
  # timing varies with the machine's load).
  wait_line 'KIOSK-READY' 120 || true
  echo "update-test: ($1) first frame on partition $fw_part at $(line 'KIOSK-READY' | grep -o 'uptime=[0-9.]*s' || echo '?'); slot A's first boot: $(tr -d '\r' <"$t/first.log" | grep -ao 'uptime=[0-9.]*s' | head -1)"
}

scenario_usb_good() {
  first_disk
  stick good "$t/good.kup"
  boot usb-good-1 "$t/stick-good.img"
  wait_line 'KIOSK-READY' "$boot_timeout" || true
  local out v=
  vmctl wait "$t/qmp.sock" "$t/waiting.png" --timeout 120s >/dev/null 2>&1 || true
  plug stick
  out=$(vmctl wait "$t/qmp.sock" "$shots/update-usb.png" --not "$t/waiting.png" --first --timeout 300s 2>&1) && v=y
  check "usb-good: kiosk shows update" "$(ok "$v")" "${out:-} (kept as out/screens/update-usb.png)"
  ended 1800 || true
  check "usb-good: trial requested" "$(ok "$([[ -e $t/flag ]] && echo y)")" "$(line 'Restarting system')"
  # kioskctl says the slot is written before the system goes down (it was
  # once killed by its own reboot: "trial reboot: ... signal: terminated").
  check "usb-good: said so, no error" "$(ok "$(grep -qa 'written to the inactive slot and read back\|written and read back; rebooting' "$log" && ! grep -qa 'trial reboot:' "$log" && echo y)")" "$(line 'read back; rebooting')$(line 'trial reboot:')"
  [[ -e $t/flag ]] && cp --sparse=always "$disk" "$t/written.img"
  boot usb-good-2
  check "usb-good: trial boots slot B" "$(ok "$([[ $fw_part == 3 && $fw_tryboot == 1 ]] && echo y)")" "partition $fw_part tryboot $fw_tryboot"
  v=
  wait_line "KIOSK-UPDATE phase=committed version=$v1" 600 && v=y
  check "usb-good: committed" "$(ok "$v")" "$(line 'KIOSK-UPDATE trial') / $(line 'KIOSK-UPDATE phase=')"
  power_cut
  running usb-good-3 3 "$v1"
  power_cut
  same_data usb-good "$before"
}

scenario_refused() {
  first_disk
  local sums name want
  sums=$(slot_sums)
  stick foreign "$t/foreign.kup"
  stick old "$t/old.kup"
  stick truncated "$t/truncated.kup"
  # Three sticks, plugged one after the other (qemu plugs only drives it
  # was started with).
  boot_extra=(-drive "file=$t/stick-foreign.img,format=raw,if=none,id=s1,readonly=on"
    -drive "file=$t/stick-old.img,format=raw,if=none,id=s2,readonly=on"
    -drive "file=$t/stick-truncated.img,format=raw,if=none,id=s3,readonly=on")
  boot refused-1
  wait_line 'KIOSK-READY' "$boot_timeout" || true
  for name in s1:bad_signature s2:downgrade s3:truncated; do
    want=${name#*:}
    plug "${name%%:*}"
    local v=
    wait_line "update refused ($want)" 600 && v=y
    check "refused: $want" "$(ok "$v")" "$(line "update refused ($want)")"
    sleep 20 # the kiosk shows the reason, then takes its screen back
  done
  power_cut
  check "refused: running slot as it was" "$(ok "$([[ $(slot_sums) == "$sums" && ! -e $t/flag ]] && echo y)")" "p1 p2 p5: $sums"
  running refused-2 2 "$version"
  power_cut
  same_data refused "$before"
}

scenario_never_ready() {
  first_disk
  stick sick "$t/sick.kup"
  boot never-ready-1 "$t/stick-sick.img"
  wait_line 'KIOSK-READY' "$boot_timeout" || true
  plug stick
  ended 1800 || true
  check "never-ready: trial requested" "$(ok "$([[ -e $t/flag ]] && echo y)")" "$(line 'Restarting system')"
  LIMIT=90s boot never-ready-2
  local v=
  ended 900 && v=y
  check "never-ready: falls back" "$(ok "$([[ -n $v && ! -e $t/flag ]] && echo y)")" "$(line 'KIOSK-UPDATE trial') / $(line 'Restarting system')"
  boot never-ready-3
  v=
  wait_line "KIOSK-UPDATE phase=failed version=$v2 reason=unhealthy" "$boot_timeout" && v=y
  check "never-ready: old slot, says why" "$(ok "$([[ -n $v && $fw_part == 2 ]] && echo y)")" "partition $fw_part; $(line 'KIOSK-UPDATE phase=')"
  power_cut
  same_data never-ready "$before"
}

scenario_cut_write() {
  first_disk
  local sums v=
  sums=$(slot_sums)
  stick good "$t/good.kup"
  boot cut-write-1 "$t/stick-good.img"
  wait_line 'KIOSK-READY' "$boot_timeout" || true
  plug stick
  wait_line 'writing  [2-9]0%' 1200 && v=y
  power_cut
  check "cut-write: cut while writing" "$(ok "$v")" "power cut at $(tr '\r' '\n' <"$log" | grep -ao 'writing *[0-9]*%' | tail -1)"
  boot cut-write-2
  v=
  wait_line "KIOSK-UPDATE phase=failed version=$v1 reason=interrupted" "$boot_timeout" && v=y
  check "cut-write: old slot, reported" "$(ok "$([[ -n $v && $fw_part == 2 && $(slot_sums) == "$sums" ]] && echo y)")" "partition $fw_part; $(line 'KIOSK-UPDATE phase=')"
  power_cut
  same_data cut-write "$before"
}

scenario_cut_trial() {
  from_written cut-trial || return 0
  boot cut-trial-2
  local v=
  wait_line 'KIOSK-UPDATE trial' "$boot_timeout" && v=y
  power_cut
  check "cut-trial: cut before commit" "$(ok "$([[ -n $v && $fw_part == 3 ]] && echo y)")" "partition $fw_part; $(line 'KIOSK-UPDATE trial')"
  boot cut-trial-3
  v=
  wait_line "KIOSK-UPDATE phase=failed version=$v1 reason=trial_failed" "$boot_timeout" && v=y
  check "cut-trial: old slot, reported" "$(ok "$([[ -n $v && $fw_part == 2 ]] && echo y)")" "partition $fw_part; $(line 'KIOSK-UPDATE phase=')"
  power_cut
  same_data cut-trial "$before"
}

# The commit is two writes: autoboot.txt (one sector), then the state. The
# trial is held between them and the power cut there.
scenario_cut_commit() {
  from_written cut-commit || return 0
  CMDLINE_EXTRA=kiosk.update_commit_pause=900s boot cut-commit-2
  local v=
  wait_line 'KIOSK-UPDATE holding the commit' 900 && v=y
  power_cut
  check "cut-commit: cut between the writes" "$(ok "$([[ -n $v && $fw_part == 3 ]] && echo y)")" "partition $fw_part; $(line 'KIOSK-UPDATE autoboot.txt now boots')"
  running cut-commit-3 3 "$v1"
  v=
  wait_line "KIOSK-UPDATE phase=committed version=$v1" 60 && v=y
  check "cut-commit: commit recorded" "$(ok "$v")" "$(line 'KIOSK-UPDATE phase=')"
  power_cut
  same_data cut-commit "$before"
}

# collector_up: the town hall's collector on the build machine's loopback,
# with the good bundle published for T01 in a window around now (the
# kiosk's local time, JST).
collector_up() {
  local rel=$t/releases relkeys=$t/release-keys
  rm -rf "$rel" "$relkeys" "$t/collector-data"
  mkdir -p "$relkeys"
  cp "$work/release-dev.pub" "$relkeys/"
  "$hostbin/collector" release --releases "$rel" --keys "$relkeys" --kiosks T01 \
    --window "$(TZ=Asia/Tokyo date -d '-1 hour' +%H:%M)-$(TZ=Asia/Tokyo date -d '+3 hours' +%H:%M)" "$t/good.kup" >"$t/release.log" 2>&1 ||
    { cat "$t/release.log" >&2; return 1; }
  "$hostbin/collector" --listen "127.0.0.1:$cport" --ca "$t/pki/ca.pem" --cert "$t/pki/server.pem" \
    --key "$t/pki/server-key.pem" --data "$t/collector-data" --releases "$rel" --metrics-listen off \
    >"$t/collector.log" 2>&1 &
  cpid=$!
}
# kiosks_api: the collector's staff API, as a staff member's certificate sees it.
kiosks_api() {
  curl -s --max-time 10 --cacert "$t/pki/ca.pem" --cert "$t/pki/client-staff-ut.pem" --key "$t/pki/client-staff-ut-key.pem" \
    "https://127.0.0.1:$cport/kiosks"
}

scenario_collector_good() {
  first_disk
  rm -f "$t/tech" "$t/tech.pub"
  ssh-keygen -q -t ed25519 -N '' -C town-hall -f "$t/tech"
  mcopy -o -i "$disk@@$(fw_part_offset "$disk" 1)" "$t/tech.pub" ::kiosk-ssh.pub
  collector_up || { check "collector-good: published" 1 "collector release failed: $(tail -1 "$t/release.log")"; return 0; }
  check "collector-good: published" 0 "$(grep -a '^published' "$t/release.log" | head -1)"
  local ssh_port v= out
  ssh_port=$(shuf -i 20000-60000 -n 1)
  # romfile= : no PXE option ROM (efi-virtio.rom is not installed, nor needed)
  net=(-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$ssh_port-:22" -device virtio-net-pci,netdev=n0,romfile=)
  boot collector-good-1
  wait_line 'KIOSK-READY' "$boot_timeout" || true
  for _ in $(seq 40); do
    out=$(ssh -i "$t/tech" -p "$ssh_port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
      -o ConnectTimeout=10 -o BatchMode=yes -o LogLevel=ERROR root@127.0.0.1 \
      'systemctl start --no-block kiosk-update-fetch.service && echo asked' 2>>"$t/ssh.log") && break
    sleep 3
  done
  check "collector-good: fetch asked over ssh" "$(ok "$([[ $out == asked ]] && echo y)")" "${out:-no shell (see ${t#"$here"/}/ssh.log)}"
  ended 1800 || true
  check "collector-good: fetched, trial requested" "$(ok "$([[ -e $t/flag ]] && grep -qa 'fetched from the collector' "$log" && echo y)")" "$(line 'fetched from the collector') / $(line 'Restarting system')"
  boot collector-good-2
  wait_line "KIOSK-UPDATE phase=committed version=$v1" 600 && v=y
  check "collector-good: committed" "$(ok "$([[ -n $v && $fw_part == 3 ]] && echo y)")" "partition $fw_part; $(line 'KIOSK-UPDATE phase=')"
  # The heartbeat (every minute) tells the town hall which version runs.
  v=
  for _ in $(seq 60); do
    out=$(kiosks_api)
    grep -q "\"$v1\"" <<<"$out" && { v=y; break; }
    sleep 5
  done
  check "collector-good: town hall sees $v1" "$(ok "$v")" "$(grep -o "\"version\":\"[^\"]*\"" <<<"$out" | sort -u | tr '\n' ' ')"
  power_cut
  net=(-nic none)
  running collector-good-3 3 "$v1"
  power_cut
  kill "$cpid" 2>/dev/null; wait "$cpid" 2>/dev/null || true; cpid=
  same_data collector-good "$before"
}

for s in $scenarios; do
  echo "== update-test: $s"
  "scenario_${s//-/_}"
done
echo "update-test: logs in ${t#"$here"/}/"
echo "update-test: $passed passed, $failed failed"
((failed == 0))
