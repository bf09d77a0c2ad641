// Package touchtest writes evdev event streams the way the kernel does,
// the test double for drivers/touch: feed Script.Bytes() through any
// io.Reader or pipe, or save them as recordings (drivers/touch/testdata).
package touchtest

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/villagehall/kiosk/drivers/touch"
)

// Script builds an event stream.
//
// MT selects the type B multitouch protocol: ABS_MT_SLOT (only when the
// slot changes, as the input core sends it), ABS_MT_TRACKING_ID and
// ABS_MT_POSITION_* (only changed values: evdev drops repeats).
// PointerEmulation adds what input_mt_report_pointer_emulation sends after
// the slots in each frame for a touchscreen: BTN_TOUCH and ABS_X/ABS_Y of
// the oldest contact. Timestamps adds hid-multitouch's
// MSC_TIMESTAMP. Without MT the stream is a single-touch panel's: BTN_TOUCH
// and ABS_X/ABS_Y.
type Script struct {
	MT               bool
	PointerEmulation bool
	Timestamps       bool
	// Button is the key a single-touch stream presses: BTN_TOUCH by
	// default, BTN_LEFT for controllers that report as an absolute
	// pointer (and qemu's usb-tablet and virtio-tablet).
	Button uint16

	t       time.Time
	start   time.Time
	buf     bytes.Buffer
	slot    int32 // slot last sent; the kernel starts at 0
	nextID  int32
	fingers map[int]*finger
	last    map[[2]uint16]int32 // last value sent per (type, code): keys and the emulated pointer
	slotPos map[[2]int]int32    // last position sent per (slot, axis): it outlives the contact
}

type finger struct{ id, x, y int32 }

// NewScript starts a stream at time start.
func NewScript(start time.Time) *Script {
	return &Script{t: start, start: start, nextID: 1, fingers: map[int]*finger{}, last: map[[2]uint16]int32{}, slotPos: map[[2]int]int32{}}
}

func (s *Script) emit(typ, code uint16, v int32) {
	s.buf.Write(touch.Event{Time: s.t, Type: typ, Code: code, Value: v}.Marshal())
}

// emitChanged sends a value only if it differs from the last one sent
// (the device's state starts at 0), as the input core filters key and
// absolute events.
func (s *Script) emitChanged(typ, code uint16, v int32) {
	k := [2]uint16{typ, code}
	if s.last[k] == v {
		return
	}
	s.last[k] = v
	s.emit(typ, code, v)
}

// syn ends a frame with pointer emulation and the timestamp.
func (s *Script) syn() {
	if s.MT && s.PointerEmulation {
		var oldest *finger
		for _, f := range s.fingers {
			if oldest == nil || f.id < oldest.id {
				oldest = f
			}
		}
		// Touchscreens (INPUT_MT_DIRECT) get no BTN_TOOL_* finger count.
		s.emitChanged(touch.EvKey, touch.BtnTouch, b2i(len(s.fingers) > 0))
		if oldest != nil {
			s.emitChanged(touch.EvAbs, touch.AbsX, oldest.x)
			s.emitChanged(touch.EvAbs, touch.AbsY, oldest.y)
		}
	}
	if s.Timestamps {
		s.emit(touch.EvMsc, touch.MscTimestamp, int32(s.t.Sub(s.start).Microseconds()))
	}
	s.emit(touch.EvSyn, touch.SynReport, 0)
}

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

func (s *Script) selectSlot(slot int) {
	if int32(slot) != s.slot {
		s.slot = int32(slot)
		s.emit(touch.EvAbs, touch.AbsMTSlot, s.slot)
	}
}

func (s *Script) mtPos(slot int, f *finger, x, y int32) {
	f.x, f.y = x, y
	for axis, v := range [2]int32{x, y} {
		k := [2]int{slot, axis}
		if s.slotPos[k] == v { // a slot's values start at 0 and outlive its contacts
			continue
		}
		s.slotPos[k] = v
		s.emit(touch.EvAbs, uint16(touch.AbsMTPositionX+axis), v)
	}
}

// Wait advances the event clock.
func (s *Script) Wait(d time.Duration) *Script { s.t = s.t.Add(d); return s }

// FingerDown puts a finger down in slot at x, y (raw units), one frame.
func (s *Script) FingerDown(slot int, x, y int32) *Script {
	if !s.MT {
		return s.Down(x, y)
	}
	s.selectSlot(slot)
	f := &finger{id: s.nextID}
	s.nextID++
	s.fingers[slot] = f
	s.emit(touch.EvAbs, touch.AbsMTTracking, f.id)
	s.mtPos(slot, f, x, y)
	s.syn()
	return s
}

// FingerMove moves the finger in slot, one frame.
func (s *Script) FingerMove(slot int, x, y int32) *Script {
	f := s.fingers[slot]
	if !s.MT || f == nil {
		return s.Move(x, y)
	}
	s.selectSlot(slot)
	s.mtPos(slot, f, x, y)
	s.syn()
	return s
}

// FingerUp lifts the finger in slot, one frame.
func (s *Script) FingerUp(slot int) *Script {
	if !s.MT {
		return s.Up()
	}
	s.selectSlot(slot)
	s.emit(touch.EvAbs, touch.AbsMTTracking, -1)
	delete(s.fingers, slot)
	s.syn()
	return s
}

// freeSlot is the lowest slot without a finger.
func (s *Script) freeSlot() int {
	for i := 0; ; i++ {
		if _, ok := s.fingers[i]; !ok {
			return i
		}
	}
}

