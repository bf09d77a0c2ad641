# The Raspberry Pi 4 firmware's choice of slot, for qemu (sourced by
# image-test.sh and update-test.sh). Written apart from the updater's Go code
# on purpose: the partition table is read by sfdisk and autoboot.txt by awk,
# the way the firmware documents them (raspberrypi/documentation,
# config_txt/autoboot.adoc), so a file the updater writes wrongly is caught
# here, not read back by the same code that wrote it.
#
#   fw_part_offset IMG N          byte offset of partition N
#   fw_boot IMG FLAGFILE          chooses the partition like the bootloader:
#                                 the one-shot tryboot flag (FLAGFILE present)
#                                 is cleared before the boot; sets fw_part,
#                                 fw_tryboot (0/1), fw_how
#   fw_extract IMG DIR            vmlinuz, initrd.img and cmdline.txt of fw_part
#   fw_dtb OUT                    qemu's virt device tree plus what the Pi
#                                 firmware adds: /chosen/bootloader/{partition,tryboot}
# What it cannot show: the EEPROM's own parser and flag, bookworm's
# start4.elf with tryboot_a_b, PARTITION_WALK on a real card.

fw_part_offset() {
  sfdisk --dump "$1" | awk -v dev="$1$2" '$1 == dev {
    for (i = 1; i <= NF; i++) if ($i ~ /^start=/) { v = $i; sub(/start=/, "", v); sub(/,/, "", v) }
    if (v == "") { v = $4; sub(/,/, "", v) }
    printf "%.0f\n", v * 512 }'
}

# fw_autoboot TEXT FLAG: the partition the bootloader takes. Sections [all]
# (the default before any header), [none] (ignored) and [tryboot] (only with
# the flag and tryboot_a_b=1); a line it cannot read makes the file garbled:
# partition walk (the first FAT boot partition, p2 here).
fw_autoboot() {
  awk -v flag="$2" '
    BEGIN { s = "[all]"; bad = 0 }
    { sub(/\r$/, "") }
    /^[ \t]*(#|$)/ { next }
    /^\[[a-z_]+\]$/ { s = $0; next }
    /^(boot_partition|tryboot_a_b)=[0-9]+$/ {
      split($0, kv, "=")
      if (s == "[none]") next
      if (kv[1] == "tryboot_a_b") { ab = kv[2]; next }
      if (s == "[tryboot]") try = kv[2]; else if (s == "[all]") all = kv[2]
      next }
    { bad = 1 }
    END {
      if (bad || all == "" || all < 1) { print "2 0 partition-walk"; exit }
      if (flag == 1 && ab == 1 && try != "") { print try " 1 tryboot"; exit }
      print all " 0 committed" }' <<<"$1"
}

fw_boot() {
  local img=$1 flagfile=$2 flag=0 off text
  [[ -e $flagfile ]] && flag=1
  rm -f "$flagfile" # cleared before the firmware starts: any reset from here is a plain boot
  off=$(fw_part_offset "$img" 1)
  text=$(mcopy -n -i "$img@@$off" ::autoboot.txt - 2>/dev/null || true)
  read -r fw_part fw_tryboot fw_how <<<"$(fw_autoboot "$text" "$flag")"
}

fw_extract() {
  local img=$1 dir=$2 off
  off=$(fw_part_offset "$img" "$fw_part")
  [[ -n $off ]] || return 1
  mcopy -n -i "$img@@$off" ::vmlinuz "$dir/vmlinuz" &&
    mcopy -n -i "$img@@$off" ::initrd.img "$dir/initrd.img" &&
    mcopy -n -i "$img@@$off" ::cmdline.txt "$dir/cmdline.txt"
}

fw_dtb() {
  qemu-system-aarch64 -M "virt,dumpdtb=$1" -cpu cortex-a72 -smp 2 -m 1536 -display none -nic none >/dev/null 2>&1 &&
    fdtput -c "$1" /chosen/bootloader &&
    fdtput -t i "$1" /chosen/bootloader partition "$fw_part" &&
    fdtput -t i "$1" /chosen/bootloader tryboot "$fw_tryboot"
}
