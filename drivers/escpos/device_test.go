package escpos_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/escpos"
	"github.com/villagehall/kiosk/drivers/escpos/escpostest"
	"github.com/villagehall/kiosk/kiosk"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fast keeps the fakes' timeouts short; a stall must still end the slip
// by itself, so no test below gives Print a deadline.
func fast() escpos.Options {
	return escpos.Options{Width: escpos.Width58, Kanji: true, NativeQR: true, StatusTimeout: 20 * time.Millisecond,
		StallTimeout: 100 * time.Millisecond, Logger: quiet}
}

// bound is far above any timeout in fast(): exceeding it means a hang.
const bound = 10 * time.Second

// await is what ch delivers; waiting longer than bound fails the test.
func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(bound):
		t.Fatalf("%s: hung", what)
	}
	var zero T
	return zero
}

func TestDevicePrint(t *testing.T) {
	slip := sample("pin-changed")
	want := escpos.RenderSlip(slip, escpos.Width58, true)
	tests := []struct {
		name        string
		setup       func(p *escpostest.Printer)
		wantState   kiosk.PrinterState // the error's state; ok = no error; health after a success
		wantPrinted bool
	}{
		{"healthy", func(p *escpostest.Printer) {}, kiosk.PrinterOK, true},
		{"paper out", func(p *escpostest.Printer) { p.PaperOut() }, kiosk.PrinterPaperOut, false},
		{"cover open", func(p *escpostest.Printer) {
			p.SetStatus(escpostest.StatusOffline, escpostest.CauseCoverOpen, escpostest.PaperOK)
		}, kiosk.PrinterCoverOpen, false},
		{"offline, no cause given", func(p *escpostest.Printer) {
			p.SetStatus(escpostest.StatusOffline, escpostest.CauseNone, escpostest.PaperOK)
		}, kiosk.PrinterOffline, false},
		{"paper near end still prints", func(p *escpostest.Printer) {
			p.SetStatus(escpostest.StatusOnline, escpostest.CauseNone, escpostest.PaperNearEnd)
		}, kiosk.PrinterOK, true},
		{"never answers: unknown, still printed", func(p *escpostest.Printer) { p.Silent() }, kiosk.PrinterUnknown, true},
		{"answers garbage: unknown, still printed", func(p *escpostest.Printer) { p.Garbage(0xff) }, kiosk.PrinterUnknown, true},
		{"unidirectional (EINVAL on read): unknown, still printed", func(p *escpostest.Printer) { p.Unidirectional() }, kiosk.PrinterUnknown, true},
		{"unplugged (ENODEV)", func(p *escpostest.Printer) { p.FailWrites(syscall.ENODEV) }, kiosk.PrinterAbsent, false},
		{"write refused (EPIPE)", func(p *escpostest.Printer) { p.FailWrites(syscall.EPIPE) }, kiosk.PrinterFailed, false},
		{"takes no byte at all", func(p *escpostest.Printer) { p.Stall() }, kiosk.PrinterStalled, false},
		{"stalls in the middle of the slip", func(p *escpostest.Printer) { p.StallAfter(3*4 + 200) }, kiosk.PrinterStalled, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := escpostest.New()
			tt.setup(p)
			d := escpos.New(p, fast())
			done := make(chan error, 1)
			go func() { done <- d.Print(context.Background(), slip) }()
			err := await(t, done, "Print") // a stall must end it without a context deadline
			wantErr := !tt.wantPrinted
			if (err != nil) != wantErr {
				t.Fatalf("Print error = %v, want error %v", err, wantErr)
			}
			if err != nil {
				if !errors.Is(err, kiosk.ErrPrinterUnavailable) {
					t.Errorf("error %v does not match ErrPrinterUnavailable", err)
				}
				if got := kiosk.PrinterStateOf(err); got != tt.wantState {
					t.Errorf("state of %v = %s, want %s", err, got, tt.wantState)
				}
			}
			if got := d.Health().State; got != string(tt.wantState) {
				t.Errorf("health %+v, want state %s", d.Health(), tt.wantState)
			}
			if got := bytes.Equal(p.Printed(), want); got != tt.wantPrinted {
				t.Errorf("slip printed = %v, want %v (%d bytes received)", got, tt.wantPrinted, len(p.Printed()))
			}
		})
	}
}

func TestDeviceStallIsTyped(t *testing.T) {
	p := escpostest.New()
	p.Stall()
	err := escpos.New(p, fast()).Print(context.Background(), sample("renewal"))
	if !errors.Is(err, kiosk.ErrPrinterStalled) || !errors.Is(err, kiosk.ErrPrinterUnavailable) {
		t.Fatalf("stalled print: %v; want ErrPrinterStalled and ErrPrinterUnavailable", err)
	}
	if d := kiosk.PrinterDetail(err); d != "printer_stalled" {
		t.Errorf("journal detail %q, want printer_stalled", d)
	}
}

