// Package keypad scans a GPIO matrix keypad (4×3 or 4×4) on periph.io.
//
// Rows are driven low one at a time while the columns are read with
// pull-ups; rows that are not being scanned are left as inputs (high
// impedance), so two keys pressed in one column can never short two
// outputs against each other.
//
// Why polling and not edges: WaitForEdge(-1) returns at once on real
// hardware, a column edge needs a goroutine per column with finite
// timeouts anyway, and edges still have to be followed by a scan. Instead
// the scanner polls adaptively. While idle it keeps every row low and only
// reads the columns (one GPIO ioctl per column) every IdleInterval (25 ms
// by default: 4 columns × 40/s = 160 ioctls/s, a few hundred microseconds of
// CPU per second on a Pi, well under 0.1 %). As soon as a column goes low
// it switches to full scans every ScanInterval (5 ms) until all keys are
// released and debounced. Worst-case latency is IdleInterval + Debounce.
package keypad

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"
)

// Key is a logical key.
type Key string

const (
	Key0      Key = "0"
	Key1      Key = "1"
	Key2      Key = "2"
	Key3      Key = "3"
	Key4      Key = "4"
	Key5      Key = "5"
	Key6      Key = "6"
	Key7      Key = "7"
	Key8      Key = "8"
	Key9      Key = "9"
	KeyEnter  Key = "Enter"
	KeyCancel Key = "Cancel"
	KeyClear  Key = "Clear"
	KeyA      Key = "A"
	KeyB      Key = "B"
	KeyC      Key = "C"
	KeyD      Key = "D"
	KeyStar   Key = "*"
	KeyHash   Key = "#"
)

// Layout4x4 and Layout4x3 are the common printed layouts, row by row.
var (
	Layout4x4 = []string{"123A", "456B", "789C", "*0#D"}
	Layout4x3 = []string{"123", "456", "789", "*0#"}
)

// DefaultMap maps printed labels to keys: # is Enter, * is Clear, A is
// Cancel; B, C, D stay themselves. Municipal keypads differ, so config can
// replace it.
func DefaultMap() map[rune]Key {
	m := map[rune]Key{'#': KeyEnter, '*': KeyClear, 'A': KeyCancel, 'B': KeyB, 'C': KeyC, 'D': KeyD}
	for r := '0'; r <= '9'; r++ {
		m[r] = Key(string(r))
	}
	return m
}

// Config describes the keypad. Zero durations take the defaults.
type Config struct {
	Layout       []string     // labels, one string per row, one rune per column
	Map          map[rune]Key // label → key; nil means DefaultMap
	Debounce     time.Duration
	StuckAfter   time.Duration // a key held this long is reported stuck
	IdleInterval time.Duration
	ScanInterval time.Duration
}

func (c Config) withDefaults() Config {
	if c.Map == nil {
		c.Map = DefaultMap()
	}
	if c.Debounce <= 0 {
		c.Debounce = 30 * time.Millisecond
	}
	if c.StuckAfter <= 0 {
		c.StuckAfter = 10 * time.Second
	}
	if c.IdleInterval <= 0 {
		c.IdleInterval = 25 * time.Millisecond
	}
	if c.ScanInterval <= 0 {
		c.ScanInterval = 5 * time.Millisecond
	}
	return c
}

// EventKind tells a key press from a stuck-key report.
type EventKind int

const (
	Press EventKind = iota
	// Stuck: the key has been held for StuckAfter. It is ignored until it
	// is released; other keys keep working.
	Stuck
)

func (k EventKind) String() string {
	if k == Stuck {
		return "stuck"
	}
	return "press"
}

// Event is one debounced key event.
type Event struct {
	Kind     EventKind
	Key      Key
	Label    rune
	Row, Col int
	Time     time.Time
}

type pos struct{ row, col int }

// snapshot is one scan: how many keys are down and, if exactly one, which.
type snapshot struct {
	n int
	p pos
}

