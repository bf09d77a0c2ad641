// Package vpcd plugs a virtual card into pcscd through vsmartcard's vpcd
// reader driver. vpcd is the TCP server; the card dials it, and closing the
// socket is card removal.
//
// Wire format, both directions: a 2-byte big-endian length, then the
// payload. A 1-byte payload from vpcd is a control code (power off, power
// on, reset: no reply; get ATR: reply with the ATR). Anything longer is a
// command APDU, answered with exactly one frame (data + SW1 SW2).
//
// Concurrency: the slot serves requests strictly one at a time. That is
// also what vpcd does: pcscd serialises every IFD handler call of a slot
// under the reader's mutex and vpcd waits for each reply on the same
// socket, so pcscd cannot send its 400 ms get-ATR poll while an APDU is
// pending; the poll simply waits until the slow APDU is answered. A card
// whose Process never returns therefore hangs that reader until Remove.
// drivers/pcsc's TestSlowCard checks a 1.2 s APDU against the real pcscd.
package vpcd

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// DefaultAddr is the first slot of Debian's vpcd (reader "Virtual PCD 00 00").
const DefaultAddr = "127.0.0.1:35963"

// Control codes vpcd sends as 1-byte payloads.
const (
	ctrlPowerOff byte = 0x00
	ctrlPowerOn  byte = 0x01
	ctrlReset    byte = 0x02
	ctrlGetATR   byte = 0x04
)

// Card is a virtual card. Methods are called from one goroutine at a time.
type Card interface {
	ATR() []byte
	// Reset drops volatile state (selected file, verified PINs); called on
	// power off, power on and reset, like a real card losing power.
	Reset()
	// Process answers one command APDU with data + SW1 SW2.
	Process(apdu []byte) []byte
}

// Option configures a Slot.
type Option func(*config)

type config struct {
	apduLog io.Writer
	logger  *slog.Logger
}

// WithAPDULog writes one line per APDU (LogLine), each line in a single
// Write call. The slot never writes concurrently with itself; when
// several slots share one writer, or a test reads it, use a Log. Test
// cards only, never on a kiosk.
func WithAPDULog(w io.Writer) Option { return func(c *config) { c.apduLog = w } }

// LogLine is an APDU log line, "<command hex> <response hex>\n", with the
// data of every command that carries a PIN (VERIFY, CHANGE REFERENCE
// DATA, RESET RETRY COUNTER) written as zeros of its length: a log a
// tester keeps must not hold a PIN, even a test card's, which someone
// may have typed as their own. Lengths stay, so counts and offsets do.
func LogLine(cmd, rsp []byte) string {
	if len(cmd) > 5 && (cmd[1] == 0x20 || cmd[1] == 0x24 || cmd[1] == 0x2C) {
		cmd = append(cmd[:5:5], make([]byte, len(cmd)-5)...)
	}
	return hex.EncodeToString(cmd) + " " + hex.EncodeToString(rsp) + "\n"
}

// WithLogger sets the logger for connection-level events.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// Log is an APDU log that may be read while slots still write it: a
// test reads what the card saw once the driver has its answer, but that
// answer went through a socket and pcscd, which is no synchronisation the
// race detector (or the memory model) knows of. Safe for several slots.
type Log struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// Bytes is a copy of what was logged so far.
func (l *Log) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// String is what was logged so far.
func (l *Log) String() string { return string(l.Bytes()) }

// Slot is one inserted card: a live connection to a vpcd slot.
type Slot struct {
	conn *net.TCPConn
	card Card
	cfg  config
	done chan struct{}

	closeOnce sync.Once
	mu        sync.Mutex
	removed   bool
	err       error // why serving stopped, nil after Remove
}

// Insert dials vpcd at addr (the card is the TCP client) and serves c on
// the connection in a goroutine until Remove or until vpcd closes it. ctx
// bounds only the dial, as with net.Dialer.DialContext; Remove ends the
// insertion.
//
// Never use a dial to check whether vpcd is up: every connection is a
// card insertion.
func Insert(ctx context.Context, addr string, c Card, opts ...Option) (*Slot, error) {
	cfg := config{logger: slog.Default()}
	for _, o := range opts {
		o(&cfg)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("vpcd: insert card at %s: %w", addr, err)
	}
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		nc.Close()
		return nil, fmt.Errorf("vpcd: %s: not a TCP connection", addr)
	}
	// Small frames in request/response: no Nagle delay on our side either.
	if err := tc.SetNoDelay(true); err != nil {
		tc.Close()
		return nil, fmt.Errorf("vpcd: set TCP_NODELAY: %w", err)
	}
	s := &Slot{conn: tc, card: c, cfg: cfg, done: make(chan struct{})}
	go s.serve()
	return s, nil
}

