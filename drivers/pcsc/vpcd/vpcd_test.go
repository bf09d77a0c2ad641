package vpcd

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// testCard records calls; Process echoes the command with 90 00 appended.
type testCard struct {
	mu     sync.Mutex
	resets int
	atr    []byte
}

func (c *testCard) ATR() []byte { return c.atr }
func (c *testCard) Reset() {
	c.mu.Lock()
	c.resets++
	c.mu.Unlock()
}
func (c *testCard) Process(apdu []byte) []byte { return append(slices.Clone(apdu), 0x90, 0x00) }
func (c *testCard) resetCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resets
}

// fakeVPCD is our own listener playing pcscd's vpcd side.
type fakeVPCD struct {
	t    *testing.T
	ln   net.Listener
	conn net.Conn
}

func listen(t *testing.T) *fakeVPCD {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return &fakeVPCD{t: t, ln: ln}
}

func (f *fakeVPCD) accept() {
	f.t.Helper()
	if tl, ok := f.ln.(*net.TCPListener); ok {
		tl.SetDeadline(time.Now().Add(5 * time.Second))
	}
	c, err := f.ln.Accept()
	if err != nil {
		f.t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	f.t.Cleanup(func() { c.Close() })
	f.conn = c
}

// send writes a frame the way vpcd 3.3 does: length and payload in two writes.
func (f *fakeVPCD) send(payload []byte) {
	f.t.Helper()
	var hdr [2]byte
	binary.BigEndian.PutUint16(hdr[:], uint16(len(payload)))
	if _, err := f.conn.Write(hdr[:]); err != nil {
		f.t.Fatal(err)
	}
	if len(payload) > 0 {
		if _, err := f.conn.Write(payload); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *fakeVPCD) recv() []byte {
	f.t.Helper()
	var hdr [2]byte
	if _, err := io.ReadFull(f.conn, hdr[:]); err != nil {
		f.t.Fatalf("read reply length: %v", err)
	}
	b := make([]byte, binary.BigEndian.Uint16(hdr[:]))
	if _, err := io.ReadFull(f.conn, b); err != nil {
		f.t.Fatalf("read reply: %v", err)
	}
	return b
}

func insert(t *testing.T, f *fakeVPCD, c Card, opts ...Option) *Slot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	opts = append([]Option{WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	s, err := Insert(ctx, f.ln.Addr().String(), c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Remove() })
	f.accept()
	return s
}

func TestFraming(t *testing.T) {
	atr := []byte{0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14}
	tests := []struct {
		name       string
		send       []byte
		want       []byte // nil: no reply expected
		wantResets int
	}{
		{"get ATR", []byte{0x04}, atr, 0},
		{"power off", []byte{0x00}, nil, 1},
		{"power on", []byte{0x01}, nil, 1},
		{"reset", []byte{0x02}, nil, 1},
		{"unknown control", []byte{0x07}, nil, 0},
		{"APDU", []byte{0x00, 0xA4, 0x04, 0x0C}, []byte{0x00, 0xA4, 0x04, 0x0C, 0x90, 0x00}, 0},
		{"two-byte APDU", []byte{0x00, 0x84}, []byte{0x00, 0x84, 0x90, 0x00}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := listen(t)
			card := &testCard{atr: atr}
			insert(t, f, card)
			f.send(tt.send)
			// A get-ATR after every request proves no stray reply was sent:
			// the next frame we read must be the ATR.
			f.send([]byte{ctrlGetATR})
			if tt.want != nil {
				if got := f.recv(); !bytes.Equal(got, tt.want) {
					t.Fatalf("reply = % X, want % X", got, tt.want)
				}
			}
			if got := f.recv(); !bytes.Equal(got, atr) {
				t.Fatalf("after request: reply = % X, want ATR % X", got, atr)
			}
			if got := card.resetCount(); got != tt.wantResets {
				t.Fatalf("resets = %d, want %d", got, tt.wantResets)
			}
		})
	}
}

func TestAPDULog(t *testing.T) {
	f := listen(t)
	var log bytes.Buffer
	s := insert(t, f, &testCard{atr: []byte{0x3B, 0x00}}, WithAPDULog(&log))
	f.send([]byte{0x00, 0xB0, 0x00, 0x00, 0x04})
	f.recv()
	f.send([]byte{ctrlGetATR}) // not an APDU: not logged
	f.recv()
	f.send([]byte{0x80, 0x20})
	f.recv()
	if err := s.Remove(); err != nil {
		t.Fatal(err)
	}
	want := "00b0000004 00b00000049000\n8020 80209000\n"
	if got := log.String(); got != want {
		t.Fatalf("log = %q, want %q", got, want)
	}
}

func TestLogSharedBySlots(t *testing.T) {
	var w Log
	const slots, apdus = 3, 50
	var wg sync.WaitGroup
	for i := range slots {
		f := listen(t)
		insert(t, f, &testCard{}, WithAPDULog(&w))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range apdus {
				cmd := []byte{byte(i), byte(j)}
				var hdr [2]byte
				binary.BigEndian.PutUint16(hdr[:], uint16(len(cmd)))
				f.conn.Write(append(hdr[:], cmd...))
				io.ReadFull(f.conn, make([]byte, 2+len(cmd)+2))
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(w.String(), "\n"), "\n")
	if len(lines) != slots*apdus {
		t.Fatalf("%d lines, want %d", len(lines), slots*apdus)
	}
	for _, l := range lines {
		cmd, rsp, ok := strings.Cut(l, " ")
		if !ok || rsp != cmd+"9000" {
			t.Fatalf("torn or wrong line %q", l)
		}
	}
}

func TestRemoveClosesSocket(t *testing.T) {
	f := listen(t)
	s := insert(t, f, &testCard{})
	if err := s.Remove(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Done():
	default:
		t.Fatal("Done not closed after Remove")
	}
	if _, err := f.conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("vpcd side read after removal: %v, want EOF", err)
	}
	if err := s.Remove(); err != nil {
		t.Fatalf("second Remove: %v", err)
	}
	if s.Err() != nil {
		t.Fatalf("Err after Remove = %v, want nil", s.Err())
	}
}

func TestVPCDClosesConnection(t *testing.T) {
	f := listen(t)
	s := insert(t, f, &testCard{})
	f.conn.Close() // pcscd stopped
	select {
	case <-s.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("slot still serving after vpcd closed the connection")
	}
	if !errors.Is(s.Err(), io.EOF) {
		t.Fatalf("Err = %v, want EOF", s.Err())
	}
	if err := s.Remove(); err != nil {
		t.Fatalf("Remove after vpcd close: %v", err)
	}
}

func TestTruncatedFrame(t *testing.T) {
	f := listen(t)
	s := insert(t, f, &testCard{})
	f.conn.Write([]byte{0x00, 0x05, 0x00, 0xA4}) // promises 5 bytes, sends 2
	f.conn.Close()
	<-s.Done()
	if !errors.Is(s.Err(), io.ErrUnexpectedEOF) {
		t.Fatalf("Err = %v, want unexpected EOF", s.Err())
	}
}

func TestInsertNoListener(t *testing.T) {
	f := listen(t)
	addr := f.ln.Addr().String()
	f.ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := Insert(ctx, addr, &testCard{}); err == nil {
		t.Fatal("Insert without vpcd succeeded")
	}
}

// TestQuickAck plays vpcd 3.3 exactly: Nagle on, length and payload in two
// writes. Without TCP_QUICKACK on the card side the payload waits for a
// delayed ACK (~40 ms) on every APDU.
func TestQuickAck(t *testing.T) {
	f := listen(t)
	insert(t, f, &testCard{})
	if err := f.conn.(*net.TCPConn).SetNoDelay(false); err != nil {
		t.Fatal(err)
	}
	const n = 21
	durs := make([]time.Duration, 0, n)
	cmd := []byte{0x00, 0xB0, 0x00, 0x00, 0x00}
	for range n {
		start := time.Now()
		f.send(cmd)
		f.recv()
		durs = append(durs, time.Since(start))
	}
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	if med := durs[n/2]; med > 20*time.Millisecond {
		t.Fatalf("median APDU round trip %v: delayed ACKs are back (want < 20ms)", med)
	}
}

func TestLogLineHidesPINs(t *testing.T) {
	tests := []struct{ cmd, want string }{
		{"0020008004" + "31323334", "002000800400000000"},                                 // VERIFY 1234
		{"002400800c" + "414243313233515a37333931", "002400800c000000000000000000000000"}, // CHANGE REFERENCE DATA
		{"002c000104" + "31323334", "002c000104" + "00000000"},                            // RESET RETRY COUNTER
		{"0020008000", "0020008000"},                                                      // an empty VERIFY asks the tries: nothing to hide
		{"00b0000004", "00b0000004"},                                                      // READ BINARY
		{"00a4020c020018", "00a4020c020018"},                                              // SELECT
	}
	for _, tt := range tests {
		cmd, _ := hex.DecodeString(tt.cmd)
		keep := append([]byte(nil), cmd...)
		got := LogLine(cmd, []byte{0x90, 0x00})
		if got != tt.want+" 9000\n" {
			t.Errorf("LogLine(%s) = %q, want %q", tt.cmd, got, tt.want+" 9000\n")
		}
		if !bytes.Equal(cmd, keep) {
			t.Errorf("LogLine changed the command it logged: %x", cmd)
		}
	}
}
