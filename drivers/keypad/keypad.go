// Package keypad scans a GPIO matrix keypad (4×3 or 4×4) on periph.io.
//
// Rows are driven low one at a time while the columns are read with
// pull-ups; rows that are not being scanned are left as inputs (high
// impedance), so two keys pressed in one column can never short two
// outputs against each other. After a row is driven the scanner waits
// Settle before reading the columns: the lines and the pull-ups need a
// moment to reach their level, and a column read too early shows the
// previous row's key in this one.
//
// Why polling and not edges: WaitForEdge(-1) returns at once on real
// hardware, a column edge needs a goroutine per column with finite
// timeouts anyway, and edges still have to be followed by a scan. Instead
// the scanner polls adaptively. While idle it keeps every row low and only
// reads the columns (one GPIO ioctl per column) every IdleInterval (25 ms
// by default: 4 columns × 40/s = 160 ioctls/s, a few hundred microseconds of
// CPU per second on a Pi, well under 0.1 %). As soon as a column goes low
// it switches to full scans every ScanInterval (5 ms) until all keys are
// released and debounced. A stuck key (held StuckAfter) is reported once
// and then ignored, and while only stuck keys are down the scans back off
// to StuckInterval: a key jammed for a weekend must not keep 200 full
// scans a second running. Worst-case latency is the interval + Debounce.
//
// N-key behaviour: keys are debounced one by one, and every key that goes
// down is delivered once, in the order it went down (keys that went down
// in the same scan: row by row, then column by column). So a rolled press
// — the next key pressed before the last is released, as quick typists
// do — loses no digit. The matrix has no diodes, so three keys on three
// corners of a rectangle connect the fourth corner's row and column and
// it reads as pressed too (ghosting). Two keys never ghost. The ghosting
// rule: a key that goes down while it is a corner of a rectangle of down
// keys cannot be told from a ghost, so it is not delivered (until it is
// released and pressed again); keys already delivered stay delivered.
package keypad

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"

	"github.com/villagehall/kiosk/kiosk"
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

// KeyMap is DefaultMap with the config's devices.keypad.keys applied:
// label → "enter", "cancel" or "clear". The kiosk and kioskctl selftest
// both build their map here, so a 4×3 pad whose Cancel is * behaves the
// same in both.
func KeyMap(keys map[string]string) (map[rune]Key, error) {
	m := DefaultMap()
	for label, fn := range keys {
		r := []rune(label)
		if len(r) != 1 {
			return nil, fmt.Errorf("keypad: key label %q must be one character", label)
		}
		switch strings.ToLower(fn) {
		case "enter":
			m[r[0]] = KeyEnter
		case "cancel":
			m[r[0]] = KeyCancel
		case "clear":
			m[r[0]] = KeyClear
		default:
			return nil, fmt.Errorf("keypad: key %q: function %q is not enter, cancel or clear", label, fn)
		}
	}
	return m, nil
}