// Remove closes the socket, which vpcd reports as card removal, and waits
// until the serving goroutine has returned (so no Card method runs after
// Remove returns). It is safe to call more than once.
func (s *Slot) Remove() error {
	var err error
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.removed = true
		s.mu.Unlock()
		err = s.conn.Close()
	})
	<-s.done
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("vpcd: remove card: %w", err)
	}
	return nil
}

// Done is closed when the slot stops serving: after Remove, or when vpcd
// closed the connection (pcscd stopped).
func (s *Slot) Done() <-chan struct{} { return s.done }

// Err says why serving stopped without Remove (nil while serving and
// after Remove; io.EOF when vpcd closed the connection).
func (s *Slot) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *Slot) serve() {
	defer close(s.done)
	err := s.loop()
	s.mu.Lock()
	if !s.removed {
		s.err = err
	}
	removed := s.removed
	s.mu.Unlock()
	if !removed {
		s.cfg.logger.Info("vpcd: connection ended", "addr", s.conn.RemoteAddr().String(), "err", err)
		s.conn.Close()
	}
}

func (s *Slot) loop() error {
	return s.serveFrames(quickAckReader{c: s.conn}, s.conn)
}

// serveFrames answers the frames read from r on w, one at a time, until r
// ends or fails (io.EOF at a frame boundary, io.ErrUnexpectedEOF inside
// one) or a reply cannot be written.
func (s *Slot) serveFrames(r io.Reader, w io.Writer) error {
	var hdr [2]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return fmt.Errorf("read frame length: %w", err)
		}
		n := binary.BigEndian.Uint16(hdr[:])
		msg := make([]byte, n)
		if _, err := io.ReadFull(r, msg); err != nil {
			if err == io.EOF {
				// The length promised a payload: the stream was cut
				// inside a frame, not closed between frames.
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("read frame of %d bytes: %w", n, err)
		}
		reply, ok := s.handle(msg)
		if !ok {
			continue
		}
		if err := writeFrame(w, reply); err != nil {
			return err
		}
	}
}

// handle answers one frame; ok is false when no reply is due.
func (s *Slot) handle(msg []byte) (reply []byte, ok bool) {
	switch len(msg) {
	case 0:
		// Not part of the protocol; answering would desynchronise us.
		s.cfg.logger.Warn("vpcd: empty frame ignored")
		return nil, false
	case 1:
		switch msg[0] {
		case ctrlPowerOff, ctrlPowerOn, ctrlReset:
			s.card.Reset()
			return nil, false
		case ctrlGetATR:
			// pcscd polls this every 400 ms in every state: answer at
			// once and change nothing.
			return s.card.ATR(), true
		default:
			s.cfg.logger.Warn("vpcd: unknown control code ignored", "code", msg[0])
			return nil, false
		}
	}
	rsp := s.card.Process(msg)
	if s.cfg.apduLog != nil {
		if _, err := io.WriteString(s.cfg.apduLog, LogLine(msg, rsp)); err != nil {
			s.cfg.logger.Warn("vpcd: APDU log write failed", "err", err)
		}
	}
	return rsp, true
}

func writeFrame(w io.Writer, payload []byte) error {
	if len(payload) > 0xFFFF {
		return fmt.Errorf("vpcd: reply of %d bytes does not fit a frame", len(payload))
	}
	// One write for length and payload: one segment on the wire.
	buf := make([]byte, 2+len(payload))
	binary.BigEndian.PutUint16(buf, uint16(len(payload)))
	copy(buf[2:], payload)
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("write frame: %w", err)
	}
	return nil
}

// quickAckReader re-arms TCP_QUICKACK before every read. Linux clears the
// flag after use, and vpcd 3.3 sends length and payload in two writes:
// with delayed ACKs the second write waits for our ACK, ~44 ms per APDU.
type quickAckReader struct{ c *net.TCPConn }

func (r quickAckReader) Read(p []byte) (int, error) {
	setQuickAck(r.c)
	return r.c.Read(p)
}

func setQuickAck(c syscall.Conn) {
	rc, err := c.SyscallConn()
	if err != nil {
		return // closed: the read that follows reports it
	}
	// Best effort: failing costs latency, not correctness.
	_ = rc.Control(func(fd uintptr) {
		_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_QUICKACK, 1)
	})
}
