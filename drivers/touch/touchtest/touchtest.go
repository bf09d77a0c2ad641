// Package touchtest writes synthetic evdev event streams, the test double
// for drivers/touch: feed Script.Bytes() through any io.Reader or pipe.
package touchtest

import (
	"bytes"
	"io"
	"time"

	"github.com/villagehall/kiosk/drivers/touch"
)

// Script builds an event stream. MT selects ABS_MT_POSITION_* with
// tracking ids and no BTN_TOUCH, like type B multitouch panels.
type Script struct {
	MT   bool
	t    time.Time
	buf  bytes.Buffer
	slot int32
}

// NewScript starts a stream at time start.
func NewScript(start time.Time) *Script { return &Script{t: start} }

func (s *Script) emit(typ, code uint16, v int32) {
	s.buf.Write(touch.Event{Time: s.t, Type: typ, Code: code, Value: v}.Marshal())
}

func (s *Script) syn() { s.emit(touch.EvSyn, touch.SynReport, 0) }

func (s *Script) pos(x, y int32) {
	if s.MT {
		s.emit(touch.EvAbs, touch.AbsMTPositionX, x)
		s.emit(touch.EvAbs, touch.AbsMTPositionY, y)
		return
	}
	s.emit(touch.EvAbs, touch.AbsX, x)
	s.emit(touch.EvAbs, touch.AbsY, y)
}

// Wait advances the event clock.
func (s *Script) Wait(d time.Duration) *Script { s.t = s.t.Add(d); return s }

// Down puts a finger down at x, y (raw units).
func (s *Script) Down(x, y int32) *Script {
	if s.MT {
		s.slot++
		s.emit(touch.EvAbs, touch.AbsMTTracking, s.slot)
	} else {
		s.emit(touch.EvKey, touch.BtnTouch, 1)
	}
	s.pos(x, y)
	s.syn()
	return s
}

// Move reports the finger at x, y.
func (s *Script) Move(x, y int32) *Script { s.pos(x, y); s.syn(); return s }

// Up lifts the finger.
func (s *Script) Up() *Script {
	if s.MT {
		s.emit(touch.EvAbs, touch.AbsMTTracking, -1)
	} else {
		s.emit(touch.EvKey, touch.BtnTouch, 0)
	}
	s.syn()
	return s
}

// Tap is Down, 60 ms, Up.
func (s *Script) Tap(x, y int32) *Script { return s.Down(x, y).Wait(60 * time.Millisecond).Up() }

// Dropped reports that the kernel's buffer overflowed (SYN_DROPPED).
func (s *Script) Dropped() *Script { s.emit(touch.EvSyn, touch.SynDropped, 0); return s }

// Bytes is the stream so far.
func (s *Script) Bytes() []byte { return bytes.Clone(s.buf.Bytes()) }

// Pipe returns a reader that yields the stream and then blocks until
// closed, like a device node with no more touches. The writing goroutine
// ends when the reader is closed.
func (s *Script) Pipe() io.ReadCloser {
	r, w := io.Pipe()
	data := s.Bytes()
	go func() {
		// w is never closed: the reader sees no EOF, and this goroutine
		// ends as soon as the data is read or the reader is closed.
		_, _ = w.Write(data)
	}()
	return r
}
