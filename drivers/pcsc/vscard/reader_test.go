package vscard_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/jpki"
	"github.com/villagehall/kiosk/drivers/jpki/virtualcard"
	"github.com/villagehall/kiosk/drivers/pcsc/vscard"
	"github.com/villagehall/kiosk/drivers/pcsc/vscard/vscardtest"
)

// echoCard answers every APDU with the command and 90 00, counting resets.
type echoCard struct {
	atr    []byte
	resets int
}

func (c *echoCard) ATR() []byte                { return c.atr }
func (c *echoCard) Reset()                     { c.resets++ }
func (c *echoCard) Process(apdu []byte) []byte { return append(slices.Clone(apdu), 0x90, 0x00) }

var jpkiATR = []byte{0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14}

func dial(t *testing.T, q *vscardtest.QEMU, opts ...vscard.Option) *vscard.Reader {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts = append([]vscard.Option{vscard.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	r, err := vscard.Dial(ctx, q.Addr(), opts...)
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
			var opts []vscardtest.Option
			if split {
				opts = append(opts, vscardtest.SplitWrites())
			}
			q := vscardtest.Start(t, opts...)
			r := dial(t, q, vscard.WithReaderName("test reader"))
			card := &echoCard{atr: jpkiATR}
			if err := r.Insert(ctx5(t), card); err != nil {
				t.Fatal(err)
			}
			rsp, err := q.APDU([]byte{0x00, 0xA4, 0x04, 0x0C})
			if err != nil {
				t.Fatal(err)
			}
			if want := []byte{0x00, 0xA4, 0x04, 0x0C, 0x90, 0x00}; !bytes.Equal(rsp, want) {
				t.Fatalf("APDU answer % X, want % X", rsp, want)
			}
			if err := r.Remove(ctx5(t)); err != nil {
				t.Fatal(err)
			}
			want := []string{"Init VSCD v=2 words=1", "ReaderAdd test reader", "ATR 3BE000FF8131FE4514", "CardRemove"}
			if got := q.Events(); !slices.Equal(got, want) {
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
			q := vscardtest.Start(t)
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
	q := vscardtest.Start(t)
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
	if _, err := q.APDU([]byte{0x00, 0xB0, 0x00, 0x00, 0x01}); err == nil {
		t.Fatal("an APDU with no card in the reader was answered as if by a card")
	}
	if err := r.Insert(ctx5(t), b); err != nil {
		t.Fatal(err)
	}
	if !r.Inserted() || b.resets != 1 {
		t.Fatalf("inserted %v, resets %d", r.Inserted(), b.resets)
	}
	q.WaitEvent("ATR 3B00")
	if got := q.Events(); !slices.Contains(got, "Error 1") {
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
			var opts []vscardtest.Option
			if tc.refuse {
				opts = append(opts, vscardtest.RefuseATR())
			}
			q := vscardtest.Start(t, opts...)
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
	q := vscardtest.Start(t, vscardtest.StallOn(vscard.TypeReaderAdd))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := vscard.Dial(ctx, q.Addr(), vscard.WithLogger(slog.New(slog.DiscardHandler)))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dial against a qemu that never answers: %v, want a deadline error", err)
	}
}

func TestQEMUVanishes(t *testing.T) {
	q := vscardtest.Start(t)
	r := dial(t, q)
	if err := r.Insert(ctx5(t), &echoCard{atr: jpkiATR}); err != nil {
		t.Fatal(err)
	}
	// Half a header, then gone: qemu killed mid-message.
	q.Raw([]byte{0, 0, 0, 7, 0, 0})
	q.Drop()
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
	q := vscardtest.Start(t)
	r := dial(t, q)
	q.Raw([]byte{0, 0, 0, 7, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF})
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
	q := vscardtest.Start(t)
	r := dial(t, q)
	if err := r.Insert(ctx5(t), &echoCard{atr: jpkiATR}); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	q.WaitEvent("closed")
	got := q.Events()
	if i := slices.Index(got, "CardRemove"); i < 0 || i > slices.Index(got, "closed") {
		t.Fatalf("qemu saw %q: no CardRemove before the connection closed (the guest would keep a ghost card)", got)
	}
}

func TestFlushAndUnexpectedMessages(t *testing.T) {
	q := vscardtest.Start(t)
	dial(t, q)
	q.Raw((vscard.Message{Type: vscard.TypeFlush}).Append(nil))
	q.WaitEvent("FlushComplete")
	q.Raw((vscard.Message{Type: vscard.TypeReaderAdd, Payload: []byte("?")}).Append(nil))
	q.WaitEvent("Error 1")
}

// TestQEMUStopsReading: a hung qemu that stops reading while APDUs are
// answered must not hang Close: the blocked write gives up after the
// write timeout and the connection ends, saying why.
func TestQEMUStopsReading(t *testing.T) {
	q := vscardtest.Start(t)
	r := dial(t, q, vscard.WithWriteTimeout(300*time.Millisecond))
	if err := r.Insert(ctx5(t), &echoCard{atr: jpkiATR}); err != nil {
		t.Fatal(err)
	}
	q.StopReading()
	q.Flood(bytes.Repeat([]byte{0xAB}, 250), 8000) // far more answers than the socket holds
	select {
	case <-r.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the reader stayed blocked on a qemu that reads nothing")
	}
	if !errors.Is(r.Err(), os.ErrDeadlineExceeded) {
		t.Errorf("Err() = %v, want the write deadline", r.Err())
	}
	closed := make(chan error, 1)
	go func() { closed <- r.Close() }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hung")
	}
}
