package update

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Source opens the bundle; Apply opens it twice (verify, then write) and
// checks the second reading against the first.
type Source func() (io.ReadCloser, error)

// Progress is what the screen and kioskctl show while an update runs.
type Progress struct {
	Step    string // "verify", "write", "readback", "reboot"
	Done    int64  // bytes
	Total   int64
	Version string // the bundle's, once its signature was checked
}

// Installer writes a bundle into the slot that is not running.
type Installer struct {
	Layout        Layout
	Storage       Storage
	Firmware      Firmware
	State         StateStore
	Keys          []ed25519.PublicKey
	Board         string // Board when empty
	RunningSerial uint64 // /etc/kiosk-release's SERIAL
	Progress      func(Progress)
	Log           *slog.Logger
	Now           func() time.Time
	// Offered is what the source said it carries (the collector's offer),
	// recorded with a refusal when the bundle itself could not say, so a
	// refused release is not fetched again and again.
	Offered Release
	// Preflight, when set, says whether this kiosk can take a trial boot at
	// all; it runs before the bundle is read, so a kiosk that cannot does
	// not spend minutes writing a slot it would never boot.
	Preflight func() error

	version string // the bundle's, once verified: for Progress
}

// ErrTrialUnderWay: a trial boot is running; it commits or falls back first.
var ErrTrialUnderWay = errors.New("update: a trial boot is under way; it must commit or fall back first")

// Apply verifies the bundle, writes the inactive slot, reads it back and asks
// the firmware for one trial boot of it. It never opens the running slot's
// devices. A refused bundle is recorded (phase failed, with its reason) and
// returned as a *Refusal. On success it returns after RebootTryboot.
func (in *Installer) Apply(ctx context.Context, src Source, source string) (*Manifest, error) {
	if err := in.Layout.check(); err != nil {
		return nil, err
	}
	running, target, err := in.slots()
	if err != nil {
		return nil, err
	}
	st, err := in.State.Load()
	if err != nil {
		return nil, err
	}
	if in.Preflight != nil {
		if err := in.Preflight(); err != nil {
			return nil, in.fail(st, Release{Slot: target.Name, Version: in.Offered.Version, Serial: in.Offered.Serial}, source, refuse(ReasonNoTryboot, "%v", err))
		}
	}
	pol := Policy{Keys: in.Keys, Board: in.Board, MinSerial: max(in.RunningSerial, st.Committed.Serial)}
	m, err := in.verifyPass(ctx, src, pol)
	if err != nil {
		return nil, in.fail(st, Release{Slot: target.Name, Version: in.Offered.Version, Serial: in.Offered.Serial}, source, err)
	}
	rel := Release{Slot: target.Name, Version: m.Version, Serial: m.Serial}
	in.logger().Info("update: verified; writing the inactive slot", "version", m.Version, "serial", m.Serial, "running", running.Name, "target", target.Name, "source", source)
	st.Phase, st.Target, st.Reason, st.Detail, st.Source, st.At = PhaseWriting, rel, "", "", source, in.now()
	if err := in.State.Save(st); err != nil {
		return nil, err
	}
	if err := in.writePass(ctx, src, pol, m, target); err != nil {
		return nil, in.fail(st, rel, source, err)
	}
	if err := in.readBack(ctx, m, target); err != nil {
		return nil, in.fail(st, rel, source, err)
	}
	st.Phase, st.At = PhaseTrying, in.now()
	if err := in.State.Save(st); err != nil {
		return nil, err
	}
	in.report(Progress{Step: "reboot"})
	in.logger().Info("update: slot written and read back; trial boot", "target", target.Name, "version", m.Version)
	if err := in.Firmware.RebootTryboot(); err != nil {
		return m, fmt.Errorf("update: trial reboot: %w", err)
	}
	return m, nil
}

// slots returns the running slot and the target, refusing while a trial runs
// or when autoboot.txt does not name the running slot as committed. A
// [tryboot] line that does not name the target (a commit torn between the two
// digits) is put right first: it only changes the partition a trial tries.
func (in *Installer) slots() (running, target Slot, err error) {
	boot, err := in.Firmware.Boot()
	if err != nil {
		return running, target, fmt.Errorf("update: %w", err)
	}
	if boot.Tryboot {
		return running, target, ErrTrialUnderWay
	}
	running, ok := in.Layout.SlotOf(boot.Partition)
	if !ok {
		return running, target, fmt.Errorf("update: booted from partition %d, which is no slot", boot.Partition)
	}
	target = in.Layout.Other(running)
	ab, _, err := readAutoboot(in.Storage, in.Layout)
	if err != nil {
		return running, target, fmt.Errorf("update: %w", err)
	}
	if ab.Committed != running.BootPartition {
		return running, target, fmt.Errorf("%w (running partition %d, committed %d)", ErrTrialUnderWay, running.BootPartition, ab.Committed)
	}
	if ab.Try != target.BootPartition || !ab.AB {
		if err := writeAutoboot(in.Storage, in.Layout, running.BootPartition, target.BootPartition); err != nil {
			return running, target, fmt.Errorf("update: %w", err)
		}
	}
	return running, target, nil
}

