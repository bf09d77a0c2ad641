package update

import (
	"bytes"
	"fmt"
	"io"
)

// Slot is one of the two installations: its boot partition (the number
// autoboot.txt names) and its root, as device paths.
type Slot struct {
	Name          string `json:"name"` // "a" or "b"
	BootPartition int    `json:"boot_partition"`
	Boot          string `json:"boot"`
	Root          string `json:"root"`
}

// Layout is the SD card as the updater sees it. The data partition is not in
// it: the updater writes nothing there but its state file.
type Layout struct {
	Select string  `json:"select"` // p1, the FAT partition with autoboot.txt
	Slots  [2]Slot `json:"slots"`
}

func (l Layout) check() error {
	a, b := l.Slots[0], l.Slots[1]
	if l.Select == "" || a.Name == "" || b.Name == "" || a.Name == b.Name || a.BootPartition == b.BootPartition ||
		a.Boot == "" || a.Root == "" || b.Boot == "" || b.Root == "" || a.Boot == b.Boot || a.Root == b.Root ||
		a.Boot == b.Root || a.Root == b.Boot {
		return fmt.Errorf("update layout: two distinct slots with boot and root devices are required: %+v", l)
	}
	return nil
}

// SlotOf returns the slot whose boot partition is n.
func (l Layout) SlotOf(n int) (Slot, bool) {
	for _, s := range l.Slots {
		if s.BootPartition == n {
			return s, true
		}
	}
	return Slot{}, false
}

// Named returns the slot called name.
func (l Layout) Named(name string) (Slot, bool) {
	for _, s := range l.Slots {
		if s.Name == name {
			return s, true
		}
	}
	return Slot{}, false
}

// Other returns the slot that is not s.
func (l Layout) Other(s Slot) Slot {
	if l.Slots[0].Name == s.Name {
		return l.Slots[1]
	}
	return l.Slots[0]
}

// BootInfo is what the firmware says about this boot
// (/proc/device-tree/chosen/bootloader/partition and .../tryboot on a Pi).
type BootInfo struct {
	Partition int
	Tryboot   bool
}

// Firmware is the boot loader's side.
type Firmware interface {
	Boot() (BootInfo, error)
	// RebootTryboot reboots once into autoboot.txt's [tryboot] partition
	// (reboot "0 tryboot"; the kiosk-tryboot module sets the firmware flag).
	RebootTryboot() error
	// Reboot is a plain reboot: the firmware takes [all], the committed slot.
	Reboot() error
}

// readAutoboot reads autoboot.txt from the select partition.
func readAutoboot(st Storage, layout Layout) (Autoboot, int64, error) {
	dev, err := st.OpenDevice(layout.Select)
	if err != nil {
		return Autoboot{}, 0, fmt.Errorf("select partition: %w", err)
	}
	defer dev.Close()
	off, size, err := LocateFile(dev, "autoboot.txt")
	if err != nil {
		return Autoboot{}, 0, fmt.Errorf("select partition %s: %w", layout.Select, err)
	}
	if size != AutobootSize {
		return Autoboot{}, 0, fmt.Errorf("select partition %s: autoboot.txt is %d bytes, the updater writes exactly %d", layout.Select, size, AutobootSize)
	}
	b := make([]byte, size)
	if _, err := dev.ReadAt(b, off); err != nil {
		return Autoboot{}, 0, fmt.Errorf("select partition: %w", err)
	}
	ab, err := ParseAutoboot(b)
	return ab, off, err
}

// writeAutoboot rewrites autoboot.txt's one sector in place, syncs and
// reads it back.
func writeAutoboot(st Storage, layout Layout, committed, try int) error {
	_, off, err := readAutoboot(st, layout)
	if err != nil {
		return err
	}
	dev, err := st.OpenDevice(layout.Select)
	if err != nil {
		return fmt.Errorf("select partition: %w", err)
	}
	defer dev.Close()
	want := RenderAutoboot(committed, try)
	if _, err := dev.WriteAt(want, off); err != nil {
		return fmt.Errorf("autoboot.txt: %w", err)
	}
	if err := dev.Sync(); err != nil {
		return fmt.Errorf("autoboot.txt: %w", err)
	}
	got := make([]byte, len(want))
	if _, err := dev.ReadAt(got, off); err != nil || !bytes.Equal(got, want) {
		return fmt.Errorf("autoboot.txt: read back differs (%v)", err)
	}
	return nil
}

// offsetWriter writes a stream at increasing offsets of a device.
type offsetWriter struct {
	dev Device
	off int64
}

func (w *offsetWriter) Write(b []byte) (int, error) {
	n, err := w.dev.WriteAt(b, w.off)
	w.off += int64(n)
	return n, err
}

var _ io.Writer = (*offsetWriter)(nil)
