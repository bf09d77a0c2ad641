//go:build unix

// The printer device and its node checks are Unix character devices; the
// encoder, decoder and slip layout build everywhere (kioskctl receipt preview).

package escpos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/villagehall/kiosk/kiosk"
)

// Port is the byte pipe to a printer: /dev/usb/lpN, or a fake in tests.
// Reads return real-time status answers. Both deadlines must wake an
// operation already blocked (as os.File's do for pollable nodes): that is
// how a stalled printer and a cancelled context stop a slip.
type Port interface {
	io.ReadWriter
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
}

// Options configure a Device.
type Options struct {
	Width    Width
	Kanji    bool // printer has Japanese fonts and GS ( k
	NativeQR bool // printer understands GS ( k (usually true with Kanji)
	Font     *Font
	// StatusTimeout bounds each DLE EOT answer. Many cheap printers never
	// answer: the status is then unknown and the slip is still printed.
	StatusTimeout time.Duration
	// StallTimeout: a write that moves no byte for this long means the
	// printer stopped taking data (buffer full, hung firmware, a node
	// nobody reads). Default 3 s.
	StallTimeout time.Duration
	// MaxPrintTime caps one slip however slowly the printer trickles it
	// in, whatever the caller's context says. Default 20 s.
	MaxPrintTime time.Duration
	Logger       *slog.Logger
	Now          func() time.Time // health timestamps; default time.Now
}

