// Package escpostest is a fake ESC/POS printer on the far side of an
// escpos.Port: it records what was printed and answers real-time status
// requests (DLE EOT n) the way the configured printer state says, or not at
// all, like the many printers that never answer.
package escpostest

import (
	"bytes"
	"os"
	"sync"
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
	mu       sync.Mutex
	written  bytes.Buffer
	answers  map[byte]byte
	writeErr error
	deadline time.Time
	pending  chan byte
	requests int
	tail     []byte // last bytes of the previous write, for split requests
}

// New returns a healthy printer that answers every status request.
func New() *Printer {
	p := &Printer{pending: make(chan byte, 256)}
	p.SetStatus(StatusOnline, CauseNone, PaperOK)
	return p
}

// SetStatus sets the answers to DLE EOT 1, 2 and 4.
func (p *Printer) SetStatus(printer, cause, paper byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.answers = map[byte]byte{1: printer, 2: cause, 3: 0x12, 4: paper}
}

// Silent makes the printer ignore status requests.
func (p *Printer) Silent() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.answers = nil
}

// PaperOut sets the state of a printer whose roll is empty.
func (p *Printer) PaperOut() { p.SetStatus(StatusOffline, CausePaperOut, PaperEnd) }

// FailWrites makes every later Write fail with err (nil heals it).
func (p *Printer) FailWrites(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writeErr = err
}

// Write records b and queues an answer for each DLE EOT n in it. It scans
// every byte, raster data included: a status request hidden in image data
// would be answered here just as a real printer would.
func (p *Printer) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.writeErr != nil {
		return 0, p.writeErr
	}
	p.written.Write(b)
	s := append(append([]byte(nil), p.tail...), b...)
	for i := 0; i+2 < len(s); i++ {
		if i+2 < len(p.tail) {
			continue // already seen in the previous write
		}
		if s[i] == 0x10 && s[i+1] == 0x04 && s[i+2] >= 1 && s[i+2] <= 4 {
			p.requests++
			if a, ok := p.answers[s[i+2]]; ok {
				select {
				case p.pending <- a:
				default:
				}
			}
		}
	}
	if len(s) > 2 {
		s = s[len(s)-2:]
	}
	p.tail = s
	return len(b), nil
}

// Read returns queued status answers, waiting until the read deadline.
func (p *Printer) Read(b []byte) (int, error) {
	p.mu.Lock()
	dl := p.deadline
	p.mu.Unlock()
	var timeout <-chan time.Time
	if !dl.IsZero() {
		t := time.NewTimer(time.Until(dl))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case c := <-p.pending:
		b[0] = c
		return 1, nil
	default:
	}
	select {
	case c := <-p.pending:
		b[0] = c
		return 1, nil
	case <-timeout:
		return 0, os.ErrDeadlineExceeded
	}
}

// SetReadDeadline implements escpos.Port.
func (p *Printer) SetReadDeadline(t time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deadline = t
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