// Config describes the keypad. Zero durations take the defaults.
type Config struct {
	Layout        []string     // labels, one string per row, one rune per column
	Map           map[rune]Key // label → key; nil means DefaultMap
	Debounce      time.Duration
	StuckAfter    time.Duration // a key held this long is reported stuck
	IdleInterval  time.Duration
	ScanInterval  time.Duration
	StuckInterval time.Duration // scan period while only stuck keys are down (default 4 × IdleInterval)
	Settle        time.Duration // after driving a row, before reading the columns (default 20 µs)
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
	if c.StuckInterval <= 0 {
		c.StuckInterval = 4 * c.IdleInterval
	}
	if c.Settle <= 0 {
		c.Settle = 20 * time.Microsecond
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

// key is one switch's debounce state.
type key struct {
	raw        bool // as last scanned
	rawSince   time.Time
	down       bool // debounced
	downSince  time.Time
	suppressed bool // went down as a possible ghost: never delivered this press
	stuck      bool
}

// Scanner scans one matrix. Poll and Run must not be called concurrently.
type Scanner struct {
	rows, cols []gpio.PinIO
	labels     [][]rune
	cfg        Config
	log        *slog.Logger
	now        func() time.Time
	after      func(time.Duration) <-chan time.Time
	sleep      func(time.Duration)
	health     *kiosk.HealthCell

	idle bool // all rows driven low, columns-only checks
	keys [][]key
}

// Option adjusts a Scanner (tests inject a clock).
type Option func(*Scanner)

// WithClock replaces time.Now and time.After.
func WithClock(now func() time.Time, after func(time.Duration) <-chan time.Time) Option {
	return func(s *Scanner) { s.now, s.after = now, after }
}

// WithSleep replaces the settle wait between driving a row and reading
// the columns (time.Sleep); keypadtest.Matrix.Sleep models the lines.
func WithSleep(sleep func(time.Duration)) Option {
	return func(s *Scanner) { s.sleep = sleep }
}

// WithHealth makes the scanner keep its health in c, which its owner may
// also write (the kiosk records an open failure there).
func WithHealth(c *kiosk.HealthCell) Option {
	return func(s *Scanner) { s.health = c }
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
	keys := make([][]key, len(rows))
	for i, l := range cfg.Layout {
		labels[i] = []rune(l)
		if len(labels[i]) != len(cols) {
			return nil, fmt.Errorf("keypad: layout row %q has %d keys for %d column pins", l, len(labels[i]), len(cols))
		}
		keys[i] = make([]key, len(cols))
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Scanner{rows: rows, cols: cols, labels: labels, keys: keys, cfg: cfg, log: log,
		now: time.Now, after: time.After, sleep: time.Sleep}
	for _, o := range opts {
		o(s)
	}
	if s.health == nil {
		s.health = kiosk.NewHealthCell("keypad", "ok", "", s.now())
	}
	for _, c := range cols {
		if err := c.In(gpio.PullUp, gpio.NoEdge); err != nil {
			return nil, fmt.Errorf("keypad: column %s: %w", c, err)
		}
	}
	if err := s.release(); err != nil {
		return nil, err
	}
	s.health.Set("ok", "", s.now())
	return s, nil
}

// Open initialises periph's host drivers and resolves pins by name (e.g.
// "GPIO17"). This is the constructor for real hardware. periph drivers
// that failed to load are logged, and named in the error when a pin is
// then missing: that is usually why.
func Open(rowNames, colNames []string, cfg Config, log *slog.Logger, opts ...Option) (*Scanner, error) {
	if log == nil {
		log = slog.Default()
	}
	state, err := host.Init()
	if err != nil {
		return nil, fmt.Errorf("keypad: periph host init: %w", err)
	}
	var failed []string
	for _, f := range state.Failed {
		log.Warn("periph driver failed to load", "driver", f.D.String(), "err", f.Err)
		failed = append(failed, fmt.Sprintf("%s: %v", f.D, f.Err))
	}
	for _, f := range state.Skipped {
		log.Debug("periph driver skipped", "driver", f.D.String(), "why", f.Err)
	}
	resolve := func(names []string) ([]gpio.PinIO, error) {
		out := make([]gpio.PinIO, 0, len(names))
		for _, n := range names {
			p := gpioreg.ByName(n)
			if p == nil {
				if len(failed) > 0 {
					return nil, fmt.Errorf("keypad: no GPIO named %q (periph drivers that failed: %s)", n, strings.Join(failed, "; "))
				}
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
	return New(rows, cols, cfg, log, opts...)
}

// Health is ok, stuck (which keys) or error (the last GPIO failure).
func (s *Scanner) Health() kiosk.DeviceHealth { return s.health.Get() }

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

// quiet reports whether no key is down or on its way down or up.
func (s *Scanner) quiet() bool {
	for _, row := range s.keys {
		for _, k := range row {
			if k.raw || k.down {
				return false
			}
		}
	}
	return true
}

// scan reads the matrix into the keys' raw state. While nothing is down
// it only checks whether any column is low with all rows driven.
func (s *Scanner) scan(now time.Time) error {
	if s.quiet() {
		if !s.idle {
			for _, r := range s.rows {
				if err := r.Out(gpio.Low); err != nil {
					return fmt.Errorf("keypad: row %s: %w", r, err)
				}
			}
			s.sleep(s.cfg.Settle)
			s.idle = true
		}
		any := false
		for _, c := range s.cols {
			if c.Read() == gpio.Low {
				any = true
			}
		}
		if !any {
			return nil
		}
	}
	if s.idle {
		if err := s.release(); err != nil {
			return err
		}
	}
	for i, r := range s.rows {
		if err := r.Out(gpio.Low); err != nil {
			return fmt.Errorf("keypad: row %s: %w", r, err)
		}
		s.sleep(s.cfg.Settle)
		for j, c := range s.cols {
			k := &s.keys[i][j]
			if raw := c.Read() == gpio.Low; raw != k.raw {
				k.raw, k.rawSince = raw, now
			}
		}
		if err := r.In(gpio.PullUp, gpio.NoEdge); err != nil {
			return fmt.Errorf("keypad: row %s: %w", r, err)
		}
	}
	return nil
}

// cornerOfRectangle reports whether p and three other down keys form a
// rectangle: then any of the four may be a ghost.
func (s *Scanner) cornerOfRectangle(p pos) bool {
	for r := range s.keys {
		if r == p.row || !s.keys[r][p.col].down {
			continue
		}
		for c := range s.keys[p.row] {
			if c != p.col && s.keys[p.row][c].down && s.keys[r][c].down {
				return true
			}
		}
	}
	return false
}

// Poll runs one scan at time now and applies debouncing. It returns the
// events due, in order, and how long to wait before the next poll.
func (s *Scanner) Poll(now time.Time) ([]Event, time.Duration, error) {
	if err := s.scan(now); err != nil {
		s.setHealth("error", err.Error(), now)
		return nil, s.cfg.ScanInterval, err
	}
	var pressed []pos
	for i := range s.keys {
		for j := range s.keys[i] {
			k := &s.keys[i][j]
			if k.raw == k.down || now.Sub(k.rawSince) < s.cfg.Debounce {
				continue
			}
			k.down = k.raw
			if k.down {
				k.downSince = k.rawSince
				pressed = append(pressed, pos{i, j})
				continue
			}
			if k.stuck {
				s.log.Info("stuck key released", "label", string(s.labels[i][j]))
			}
			k.stuck, k.suppressed = false, false
		}
	}
	// Ghosts are judged with every new key down, so the order of the
	// keys within one scan cannot decide which of them is delivered.
	for _, p := range pressed {
		s.keys[p.row][p.col].suppressed = s.cornerOfRectangle(p)
	}
	sort.SliceStable(pressed, func(a, b int) bool {
		return s.keys[pressed[a].row][pressed[a].col].downSince.Before(s.keys[pressed[b].row][pressed[b].col].downSince)
	})
	var events []Event
	for _, p := range pressed {
		if s.keys[p.row][p.col].suppressed {
			s.log.Debug("key not delivered: it may be a ghost of three others", "label", string(s.labels[p.row][p.col]))
			continue
		}
		events = append(events, s.event(Press, p, now))
	}
	for i := range s.keys {
		for j := range s.keys[i] {
			if k := &s.keys[i][j]; k.down && !k.stuck && now.Sub(k.downSince) >= s.cfg.StuckAfter {
				k.stuck = true
				ev := s.event(Stuck, pos{i, j}, now)
				s.log.Warn("keypad key stuck; ignoring it until released", "label", string(ev.Label), "row", i, "col", j)
				events = append(events, ev)
			}
		}
	}
	state, detail := s.state()
	s.setHealth(state, detail, now)
	return events, s.interval(), nil
}

// state is the keypad's health word and detail now.
func (s *Scanner) state() (string, string) {
	var stuck []string
	for i, row := range s.keys {
		for j, k := range row {
			if k.stuck {
				stuck = append(stuck, string(s.labels[i][j]))
			}
		}
	}
	if len(stuck) > 0 {
		return "stuck", "held over " + s.cfg.StuckAfter.String() + ": " + strings.Join(stuck, " ")
	}
	return "ok", ""
}

func (s *Scanner) setHealth(state, detail string, now time.Time) {
	if s.health.Set(state, detail, now) && state == "ok" {
		s.log.Info("keypad ok again")
	}
}

// interval is the wait before the next poll: fast while keys move, slow
// when idle, slower still when only stuck keys are down.
func (s *Scanner) interval() time.Duration {
	if s.quiet() {
		return s.cfg.IdleInterval
	}
	for _, row := range s.keys {
		for _, k := range row {
			if (k.raw || k.down) && !k.stuck {
				return s.cfg.ScanInterval
			}
		}
	}
	return s.cfg.StuckInterval
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
// of out and does not close it. A GPIO failure ends it with the error
// (also in Health); the caller logs it and may run it again. The rows are
// left high-Z on return.
func (s *Scanner) Run(ctx context.Context, out chan<- Event) error {
	defer func() {
		if err := s.release(); err != nil {
			s.log.Warn("keypad release", "err", err)
		}
	}()
	for {
		events, wait, err := s.Poll(s.now())
		if err != nil {
			return err
		}
		for _, ev := range events {
			select {
			case out <- ev:
			case <-ctx.Done():
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.after(wait):
		}
	}
}
