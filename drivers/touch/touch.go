// Package touch reads a touchscreen from evdev (/dev/input/eventN) and turns
// taps into terminal cells. The kiosk needs this because neither cage nor
// foot passes touch to terminal programs.
//
// The 24-byte input_event parsing is owned here on golang.org/x/sys rather
// than taken from github.com/kenshaw/evdev: we need one struct layout, four
// event codes and one ioctl (EVIOCGABS), about forty lines, and owning them
// keeps a small, pre-1.0 dependency out of the firmware and lets tests feed
// plain byte streams through an io.Reader. The layout assumed is the 64-bit
// one (struct timeval is 16 bytes), which is what the arm64 image runs.
//
// Multitouch panels speak the kernel's type B protocol: ABS_MT_SLOT picks
// a contact, ABS_MT_TRACKING_ID starts (≥ 0) or ends (-1) it, positions
// belong to the slot last picked. The tracker follows every slot. The
// finger that lands when no other is down owns the touch: the tap fires
// at its first point when it lifts, unless it dragged. Other fingers never
// move its point and never fire a tap, whichever lifts first; a new touch
// starts only once every finger is up. Panels without slots (resistive,
// single-touch) are followed through BTN_TOUCH and ABS_X/ABS_Y. Type A
// multitouch (SYN_MT_REPORT, no slots) is not supported.
package touch

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/villagehall/kiosk/kiosk"
)

// Event types and codes from linux/input-event-codes.h.
const (
	EvSyn = 0x00
	EvKey = 0x01
	EvAbs = 0x03

	EvMsc = 0x04

	SynReport  = 0
	SynDropped = 3

	MscTimestamp = 0x05

	BtnLeft          = 0x110
	BtnToolFinger    = 0x145
	BtnTouch         = 0x14a
	BtnToolDoubletap = 0x14d

	AbsX           = 0x00
	AbsY           = 0x01
	AbsPressure    = 0x18
	AbsMTSlot      = 0x2f
	AbsMTPositionX = 0x35
	AbsMTPositionY = 0x36
	AbsMTTracking  = 0x39
)

// MaxSlots is how many contacts the tracker follows; events for higher
// slots are ignored (panels report 2 to 10).
const MaxSlots = 16

// EventSize is sizeof(struct input_event) on 64-bit Linux.
const EventSize = 24

// Event is one input_event.
type Event struct {
	Time  time.Time
	Type  uint16
	Code  uint16
	Value int32
}

// Marshal encodes e in the kernel's 64-bit little-endian layout.
func (e Event) Marshal() []byte {
	b := make([]byte, EventSize)
	us := e.Time.UnixMicro()
	binary.LittleEndian.PutUint64(b[0:], uint64(us/1e6))
	binary.LittleEndian.PutUint64(b[8:], uint64(us%1e6))
	binary.LittleEndian.PutUint16(b[16:], e.Type)
	binary.LittleEndian.PutUint16(b[18:], e.Code)
	binary.LittleEndian.PutUint32(b[20:], uint32(e.Value))
	return b
}

// ReadEvent reads exactly one event.
func ReadEvent(r io.Reader) (Event, error) {
	var b [EventSize]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return Event{}, err
	}
	sec := int64(binary.LittleEndian.Uint64(b[0:]))
	usec := int64(binary.LittleEndian.Uint64(b[8:]))
	return Event{
		Time:  time.Unix(sec, usec*1000),
		Type:  binary.LittleEndian.Uint16(b[16:]),
		Code:  binary.LittleEndian.Uint16(b[18:]),
		Value: int32(binary.LittleEndian.Uint32(b[20:])),
	}, nil
}

// Range is an axis's raw extent.
type Range struct{ Min, Max int32 }

// Axes are the raw ranges of the X and Y axes.
type Axes struct{ X, Y Range }

// absInfo is struct input_absinfo.
type absInfo struct {
	Value, Minimum, Maximum, Fuzz, Flat, Resolution int32
}

// eviocgabs is _IOR('E', 0x40 + abs, struct input_absinfo).
func eviocgabs(abs int) uint {
	const iocRead = 2
	return uint(iocRead)<<30 | uint(unsafe.Sizeof(absInfo{}))<<16 | uint('E')<<8 | uint(0x40+abs)
}

