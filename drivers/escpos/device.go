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
// Reads return real-time status answers; SetReadDeadline bounds them.
type Port interface {
	io.ReadWriter
	SetReadDeadline(t time.Time) error
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
	Logger        *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Width == 0 {
		o.Width = Width58
	}
	if o.StatusTimeout <= 0 {
		o.StatusTimeout = 200 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Font == nil {
		o.Font = DefaultFont()
	}
	return o
}

// Status is the printer's real-time state. Known is false when the printer
// did not answer in time; the other fields are then meaningless.
type Status struct {
	Known     bool
	Offline   bool
	CoverOpen bool
	PaperOut  bool
	PaperLow  bool
	Error     bool
}

// Ready reports whether printing can start: an unknown status counts as
// ready, because refusing to print on silent printers helps nobody.
func (s Status) Ready() bool {
	return !s.Known || !(s.Offline || s.CoverOpen || s.PaperOut || s.Error)
}

func (s Status) reason() string {
	switch {
	case s.PaperOut:
		return "paper out"
	case s.CoverOpen:
		return "cover open"
	case s.Error:
		return "printer error"
	case s.Offline:
		return "offline"
	}
	return "ready"
}

// Device is a printer on a Port. It implements kiosk.Printer.
type Device struct {
	opts   Options
	port   Port
	closer io.Closer
	mu     sync.Mutex // one slip (and one status exchange) at a time
}

var _ kiosk.Printer = (*Device)(nil)

// New wraps an open port; tests pass escpostest.Printer or an os.Pipe pair.
func New(p Port, opts Options) *Device {
	d := &Device{opts: opts.withDefaults(), port: p}
	if c, ok := p.(io.Closer); ok {
		d.closer = c
	}
	return d
}

// Open opens a USB printer-class node such as /dev/usb/lp0 read-write.
// It is opened non-blocking so Go's poller can put deadlines on status
// reads; if the driver cannot be polled, it is reopened blocking and status
// is never read (always unknown) rather than risking a read that hangs.
func Open(path string, opts Options) (*Device, error) {
	opts = opts.withDefaults()
	if !opts.Kanji && opts.Font == nil {
		return nil, fmt.Errorf("escpos: %s: no CJK font for raster text (install fonts-ipafont-gothic): %w", path, kiosk.ErrPrinterUnavailable)
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("escpos: open %s: %w: %w", path, err, kiosk.ErrPrinterUnavailable)
	}
	f := os.NewFile(uintptr(fd), path)
	if err := f.SetReadDeadline(time.Time{}); err != nil {
		f.Close()
		bf, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("escpos: open %s: %w: %w", path, err, kiosk.ErrPrinterUnavailable)
		}
		opts.Logger.Warn("printer node not pollable; status unknown", "path", path)
		return New(writeOnly{bf}, opts), nil
	}
	return New(f, opts), nil
}

// writeOnly is a port whose status reads always time out.
type writeOnly struct{ *os.File }

func (writeOnly) Read([]byte) (int, error)        { return 0, os.ErrDeadlineExceeded }
func (writeOnly) SetReadDeadline(time.Time) error { return nil }

// Close closes the port if it can be closed.
func (d *Device) Close() error {
	if d.closer == nil {
		return nil
	}
	return d.closer.Close()
}

// Status asks the printer with DLE EOT 1, then 2 and 4 for the details.
// A silent printer yields Status{Known: false} and no error; a failed
// write (device gone) is an error wrapping kiosk.ErrPrinterUnavailable.
func (d *Device) Status(ctx context.Context) (Status, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.status(ctx)
}

func (d *Device) status(ctx context.Context) (Status, error) {
	d.drain()
	b, ok, err := d.query(ctx, 1)
	if err != nil || !ok {
		return Status{}, err
	}
	st := Status{Known: true, Offline: b&0x08 != 0}
	if st.Offline {
		if c, ok, err := d.query(ctx, 2); err != nil {
			return st, err
		} else if ok {
			st.CoverOpen = c&0x04 != 0
			st.PaperOut = c&0x20 != 0
			st.Error = c&0x40 != 0
		}
	}
	if p, ok, err := d.query(ctx, 4); err != nil {
		return st, err
	} else if ok {
		st.PaperLow = p&0x0c != 0
		st.PaperOut = st.PaperOut || p&0x60 != 0
	}
	return st, nil
}

// query sends DLE EOT n and reads one status byte. ok is false on timeout
// or on a byte that lacks the fixed bits every status byte carries
// (bit 1 and 4 set, 0 and 7 clear), which is how garbage is told apart.
func (d *Device) query(ctx context.Context, n byte) (b byte, ok bool, err error) {
	if _, err := d.port.Write([]byte{dle, eot, n}); err != nil {
		return 0, false, fmt.Errorf("escpos: status request: %w: %w", err, kiosk.ErrPrinterUnavailable)
	}
	deadline := time.Now().Add(d.opts.StatusTimeout)
	if dl, has := ctx.Deadline(); has && dl.Before(deadline) {
		deadline = dl
	}
	if err := d.port.SetReadDeadline(deadline); err != nil {
		return 0, false, nil
	}
	var buf [1]byte
	nr, rerr := d.port.Read(buf[:])
	if nr == 1 && buf[0]&0x93 == 0x12 {
		return buf[0], true, nil
	}
	if rerr != nil && !errors.Is(rerr, os.ErrDeadlineExceeded) && !errors.Is(rerr, unix.EAGAIN) && !errors.Is(rerr, io.EOF) {
		return 0, false, fmt.Errorf("escpos: status read: %w: %w", rerr, kiosk.ErrPrinterUnavailable)
	}
	return 0, false, nil
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

// Print checks the status, writes the slip and checks again: paper can run
// out in the middle of a slip. Errors wrap kiosk.ErrPrinterUnavailable.
func (d *Device) Print(ctx context.Context, s kiosk.Slip) error {
	data := Layout{Width: d.opts.Width, Kanji: d.opts.Kanji, NativeQR: d.opts.NativeQR, Font: d.opts.Font}.Render(s)
	return d.Write(ctx, data)
}

// Write sends already-encoded bytes with the same status checks as Print.
func (d *Device) Write(ctx context.Context, data []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("escpos: print: %w", err)
	}
	st, err := d.status(ctx)
	if err != nil {
		return err
	}
	if !st.Known {
		d.opts.Logger.Debug("printer status unknown; printing anyway")
	}
	if !st.Ready() {
		return fmt.Errorf("escpos: %s: %w", st.reason(), kiosk.ErrPrinterUnavailable)
	}
	if _, err := d.port.Write(data); err != nil {
		return fmt.Errorf("escpos: write slip: %w: %w", err, kiosk.ErrPrinterUnavailable)
	}
	after, err := d.status(ctx)
	if err != nil {
		return err
	}
	if !after.Ready() {
		return fmt.Errorf("escpos: %s after printing, slip may be incomplete: %w", after.reason(), kiosk.ErrPrinterUnavailable)
	}
	return nil
}
