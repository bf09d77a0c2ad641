package vscard_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/jpki"
	"github.com/villagehall/kiosk/drivers/jpki/virtualcard"
	"github.com/villagehall/kiosk/drivers/pcsc/vscard"
)

// fakeQEMU plays qemu's ccid-card-passthru side, written from its source
// and independent of the package's own framing code: it buffers input the
// way qemu does (64 KiB, dropped past it), answers Init with Init,
// ReaderAdd/ATR/CardRemove with Error, checks ATRs, and sends APDUs as the
// guest's reader would. It writes header and payload in separate writes,
// as qemu does, and with split=true feeds the card side one byte at a time.
type fakeQEMU struct {
	t     *testing.T
	ln    net.Listener
	addr  string
	split bool

	// stallOn: never answer this message type (a hung qemu).
	stallOn uint32
	// refuseATR: answer every ATR with GeneralError.
	refuseATR bool

	mu     sync.Mutex
	conn   net.Conn
	events []string // "Init v=2 caps=1", "ReaderAdd name", "ATR hex", "CardRemove", "Error 1", ...
	apdus  chan []byte
	wake   chan struct{}
}

func newFakeQEMU(t *testing.T) *fakeQEMU {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ccid.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	q := &fakeQEMU{t: t, ln: ln, addr: "unix:" + path, apdus: make(chan []byte, 16), wake: make(chan struct{}, 1)}
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

func (q *fakeQEMU) acceptLoop() {
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

func (q *fakeQEMU) event(format string) {
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
func (q *fakeQEMU) readLoop(c net.Conn) {
	buf := make([]byte, 0, 64<<10)
	chunk := make([]byte, 4096)
	for {
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

func (q *fakeQEMU) handle(c net.Conn, typ, rid uint32, data []byte) {
	if typ == q.stallOn {
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
		if q.refuseATR || vscard.CheckATR(data) != nil {
			q.event("ATR refused")
			q.write(c, 2, rid, []byte{0, 0, 0, 1})
			return
		}
		q.event("ATR " + hexs(data))
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

func (q *fakeQEMU) write(c net.Conn, typ, rid uint32, data []byte) {
	var h [12]byte
	binary.BigEndian.PutUint32(h[0:], typ)
	binary.BigEndian.PutUint32(h[4:], rid)
	binary.BigEndian.PutUint32(h[8:], uint32(len(data)))
	for _, part := range [][]byte{h[:], data} {
		if !q.split {
			c.Write(part)
			continue
		}
		for i := range part {
			c.Write(part[i : i+1])
		}
	}
}

// apdu sends a command as the guest's reader would and waits for the
// answer (nil: the card side answered with Error).
func (q *fakeQEMU) apdu(cmd []byte) ([]byte, error) {
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
func (q *fakeQEMU) Transmit(cmd []byte) ([]byte, error) { return q.apdu(cmd) }

func (q *fakeQEMU) raw(b []byte) {
	q.mu.Lock()
	c := q.conn
	q.mu.Unlock()
	c.Write(b)
}

func (q *fakeQEMU) eventsSoFar() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.events)
}

// waitEvent waits until an event starting with prefix has been seen.
func (q *fakeQEMU) waitEvent(prefix string) {
	q.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		for _, e := range q.eventsSoFar() {
			if strings.HasPrefix(e, prefix) {
				return
			}
		}
		select {
		case <-q.wake:
		case <-deadline:
			q.t.Fatalf("no %q event; events: %q", prefix, q.eventsSoFar())
		}
	}
}

func itoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
func hexs(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

// echoCard answers every APDU with the command and 90 00, counting resets.
type echoCard struct {
	atr    []byte
	resets int
}

func (c *echoCard) ATR() []byte                { return c.atr }
func (c *echoCard) Reset()                     { c.resets++ }
func (c *echoCard) Process(apdu []byte) []byte { return append(slices.Clone(apdu), 0x90, 0x00) }

var jpkiATR = []byte{0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14}

func dial(t *testing.T, q *fakeQEMU, opts ...vscard.Option) *vscard.Reader {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts = append([]vscard.Option{vscard.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	r, err := vscard.Dial(ctx, q.addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func ctx5(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestHandshakeInsertAPDURemove(t *testing.T) {
	for _, split := range []bool{false, true} {
		t.Run(map[bool]string{false: "whole writes", true: "one byte at a time"}[split], func(t *testing.T) {
			q := newFakeQEMU(t)
			q.split = split
			r := dial(t, q, vscard.WithReaderName("test reader"))
			card := &echoCard{atr: jpkiATR}
			if err := r.Insert(ctx5(t), card); err != nil {
				t.Fatal(err)
			}
			rsp, err := q.apdu([]byte{0x00, 0xA4, 0x04, 0x0C})
			if err != nil {
				t.Fatal(err)
			}
			if want := []byte{0x00, 0xA4, 0x04, 0x0C, 0x90, 0x00}; !bytes.Equal(rsp, want) {
				t.Fatalf("APDU answer % X, want % X", rsp, want)
			}
			if err := r.Remove(ctx5(t)); err != nil {
				t.Fatal(err)
			}
			want := []string{"Init VSCD v=2 words=1", "ReaderAdd test reader", "ATR " + hexs(jpkiATR), "CardRemove"}
			if got := q.eventsSoFar(); !slices.Equal(got, want) {
				t.Fatalf("qemu saw %q, want %q", got, want)
			}
			if card.resets != 1 {
				t.Fatalf("card reset %d times at insertion, want 1", card.resets)
			}
		})
	}
}

// The kiosk's own JPKI driver reads a virtual My Number Card whose APDUs
// cross the VSCard framing, as they do between qemu and vcard.
func TestJPKIStatusAcrossVSCard(t *testing.T) {
	for _, tc := range []struct {
		profile    string
		authLocked bool
	}{{"fresh", false}, {"auth-locked", true}} {
		t.Run(tc.profile, func(t *testing.T) {
			p, err := virtualcard.LoadProfile(filepath.Join("..", "..", "..", "testdata", "cards", tc.profile+".json"), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			q := newFakeQEMU(t)
			r := dial(t, q)
			if err := r.Insert(ctx5(t), virtualcard.New(p)); err != nil {
				t.Fatal(err)
			}
			st, err := jpki.New(q).ReadStatus()
			if err != nil {
				t.Fatal(err)
			}
			if !st.HasAuth || st.Auth == nil || st.Auth.NotAfter.IsZero() || st.AuthLocked != tc.authLocked {
				t.Fatalf("status: auth present %v, validity %+v, locked %v; want present, a validity, locked %v",
					st.HasAuth, st.Auth, st.AuthLocked, tc.authLocked)
			}
		})
	}
}

func TestReinsertAnotherCard(t *testing.T) {
	q := newFakeQEMU(t)
	r := dial(t, q)
	a, b := &echoCard{atr: jpkiATR}, &echoCard{atr: []byte{0x3B, 0x00}}
	if err := r.Insert(ctx5(t), a); err != nil {
		t.Fatal(err)
	}
	if err := r.Insert(ctx5(t), b); err == nil {
		t.Fatal("a second card went into a full reader")
	}
	if err := r.Remove(ctx5(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := q.apdu([]byte{0x00, 0xB0, 0x00, 0x00, 0x01}); err == nil {
		t.Fatal("an APDU with no card in the reader was answered as if by a card")
	}
	if err := r.Insert(ctx5(t), b); err != nil {
		t.Fatal(err)
	}
	if !r.Inserted() || b.resets != 1 {
		t.Fatalf("inserted %v, resets %d", r.Inserted(), b.resets)
	}
	q.waitEvent("ATR 3B00")
	if got := q.eventsSoFar(); !slices.Contains(got, "Error 1") {
		t.Fatalf("the card side did not answer the stray APDU with Error: %q", got)
	}
}

func TestATRRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		atr    []byte
		refuse bool
	}{
		{"bad TS, checked before sending", []byte{0x3A, 0x00}, false},
		{"shorter than T0 announces", []byte{0x3B, 0x05, 0x01}, false},
		{"qemu refuses", jpkiATR, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := newFakeQEMU(t)
			q.refuseATR = tc.refuse
			r := dial(t, q)
			if err := r.Insert(ctx5(t), &echoCard{atr: tc.atr}); err == nil {
				t.Fatal("Insert succeeded")
			}
			if r.Inserted() {
				t.Fatal("the reader counts a refused card as inserted")
			}
		})
	}
}

func TestQEMUStalls(t *testing.T) {
	q := newFakeQEMU(t)
	q.stallOn = 3 // ReaderAdd
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := vscard.Dial(ctx, q.addr, vscard.WithLogger(slog.New(slog.DiscardHandler)))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dial against a qemu that never answers: %v, want a deadline error", err)
	}
}

func TestQEMUVanishes(t *testing.T) {
	q := newFakeQEMU(t)
	r := dial(t, q)
	if err := r.Insert(ctx5(t), &echoCard{atr: jpkiATR}); err != nil {
		t.Fatal(err)
	}
	// Half a header, then gone: qemu killed mid-message.
	q.raw([]byte{0, 0, 0, 7, 0, 0})
	q.mu.Lock()
	q.conn.Close()
	q.mu.Unlock()
	select {
	case <-r.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the reader did not notice qemu going away")
	}
	if !errors.Is(r.Err(), io.ErrUnexpectedEOF) {
		t.Fatalf("Err() = %v, want unexpected EOF", r.Err())
	}
	if r.Inserted() {
		t.Fatal("a card still counts as inserted after the connection ended")
	}
	if err := r.Insert(ctx5(t), &echoCard{atr: jpkiATR}); !errors.Is(err, vscard.ErrClosed) {
		t.Fatalf("Insert after the end: %v, want ErrClosed", err)
	}
}

func TestOversizedMessageFromQEMU(t *testing.T) {
	q := newFakeQEMU(t)
	r := dial(t, q)
	q.raw([]byte{0, 0, 0, 7, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF})
	select {
	case <-r.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a 4 GiB length did not end the connection")
	}
	if !errors.Is(r.Err(), vscard.ErrTooLong) {
		t.Fatalf("Err() = %v, want ErrTooLong", r.Err())
	}
}

func TestCloseRemovesTheCard(t *testing.T) {
	q := newFakeQEMU(t)
	r := dial(t, q)
	if err := r.Insert(ctx5(t), &echoCard{atr: jpkiATR}); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	q.waitEvent("closed")
	got := q.eventsSoFar()
	if i := slices.Index(got, "CardRemove"); i < 0 || i > slices.Index(got, "closed") {
		t.Fatalf("qemu saw %q: no CardRemove before the connection closed (the guest would keep a ghost card)", got)
	}
}

func TestFlushAndUnexpectedMessages(t *testing.T) {
	q := newFakeQEMU(t)
	dial(t, q)
	q.raw((vscard.Message{Type: vscard.TypeFlush}).Append(nil))
	q.waitEvent("FlushComplete")
	q.raw((vscard.Message{Type: vscard.TypeReaderAdd, Payload: []byte("?")}).Append(nil))
	q.waitEvent("Error 1")
}