// QueryAxes asks the kernel for the ranges, preferring ABS_MT_POSITION_*
// and falling back to ABS_X/ABS_Y.
func QueryAxes(f *os.File) (Axes, error) {
	get := func(code int) (Range, error) {
		var ai absInfo
		rc, err := f.SyscallConn()
		if err != nil {
			return Range{}, err
		}
		var errno unix.Errno
		if err := rc.Control(func(fd uintptr) {
			_, _, errno = unix.Syscall(unix.SYS_IOCTL, fd, uintptr(eviocgabs(code)), uintptr(unsafe.Pointer(&ai)))
		}); err != nil {
			return Range{}, err
		}
		if errno != 0 {
			return Range{}, errno
		}
		if ai.Maximum <= ai.Minimum {
			return Range{}, fmt.Errorf("empty range %d..%d", ai.Minimum, ai.Maximum)
		}
		return Range{ai.Minimum, ai.Maximum}, nil
	}
	var a Axes
	var err error
	for _, codes := range [][2]int{{AbsMTPositionX, AbsMTPositionY}, {AbsX, AbsY}} {
		if a.X, err = get(codes[0]); err != nil {
			continue
		}
		if a.Y, err = get(codes[1]); err != nil {
			continue
		}
		return a, nil
	}
	return Axes{}, fmt.Errorf("touch: EVIOCGABS on %s: %w", f.Name(), err)
}

// Calibration maps raw axes onto the screen, in raw units: swap first,
// then invert, then add the offsets (as kiosk.TouchCalibration says). A
// non-empty X or Y range replaces the kernel's (panels often report a
// wider range than they can produce).
type Calibration struct {
	SwapXY, InvertX, InvertY bool
	OffsetX, OffsetY         int32
	X, Y                     Range
}

// Tap is a touch that went down and up without dragging.
type Tap struct {
	Col, Row   int
	X, Y       float64 // 0..1 across the screen, after calibration
	RawX, RawY int32   // the panel's own point, before calibration
	Time       time.Time
}

// Config configures the touchscreen.
type Config struct {
	Path string
	// Grid returns the current terminal size; the UI passes the screen's
	// size so taps follow resizes (the terminal starts at 80×24).
	Grid func() (cols, rows int)
	Cal  Calibration
	// DragThreshold is how far, as a fraction of the screen, a finger may
	// move before a touch counts as a drag and is ignored. Default 0.04.
	DragThreshold float64
	// DoubleTap drops a second tap on the same cell within this time: an
	// impatient double tap must not press a button twice. Default 400 ms.
	DoubleTap  time.Duration
	BackoffMin time.Duration // default 250 ms
	BackoffMax time.Duration // default 10 s
}

func (c Config) withDefaults() Config {
	if c.Grid == nil {
		c.Grid = func() (int, int) { return 80, 24 }
	}
	if c.DragThreshold <= 0 {
		c.DragThreshold = 0.04
	}
	if c.DoubleTap <= 0 {
		c.DoubleTap = 400 * time.Millisecond
	}
	if c.BackoffMin <= 0 {
		c.BackoffMin = 250 * time.Millisecond
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = 10 * time.Second
	}
	return c
}

// Tracker turns events into taps. It is a pure state machine.
type Tracker struct {
	cfg  Config
	axes Axes

	// Single-touch state (ABS_X/ABS_Y, BTN_TOUCH).
	x, y        int32
	pendingDown bool
	pendingUp   bool

	// Type B multitouch state.
	mt    bool // saw ABS_MT_SLOT or ABS_MT_TRACKING_ID: slots decide
	slot  int  // the slot position events belong to
	slots [MaxSlots]contact

	dropping bool // after SYN_DROPPED: ignore events up to the next SYN_REPORT

	// The touch in progress.
	down           bool
	owner          int // MT: the slot that owns the tap; -1 once it lifted
	startX, startY float64
	rawX, rawY     int32 // the start point before calibration
	moved          bool

	lastTap     Tap
	haveLastTap bool
}

// contact is one multitouch slot.
type contact struct {
	id     int32 // tracking id; meaningless unless active
	active bool
	x, y   int32 // kept across contacts: evdev does not resend unchanged values
	began  bool  // this frame
	ended  bool  // this frame
}

// NewTracker builds a tracker for a device with the given raw axes.
func NewTracker(cfg Config, axes Axes) *Tracker {
	return &Tracker{cfg: cfg.withDefaults(), axes: axes, owner: -1}
}

// Reset forgets every touch in progress (device reopened, events
// dropped): no tap fires until every finger has lifted and one lands.
func (t *Tracker) Reset() {
	t.down, t.moved, t.pendingDown, t.pendingUp = false, false, false, false
	t.owner = -1
	for i := range t.slots {
		t.slots[i].active, t.slots[i].began, t.slots[i].ended = false, false, false
	}
}

