#!/usr/bin/env bash
# Assembles the SD-card image from a finished root tree, without loop devices
# or mounts: each file system is made in a file (mkfs.vfat + mcopy,
# mkfs.ext4 -d), the partition table is written by sfdisk into the image
# file, and the file systems are copied in with dd.
#
#   assemble.sh ROOT IMAGE [PROVISION]
#
# Layout: two slots (A/B updates, kiosk/update) and one data partition that
# no update writes. MBR, disk signature 0x4b494f53, MiB:
#   p1  4     16    FAT16  KIOSKBOOT  autoboot.txt (which slot boots), provisioning file, kiosk-keys/
#   p2  20    182   FAT32  KBOOT_A    slot A: firmware, dtbs, kernel, initrd, config.txt = tryboot.txt, cmdline.txt (root=PARTUUID=...-05)
#   p3  202   182   FAT32  KBOOT_B    slot B: the same, cmdline.txt root=PARTUUID=...-06
#   p4  384   3456  extended
#   p5  385   1472  ext4   KIOSKROOT  slot A's / (read-only)
#   p6  1858  1472  ext4   KIOSKROOT  slot B's / (the same image after an update)
#   p7  3332  508   ext4   KIOSKDATA  /var/lib/kiosk (data=journal)
# KIOSKDATA starts at 3332 MiB and is 508 MiB, exactly where the one-root
# layout before A/B had it: a kiosk of that layout is moved over by writing
# this image's first 3332 MiB only (images/README.md), which keeps the
# journal, the keys and the configuration where they are.
# The Pi 4 firmware reads autoboot.txt on p1 and boots p2 or p3 (tryboot_a_b:
# the slot reads its own config.txt); kernels and roots never share a slot.
# Total 3840 MiB: needs a card sold as 8 GB or more (a "4 GB" card holds about
# 3814 MiB: too small).
set -euo pipefail

root=$1
img=$2
provision=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
work=$(dirname "$img")
kiosk_uid=900

sel_start=4 sel_size=16
boota_start=20 boot_size=182
bootb_start=$((boota_start + boot_size))
ext_start=$((bootb_start + boot_size))
root_size=1472
roota_start=$((ext_start + 1))
rootb_start=$((roota_start + root_size + 1))
data_start=3332 data_size=508
total=$((data_start + data_size))
disk_sig=4b494f53
((rootb_start + root_size < data_start)) || { echo "assemble: root B overlaps the data partition" >&2; exit 1; }

