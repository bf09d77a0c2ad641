// Package vscardtest is qemu's side of the VSCard protocol for tests: a
// stand-in for ccid-card-passthru and the guest's reader behind it.
package vscardtest

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/pcsc/vscard"
)

// QEMU plays qemu's ccid-card-passthru side on a unix socket, written from
// qemu's source and independent of package vscard's framing code: it
// buffers input the way qemu does (64 KiB, the connection dropped past it),
// answers Init with Init and ReaderAdd/ATR/CardRemove with Error, checks
// ATRs as qemu does, and sends APDUs as the guest's reader would. It writes
// header and payload in separate writes, as qemu does. One card side at a
// time, like qemu's socket chardev.
type QEMU struct {
	t    testing.TB
	ln   net.Listener
	addr string
	opts options

	mu     sync.Mutex
	conn   net.Conn
	events []string // "Init v=2 caps=1", "ReaderAdd name", "ATR hex", "CardRemove", "Error 1", ...
	apdus  chan []byte
	wake   chan struct{}
	deaf   chan struct{} // closed by StopReading: a hung qemu reads nothing more
}

// Option makes the stand-in misbehave as qemu can.
type Option func(*options)

type options struct {
	split     bool
	stallOn   uint32
	refuseATR bool
}

// SplitWrites feeds the card side one byte per write.
func SplitWrites() Option { return func(o *options) { o.split = true } }

// StallOn never answers messages of this type (a hung qemu).
func StallOn(t vscard.Type) Option { return func(o *options) { o.stallOn = uint32(t) } }

// RefuseATR answers every ATR with GeneralError.
func RefuseATR() Option { return func(o *options) { o.refuseATR = true } }

// Start listens on a socket in t's temporary directory until t ends.
func Start(t testing.TB, opts ...Option) *QEMU {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ccid.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	q := &QEMU{t: t, ln: ln, addr: "unix:" + path, apdus: make(chan []byte, 16), wake: make(chan struct{}, 1),
		deaf: make(chan struct{})}
	for _, o := range opts {
		o(&q.opts)
	}
	t.Cleanup(func() {
		ln.Close()
		q.mu.Lock()
		if q.conn != nil {
			q.conn.Close()
		}
		q.mu.Unlock()
	})
	go q.acceptLoop()
	return q
}

func (q *QEMU) acceptLoop() {
	for {
		c, err := q.ln.Accept()
		if err != nil {
			return
		}
		q.mu.Lock()
		q.conn = c
		q.mu.Unlock()
		q.readLoop(c) // like qemu's socket chardev: one client at a time
	}
}