// Feed consumes one event and returns a tap when a touch ends.
func (t *Tracker) Feed(ev Event) (Tap, bool) {
	if t.dropping {
		if ev.Type == EvSyn && ev.Code == SynReport {
			t.dropping = false
		}
		return Tap{}, false
	}
	switch ev.Type {
	case EvAbs:
		t.abs(ev.Code, ev.Value)
	case EvKey:
		// BTN_LEFT: controllers that report as an absolute pointer
		// (usbtouchscreen in mouse mode, qemu's tablets) press a button
		// instead of touching.
		if ev.Code == BtnTouch || ev.Code == BtnLeft {
			if ev.Value != 0 {
				t.pendingDown = true
			} else {
				t.pendingUp = true
			}
		}
	case EvSyn:
		switch ev.Code {
		case SynDropped:
			t.Reset()
			t.dropping = true
		case SynReport:
			if t.mt {
				return t.reportMT(ev.Time)
			}
			return t.report(ev.Time)
		}
	}
	return Tap{}, false
}

func (t *Tracker) abs(code uint16, v int32) {
	switch code {
	case AbsX:
		t.x = v
	case AbsY:
		t.y = v
	case AbsMTSlot:
		t.mt = true
		t.slot = int(v)
	case AbsMTTracking:
		t.mt = true
		if t.slot < 0 || t.slot >= MaxSlots {
			return
		}
		c := &t.slots[t.slot]
		if c.active && (v < 0 || v != c.id) {
			c.ended, c.active = true, false
		}
		if v >= 0 && !c.active {
			c.id, c.active, c.began = v, true, true
		}
	case AbsMTPositionX, AbsMTPositionY:
		if !t.mt { // type A panels and single-touch drivers reporting MT axes
			if code == AbsMTPositionX {
				t.x = v
			} else {
				t.y = v
			}
			return
		}
		if t.slot < 0 || t.slot >= MaxSlots {
			return
		}
		if code == AbsMTPositionX {
			t.slots[t.slot].x = v
		} else {
			t.slots[t.slot].y = v
		}
	}
}

// reportMT applies one multitouch frame.
func (t *Tracker) reportMT(now time.Time) (Tap, bool) {
	t.pendingDown, t.pendingUp = false, false // BTN_TOUCH is the kernel's emulation: slots decide
	busyBefore := false
	for i := range t.slots {
		c := &t.slots[i]
		if c.active && !c.began || c.ended {
			busyBefore = true
		}
	}
	var tap Tap
	fired := false
	// The owner lifted (or was replaced by a new contact in its slot).
	if t.down && t.owner >= 0 && t.slots[t.owner].ended {
		tap, fired = t.lift(now)
		t.owner = -1
	}
	if t.down && t.owner >= 0 {
		c := t.slots[t.owner]
		nx, ny := t.normalise(c.x, c.y)
		if math.Hypot(nx-t.startX, ny-t.startY) > t.cfg.DragThreshold {
			t.moved = true
		}
	}
	// A new touch starts only from nothing: the first finger to land owns
	// it (two at once: the lower tracking id, the earlier one).
	if !busyBefore && !t.down {
		first := -1
		for i := range t.slots {
			if c := t.slots[i]; c.began && c.active && (first < 0 || c.id < t.slots[first].id) {
				first = i
			}
		}
		if first >= 0 {
			t.down, t.moved, t.owner = true, false, first
			t.rawX, t.rawY = t.slots[first].x, t.slots[first].y
			t.startX, t.startY = t.normalise(t.rawX, t.rawY)
		}
	}
	anyActive := false
	for i := range t.slots {
		t.slots[i].began, t.slots[i].ended = false, false
		anyActive = anyActive || t.slots[i].active
	}
	if !anyActive {
		t.down, t.owner = false, -1 // every finger is up: the next one starts a touch
	}
	return tap, fired
}

// report applies one single-touch frame.
func (t *Tracker) report(now time.Time) (Tap, bool) {
	nx, ny := t.normalise(t.x, t.y)
	if t.pendingDown && !t.down {
		t.down, t.moved = true, false
		t.startX, t.startY = nx, ny
		t.rawX, t.rawY = t.x, t.y
	}
	t.pendingDown = false
	if t.down && math.Hypot(nx-t.startX, ny-t.startY) > t.cfg.DragThreshold {
		t.moved = true
	}
	if !t.pendingUp || !t.down {
		t.pendingUp = false
		return Tap{}, false
	}
	t.pendingUp = false
	tap, ok := t.lift(now)
	t.down = false
	return tap, ok
}

