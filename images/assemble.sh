#!/usr/bin/env bash
# Assembles the SD-card image from a finished root tree, without loop devices
# or mounts: each file system is made in a file (mkfs.vfat + mcopy,
# mkfs.ext4 -d), the partition table is written by sfdisk into the image
# file, and the file systems are copied in with dd.
#
#   assemble.sh ROOT IMAGE [PROVISION]
#
# Layout (MBR, MiB; see images/README.md). The gap after the root is kept for
# a second root partition (A/B updates): p4 = KIOSKROOT-B at 1796 MiB, 1536
# MiB, can be added without moving the data partition.
#   p1  4     256   FAT32  KIOSKBOOT  firmware, kernel, initrd, dtbs, config.txt, cmdline.txt, provisioning
#   p2  260   1536  ext4   KIOSKROOT  / (read-only)
#   --  1796  1536  (reserved: root B)
#   p3  3332  508   ext4   KIOSKDATA  /var/lib/kiosk (data=journal)
#   total 3840 MiB: needs a card sold as 8 GB or more (a "4 GB" card holds about 3814 MiB: too small)
set -euo pipefail

root=$1
img=$2
provision=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
work=$(dirname "$img")
kiosk_uid=900

boot_start=4 boot_size=256
root_start=260 root_size=1536
rootb_start=1796 rootb_size=1536
data_start=$((rootb_start + rootb_size)) data_size=508
total=$((data_start + data_size))

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
cp "$here/boot/config.txt" "$here/boot/cmdline.txt" "$here/boot/README.txt" "$bootfs/"
# The example shows every field; it stays incomplete on purpose (write exits
# non-zero) so that it cannot be used by mistake: kiosk_id too is FILL IN,
# never a made-up ID a technician might keep.
chroot "$root" /usr/local/bin/kioskctl provision write --out - \
  >"$bootfs/kiosk-provision.toml.example" 2>/dev/null || true
grep -q '^kiosk_id' "$bootfs/kiosk-provision.toml.example" || { echo "assemble: kioskctl provision write gave no example" >&2; exit 1; }
mkdir -p "$bootfs/kiosk-keys"
if [[ -n $provision ]]; then
  cp "$provision" "$bootfs/kiosk-provision.toml"
fi
echo "assemble: boot partition: kernel $kver, $(du -sh "$bootfs" | cut -f1)"

# The kernel and initrd live on the boot partition; the copies in the root
# would only make the image bigger (the root is never used to boot them).
rm -rf "$root"/boot/firmware/* "$root/boot/vmlinuz-$kver" "$root/boot/initrd.img-$kver" "$root/boot/vmlinuz" "$root/boot/initrd.img"

# -- file systems in files ------------------------------------------------------
rm -f "$work/boot.vfat" "$work/root.ext4" "$work/data.ext4"
mkfs.vfat -F 32 -n KIOSKBOOT -i 4b494f53 -C "$work/boot.vfat" $((boot_size * 1024)) >/dev/null
mcopy -s -m -Q -i "$work/boot.vfat" "$bootfs"/* ::

used_mib=$(du -s --block-size=1M "$root" | cut -f1)
if ((used_mib * 110 / 100 > root_size)); then
  echo "assemble: the root tree is $used_mib MiB: too big for the $root_size MiB root partition" >&2
  exit 1
fi
# The root is mounted read-only and never written: no reserved blocks.
mkfs.ext4 -q -F -L KIOSKROOT -m 0 -d "$root" "$work/root.ext4" "${root_size}M"

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
sfdisk --quiet "$img" <<EOF
label: dos
label-id: 0x4b494f53
unit: sectors

start=$((boot_start * mib)), size=$((boot_size * mib)), type=c, bootable
start=$((root_start * mib)), size=$((root_size * mib)), type=83
start=$((data_start * mib)), size=$((data_size * mib)), type=83
EOF
dd if="$work/boot.vfat" of="$img" bs=1M seek="$boot_start" conv=notrunc,sparse status=none
dd if="$work/root.ext4" of="$img" bs=1M seek="$root_start" conv=notrunc,sparse status=none
dd if="$work/data.ext4" of="$img" bs=1M seek="$data_start" conv=notrunc,sparse status=none
rm -f "$work/boot.vfat" "$work/root.ext4" "$work/data.ext4"
echo "assemble: $img: ${total} MiB (root tree $used_mib MiB of $root_size)"
sfdisk --list "$img" | sed -n '/^Device/,$p'