func (q *QEMU) event(format string) {
	q.mu.Lock()
	q.events = append(q.events, format)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// readLoop mirrors ccid_card_vscard_read: append to a 64 KiB buffer, handle
// every complete message, drop the connection on overflow.
func (q *QEMU) readLoop(c net.Conn) {
	buf := make([]byte, 0, 64<<10)
	chunk := make([]byte, 4096)
	for {
		select {
		case <-q.deaf:
			q.event("deaf")
			return // the connection stays open, unread, until the test ends
		default:
		}
		n, err := c.Read(chunk)
		if err != nil {
			q.event("closed")
			return
		}
		if len(buf)+n > 64<<10 {
			q.event("overflow")
			c.Close()
			return
		}
		buf = append(buf, chunk[:n]...)
		for len(buf) >= 12 {
			typ := binary.BigEndian.Uint32(buf[0:])
			rid := binary.BigEndian.Uint32(buf[4:])
			l := binary.BigEndian.Uint32(buf[8:])
			if uint32(len(buf)-12) < l {
				break
			}
			q.handle(c, typ, rid, slices.Clone(buf[12:12+l]))
			buf = buf[12+l:]
		}
	}
}

func (q *QEMU) handle(c net.Conn, typ, rid uint32, data []byte) {
	if typ == q.opts.stallOn {
		q.event("stalled")
		return
	}
	switch typ {
	case 1: // Init
		v := uint32(0)
		if len(data) >= 8 {
			v = binary.BigEndian.Uint32(data[4:])
		}
		magic := ""
		if len(data) >= 4 {
			magic = string(data[:4])
		}
		q.event("Init " + magic + " v=" + itoa(v) + " words=" + itoa(uint32((len(data)-8)/4)))
		reply := append([]byte("VSCD"), 0, 0, 0, 2, 0, 0, 0, 0)
		q.write(c, 1, 0xFFFFFFFF, reply)
	case 3: // ReaderAdd
		q.event("ReaderAdd " + string(data))
		q.write(c, 2, 0, []byte{0, 0, 0, 0})
	case 5: // ATR
		if q.opts.refuseATR || vscard.CheckATR(data) != nil {
			q.event("ATR refused")
			q.write(c, 2, rid, []byte{0, 0, 0, 1})
			return
		}
		q.event("ATR " + strings.ToUpper(hex.EncodeToString(data)))
		q.write(c, 2, rid, []byte{0, 0, 0, 0})
	case 6: // CardRemove
		q.event("CardRemove")
		q.write(c, 2, rid, []byte{0, 0, 0, 0})
	case 7: // APDU response
		q.apdus <- data
	case 2: // Error from the card side
		q.event("Error " + itoa(binary.BigEndian.Uint32(data)))
		q.apdus <- nil
	case 9:
		q.event("FlushComplete")
	default:
		q.event("unexpected " + itoa(typ))
	}
}

func (q *QEMU) write(c net.Conn, typ, rid uint32, data []byte) {
	var h [12]byte
	binary.BigEndian.PutUint32(h[0:], typ)
	binary.BigEndian.PutUint32(h[4:], rid)
	binary.BigEndian.PutUint32(h[8:], uint32(len(data)))
	for _, part := range [][]byte{h[:], data} {
		if !q.opts.split {
			c.Write(part)
			continue
		}
		for i := range part {
			c.Write(part[i : i+1])
		}
	}
}

// APDU sends a command as the guest's reader would and waits for the
// answer; an Error from the card side is an error.
func (q *QEMU) APDU(cmd []byte) ([]byte, error) {
	q.mu.Lock()
	c := q.conn
	q.mu.Unlock()
	if c == nil {
		return nil, errors.New("no connection")
	}
	q.write(c, 7, 0, cmd)
	select {
	case rsp := <-q.apdus:
		if rsp == nil {
			return nil, errors.New("card side answered Error")
		}
		return rsp, nil
	case <-time.After(10 * time.Second):
		return nil, errors.New("no answer to the APDU")
	}
}

// Transmit makes the fake a jpki transport: the driver's APDUs cross the
// VSCard framing both ways.
func (q *QEMU) Transmit(cmd []byte) ([]byte, error) { return q.APDU(cmd) }

// Raw writes bytes as they are, past the framing.
func (q *QEMU) Raw(b []byte) {
	q.mu.Lock()
	c := q.conn
	q.mu.Unlock()
	c.Write(b)
}

// Events are what qemu saw so far: "Init VSCD v=2 words=1", "ReaderAdd NAME",
// "ATR HEX", "ATR refused", "CardRemove", "Error N", "FlushComplete",
// "stalled", "overflow", "closed", "unexpected N".
func (q *QEMU) Events() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.events)
}

// WaitEvent waits until an event starting with prefix has been seen.
func (q *QEMU) WaitEvent(prefix string) {
	q.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		for _, e := range q.Events() {
			if strings.HasPrefix(e, prefix) {
				return
			}
		}
		select {
		case <-q.wake:
		case <-deadline:
			q.t.Fatalf("no %q event; events: %q", prefix, q.Events())
		}
	}
}

// StopReading makes qemu hang: it reads nothing more from the card side
// (after the read in progress), though the connection stays open.
func (q *QEMU) StopReading() { close(q.deaf) }

// Flood sends n copies of cmd as APDUs without waiting for answers (the
// guest's reader never does this; a hung qemu that stops reading while
// APDUs are answered comes to the same), until a write fails.
func (q *QEMU) Flood(cmd []byte, n int) {
	q.mu.Lock()
	c := q.conn
	q.mu.Unlock()
	go func() {
		var h [12]byte
		binary.BigEndian.PutUint32(h[0:], 7)
		binary.BigEndian.PutUint32(h[8:], uint32(len(cmd)))
		msg := append(h[:], cmd...)
		for range n {
			if _, err := c.Write(msg); err != nil {
				return
			}
		}
	}()
}

// Addr is the address to give vscard.Dial or vcard --qemu-ccid.
func (q *QEMU) Addr() string { return q.addr }

// Drop closes the connection to the card side, as qemu quitting does.
func (q *QEMU) Drop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.conn != nil {
		q.conn.Close()
	}
}

func itoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