// lift ends the owner's contact: a tap at its first point unless it
// dragged or repeats the last tap too soon.
func (t *Tracker) lift(now time.Time) (Tap, bool) {
	if t.moved {
		return Tap{}, false
	}
	cols, rows := t.cfg.Grid()
	tap := Tap{Col: cell(t.startX, cols), Row: cell(t.startY, rows), X: t.startX, Y: t.startY, RawX: t.rawX, RawY: t.rawY, Time: now}
	if t.haveLastTap && tap.Col == t.lastTap.Col && tap.Row == t.lastTap.Row && now.Sub(t.lastTap.Time) < t.cfg.DoubleTap {
		return Tap{}, false
	}
	t.lastTap, t.haveLastTap = tap, true
	return tap, true
}

func cell(v float64, n int) int {
	return min(max(int(v*float64(n)), 0), max(n-1, 0))
}

// normalise maps a raw point to 0..1 on the screen.
func (t *Tracker) normalise(x, y int32) (float64, float64) {
	return t.cfg.Cal.Apply(t.axes, x, y)
}

// Apply maps a raw point to 0..1 across the screen: swap, then the
// calibrated ranges (the scaling: panels whose raw range is not the
// screen's), then invert, then the offsets.
func (c Calibration) Apply(axes Axes, x, y int32) (float64, float64) {
	xr, yr := axes.X, axes.Y
	if c.SwapXY {
		x, y, xr, yr = y, x, yr, xr
	}
	if c.X.Max > c.X.Min {
		xr = c.X
	}
	if c.Y.Max > c.Y.Min {
		yr = c.Y
	}
	if c.InvertX {
		x = xr.Max - (x - xr.Min)
	}
	if c.InvertY {
		y = yr.Max - (y - yr.Min)
	}
	return unit(x+c.OffsetX, xr), unit(y+c.OffsetY, yr)
}

func unit(v int32, r Range) float64 {
	if r.Max <= r.Min {
		return 0
	}
	return min(max(float64(v-r.Min)/float64(r.Max-r.Min), 0), 1)
}

// Opener opens the device and reports its axes. Tests return pipes.
type Opener func() (io.ReadCloser, Axes, error)

// OpenPath is the real Opener for an evdev node.
func OpenPath(path string) Opener {
	return func() (io.ReadCloser, Axes, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, Axes{}, fmt.Errorf("touch: open: %w", err)
		}
		a, err := QueryAxes(f)
		if err != nil {
			f.Close()
			return nil, Axes{}, err
		}
		return f, a, nil
	}
}

// Reader owns the device: it reads, reopens after errors and emits taps.
type Reader struct {
	cfg    Config
	open   Opener
	log    *slog.Logger
	after  func(time.Duration) <-chan time.Time
	health *kiosk.HealthCell
}

// New returns a Reader for cfg.Path.
func New(cfg Config, log *slog.Logger) *Reader {
	return NewWithOpener(OpenPath(cfg.Path), cfg, log, nil)
}

// NewWithOpener is New with an injected opener and backoff timer (nil:
// time.After), for tests.
func NewWithOpener(open Opener, cfg Config, log *slog.Logger, after func(time.Duration) <-chan time.Time) *Reader {
	if log == nil {
		log = slog.Default()
	}
	if after == nil {
		after = time.After
	}
	return &Reader{cfg: cfg.withDefaults(), open: open, log: log, after: after,
		health: kiosk.NewHealthCell("touch", "absent", "not opened yet", time.Now())}
}

// Health is ok while the node is open and read, absent when it cannot be
// found (unplugged), error when it opens but fails.
func (r *Reader) Health() kiosk.DeviceHealth { return r.health.Get() }

func (r *Reader) setHealth(err error) {
	state, detail := "ok", r.cfg.Path
	switch {
	case err == nil:
	case errors.Is(err, os.ErrNotExist), errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENXIO):
		state, detail = "absent", err.Error()
	default:
		state, detail = "error", err.Error()
	}
	r.health.Set(state, detail, time.Now())
}