func (o Options) withDefaults() Options {
	if o.Width == 0 {
		o.Width = Width58
	}
	if o.StatusTimeout <= 0 {
		o.StatusTimeout = 200 * time.Millisecond
	}
	if o.StallTimeout <= 0 {
		o.StallTimeout = 3 * time.Second
	}
	if o.MaxPrintTime <= 0 {
		o.MaxPrintTime = 20 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Font == nil {
		o.Font = DefaultFont()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Status is the printer's real-time state. Known is false when the printer
// did not answer; Note then says why, and the other fields are meaningless.
type Status struct {
	Known     bool
	Offline   bool
	CoverOpen bool
	PaperOut  bool
	PaperLow  bool
	Error     bool
	Note      string // why the status is unknown, e.g. "no answer to DLE EOT"
}

// Ready reports whether printing can start: an unknown status counts as
// ready, because refusing to print on silent printers helps nobody.
func (s Status) Ready() bool {
	return !s.Known || !(s.Offline || s.CoverOpen || s.PaperOut || s.Error)
}

// State names the status for the screen, the journal and the heartbeat.
func (s Status) State() kiosk.PrinterState {
	switch {
	case !s.Known:
		return kiosk.PrinterUnknown
	case s.PaperOut:
		return kiosk.PrinterPaperOut
	case s.CoverOpen:
		return kiosk.PrinterCoverOpen
	case s.Error:
		return kiosk.PrinterFailed
	case s.Offline:
		return kiosk.PrinterOffline
	}
	return kiosk.PrinterOK
}

// String is a one-line summary for a technician.
func (s Status) String() string {
	if !s.Known {
		return "unknown (" + s.Note + ")"
	}
	out := "online"
	if s.Offline {
		out = "offline"
	}
	for _, f := range []struct {
		on   bool
		what string
	}{{s.CoverOpen, "cover open"}, {s.PaperOut, "paper out"}, {s.PaperLow, "paper low"}, {s.Error, "error"}} {
		if f.on {
			out += ", " + f.what
		}
	}
	if !s.PaperOut && !s.PaperLow {
		out += ", paper ok"
	}
	return out
}

// Why a status is unknown.
const (
	noteNoAnswer       = "no answer to DLE EOT"
	noteUnidirectional = "unidirectional: the device cannot send data back (read: EINVAL)"
	noteEOF            = "the device reads as end of file: no status channel"
	noteGarbage        = "the answer to DLE EOT is not a status byte"
)

// Device is a printer on a Port. It implements kiosk.Printer.
type Device struct {
	opts   Options
	port   Port
	closer io.Closer
	node   Node
	health *kiosk.HealthCell
	mu     sync.Mutex // one slip (and one status exchange) at a time
	// probeMu guards probeStop, which cancels a running Probe so that a
	// slip never waits behind a background query of a stalled printer.
	probeMu      sync.Mutex
	probeStop    context.CancelFunc
	slipsWaiting int
	// unidirectional is set once a read fails with EINVAL (usblp on a
	// printer without a back channel): status is not asked again.
	unidirectional bool
}

var _ kiosk.Printer = (*Device)(nil)

// New wraps an open port; tests pass escpostest.Printer or an os.Pipe pair.
func New(p Port, opts Options) *Device {
	opts = opts.withDefaults()
	d := &Device{opts: opts, port: p, health: kiosk.NewHealthCell("printer", string(kiosk.PrinterUnknown), "not asked yet", opts.Now())}
	if c, ok := p.(io.Closer); ok {
		d.closer = c
	}
	return d
}

// Open opens a printer node such as /dev/usb/lp0. It refuses what cannot
// be a printer (a regular file, a FIFO, /dev/null) with a PrinterError in
// state absent that says what the path is. The node is opened non-blocking
// and without becoming a controlling terminal, so Go's poller can put
// deadlines on every write and read; on a node the poller cannot watch,
// EAGAIN is retried until the same deadlines.
func Open(path string, opts Options) (*Device, error) {
	opts = opts.withDefaults()
	if !opts.Kanji && opts.Font == nil {
		return nil, &kiosk.PrinterError{State: kiosk.PrinterFailed, Err: fmt.Errorf("escpos: %s: no CJK font for raster text (install fonts-ipafont-gothic)", path)}
	}
	// Look before opening: opening some nodes has effects (a FIFO, a tty).
	if n, err := Inspect(path); err != nil {
		return nil, &kiosk.PrinterError{State: kiosk.PrinterAbsent, Err: err}
	} else if !n.CanPrint() {
		return nil, &kiosk.PrinterError{State: kiosk.PrinterAbsent, Err: errors.New("escpos: " + n.String())}
	}
	const flags = unix.O_NONBLOCK | unix.O_CLOEXEC | unix.O_NOCTTY
	fd, err := unix.Open(path, unix.O_RDWR|flags, 0)
	readable := true
	if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
		// Write permission only: print without status.
		fd, err = unix.Open(path, unix.O_WRONLY|flags, 0)
		readable = false
	}
	if err != nil {
		return nil, &kiosk.PrinterError{State: kiosk.PrinterAbsent, Err: fmt.Errorf("escpos: open %s: %w", path, err)}
	}
	f := os.NewFile(uintptr(fd), path)
	n, err := inspectFile(f) // the node opened, not the one looked at
	if err == nil && !n.CanPrint() {
		err = errors.New("escpos: " + n.String())
	}
	if err != nil {
		f.Close()
		return nil, &kiosk.PrinterError{State: kiosk.PrinterAbsent, Err: err}
	}
	if err := f.SetWriteDeadline(time.Time{}); err != nil {
		opts.Logger.Warn("printer node cannot be polled; writes retry EAGAIN until the deadline", "path", path, "err", err)
	}
	d := New(f, opts)
	d.node = n
	d.unidirectional = !readable
	opts.Logger.Info("printer opened", "node", n.String(), "status_channel", readable)
	return d, nil
}

// Node is what Open found at the path (zero for a Device made with New).
func (d *Device) Node() Node { return d.node }

// Health is the printer's state as last seen by a slip or a status query.
func (d *Device) Health() kiosk.DeviceHealth { return d.health.Get() }

// Close closes the port if it can be closed.
func (d *Device) Close() error {
	if d.closer == nil {
		return nil
	}
	return d.closer.Close()
}

// Status asks the printer with DLE EOT 1, then 2 and 4 for the details.
// A printer that cannot or does not answer yields Status{Known: false} and
// no error; a write that stalls or fails is a *kiosk.PrinterError. Every
// exchange is bounded by the device's own timeouts, whatever ctx says.
func (d *Device) Status(ctx context.Context) (Status, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st, err := d.status(ctx)
	d.record(st, err)
	return st, err
}

// Probe is Status for a background check (the heartbeat's printer state):
// a slip that comes along cancels it rather than wait for its timeouts,
// and it does not wait for a slip in progress.
func (d *Device) Probe(ctx context.Context) (Status, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if !d.mu.TryLock() {
		return Status{}, fmt.Errorf("escpos: probe: %w", errBusy)
	}
	defer d.mu.Unlock()
	d.probeMu.Lock()
	if d.slipsWaiting > 0 { // a slip came between the two locks: let it go first
		d.probeMu.Unlock()
		return Status{}, fmt.Errorf("escpos: probe: %w", errBusy)
	}
	d.probeStop = cancel
	d.probeMu.Unlock()
	defer func() {
		d.probeMu.Lock()
		d.probeStop = nil
		d.probeMu.Unlock()
	}()
	st, err := d.status(ctx)
	d.record(st, err)
	return st, err
}

// errBusy: a slip is being printed; its outcome will say how the printer is.
var errBusy = errors.New("printer busy with a slip")

// lockForSlip takes the device for a slip, cancelling a running Probe
// instead of waiting for its timeouts.
func (d *Device) lockForSlip() {
	d.probeMu.Lock()
	d.slipsWaiting++
	if d.probeStop != nil {
		d.probeStop()
	}
	d.probeMu.Unlock()
	d.mu.Lock()
	d.probeMu.Lock()
	d.slipsWaiting--
	d.probeMu.Unlock()
}

func (d *Device) status(ctx context.Context) (Status, error) {
	if d.unidirectional {
		return Status{Note: noteUnidirectional}, nil
	}
	d.drain()
	b, note, err := d.query(ctx, 1)
	if err != nil || note != "" {
		return Status{Note: note}, err
	}
	st := Status{Known: true, Offline: b&0x08 != 0}
	if st.Offline {
		if c, note, err := d.query(ctx, 2); err != nil {
			return st, err
		} else if note == "" {
			st.CoverOpen = c&0x04 != 0
			st.PaperOut = c&0x20 != 0
			st.Error = c&0x40 != 0
		}
	}
	if p, note, err := d.query(ctx, 4); err != nil {
		return st, err
	} else if note == "" {
		st.PaperLow = p&0x0c != 0
		st.PaperOut = st.PaperOut || p&0x60 != 0
	}
	return st, nil
}

// query sends DLE EOT n and reads one status byte. A note instead of a
// byte says why there is no answer: none in time, a byte lacking the fixed
// bits every status byte carries (bit 1 and 4 set, 0 and 7 clear), end of
// file, or a node that cannot be read (usblp answers EINVAL on printers
// without a back channel; then status is never asked again).
func (d *Device) query(ctx context.Context, n byte) (b byte, note string, err error) {
	if err := d.writeAll(ctx, []byte{dle, eot, n}, d.opts.StallTimeout); err != nil {
		return 0, "", fmt.Errorf("escpos: status request: %w", err)
	}
	deadline := time.Now().Add(d.opts.StatusTimeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	stop := context.AfterFunc(ctx, func() { _ = d.port.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	note = noteNoAnswer
	var buf [1]byte
	for time.Now().Before(deadline) && ctx.Err() == nil {
		_ = d.port.SetReadDeadline(deadline) // not pollable: EAGAIN below, retried until deadline
		nr, rerr := d.port.Read(buf[:])
		switch {
		case nr == 1 && buf[0]&0x93 == 0x12:
			return buf[0], "", nil
		case nr == 1:
			note = noteGarbage // a late or stray byte; the answer may follow
		case errors.Is(rerr, unix.EINVAL):
			d.unidirectional = true
			d.opts.Logger.Info("printer has no back channel; printing without status", "path", d.node.Path)
			return 0, noteUnidirectional, nil
		case errors.Is(rerr, io.EOF):
			return 0, noteEOF, nil
		case errors.Is(rerr, os.ErrDeadlineExceeded):
			// the loop condition ends it
		case rerr == nil, errors.Is(rerr, unix.EAGAIN): // nothing yet on a port without deadlines
			sleepCtx(ctx, 5*time.Millisecond)
		default:
			return 0, "", d.fail(fmt.Errorf("escpos: status read: %w", rerr))
		}
	}
	return 0, note, nil
}

// drain discards late answers to an earlier request so they are not read
// as the answer to the next one.
func (d *Device) drain() {
	var buf [16]byte
	for range 4 {
		if d.port.SetReadDeadline(time.Now()) != nil {
			return
		}
		if n, _ := d.port.Read(buf[:]); n == 0 {
			return
		}
	}
}

// writeAll writes data within the device's deadlines: no progress for
// stall is a stalled printer, and MaxPrintTime caps the whole write. A
// cancelled ctx stops a blocked write at once (the slip is then cut
// short: it is the caller's choice).
func (d *Device) writeAll(ctx context.Context, data []byte, stall time.Duration) error {
	start := time.Now()
	hard := start.Add(d.opts.MaxPrintTime)
	progress := start.Add(stall)
	stop := context.AfterFunc(ctx, func() { _ = d.port.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	defer d.port.SetWriteDeadline(time.Time{})
	sent := 0
	for len(data) > 0 {
		limit := progress
		if hard.Before(limit) {
			limit = hard
		}
		_ = d.port.SetWriteDeadline(limit) // not pollable: EAGAIN below, retried until limit
		if err := ctx.Err(); err != nil {  // after the deadline is set: AfterFunc cannot be undone
			return fmt.Errorf("escpos: write cancelled after %d bytes: %w", sent, err)
		}
		n, err := d.port.Write(data)
		data, sent = data[n:], sent+n
		now := time.Now()
		if n > 0 {
			progress = now.Add(stall)
		}
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return fmt.Errorf("escpos: write cancelled after %d bytes: %w", sent, ctx.Err())
		case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, unix.EAGAIN):
			if !now.Before(hard) {
				return &kiosk.PrinterError{State: kiosk.PrinterStalled, Err: fmt.Errorf("escpos: %d bytes in %v, still not done: %w", sent, d.opts.MaxPrintTime, kiosk.ErrPrinterStalled)}
			}
			if !now.Before(progress) {
				return &kiosk.PrinterError{State: kiosk.PrinterStalled, Err: fmt.Errorf("escpos: no byte taken for %v after %d bytes: %w", stall, sent, kiosk.ErrPrinterStalled)}
			}
			if errors.Is(err, unix.EAGAIN) {
				sleepCtx(ctx, 5*time.Millisecond)
			}
		default:
			return d.fail(fmt.Errorf("escpos: write after %d bytes: %w", sent, err))
		}
	}
	return nil
}

// fail classifies an I/O error from the node. usblp answers ENODEV once
// unplugged, ENOSPC when the printer says it is out of paper and EIO when
// it is offline or in error; a pty answers EIO once its far end hung up.
func (d *Device) fail(err error) error {
	state := kiosk.PrinterFailed
	switch {
	case errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENXIO), errors.Is(err, os.ErrClosed):
		state = kiosk.PrinterAbsent
	case errors.Is(err, unix.ENOSPC):
		state = kiosk.PrinterPaperOut
	case errors.Is(err, unix.EIO):
		state = kiosk.PrinterOffline
	}
	return &kiosk.PrinterError{State: state, Err: err}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// record updates the health from a status or a print and logs a change.
func (d *Device) record(st Status, err error) {
	state, detail := st.State(), st.Note
	if err != nil {
		state, detail = kiosk.PrinterStateOf(err), err.Error()
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errBusy) {
			return // the caller gave up; says nothing about the printer
		}
	}
	if !d.health.Set(string(state), detail, d.opts.Now()) {
		return
	}
	switch state {
	case kiosk.PrinterOK, kiosk.PrinterUnknown:
		d.opts.Logger.Info("printer state", "state", state, "detail", detail)
	default:
		d.opts.Logger.Warn("printer state", "state", state, "detail", detail)
	}
}

// Print checks the status, writes the slip and checks again: paper can run
// out in the middle of a slip. Errors are *kiosk.PrinterError (they match
// kiosk.ErrPrinterUnavailable) or the caller's context error.
func (d *Device) Print(ctx context.Context, s kiosk.Slip) error {
	data := Layout{Width: d.opts.Width, Kanji: d.opts.Kanji, NativeQR: d.opts.NativeQR, Font: d.opts.Font}.Render(s)
	return d.Write(ctx, data)
}

// Write sends already-encoded bytes with the same status checks as Print.
func (d *Device) Write(ctx context.Context, data []byte) error {
	d.lockForSlip()
	defer d.mu.Unlock()
	st, err := d.write(ctx, data)
	d.record(st, err)
	return err
}

func (d *Device) write(ctx context.Context, data []byte) (Status, error) {
	if err := ctx.Err(); err != nil {
		return Status{}, fmt.Errorf("escpos: print: %w", err)
	}
	st, err := d.status(ctx)
	if err != nil {
		return st, err
	}
	if !st.Known {
		d.opts.Logger.Debug("printer status unknown; printing anyway", "why", st.Note)
	}
	if !st.Ready() {
		return st, &kiosk.PrinterError{State: st.State(), Err: fmt.Errorf("escpos: %s", st)}
	}
	if err := d.writeAll(ctx, data, d.opts.StallTimeout); err != nil {
		return st, fmt.Errorf("escpos: slip: %w", err)
	}
	after, err := d.status(ctx)
	if err != nil {
		return after, err
	}
	if !after.Ready() {
		return after, &kiosk.PrinterError{State: after.State(), Err: fmt.Errorf("escpos: %s after printing, slip may be incomplete", after)}
	}
	return after, nil
}