// firstSlot is the slot of the oldest finger (0 if none).
func (s *Script) firstSlot() int {
	best, slot := int32(-1), 0
	for i, f := range s.fingers {
		if best < 0 || f.id < best {
			best, slot = f.id, i
		}
	}
	return slot
}

// Down puts a finger down at x, y (raw units): on MT, in the lowest free slot.
func (s *Script) Down(x, y int32) *Script {
	if s.MT {
		return s.FingerDown(s.freeSlot(), x, y)
	}
	s.emitChanged(touch.EvKey, s.button(), 1)
	s.emitChanged(touch.EvAbs, touch.AbsX, x)
	s.emitChanged(touch.EvAbs, touch.AbsY, y)
	s.syn()
	return s
}

// Move reports the (oldest) finger at x, y.
func (s *Script) Move(x, y int32) *Script {
	if s.MT {
		return s.FingerMove(s.firstSlot(), x, y)
	}
	s.emitChanged(touch.EvAbs, touch.AbsX, x)
	s.emitChanged(touch.EvAbs, touch.AbsY, y)
	s.syn()
	return s
}

// Up lifts the (oldest) finger.
func (s *Script) Up() *Script {
	if s.MT {
		return s.FingerUp(s.firstSlot())
	}
	s.emitChanged(touch.EvKey, s.button(), 0)
	s.syn()
	return s
}

func (s *Script) button() uint16 {
	if s.Button == 0 {
		return touch.BtnTouch
	}
	return s.Button
}

// Tap is Down, 60 ms, Up.
func (s *Script) Tap(x, y int32) *Script { return s.Down(x, y).Wait(60 * time.Millisecond).Up() }

// Dropped reports that the kernel's buffer overflowed (SYN_DROPPED).
func (s *Script) Dropped() *Script { s.emit(touch.EvSyn, touch.SynDropped, 0); return s }

// Bytes is the stream so far.
func (s *Script) Bytes() []byte { return bytes.Clone(s.buf.Bytes()) }

// Pipe returns a reader that yields the stream and then blocks until
// closed, like a device node with no more touches.
func (s *Script) Pipe() io.ReadCloser { return Pipe(s.Bytes()) }

// Unplugged yields the stream, then fails as a read on an evdev node fails
// once its USB panel is pulled: ENODEV (not EOF).
func (s *Script) Unplugged() io.ReadCloser {
	return io.NopCloser(io.MultiReader(bytes.NewReader(s.Bytes()), errReader{unix.ENODEV}))
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// Pipe returns a reader that yields data and then blocks until closed.
// The writing goroutine ends as soon as the data is read or the reader
// is closed.
func Pipe(data []byte) io.ReadCloser {
	r, w := io.Pipe()
	go func() {
		// w is never closed: the reader sees no EOF.
		_, _ = w.Write(data)
	}()
	return r
}

// Dump writes a stream one event per line, like evemu-record, so a
// recording can be reviewed: time since the first event, type, code,
// value, and the names.
func Dump(data []byte) (string, error) {
	var b strings.Builder
	r := bytes.NewReader(data)
	var t0 time.Time
	for i := 0; r.Len() > 0; i++ {
		ev, err := touch.ReadEvent(r)
		if err != nil {
			return b.String(), fmt.Errorf("touchtest: event %d: %w", i, err)
		}
		if i == 0 {
			t0 = ev.Time
		}
		d := ev.Time.Sub(t0)
		fmt.Fprintf(&b, "E: %d.%06d %04x %04x %d\t# %s\n", d/time.Second, (d%time.Second)/time.Microsecond, ev.Type, ev.Code, ev.Value, name(ev))
	}
	return b.String(), nil
}

func name(ev touch.Event) string {
	types := map[uint16]string{touch.EvSyn: "EV_SYN", touch.EvKey: "EV_KEY", touch.EvAbs: "EV_ABS", touch.EvMsc: "EV_MSC"}
	codes := map[[2]uint16]string{
		{touch.EvSyn, touch.SynReport}: "SYN_REPORT", {touch.EvSyn, touch.SynDropped}: "SYN_DROPPED",
		{touch.EvKey, touch.BtnTouch}: "BTN_TOUCH", {touch.EvKey, touch.BtnLeft}: "BTN_LEFT", {touch.EvKey, touch.BtnToolFinger}: "BTN_TOOL_FINGER",
		{touch.EvKey, touch.BtnToolDoubletap}: "BTN_TOOL_DOUBLETAP",
		{touch.EvAbs, touch.AbsX}:             "ABS_X", {touch.EvAbs, touch.AbsY}: "ABS_Y", {touch.EvAbs, touch.AbsPressure}: "ABS_PRESSURE",
		{touch.EvAbs, touch.AbsMTSlot}: "ABS_MT_SLOT", {touch.EvAbs, touch.AbsMTTracking}: "ABS_MT_TRACKING_ID",
		{touch.EvAbs, touch.AbsMTPositionX}: "ABS_MT_POSITION_X", {touch.EvAbs, touch.AbsMTPositionY}: "ABS_MT_POSITION_Y",
		{touch.EvMsc, touch.MscTimestamp}: "MSC_TIMESTAMP",
	}
	t, ok := types[ev.Type]
	if !ok {
		t = fmt.Sprintf("type %#x", ev.Type)
	}
	c, ok := codes[[2]uint16{ev.Type, ev.Code}]
	if !ok {
		c = fmt.Sprintf("code %#x", ev.Code)
	}
	return t + " " + c
}