// Run reads taps until ctx ends, sending them to out (never closed here).
// When the device vanishes (USB unplugged, read error) it reopens it with
// exponential backoff capped at BackoffMax, forever: a touchscreen that
// comes back should work again without a restart.
func (r *Reader) Run(ctx context.Context, out chan<- Tap) error {
	backoff := r.cfg.BackoffMin
	var tracker *Tracker
	failing := false
	for ctx.Err() == nil {
		rc, axes, err := r.open()
		r.setHealth(err)
		if err != nil {
			if !failing {
				r.log.Warn("touchscreen unavailable; retrying", "path", r.cfg.Path, "err", err)
				failing = true
			}
			select {
			case <-ctx.Done():
				return nil
			case <-r.after(backoff):
			}
			backoff = min(backoff*2, r.cfg.BackoffMax)
			continue
		}
		if failing {
			r.log.Info("touchscreen back", "path", r.cfg.Path)
		}
		failing, backoff = false, r.cfg.BackoffMin
		if tracker == nil {
			tracker = NewTracker(r.cfg, axes)
		} else {
			tracker.axes = axes
			tracker.Reset()
		}
		err = r.readLoop(ctx, rc, tracker, out)
		if ctx.Err() != nil {
			return nil
		}
		r.setHealth(err)
		r.log.Warn("touchscreen read failed; reopening", "path", r.cfg.Path, "err", err)
		failing = true
		// Wait even before the first reopen: a node that opens but fails
		// every read must not make this loop spin.
		select {
		case <-ctx.Done():
			return nil
		case <-r.after(backoff):
		}
	}
	return nil
}

// readLoop reads until an error; closing rc on ctx cancellation unblocks
// the read, so no goroutine outlives Run.
func (r *Reader) readLoop(ctx context.Context, rc io.ReadCloser, t *Tracker, out chan<- Tap) error {
	stop := context.AfterFunc(ctx, func() { rc.Close() })
	defer func() {
		if stop() {
			rc.Close()
		}
	}()
	for {
		ev, err := ReadEvent(rc)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = fmt.Errorf("touch: short event: %w", err)
			}
			return err
		}
		if tap, ok := t.Feed(ev); ok {
			select {
			case out <- tap:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
}

// Sample is one calibration tap: the target's place on the screen (0..1
// across and down) and the raw point the panel reported for it.
type Sample struct {
	TargetX, TargetY float64
	X, Y             int32
}

// Calibrate fits a Calibration to three taps: a reference target, one
// straight across from it and one straight above or below it (the kioskctl
// selftest uses top-left, top-right, bottom-left). It finds whether the
// panel's axes are swapped or inverted and the raw values at the screen's
// edges (the scaling), with no offsets. It fails when two taps landed at
// the same raw place (a missed target, a dead panel).
func Calibrate(s [3]Sample) (Calibration, error) {
	var c Calibration
	dx, dy := abs32(s[1].X-s[0].X), abs32(s[1].Y-s[0].Y)
	c.SwapXY = dy > dx // moving across the screen moved the panel's Y
	raw := func(p Sample) (int32, int32) {
		if c.SwapXY {
			return p.Y, p.X
		}
		return p.X, p.Y
	}
	fit := func(t0, t1 float64, r0, r1 int32, axis string) (Range, bool, error) {
		if r0 == r1 || t0 == t1 {
			return Range{}, false, fmt.Errorf("touch: calibrate: two taps gave the same raw %s (%d): was a target missed?", axis, r0)
		}
		slope := (t1 - t0) / float64(r1-r0) // screen fraction per raw unit
		lo := float64(r0) - t0/slope        // raw value at fraction 0
		hi := lo + 1/slope                  // raw value at fraction 1
		if slope < 0 {
			return Range{int32(math.Round(hi)), int32(math.Round(lo))}, true, nil
		}
		return Range{int32(math.Round(lo)), int32(math.Round(hi))}, false, nil
	}
	x0, y0 := raw(s[0])
	x1, _ := raw(s[1])
	_, y2 := raw(s[2])
	var err error
	if c.X, c.InvertX, err = fit(s[0].TargetX, s[1].TargetX, x0, x1, "x"); err != nil {
		return Calibration{}, err
	}
	if c.Y, c.InvertY, err = fit(s[0].TargetY, s[2].TargetY, y0, y2, "y"); err != nil {
		return Calibration{}, err
	}
	return c, nil
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// FromConfig is the calibration the kiosk's configuration describes.
func FromConfig(c kiosk.TouchCalibration) Calibration {
	return Calibration{
		SwapXY: c.SwapXY, InvertX: c.InvertX, InvertY: c.InvertY,
		OffsetX: int32(c.OffsetX), OffsetY: int32(c.OffsetY),
		X: Range{int32(c.MinX), int32(c.MaxX)}, Y: Range{int32(c.MinY), int32(c.MaxY)},
	}
}