// TestDeviceUnidirectional: after one EINVAL the device stops asking, so
// a printer without a back channel costs nothing per slip.
func TestDeviceUnidirectional(t *testing.T) {
	p := escpostest.New()
	p.Unidirectional()
	d := escpos.New(p, fast())
	slip := sample("renewal")
	for i := range 3 {
		if err := d.Print(context.Background(), slip); err != nil {
			t.Fatalf("print %d: %v", i, err)
		}
	}
	if n := p.Requests(); n != 1 {
		t.Errorf("%d DLE EOT requests for 3 slips, want 1 (the one that found out)", n)
	}
	st, err := d.Status(context.Background())
	if err != nil || st.Known || !strings.Contains(st.Note, "EINVAL") {
		t.Errorf("status %+v, %v; want unknown saying EINVAL", st, err)
	}
}

// TestDeviceCancelWakesBlockedWrite: with a stall timeout of an hour,
// only the caller's cancellation can end the write, and it does at once.
func TestDeviceCancelWakesBlockedWrite(t *testing.T) {
	p := escpostest.New()
	p.StallAfter(100)
	opts := fast()
	opts.StallTimeout, opts.MaxPrintTime = time.Hour, time.Hour
	d := escpos.New(p, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Print(ctx, sample("renewal")) }()
	for !p.Waiting() {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := await(t, done, "cancel waking the blocked write"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled print: %v, want context.Canceled", err)
	}
	if h := d.Health(); h.State == string(kiosk.PrinterStalled) {
		t.Errorf("a cancelled print blamed the printer: %+v", h)
	}
}

func TestDeviceHealthSince(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	opts := fast()
	opts.Now = func() time.Time { return now }
	p := escpostest.New()
	d := escpos.New(p, opts)
	if _, err := d.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	if h := d.Health(); h.Name != "printer" || h.State != "ok" || !h.Since.Equal(now) {
		t.Fatalf("health %+v", h)
	}
	p.PaperOut()
	now = now.Add(time.Minute)
	_, _ = d.Status(context.Background())
	now = now.Add(time.Minute)
	_, _ = d.Status(context.Background())
	if h := d.Health(); h.State != "paper_out" || !h.Since.Equal(time.Unix(1_700_000_060, 0)) {
		t.Errorf("health %+v, want paper_out since the first query that saw it", h)
	}
}

func TestDeviceStatus(t *testing.T) {
	p := escpostest.New()
	d := escpos.New(p, fast())
	p.PaperOut()
	st, err := d.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !st.Known || !st.PaperOut || !st.Offline || st.Ready() || st.State() != kiosk.PrinterPaperOut {
		t.Errorf("paper-out status = %+v", st)
	}
	p.Silent()
	st, err = d.Status(context.Background())
	if err != nil || st.Known || !st.Ready() || st.Note != "no answer to DLE EOT" {
		t.Errorf("silent printer: status %+v, err %v; want unknown (no answer) and ready", st, err)
	}
}

// TestDeviceOnPipes runs the device over a real file pair (os.Pipe), so
// deadlines go through Go's poller as with /dev/usb/lp0.
func TestDeviceOnPipes(t *testing.T) {
	toPrinter, hostW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	hostR, fromPrinter, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, f := range []*os.File{toPrinter, hostW, hostR, fromPrinter} {
			f.Close()
		}
	}()
	received := make(chan []byte, 1)
	go func() { // the printer: reads everything, answers nothing
		var all bytes.Buffer
		buf := make([]byte, 4096)
		for {
			n, err := toPrinter.Read(buf)
			all.Write(buf[:n])
			if err != nil {
				received <- all.Bytes()
				return
			}
		}
	}()
	d := escpos.New(pipePort{hostR, hostW}, fast())
	slip := sample("renewal")
	if err := d.Print(context.Background(), slip); err != nil {
		t.Fatalf("silent printer on pipes: %v", err)
	}
	hostW.Close()
	if got := await(t, received, "the printer side seeing EOF"); !bytes.Contains(got, escpos.RenderSlip(slip, escpos.Width58, true)) {
		t.Error("slip bytes did not reach the printer")
	}
}

type pipePort struct {
	r *os.File
	w *os.File
}

func (p pipePort) Read(b []byte) (int, error)         { return p.r.Read(b) }
func (p pipePort) Write(b []byte) (int, error)        { return p.w.Write(b) }
func (p pipePort) SetReadDeadline(t time.Time) error  { return p.r.SetReadDeadline(t) }
func (p pipePort) SetWriteDeadline(t time.Time) error { return p.w.SetWriteDeadline(t) }

// TestOpenStalledPTY: a real character device whose far end never reads.
// Print fails by itself, stalled, though its context never ends; once the
// far end reads again the next slip goes through.
func TestOpenStalledPTY(t *testing.T) {
	pty := escpostest.StalledPTY(t)
	d, err := escpos.Open(pty.Path, fast())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if k := d.Node().Kind; k != escpos.NodePTY {
		t.Errorf("node kind %v, want pty: %s", k, d.Node())
	}
	slip := sample("pin-changed")
	done := make(chan error, 1)
	go func() { done <- d.Print(context.Background(), slip) }()
	if err := await(t, done, "Print on a stalled pty"); kiosk.PrinterStateOf(err) != kiosk.PrinterStalled {
		t.Fatalf("Print on a stalled pty: %v, want stalled", err)
	}
	if h := d.Health(); h.State != "stalled" {
		t.Errorf("health %+v", h)
	}

	// The printer reads again: everything the buffer held, then the slip.
	got := pty.ReadUntil([]byte(slip.Reference))
	if err := d.Print(context.Background(), slip); err != nil {
		t.Fatalf("print after the printer recovered: %v", err)
	}
	if all := await(t, got, "the slip reaching the pty"); !bytes.Contains(all, []byte(slip.Reference)) {
		t.Error("the slip did not reach the pty")
	}
	if h := d.Health(); h.State != "unknown" {
		t.Errorf("health after printing on a pty that never answers: %+v", h)
	}
}