// Scanner scans one matrix. Poll and Run must not be called concurrently.
type Scanner struct {
	rows, cols []gpio.PinIO
	labels     [][]rune
	cfg        Config
	log        *slog.Logger
	now        func() time.Time
	after      func(time.Duration) <-chan time.Time

	idle      bool // all rows driven low, columns-only checks
	raw       snapshot
	rawSince  time.Time
	stable    snapshot
	blocked   bool // several keys seen: ignore until all released
	downSince time.Time
	stuck     *pos
}

// Option adjusts a Scanner (tests inject a clock).
type Option func(*Scanner)

// WithClock replaces time.Now and time.After.
func WithClock(now func() time.Time, after func(time.Duration) <-chan time.Time) Option {
	return func(s *Scanner) { s.now, s.after = now, after }
}

// New builds a scanner on already-resolved pins; tests pass
// keypadtest.Matrix pins. Columns get pull-ups, rows start high-Z.
func New(rows, cols []gpio.PinIO, cfg Config, log *slog.Logger, opts ...Option) (*Scanner, error) {
	cfg = cfg.withDefaults()
	if len(cfg.Layout) == 0 {
		if len(cols) == 3 {
			cfg.Layout = Layout4x3
		} else {
			cfg.Layout = Layout4x4
		}
	}
	if len(rows) != len(cfg.Layout) {
		return nil, fmt.Errorf("keypad: %d row pins for a %d-row layout", len(rows), len(cfg.Layout))
	}
	labels := make([][]rune, len(rows))
	for i, l := range cfg.Layout {
		labels[i] = []rune(l)
		if len(labels[i]) != len(cols) {
			return nil, fmt.Errorf("keypad: layout row %q has %d keys for %d column pins", l, len(labels[i]), len(cols))
		}
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Scanner{rows: rows, cols: cols, labels: labels, cfg: cfg, log: log, now: time.Now, after: time.After}
	for _, o := range opts {
		o(s)
	}
	for _, c := range cols {
		if err := c.In(gpio.PullUp, gpio.NoEdge); err != nil {
			return nil, fmt.Errorf("keypad: column %s: %w", c, err)
		}
	}
	if err := s.release(); err != nil {
		return nil, err
	}
	return s, nil
}

// Open initialises periph's host drivers and resolves pins by name (e.g.
// "GPIO17"). This is the constructor for real hardware.
func Open(rowNames, colNames []string, cfg Config, log *slog.Logger) (*Scanner, error) {
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("keypad: periph host init: %w", err)
	}
	resolve := func(names []string) ([]gpio.PinIO, error) {
		out := make([]gpio.PinIO, 0, len(names))
		for _, n := range names {
			p := gpioreg.ByName(n)
			if p == nil {
				return nil, fmt.Errorf("keypad: no GPIO named %q", n)
			}
			out = append(out, p)
		}
		return out, nil
	}
	rows, err := resolve(rowNames)
	if err != nil {
		return nil, err
	}
	cols, err := resolve(colNames)
	if err != nil {
		return nil, err
	}
	return New(rows, cols, cfg, log)
}

// release puts every row back to high-Z input.
func (s *Scanner) release() error {
	var errs []error
	for _, r := range s.rows {
		if err := r.In(gpio.PullUp, gpio.NoEdge); err != nil {
			errs = append(errs, fmt.Errorf("keypad: row %s: %w", r, err))
		}
	}
	s.idle = false
	return errors.Join(errs...)
}