# -- boot partition contents ------------------------------------------------
bootfs=$work/bootfs
rm -rf "$bootfs"
mkdir -p "$bootfs"
mapfile -t kernels < <(cd "$root/boot" && ls vmlinuz-* | sed 's/^vmlinuz-//')
((${#kernels[@]} == 1)) || { echo "assemble: expected one kernel in $root/boot, found ${kernels[*]:-none}" >&2; exit 1; }
kver=${kernels[0]}
cp "$root"/usr/lib/raspi-firmware/* "$bootfs/"
# Fixed names (config.txt: kernel=vmlinuz, initramfs initrd.img): a second
# slot later only needs its own pair of names, not a rewritten config.
cp "$root/boot/vmlinuz-$kver" "$bootfs/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$bootfs/initrd.img"
# The firmware picks the device tree by board (bcm2711-rpi-4-b.dtb on a Pi 4).
cp "$root/usr/lib/linux-image-$kver"/broadcom/bcm27*.dtb "$bootfs/"
cp "$here/boot/config.txt" "$bootfs/"
# Bookworm's firmware (raspi-firmware 1.20220830) predates tryboot_a_b and
# may read tryboot.txt in a trial boot: the same settings either way.
cp "$here/boot/config.txt" "$bootfs/tryboot.txt"
echo "assemble: slot boot partition: kernel $kver, $(du -sh "$bootfs" | cut -f1)"

# -- p1, the shared partition a PC shows: which slot boots, provisioning ----------
selfs=$work/selfs
rm -rf "$selfs"
mkdir -p "$selfs/kiosk-keys"
cp "$here/boot/README.txt" "$selfs/"
# Exactly one 512-byte sector, written by the updater's own code: a commit
# rewrites it in place (kiosk/update).
chroot "$root" /usr/local/bin/kioskctl update autoboot --committed 2 --try 3 >"$selfs/autoboot.txt"
(($(stat -c %s "$selfs/autoboot.txt") == 512)) || { echo "assemble: autoboot.txt is not 512 bytes" >&2; exit 1; }
# The example shows every field; it stays incomplete on purpose (write exits
# non-zero) so that it cannot be used by mistake: kiosk_id too is FILL IN,
# never a made-up ID a technician might keep.
chroot "$root" /usr/local/bin/kioskctl provision write --out - \
  >"$selfs/kiosk-provision.toml.example" 2>/dev/null || true
grep -q '^kiosk_id' "$selfs/kiosk-provision.toml.example" || { echo "assemble: kioskctl provision write gave no example" >&2; exit 1; }
if [[ -n $provision ]]; then
  cp "$provision" "$selfs/kiosk-provision.toml"
fi

# The kernel and initrd live on the boot partition; the copies in the root
# would only make the image bigger (the root is never used to boot them).
rm -rf "$root"/boot/firmware/* "$root/boot/vmlinuz-$kver" "$root/boot/initrd.img-$kver" "$root/boot/vmlinuz" "$root/boot/initrd.img"

# -- file systems in files ------------------------------------------------------
# Each slot's boot partition differs only in cmdline.txt (its own root); the
# update bundle carries both (make update takes them from images/work/slots/).
rm -f "$work/sel.vfat" "$work/data.ext4"
slots=$work/slots
rm -rf "$slots"
mkdir -p "$slots"
for slot in a b; do
  part=05 serial=4b495302
  [[ $slot == b ]] && part=06 serial=4b495303
  sed "s/@ROOT@/PARTUUID=$disk_sig-$part/" "$here/boot/cmdline.txt" >"$bootfs/cmdline.txt"
  grep -q "root=PARTUUID=$disk_sig-$part " "$bootfs/cmdline.txt" || { echo "assemble: cmdline.txt has no root=@ROOT@" >&2; exit 1; }
  mkfs.vfat -F 32 -n "KBOOT_${slot^^}" -i "$serial" -C "$slots/boot-$slot.vfat" $((boot_size * 1024)) >/dev/null
  mcopy -s -m -Q -i "$slots/boot-$slot.vfat" "$bootfs"/* ::
done
mkfs.vfat -F 16 -n KIOSKBOOT -i 4b494f53 -C "$work/sel.vfat" $((sel_size * 1024)) >/dev/null
mcopy -s -m -Q -i "$work/sel.vfat" "$selfs"/* ::

used_mib=$(du -s --block-size=1M "$root" | cut -f1)
if ((used_mib * 110 / 100 > root_size)); then
  echo "assemble: the root tree is $used_mib MiB: too big for the $root_size MiB root partition" >&2
  exit 1
fi
# The root is mounted read-only and never written: no reserved blocks.
mkfs.ext4 -q -F -L KIOSKROOT -m 0 -d "$root" "$slots/root.ext4" "${root_size}M"

# The data partition: journal every data write (data=journal is also set in
# fstab; here as the default mount option too), fast_commit off: the bbolt
# journal relies on plain ext4 ordering.
datafs=$work/datafs
rm -rf "$datafs"
mkdir -p "$datafs"/{keys,journal,home,receipts,ssh}
chown root:root "$datafs" "$datafs/ssh"
chown "root:$kiosk_uid" "$datafs/keys"
chown "$kiosk_uid:$kiosk_uid" "$datafs/journal" "$datafs/home" "$datafs/receipts"
chmod 0755 "$datafs"
chmod 0750 "$datafs/keys" "$datafs/receipts"
chmod 0700 "$datafs/journal" "$datafs/home" "$datafs/ssh"
mkfs.ext4 -q -F -L KIOSKDATA -O ^fast_commit -d "$datafs" "$work/data.ext4" "${data_size}M"
tune2fs -o journal_data "$work/data.ext4" >/dev/null

# -- the disk -------------------------------------------------------------------
rm -f "$img"
truncate -s "${total}M" "$img"
mib=2048 # sectors per MiB
# Logical partitions each have their EBR in the MiB before them.
sfdisk --quiet "$img" <<EOF
label: dos
label-id: 0x$disk_sig
unit: sectors

start=$((sel_start * mib)), size=$((sel_size * mib)), type=e, bootable
start=$((boota_start * mib)), size=$((boot_size * mib)), type=c
start=$((bootb_start * mib)), size=$((boot_size * mib)), type=c
start=$((ext_start * mib)), size=$(((total - ext_start) * mib)), type=5
start=$((roota_start * mib)), size=$((root_size * mib)), type=83
start=$((rootb_start * mib)), size=$((root_size * mib)), type=83
start=$((data_start * mib)), size=$((data_size * mib)), type=83
EOF
dd if="$work/sel.vfat" of="$img" bs=1M seek="$sel_start" conv=notrunc,sparse status=none
dd if="$slots/boot-a.vfat" of="$img" bs=1M seek="$boota_start" conv=notrunc,sparse status=none
dd if="$slots/root.ext4" of="$img" bs=1M seek="$roota_start" conv=notrunc,sparse status=none
dd if="$work/data.ext4" of="$img" bs=1M seek="$data_start" conv=notrunc,sparse status=none
# Slot B stays empty until the first update: [tryboot] names it, but nothing
# asks for a trial before the updater has written it and read it back.
rm -f "$work/sel.vfat" "$work/data.ext4"
echo "assemble: $img: ${total} MiB (root tree $used_mib MiB of $root_size per slot); slot images in ${slots#"$here"/}/ for make update"
sfdisk --list "$img" | sed -n '/^Device/,$p'
