#!/usr/bin/env bash
# Turns a copy of the base tree into the kiosk's root filesystem:
#   customize.sh ROOT BINDIR
# ROOT is modified in place; BINDIR holds the arm64 kiosk and kioskctl.
# Commands inside ROOT run through chroot + qemu-user (binfmt), which is fine
# for the handful here; nothing slow (initramfs) happens at this stage.
set -euo pipefail

root=$1
bindir=$2
here=$(cd "$(dirname "$0")" && pwd)
version=${VERSION:-dev}
kiosk_uid=900 # fixed: files on the data partition must keep their owner across root updates (A/B)

in_root() { chroot "$root" "$@"; }

# Our binaries. vcard and collector are test and town-hall tools: not shipped.
install -m 0755 "$bindir/kiosk" "$bindir/kioskctl" "$root/usr/local/bin/"

# The updater's `reboot "0 tryboot"` needs a module Debian's kernel lacks:
# built for this root's kernel, in updates/, loaded by udev on a Pi only.
bash "$here/tryboot/build.sh" "$root"

# Voice guidance: the prompts `make voice` rendered, and their credits.
bash "$here/voice-root.sh" "$root" "${VOICE_DIR:-$here/../build/voice}" "${VOICE_TOOLS:-$here/../build/voice-tools}"