func TestOpenRefusesNonPrinters(t *testing.T) {
	for _, np := range escpostest.NonPrinters(t) {
		t.Run(filepath.Base(np.Path), func(t *testing.T) {
			_, err := escpos.Open(np.Path, fast())
			if err == nil || !strings.Contains(err.Error(), np.Says) {
				t.Fatalf("Open(%s) = %v, want an error saying %q", np.Path, err, np.Says)
			}
			if !errors.Is(err, kiosk.ErrPrinterUnavailable) || kiosk.PrinterStateOf(err) != kiosk.PrinterAbsent {
				t.Errorf("Open(%s): %v is not a printer error in state absent", np.Path, err)
			}
		})
	}
}

func TestDirPrinter(t *testing.T) {
	dir := t.TempDir()
	p, err := escpos.NewDirPrinter(dir, escpos.Layout{Width: escpos.Width80, Kanji: true, NativeQR: true})
	if err != nil {
		t.Fatal(err)
	}
	slip := sample("sign-locked")
	if err := p.Print(context.Background(), slip); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{".bin", ".txt", ".png"} {
		m, _ := filepath.Glob(filepath.Join(dir, "*"+slip.Reference+ext))
		if len(m) != 1 {
			t.Errorf("%s files: %v", ext, m)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o600); err != nil { // a file where the directory was
		t.Fatal(err)
	}
	if err := p.Print(context.Background(), slip); !errors.Is(err, kiosk.ErrPrinterUnavailable) {
		t.Errorf("Print into a missing dir = %v, want ErrPrinterUnavailable", err)
	}
}

// TestPathPrinterReopens: a printer switched on after the kiosk, then
// unplugged (its node answers EIO) and plugged back in as a new node, is
// used each time without a restart. The path is a symlink, moved to each
// new pty as udev would recreate /dev/usb/lp0.
func TestPathPrinterReopens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lp0")
	p := escpos.NewPathPrinter(path, fast())
	defer p.Close()
	slip := sample("renewal")
	if err := p.Print(context.Background(), slip); kiosk.PrinterStateOf(err) != kiosk.PrinterAbsent {
		t.Fatalf("no printer yet: %v, want absent", err)
	}
	if h := p.Health(); h.State != "absent" || !strings.Contains(h.Detail, "no such device") {
		t.Errorf("health %+v", h)
	}
	plug := func() (*escpostest.PTY, <-chan []byte) {
		t.Helper()
		pty, err := escpostest.NewPTY()
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(path)
		if err := os.Symlink(pty.Path, path); err != nil {
			t.Fatal(err)
		}
		return pty, pty.ReadUntil([]byte(slip.Reference))
	}
	for round := range 2 {
		pty, got := plug()
		if err := p.Print(context.Background(), slip); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if all := await(t, got, "the slip"); !bytes.Contains(all, []byte(slip.Reference)) {
			t.Fatalf("round %d: slip not received", round)
		}
		pty.Close() // unplugged: the open descriptor now answers EIO
		if err := p.Print(context.Background(), slip); err == nil {
			t.Fatalf("round %d: printing to an unplugged printer succeeded", round)
		}
	}
}

// TestProbeGivesWayToSlip: a background status query stuck on a stalled
// printer is cancelled by a slip, which then gets its own full chance.
func TestProbeGivesWayToSlip(t *testing.T) {
	p := escpostest.New()
	p.Stall()
	opts := fast()
	opts.StallTimeout, opts.MaxPrintTime = time.Hour, time.Hour // only the slip can end the probe
	d := escpos.New(p, opts)
	probed := make(chan error, 1)
	go func() { _, err := d.Probe(context.Background()); probed <- err }()
	for !p.Waiting() {
		time.Sleep(time.Millisecond)
	}
	printed := make(chan error, 1)
	go func() { printed <- d.Print(context.Background(), sample("renewal")) }()
	if err := await(t, probed, "the slip cancelling the probe"); !errors.Is(err, context.Canceled) {
		t.Errorf("probe: %v, want cancelled", err)
	}
	for !p.Waiting() { // the slip's own status request, on the still stalled printer
		time.Sleep(time.Millisecond)
	}
	p.StallAfter(-1)
	if err := await(t, printed, "the print after recovery"); err != nil {
		t.Errorf("print after the printer recovered: %v", err)
	}
	if _, err := d.Probe(context.Background()); err != nil {
		t.Errorf("probe on a healthy printer: %v", err)
	}
}
