package update

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The SD card as files: a real FAT select partition made by mkfs.vfat and
// mcopy, four slot partitions and a data directory. A power switch sits in
// front of every write: writes reach the "card" only when synced, a cut
// drops what was not synced and tears the write under way.

const partSize = 40_000

var errPowerCut = errors.New("power cut")

type card struct {
	dir    string
	layout Layout
	data   string // the data partition's files
	fw     *simFW
	rel    *release
	v1     Spec
}

func newCard(t *testing.T, rel *release) *card {
	t.Helper()
	if _, err := exec.LookPath("mkfs.vfat"); err != nil {
		t.Fatalf("mkfs.vfat (dosfstools) is needed: %v", err)
	}
	dir := t.TempDir()
	c := &card{dir: dir, data: filepath.Join(dir, "data"), fw: &simFW{}, rel: rel}
	c.layout = Layout{Select: filepath.Join(dir, "p1-select.vfat"), Slots: [2]Slot{
		{Name: "a", BootPartition: 2, Boot: filepath.Join(dir, "p2-boot-a"), Root: filepath.Join(dir, "p5-root-a")},
		{Name: "b", BootPartition: 3, Boot: filepath.Join(dir, "p3-boot-b"), Root: filepath.Join(dir, "p6-root-b")},
	}}
	ab := filepath.Join(dir, "autoboot.txt")
	os.WriteFile(ab, RenderAutoboot(2, 3), 0o644)
	run(t, "mkfs.vfat", "-n", "KIOSKSEL", "-C", c.layout.Select, "1024")
	run(t, "mcopy", "-i", c.layout.Select, ab, "::autoboot.txt")
	c.v1 = rel.images(t, "v1", partSize)
	copyFile(t, c.v1.BootA, c.layout.Slots[0].Boot)
	copyFile(t, c.v1.Root, c.layout.Slots[0].Root)
	os.WriteFile(c.layout.Slots[1].Boot, make([]byte, partSize), 0o644)
	os.WriteFile(c.layout.Slots[1].Root, make([]byte, partSize), 0o644)
	for _, f := range []string{"journal/journal.db", "keys/kiosk-key.pem", "keys/kiosk.pem", "config.toml"} {
		p := filepath.Join(c.data, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, fill(p, 5000), 0o600)
	}
	c.powerOn(t)
	return c
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func sum(t *testing.T, paths ...string) string {
	t.Helper()
	h := sha256.New()
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func (c *card) dataSum(t *testing.T) string {
	var files []string
	filepath.Walk(c.data, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() && filepath.Base(filepath.Dir(p)) != "update" {
			files = append(files, p)
		}
		return nil
	})
	if len(files) != 4 {
		t.Fatalf("data partition has %d files: %v", len(files), files)
	}
	return sum(t, files...)
}

// simFW is the firmware stand-in: it boots what autoboot.txt and the one-shot
// flag say, as the Pi 4's bootloader documents.
type simFW struct {
	flag    bool
	current BootInfo
	how     string
	reboots []string
}

func (f *simFW) Boot() (BootInfo, error) { return f.current, nil }
func (f *simFW) RebootTryboot() error {
	f.flag = true
	f.reboots = append(f.reboots, "tryboot")
	return nil
}
func (f *simFW) Reboot() error { f.reboots = append(f.reboots, "plain"); return nil }

// powerOn boots the card: the flag is cleared before the firmware starts, so
// any reset after this boot returns to [all].
func (c *card) powerOn(t *testing.T) Slot {
	t.Helper()
	dev, err := os.Open(c.layout.Select)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	var ab []byte
	if off, size, err := LocateFile(dev, "autoboot.txt"); err == nil {
		ab = make([]byte, size)
		dev.ReadAt(ab, off)
	}
	p, how := BootChoice(ab, c.fw.flag, 2)
	c.fw.current = BootInfo{Partition: p, Tryboot: c.fw.flag && how == "tryboot"}
	c.fw.flag, c.fw.how = false, how
	s, ok := c.layout.SlotOf(p)
	if !ok {
		t.Fatalf("firmware booted partition %d (%s): no slot", p, how)
	}
	return s
}

// version returns the complete version a slot holds, or "" if it holds none
// (a half-written slot: its kernel would panic and the watchdog reset).
func (c *card) version(t *testing.T, s Slot, specs ...Spec) string {
	boot, root := sum(t, s.Boot), sum(t, s.Root)
	for _, sp := range specs {
		want := sp.BootA
		if s.Name == "b" {
			want = sp.BootB
		}
		// A slot is longer than its image only in tests with bigger slots.
		if boot == sum(t, want) && root == sum(t, sp.Root) {
			return sp.Version
		}
	}
	return ""
}

// bootWorking powers on until a slot that works is running (a broken one
// panics into the watchdog, which clears nothing but the one boot).
func (c *card) bootWorking(t *testing.T, specs ...Spec) (Slot, string) {
	t.Helper()
	for range 2 {
		s := c.powerOn(t)
		if v := c.version(t, s, specs...); v != "" {
			return s, v
		}
	}
	t.Fatalf("no working slot after two power-ons (boots %s)", c.fw.how)
	return Slot{}, ""
}

// powerStorage holds writes until Sync and can cut the power at its Nth
// operation (a write of up to 4 KiB, a sync, a file step).
type powerStorage struct {
	cut, ops int
	dead     bool
}

func (p *powerStorage) tick() error {
	if p.dead {
		return errPowerCut
	}
	p.ops++
	if p.cut > 0 && p.ops >= p.cut {
		p.dead = true
		return errPowerCut
	}
	return nil
}

type pending struct {
	off int64
	b   []byte
}

type powerDev struct {
	f       *os.File
	p       *powerStorage
	pending []pending
}

func (p *powerStorage) OpenDevice(path string) (Device, error) {
	if p.dead {
		return nil, errPowerCut
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	return &powerDev{f: f, p: p}, nil
}

func (d *powerDev) WriteAt(b []byte, off int64) (int, error) {
	for i := 0; i < len(b); i += 4096 {
		chunk := b[i:min(i+4096, len(b))]
		if err := d.p.tick(); err != nil {
			// The sector under way may be torn: half of it reaches the card.
			d.f.WriteAt(chunk[:len(chunk)/2], off+int64(i))
			return i, err
		}
		d.pending = append(d.pending, pending{off + int64(i), bytes.Clone(chunk)})
	}
	return len(b), nil
}

func (d *powerDev) ReadAt(b []byte, off int64) (int, error) {
	if d.p.dead {
		return 0, errPowerCut
	}
	n, err := d.f.ReadAt(b, off)
	for _, w := range d.pending { // what the page cache would show
		for i, c := range w.b {
			if j := w.off + int64(i) - off; j >= 0 && j < int64(n) {
				b[j] = c
			}
		}
	}
	return n, err
}

func (d *powerDev) Sync() error {
	if err := d.p.tick(); err != nil {
		return err
	}
	for _, w := range d.pending {
		if _, err := d.f.WriteAt(w.b, w.off); err != nil {
			return err
		}
	}
	d.pending = nil
	return d.f.Sync()
}

func (d *powerDev) Close() error { return d.f.Close() }

func (p *powerStorage) WriteFileAtomic(path string, b []byte) error {
	if err := p.tick(); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	if err := p.tick(); err != nil {
		return err // the temporary file is written; the state is the old one
	}
	return os.Rename(tmp, path)
}

func (c *card) installer(ps *powerStorage, serial uint64) *Installer {
	return &Installer{Layout: c.layout, Storage: ps, Firmware: c.fw, State: StateStore{Dir: filepath.Join(c.data, "update"), FS: ps},
		Keys: []ed25519.PublicKey{c.rel.pub}, RunningSerial: serial}
}

func (c *card) committer(ps *powerStorage) *Committer {
	return &Committer{Layout: c.layout, Storage: ps, Firmware: c.fw, State: StateStore{Dir: filepath.Join(c.data, "update"), FS: ps}}
}

func fileSource(path string) Source { return func() (io.ReadCloser, error) { return os.Open(path) } }

var _ = context.Background