# Units, scripts and settings: images/rootfs is copied as it is, owned by root.
cp -r --no-preserve=ownership "$here/rootfs/." "$root/"
chmod 0755 "$root"/usr/libexec/kiosk/*

# The unprivileged user the kiosk runs as (cage refuses root). Groups: input
# (touchscreen evdev), gpio (keypad), lp (receipt printer), plugdev,
# video/render for the display under cage, and audio (the USB speaker).
in_root groupadd --system gpio 2>/dev/null || true
in_root groupadd --gid "$kiosk_uid" kiosk
groups=()
for g in input gpio lp plugdev video render audio; do
  if in_root getent group "$g" >/dev/null; then groups+=("$g"); fi
done
in_root useradd --uid "$kiosk_uid" --gid kiosk --groups "$(IFS=,; echo "${groups[*]}")" \
  --home-dir /var/lib/kiosk/home --no-create-home --shell /usr/sbin/nologin \
  --comment "village hall kiosk" kiosk

# resolved and timesyncd order themselves before sysinit.target, so every
# unit of the boot waited for them (4 s under qemu); nothing the kiosk needs
# at start depends on them: start them beside it instead.
for u in systemd-resolved systemd-timesyncd; do
  sed -e '/^Before=/s/ sysinit\.target//; /^Before=/s/=sysinit\.target /=/' \
    -e 's/^WantedBy=sysinit\.target/WantedBy=multi-user.target/' \
    "$root/lib/systemd/system/$u.service" >"$root/etc/systemd/system/$u.service"
  in_root systemctl disable "$u.service" >/dev/null 2>&1 || true
done

# The network (sync to the town hall, NTP, ssh) is not needed for the
# first screen: networkd, resolved and timesyncd start once the kiosk is up
# (or has failed), instead of taking the boot's CPU from it (under qemu on
# two cores each took 12-25 s of it).
for u in systemd-networkd systemd-resolved systemd-timesyncd; do
  mkdir -p "$root/etc/systemd/system/$u.service.d"
  printf '[Unit]\n# After the kiosk has drawn its first screen (images/customize.sh)\nAfter=kiosk.service\n' \
    >"$root/etc/systemd/system/$u.service.d/after-kiosk.conf"
done
# Nothing else needs them: e2scrub works on LVM snapshots (there are none);
# logind only managed sessions, and the kiosk has no PAM session (seatd
# gives cage the seat, see kiosk.service). A technician's ssh login works
# without it (pam_systemd is optional).
in_root systemctl mask e2scrub_reap.service e2scrub_all.timer e2scrub_all.service systemd-logind.service
# Early-boot units with nothing to do on a read-only root with /var in RAM:
# under emulation every one costs the boot a process or a mount (hugepages,
# POSIX queues, fuse, configfs, tracing, binfmt, device-mapper and loop
# devices are used by nothing here;
# utmp, the random seed and the journal flush would go to a tmpfs; the
# kernel command line carries no network settings; with an empty
# machine-id every boot counts as the first, and firstboot has nothing to
# ask; pstore is EFI's, which the Pi has not).
in_root systemctl mask dev-hugepages.mount dev-mqueue.mount sys-fs-fuse-connections.mount \
  sys-kernel-config.mount sys-kernel-tracing.mount proc-sys-fs-binfmt_misc.automount systemd-binfmt.service \
  systemd-update-utmp.service systemd-update-utmp-runlevel.service systemd-random-seed.service \
  systemd-journal-flush.service systemd-network-generator.service systemd-firstboot.service systemd-pstore.service \
  modprobe@dm_mod.service modprobe@loop.service modprobe@efi_pstore.service modprobe@fuse.service

# Units: pcscd runs as a plain service (no socket activation, no --auto-exit):
# the kiosk watches the reader all day and must not race an exiting daemon.
in_root systemctl enable pcscd.service seatd.service kiosk-provision.service kiosk.service kiosk-smoke.service \
  systemd-networkd.service systemd-resolved.service systemd-timesyncd.service \
  kiosk-update.service kiosk-update-fetch.timer
in_root systemctl mask pcscd.socket
# No login prompt anywhere: tty1 belongs to the kiosk, other VTs are off
# (logind NAutoVTs=0), and the serial console only shows boot messages (root
# has no password; technicians use ssh with a provisioned key).
in_root systemctl mask getty@tty1.service autovt@.service serial-getty@.service
# Without a network it would fail after two minutes and nothing needs it.
in_root systemctl mask systemd-networkd-wait-online.service
# Package maintenance has nothing to do on a read-only root (and would wake
# the SD card): apt's daily download/upgrade and dpkg's database backup.
in_root systemctl mask apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
  apt-daily.service apt-daily-upgrade.service dpkg-db-backup.service
# SSH is installed but off; kiosk-provision starts it when the boot partition
# carries kiosk-ssh.pub. Host keys are made per kiosk on the data partition:
# keys baked into the image would be the same on every kiosk.
in_root systemctl disable ssh.service >/dev/null 2>&1 || true
rm -f "$root"/etc/ssh/ssh_host_*

# A cursor theme whose every pointer is one transparent pixel: a kiosk
# shows no mouse arrow (a technician's USB mouse, qemu's tablet), whatever
# cage or foot ask for. Xcursor format: file header, one table-of-contents
# entry, one 1x1 ARGB image (all little-endian).
blank=$root/usr/share/icons/kiosk-blank/cursors
mkdir -p "$blank"
le32() { for v in "$@"; do printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((v & 255)) $((v >> 8 & 255)) $((v >> 16 & 255)) $((v >> 24 & 255)); done; }
{
  printf 'Xcur'
  printf "$(le32 16 65536 1)"                     # header size, version, entries
  printf "$(le32 4294770690 24 28)"               # image type, nominal size 24, at byte 28
  printf "$(le32 36 4294770690 24 1 1 1 0 0 0 0)" # image header, 1x1, hotspot 0,0, no delay, one clear pixel
} >"$blank/left_ptr"
for name in default text xterm hand1 hand2 pointer grab grabbing; do ln -sf left_ptr "$blank/$name"; done
printf '[Icon Theme]\nName=kiosk-blank\nComment=no visible pointer\n' >"$root/usr/share/icons/kiosk-blank/index.theme"

# Japan time for everything the kiosk prints or logs.
ln -sf ../usr/share/zoneinfo/Asia/Tokyo "$root/etc/localtime"
echo Asia/Tokyo >"$root/etc/timezone"
echo kiosk >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tkiosk\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
ln -sf ../run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"
# Empty machine-id: the root is read-only, systemd makes a new one per boot
# (the journal is volatile anyway) and every kiosk does not share one.
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"

# Mount points (the data partition is mounted over /var/lib/kiosk; /var
# itself is a tmpfs with systemd.volatile=state).
mkdir -p "$root/boot/firmware" "$root/var/lib/kiosk"

# SERIAL orders releases for the updater (no downgrade): the build's commit
# time unless given (build.sh).
cat >"$root/etc/kiosk-release" <<EOF
VERSION=$version
SERIAL=${SERIAL:?customize: SERIAL not set}
BUILT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF

# The release keys this kiosk trusts for updates (Ed25519, never the village
# CA): images/release-keys/*.pub, or the build machine's development key.
mkdir -p "$root/etc/kiosk/release-keys"
shopt -s nullglob
pubs=("$here"/release-keys/*.pub)
shopt -u nullglob
if ((${#pubs[@]} == 0)); then
  pubs=("${RELEASE_DEV_PUB:?customize: no images/release-keys/*.pub and no development key}")
  echo "customize: WARNING: no release key in images/release-keys/: this image trusts the development key $(basename "${pubs[0]}") only"
fi
install -m 0644 "${pubs[@]}" "$root/etc/kiosk/release-keys/"
echo "customize: root filesystem ready (kiosk $version)"
