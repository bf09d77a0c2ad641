//go:build unix

// The printer device and its node checks are Unix character devices; the
// encoder, decoder and slip layout build everywhere (kioskctl receipt preview).

package escpos

import (
	"context"
	"errors"
	"sync"
	"syscall"

	"github.com/villagehall/kiosk/kiosk"
)

// PathPrinter is the printer at a device path, opened when a slip or a
// status query needs it and reopened after it went away: a printer
// switched on after the kiosk, or unplugged and plugged back in (usblp
// then makes a new node; the old descriptor only answers ENODEV), works
// without a restart. It implements kiosk.Printer.
type PathPrinter struct {
	path string
	opts Options

	mu     sync.Mutex // guards dev
	dev    *Device
	health *kiosk.HealthCell // the state while no device is open
}

var _ kiosk.Printer = (*PathPrinter)(nil)

// NewPathPrinter opens nothing yet; Open is tried on first use.
func NewPathPrinter(path string, opts Options) *PathPrinter {
	opts = opts.withDefaults()
	return &PathPrinter{path: path, opts: opts, health: kiosk.NewHealthCell("printer", string(kiosk.PrinterUnknown), "not opened yet", opts.Now())}
}

// device returns the open device, opening it if needed.
func (p *PathPrinter) device() (*Device, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dev != nil {
		return p.dev, nil
	}
	d, err := Open(p.path, p.opts)
	if err != nil {
		p.record(err)
		return nil, err
	}
	p.dev = d
	return d, nil
}

// done drops a device whose node failed (an errno: unplugged, hung up,
// refused), so the next use opens the path afresh. A printer that only
// said "paper out" or stalled keeps its descriptor.
func (p *PathPrinter) done(d *Device, err error) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dev == d {
		d.Close()
		p.dev = nil
		p.health.Set(d.Health().State, d.Health().Detail, d.Health().Since)
	}
	return err
}

func (p *PathPrinter) record(err error) {
	state := kiosk.PrinterStateOf(err)
	if p.health.Set(string(state), err.Error(), p.opts.Now()) {
		p.opts.Logger.Warn("printer not available", "path", p.path, "state", state, "err", err)
	}
}

// Print prints s on the device, opening it first if needed.
func (p *PathPrinter) Print(ctx context.Context, s kiosk.Slip) error {
	d, err := p.device()
	if err != nil {
		return err
	}
	return p.done(d, d.Print(ctx, s))
}

// Status queries the device, opening it first if needed.
func (p *PathPrinter) Status(ctx context.Context) (Status, error) {
	d, err := p.device()
	if err != nil {
		return Status{}, err
	}
	st, err := d.Status(ctx)
	return st, p.done(d, err)
}

// Probe is Device.Probe, opening the device first if needed.
func (p *PathPrinter) Probe(ctx context.Context) (Status, error) {
	d, err := p.device()
	if err != nil {
		return Status{}, err
	}
	st, err := d.Probe(ctx)
	return st, p.done(d, err)
}

// Health is the open device's, or why none is open.
func (p *PathPrinter) Health() kiosk.DeviceHealth {
	p.mu.Lock()
	d := p.dev
	p.mu.Unlock()
	if d != nil {
		return d.Health()
	}
	return p.health.Get()
}

// Close closes the device if one is open.
func (p *PathPrinter) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dev == nil {
		return nil
	}
	err := p.dev.Close()
	p.dev = nil
	return err
}