// scan reads the matrix. While nothing is down it only checks whether any
// column is low with all rows driven; otherwise it scans row by row.
func (s *Scanner) scan() (snapshot, error) {
	quiet := s.raw.n == 0 && s.stable.n == 0 && s.stuck == nil
	if quiet {
		if !s.idle {
			for _, r := range s.rows {
				if err := r.Out(gpio.Low); err != nil {
					return snapshot{}, fmt.Errorf("keypad: row %s: %w", r, err)
				}
			}
			s.idle = true
		}
		any := false
		for _, c := range s.cols {
			if c.Read() == gpio.Low {
				any = true
			}
		}
		if !any {
			return snapshot{}, nil
		}
	}
	if s.idle {
		if err := s.release(); err != nil {
			return snapshot{}, err
		}
	}
	var snap snapshot
	stuckDown := false
	for i, r := range s.rows {
		if err := r.Out(gpio.Low); err != nil {
			return snapshot{}, fmt.Errorf("keypad: row %s: %w", r, err)
		}
		for j, c := range s.cols {
			if c.Read() != gpio.Low {
				continue
			}
			p := pos{i, j}
			if s.stuck != nil && *s.stuck == p {
				stuckDown = true
				continue
			}
			snap.n++
			snap.p = p
		}
		if err := r.In(gpio.PullUp, gpio.NoEdge); err != nil {
			return snapshot{}, fmt.Errorf("keypad: row %s: %w", r, err)
		}
	}
	if s.stuck != nil && !stuckDown {
		s.log.Info("stuck key released", "label", string(s.labels[s.stuck.row][s.stuck.col]))
		s.stuck = nil
	}
	if snap.n != 1 {
		snap.p = pos{}
	}
	return snap, nil
}

// Poll runs one scan at time now and applies debouncing. It returns an
// event when one is due, and whether the keypad is active (scan fast).
func (s *Scanner) Poll(now time.Time) (ev Event, ok, active bool, err error) {
	snap, err := s.scan()
	if err != nil {
		return Event{}, false, false, err
	}
	if snap != s.raw {
		s.raw, s.rawSince = snap, now
	}
	active = s.raw.n > 0 || s.stable.n > 0 || s.stuck != nil
	if now.Sub(s.rawSince) < s.cfg.Debounce {
		return Event{}, false, true, nil
	}
	if snap != s.stable {
		prev := s.stable
		s.stable = snap
		switch {
		case snap.n == 0:
			s.blocked = false
		case snap.n > 1:
			if !s.blocked {
				s.log.Debug("several keys down, ignoring until all are released", "keys", snap.n)
			}
			s.blocked = true
		case prev.n == 0 && !s.blocked:
			s.downSince = now
			return s.event(Press, snap.p, now), true, true, nil
		default:
			// A different single key without a release in between is the
			// tail of a combination: still ignored.
			s.blocked = true
		}
		return Event{}, false, active, nil
	}
	if s.stable.n == 1 && !s.blocked && now.Sub(s.downSince) >= s.cfg.StuckAfter {
		p := s.stable.p
		s.stuck = &p
		s.stable, s.raw = snapshot{}, snapshot{}
		ev := s.event(Stuck, p, now)
		s.log.Warn("keypad key stuck; ignoring it until released", "label", string(ev.Label), "row", p.row, "col", p.col)
		return ev, true, true, nil
	}
	return Event{}, false, active, nil
}

func (s *Scanner) event(k EventKind, p pos, now time.Time) Event {
	label := s.labels[p.row][p.col]
	key, ok := s.cfg.Map[label]
	if !ok {
		key = Key(string(label))
	}
	return Event{Kind: k, Key: key, Label: label, Row: p.row, Col: p.col, Time: now}
}

// Run scans until ctx ends, sending events to out; it is the only writer
// of out and does not close it. The rows are left high-Z on return.
func (s *Scanner) Run(ctx context.Context, out chan<- Event) error {
	defer func() {
		if err := s.release(); err != nil {
			s.log.Warn("keypad release", "err", err)
		}
	}()
	for {
		ev, ok, active, err := s.Poll(s.now())
		if err != nil {
			return err
		}
		if ok {
			select {
			case out <- ev:
			case <-ctx.Done():
				return nil
			}
		}
		d := s.cfg.IdleInterval
		if active {
			d = s.cfg.ScanInterval
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.after(d):
		}
	}
}