func (in *Installer) verifyPass(ctx context.Context, src Source, pol Policy) (*Manifest, error) {
	r, err := src()
	if err != nil {
		return nil, fmt.Errorf("update: open bundle: %w", err)
	}
	defer r.Close()
	b, err := Open(r, pol)
	if err != nil {
		return nil, err
	}
	in.version = b.Manifest.Version
	total := totalSize(b.Manifest)
	if err := b.drain(ctx, func(n int64) { in.report(Progress{Step: "verify", Done: n, Total: total}) }); err != nil {
		return nil, err
	}
	return b.Manifest, nil
}

// writePass streams the bundle again, into the target slot's devices; the
// other slot's boot image is read (and checked) but written nowhere.
func (in *Installer) writePass(ctx context.Context, src Source, pol Policy, want *Manifest, target Slot) error {
	r, err := src()
	if err != nil {
		return fmt.Errorf("update: open bundle: %w", err)
	}
	defer r.Close()
	b, err := Open(r, pol)
	if err != nil {
		return err
	}
	if !sameManifest(b.Manifest, want) {
		return refuse(ReasonCorrupt, "the bundle changed between verifying and writing")
	}
	total, done := totalSize(want), int64(0)
	for {
		p, pr, err := b.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		dst := destination(p, target)
		prog := func(n int64) { in.report(Progress{Step: "write", Done: done + n, Total: total}) }
		if dst == "" {
			_, err = copyCtx(ctx, io.Discard, pr, prog)
		} else {
			err = in.writeDevice(ctx, dst, pr, prog)
		}
		done += p.Size
		if err != nil {
			return err
		}
	}
}

func destination(p Payload, target Slot) string {
	switch {
	case p.Kind == KindRoot:
		return target.Root
	case p.Kind == KindBoot && p.Slot == target.Name:
		return target.Boot
	}
	return ""
}

func (in *Installer) writeDevice(ctx context.Context, path string, r io.Reader, prog func(int64)) error {
	dev, err := in.Storage.OpenDevice(path)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	defer dev.Close()
	if _, err := copyCtx(ctx, &offsetWriter{dev: dev}, r, prog); err != nil {
		var re *Refusal
		if errors.As(err, &re) {
			return err
		}
		return fmt.Errorf("update: write %s: %w", path, err)
	}
	if err := dev.Sync(); err != nil {
		return fmt.Errorf("update: sync %s: %w", path, err)
	}
	return nil
}

// readBack hashes what the target's devices now hold.
func (in *Installer) readBack(ctx context.Context, m *Manifest, target Slot) error {
	boot, root := m.For(target.Name)
	for _, c := range []struct {
		p    Payload
		path string
	}{{boot, target.Boot}, {root, target.Root}} {
		dev, err := in.Storage.OpenDevice(c.path)
		if err != nil {
			return fmt.Errorf("update: read back: %w", err)
		}
		h := sha256.New()
		_, err = copyCtx(ctx, h, io.NewSectionReader(dev, 0, c.p.Size), func(n int64) { in.report(Progress{Step: "readback", Done: n, Total: c.p.Size}) })
		dev.Close()
		if err != nil {
			return fmt.Errorf("update: read back %s: %w", c.path, err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != c.p.SHA256 {
			return refuse(ReasonReadBack, "%s reads back as %s, wrote %s", c.path, got, c.p.SHA256)
		}
	}
	return nil
}

// fail records why an update did not go ahead and returns err.
func (in *Installer) fail(st State, rel Release, source string, err error) error {
	reason := string(ReasonOf(err))
	if reason == "" {
		reason = "error"
	}
	if errors.Is(err, context.Canceled) {
		reason = "cancelled"
	}
	st.Phase, st.Target, st.Reason, st.Detail, st.Source, st.At = PhaseFailed, rel, reason, err.Error(), source, in.now()
	in.logger().Warn("update: not installed", "reason", reason, "err", err)
	if serr := in.State.Save(st); serr != nil {
		return errors.Join(err, serr)
	}
	return err
}

func (in *Installer) report(p Progress) {
	p.Version = in.version
	if in.Progress != nil {
		in.Progress(p)
	}
}

func (in *Installer) logger() *slog.Logger { return logOrDiscard(in.Log) }
func (in *Installer) now() time.Time       { return nowOr(in.Now) }

func logOrDiscard(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.New(slog.DiscardHandler)
}

func nowOr(now func() time.Time) time.Time {
	if now != nil {
		return now()
	}
	return time.Now()
}

func totalSize(m *Manifest) int64 {
	var t int64
	for _, p := range m.Payloads {
		t += p.Size
	}
	return t
}

func sameManifest(a, b *Manifest) bool {
	if a.Serial != b.Serial || a.Version != b.Version || a.Board != b.Board || len(a.Payloads) != len(b.Payloads) {
		return false
	}
	for i := range a.Payloads {
		if a.Payloads[i] != b.Payloads[i] {
			return false
		}
	}
	return true
}

// copyCtx copies in 1 MiB steps, stopping when ctx ends, reporting bytes done.
func copyCtx(ctx context.Context, dst io.Writer, src io.Reader, prog func(int64)) (int64, error) {
	buf := make([]byte, 1<<20)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		k, rerr := src.Read(buf)
		if k > 0 {
			w, werr := dst.Write(buf[:k])
			n += int64(w)
			if werr != nil {
				return n, werr
			}
			prog(n)
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}
