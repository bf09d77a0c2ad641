// Package escpostest is a fake ESC/POS printer on the far side of an
// escpos.Port: it records what was printed and answers real-time status
// requests (DLE EOT n) the way the configured printer state says, or not at
// all, like the many printers that never answer. It can be as nasty as the
// field: stall (take no more bytes), lie (answer garbage), have no back
// channel (reads fail with EINVAL, as usblp does) or vanish (writes fail).
// Deadlines wake blocked calls, as os.File's do.
package escpostest

import (
	"bytes"
	"os"
	"sync"
	"syscall"
	"time"
)

// Status bytes as a printer sends them (fixed bits 1 and 4 set).
const (
	StatusOnline   byte = 0x12 // DLE EOT 1: online
	StatusOffline  byte = 0x1a // DLE EOT 1: offline
	CauseNone      byte = 0x12 // DLE EOT 2: no offline cause
	CauseCoverOpen byte = 0x16
	CausePaperOut  byte = 0x32
	PaperOK        byte = 0x12 // DLE EOT 4: paper present
	PaperNearEnd   byte = 0x1e
	PaperEnd       byte = 0x72
)

// Printer implements escpos.Port. The zero value is not usable; use New.
type Printer struct {
	mu        sync.Mutex
	written   bytes.Buffer
	answers   map[byte]byte
	garbage   *byte
	writeErr  error
	readErr   error
	budget    int // bytes still taken before the printer stalls; -1: no stall
	rdeadline time.Time
	wdeadline time.Time
	wake      chan struct{} // closed when a deadline or the state changes
	pending   []byte
	requests  int
	waiting   int    // Writes blocked on a stall
	tail      []byte // last bytes of the previous write, for split requests
}

// New returns a healthy printer that answers every status request.
func New() *Printer {
	p := &Printer{budget: -1, wake: make(chan struct{})}
	p.SetStatus(StatusOnline, CauseNone, PaperOK)
	return p
}

// changed wakes every blocked call; p.mu is held.
func (p *Printer) changed() {
	close(p.wake)
	p.wake = make(chan struct{})
}

func (p *Printer) update(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f()
	p.changed()
}

// SetStatus sets the answers to DLE EOT 1, 2 and 4.
func (p *Printer) SetStatus(printer, cause, paper byte) {
	p.update(func() { p.answers, p.garbage = map[byte]byte{1: printer, 2: cause, 3: 0x12, 4: paper}, nil })
}

// Silent makes the printer ignore status requests.
func (p *Printer) Silent() { p.update(func() { p.answers, p.garbage = nil, nil }) }

// Garbage makes the printer answer every status request with b.
func (p *Printer) Garbage(b byte) { p.update(func() { p.garbage = &b }) }

// PaperOut sets the state of a printer whose roll is empty.
func (p *Printer) PaperOut() { p.SetStatus(StatusOffline, CausePaperOut, PaperEnd) }

// FailWrites makes every later Write fail with err (nil heals it).
func (p *Printer) FailWrites(err error) { p.update(func() { p.writeErr = err }) }

// Unidirectional makes reads fail with EINVAL, like usblp on a printer
// that cannot send data back.
func (p *Printer) Unidirectional() { p.update(func() { p.readErr = syscall.EINVAL }) }

// StallAfter makes the printer take n more bytes, then nothing: writes
// block until their deadline. n < 0 heals it.
func (p *Printer) StallAfter(n int) { p.update(func() { p.budget = n }) }

// Stall is StallAfter(0): not one more byte.
func (p *Printer) Stall() { p.StallAfter(0) }

// wait blocks until the deadline passes or something changes; p.mu is
// held on entry and on return. It reports false once the deadline passed.
func (p *Printer) wait(deadline time.Time) bool {
	if !deadline.IsZero() && !time.Now().Before(deadline) {
		return false
	}
	wake := p.wake
	p.mu.Unlock()
	defer p.mu.Lock()
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-wake:
	case <-timeout:
	}
	return true
}

// Write records b and queues an answer for each DLE EOT n in it. It scans
// every byte, raster data included: a status request hidden in image data
// would be answered here just as a real printer would.
func (p *Printer) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for {
		if p.writeErr != nil {
			return n, p.writeErr
		}
		take := len(b)
		if p.budget >= 0 {
			take = min(take, p.budget)
			p.budget -= take
		}
		p.accept(b[:take])
		b, n = b[take:], n+take
		if len(b) == 0 {
			return n, nil
		}
		p.waiting++
		ok := p.wait(p.wdeadline)
		p.waiting--
		if !ok {
			return n, os.ErrDeadlineExceeded
		}
	}
}

func (p *Printer) accept(b []byte) {
	if len(b) == 0 {
		return
	}
	p.written.Write(b)
	s := append(append([]byte(nil), p.tail...), b...)
	for i := 0; i+2 < len(s); i++ {
		if s[i] == 0x10 && s[i+1] == 0x04 && s[i+2] >= 1 && s[i+2] <= 4 {
			p.requests++
			switch a, ok := p.answers[s[i+2]]; {
			case p.garbage != nil:
				p.pending = append(p.pending, *p.garbage)
			case ok:
				p.pending = append(p.pending, a)
			}
		}
	}
	if len(s) > 2 {
		s = s[len(s)-2:]
	}
	p.tail = s
	p.changed()
}

// Read returns queued status answers, waiting until the read deadline.
func (p *Printer) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if p.readErr != nil {
			return 0, p.readErr
		}
		if len(p.pending) > 0 {
			n := copy(b, p.pending[:1]) // one byte per read, as a slow back channel
			p.pending = p.pending[n:]
			return n, nil
		}
		if !p.wait(p.rdeadline) {
			return 0, os.ErrDeadlineExceeded
		}
	}
}

// SetReadDeadline implements escpos.Port; it wakes a blocked Read.
func (p *Printer) SetReadDeadline(t time.Time) error {
	p.update(func() { p.rdeadline = t })
	return nil
}

// SetWriteDeadline implements escpos.Port; it wakes a blocked Write.
func (p *Printer) SetWriteDeadline(t time.Time) error {
	p.update(func() { p.wdeadline = t })
	return nil
}

// Written returns every byte received, status requests included.
func (p *Printer) Written() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.written.Bytes())
}

// Printed returns what was received without the status requests. Only
// valid because the encoder guarantees DLE EOT never occurs inside data.
func (p *Printer) Printed() []byte {
	w := p.Written()
	var out []byte
	for i := 0; i < len(w); i++ {
		if i+2 < len(w) && w[i] == 0x10 && w[i+1] == 0x04 && w[i+2] >= 1 && w[i+2] <= 4 {
			i += 2
			continue
		}
		out = append(out, w[i])
	}
	return out
}

// Requests is the number of DLE EOT requests seen.
func (p *Printer) Requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

// Waiting reports whether a Write is blocked on a stalled printer, so a
// test can cancel at the right moment without sleeping.
func (p *Printer) Waiting() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waiting > 0
}
