package pcsc_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/pcsc"
	"github.com/villagehall/kiosk/drivers/pcsc/pcsctest"
	"github.com/villagehall/kiosk/kiosk"
)

var testATR = []byte{0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14}

// echoCard answers every APDU with the command itself and 90 00, or with
// a fixed reply when set.
type echoCard struct {
	reply  []byte
	delay  time.Duration // a slow card profile
	resets atomic.Int32
}

func (c *echoCard) ATR() []byte { return testATR }
func (c *echoCard) Reset()      { c.resets.Add(1) }
func (c *echoCard) Process(apdu []byte) []byte {
	if c.delay > 0 {
		time.Sleep(c.delay) // the card being slow is the point here, not synchronisation
	}
	if c.reply != nil {
		return slices.Clone(c.reply)
	}
	return append(slices.Clone(apdu), 0x90, 0x00)
}

func open(t testing.TB) *pcsc.Context {
	t.Helper()
	ctx, err := pcsc.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ctx.Close() })
	return ctx
}

func connect(t testing.TB, ctx *pcsc.Context) *pcsc.Card {
	t.Helper()
	card, err := ctx.Connect(pcsctest.Reader)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { card.Close() })
	return card
}

// next returns the next watcher event or fails after a timeout.
func next(t *testing.T, ev <-chan pcsc.Event) pcsc.Event {
	t.Helper()
	select {
	case e, ok := <-ev:
		if !ok {
			t.Fatal("watch channel closed")
		}
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no watch event within 5s")
	}
	return pcsc.Event{}
}

func expect(t *testing.T, ev <-chan pcsc.Event, kind pcsc.EventKind, reader string) pcsc.Event {
	t.Helper()
	e := next(t, ev)
	if e.Kind != kind || e.Reader != reader {
		t.Fatalf("event = %v %q, want %v %q", e.Kind, e.Reader, kind, reader)
	}
	return e
}

func TestTransmitRoundTrip(t *testing.T) {
	pcsctest.StartPCSCD(t)
	ctx := open(t)
	reader, err := ctx.FindReader("")
	if err != nil {
		t.Fatal(err)
	}
	if reader != pcsctest.Reader {
		t.Fatalf("FindReader(\"\") = %q, want %q", reader, pcsctest.Reader)
	}
	ec := &echoCard{}
	pcsctest.Insert(t, ec)
	card := connect(t, ctx)
	if ec.resets.Load() == 0 {
		t.Fatal("card never saw power-on/reset: volatile state would survive")
	}
	if !bytes.Equal(card.ATR(), testATR) {
		t.Fatalf("ATR = % X, want % X", card.ATR(), testATR)
	}
	if err := card.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	tests := [][]byte{
		{0x00, 0xA4, 0x04, 0x0C, 0x02, 0x3F, 0x00},
		{0x00, 0xB0, 0x00, 0x00, 0x04},
		bytes.Repeat([]byte{0xAB}, 200),
	}
	for _, cmd := range tests {
		rsp, err := card.Transmit(cmd)
		if err != nil {
			t.Fatalf("Transmit(% X): %v", cmd, err)
		}
		if want := append(slices.Clone(cmd), 0x90, 0x00); !bytes.Equal(rsp, want) {
			t.Fatalf("Transmit(% X) = % X, want % X", cmd, rsp, want)
		}
	}
	if err := card.EndTransaction(); err != nil {
		t.Fatal(err)
	}
	if _, err := card.Transmit(nil); err == nil {
		t.Fatal("Transmit(nil) succeeded")
	}
}

// pcscd polls the slot with get-ATR every 400 ms; it must not take a slow
// APDU (longer than several polls) for a dead card.
func TestSlowCard(t *testing.T) {
	pcsctest.StartPCSCD(t)
	pcsctest.Insert(t, &echoCard{delay: 1200 * time.Millisecond})
	card := connect(t, open(t))
	for i := range 2 {
		cmd := []byte{0x00, 0xB0, 0x00, byte(i), 0x00}
		rsp, err := card.Transmit(cmd)
		if err != nil {
			t.Fatalf("slow APDU %d: %v", i, err)
		}
		if want := append(cmd, 0x90, 0x00); !bytes.Equal(rsp, want) {
			t.Fatalf("slow APDU %d = % X, want % X", i, rsp, want)
		}
	}
}

func TestShortResponsePassesThrough(t *testing.T) {
	pcsctest.StartPCSCD(t)
	pcsctest.Insert(t, &echoCard{reply: []byte{0x6F}})
	card := connect(t, open(t))
	rsp, err := card.Transmit([]byte{0x00, 0xB0, 0x00, 0x00, 0x00})
	if err != nil {
		t.Fatalf("Transmit: %v (a 1-byte answer must reach the protocol layer)", err)
	}
	if !bytes.Equal(rsp, []byte{0x6F}) {
		t.Fatalf("response = % X, want 6F", rsp)
	}
}

func TestReaderAndCardErrors(t *testing.T) {
	pcsctest.StartPCSCD(t)
	ctx := open(t)
	if _, err := ctx.FindReader("No Such Reader"); !errors.Is(err, kiosk.ErrReaderGone) {
		t.Fatalf("FindReader(unknown) = %v, want ErrReaderGone", err)
	}
	if _, err := ctx.Connect(pcsctest.Reader); !errors.Is(err, kiosk.ErrNoCard) {
		t.Fatalf("Connect(empty reader) = %v, want ErrNoCard", err)
	}
	if _, err := ctx.Connect("No Such Reader"); !errors.Is(err, kiosk.ErrReaderGone) {
		t.Fatalf("Connect(unknown reader) = %v, want ErrReaderGone", err)
	}
}

// A card pulled while APDUs flow must end the loop with ErrCardRemoved,
// never hang, whatever pcscd says first (NOT_TRANSACTED or REMOVED_CARD).
func TestRemovalDuringTransmitLoop(t *testing.T) {
	pcsctest.StartPCSCD(t)
	slot := pcsctest.Insert(t, &echoCard{})
	card := connect(t, open(t))
	// The kiosk watches while it transmits: both look at the reader when
	// the card goes, on separate contexts.
	wctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ev := pcsc.Watch(wctx, pcsctest.Reader, pcsc.WithWatchLogger(slog.New(slog.DiscardHandler)))
	expect(t, ev, pcsc.ReaderAdded, pcsctest.Reader)
	expect(t, ev, pcsc.CardInserted, pcsctest.Reader)

	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		cmd := []byte{0x00, 0xB0, 0x00, 0x00, 0x10}
		for i := 0; ; i++ {
			if _, err := card.Transmit(cmd); err != nil {
				done <- err
				return
			}
			if i == 10 {
				close(started)
			}
		}
	}()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("transmit loop failed before removal: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("transmit loop did not get going")
	}
	if err := slot.Remove(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, kiosk.ErrCardRemoved) {
			t.Fatalf("after removal: %v, want ErrCardRemoved", err)
		}
		t.Logf("transmit after removal: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("transmit loop hangs after removal")
	}
	expect(t, ev, pcsc.CardRemoved, pcsctest.Reader)
}

func TestReinsertThenReconnect(t *testing.T) {
	pcsctest.StartPCSCD(t)
	ctx := open(t)
	slot := pcsctest.Insert(t, &echoCard{})
	old := connect(t, ctx)
	pcsctest.Remove(t, slot)

	if _, err := old.Transmit([]byte{0x00, 0x84, 0x00, 0x00, 0x08}); !errors.Is(err, kiosk.ErrCardRemoved) {
		t.Fatalf("old handle after removal: %v, want ErrCardRemoved", err)
	}
	if _, err := ctx.Connect(pcsctest.Reader); !errors.Is(err, kiosk.ErrNoCard) {
		t.Fatalf("Connect with no card: %v, want ErrNoCard", err)
	}

	pcsctest.Insert(t, &echoCard{})
	if _, err := old.Transmit([]byte{0x00, 0x84, 0x00, 0x00, 0x08}); !errors.Is(err, kiosk.ErrCardRemoved) {
		t.Fatalf("old handle after re-insertion: %v, want ErrCardRemoved", err)
	}
	if err := old.Close(); err != nil {
		t.Fatalf("Close of a dead handle: %v", err)
	}
	card := connect(t, ctx) // same Context: no restart needed
	rsp, err := card.Transmit([]byte{0x00, 0x84, 0x00, 0x00, 0x08})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rsp[len(rsp)-2:], []byte{0x90, 0x00}) {
		t.Fatalf("response % X", rsp)
	}
}

func TestServiceDown(t *testing.T) {
	d := pcsctest.StartPCSCD(t)
	pcsctest.Insert(t, &echoCard{})
	ctx := open(t)
	card := connect(t, ctx)
	d.Stop()

	if _, err := pcsc.Open(); !errors.Is(err, kiosk.ErrServiceDown) {
		t.Fatalf("Open with pcscd stopped: %v, want ErrServiceDown", err)
	}
	if _, err := card.Transmit([]byte{0x00, 0x84, 0x00, 0x00, 0x08}); err == nil {
		t.Fatal("Transmit succeeded with pcscd stopped")
	} else if !errors.Is(err, kiosk.ErrServiceDown) && !errors.Is(err, kiosk.ErrCardRemoved) {
		// Either is an honest answer: the daemon is gone, so is the card.
		t.Fatalf("Transmit with pcscd stopped: %v", err)
	}

	d.Restart()
	ctx2 := open(t) // a new context once pcscd is back
	if _, err := ctx2.FindReader(pcsctest.Reader); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

func TestWatchInsertRemove(t *testing.T) {
	pcsctest.StartPCSCD(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ev := pcsc.Watch(ctx, pcsctest.Reader, pcsc.WithWatchLogger(slog.New(slog.DiscardHandler)))
	expect(t, ev, pcsc.ReaderAdded, pcsctest.Reader)

	slot := pcsctest.Insert(t, &echoCard{})
	e := expect(t, ev, pcsc.CardInserted, pcsctest.Reader)
	if !bytes.Equal(e.ATR, testATR) {
		t.Fatalf("inserted ATR = % X, want % X", e.ATR, testATR)
	}
	pcsctest.Remove(t, slot)
	expect(t, ev, pcsc.CardRemoved, pcsctest.Reader)

	pcsctest.Insert(t, &echoCard{})
	expect(t, ev, pcsc.CardInserted, pcsctest.Reader)

	cancel()
	select {
	case e, ok := <-ev:
		if ok {
			t.Fatalf("event %v after cancel", e.Kind)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("watch channel not closed after cancel")
	}
}

func TestWatchReportsCardAlreadyPresent(t *testing.T) {
	pcsctest.StartPCSCD(t)
	pcsctest.Insert(t, &echoCard{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ev := pcsc.Watch(ctx, "", pcsc.WithWatchLogger(slog.New(slog.DiscardHandler)))
	// Both vpcd slots are readers; only slot 0 has a card.
	type key struct {
		Kind   pcsc.EventKind
		Reader string
	}
	seen := map[key]bool{}
	for range 3 {
		e := next(t, ev)
		seen[key{e.Kind, e.Reader}] = true
	}
	for _, want := range []key{
		{Kind: pcsc.ReaderAdded, Reader: pcsctest.Reader},
		{Kind: pcsc.ReaderAdded, Reader: "Virtual PCD 00 01"},
		{Kind: pcsc.CardInserted, Reader: pcsctest.Reader},
	} {
		if !seen[want] {
			t.Fatalf("initial events %v lack %v", seen, want)
		}
	}
}

func TestWatchSurvivesRestart(t *testing.T) {
	d := pcsctest.StartPCSCD(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ev := pcsc.Watch(ctx, pcsctest.Reader, pcsc.WithWatchLogger(slog.New(slog.DiscardHandler)))
	expect(t, ev, pcsc.ReaderAdded, pcsctest.Reader)
	pcsctest.Insert(t, &echoCard{})
	expect(t, ev, pcsc.CardInserted, pcsctest.Reader)

	d.Stop()
	expect(t, ev, pcsc.CardRemoved, pcsctest.Reader)
	expect(t, ev, pcsc.ReaderRemoved, pcsctest.Reader)

	d.Restart()
	expect(t, ev, pcsc.ReaderAdded, pcsctest.Reader)
	pcsctest.Insert(t, &echoCard{})
	expect(t, ev, pcsc.CardInserted, pcsctest.Reader)
}

// countHandler counts debug records: the watcher logs one per wake-up.
type countHandler struct {
	slog.Handler
	wakes *atomic.Int32
}

func (h countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == pcsc.WakeLogMessage {
		h.wakes.Add(1)
	}
	return nil
}

func TestWatchIdleIsQuiet(t *testing.T) {
	pcsctest.StartPCSCD(t)
	pcsctest.Insert(t, &echoCard{})
	var wakes atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ev := pcsc.Watch(ctx, "", pcsc.WithWatchLogger(slog.New(countHandler{slog.DiscardHandler, &wakes})))
	for range 3 { // two readers, one card
		next(t, ev)
	}
	start := wakes.Load()
	// A measurement window, not synchronisation: an idle watcher with a
	// 2 s poll wakes at most once or twice in 1.5 s; a busy loop thousands.
	window := 1500 * time.Millisecond
	select {
	case e := <-ev:
		t.Fatalf("unexpected event while idle: %v %q", e.Kind, e.Reader)
	case <-time.After(window):
	}
	if n := wakes.Load() - start; n > 2 {
		t.Fatalf("watcher woke %d times in %v while idle", n, window)
	}
}

func BenchmarkTransmit(b *testing.B) {
	pcsctest.StartPCSCD(b)
	pcsctest.Insert(b, &echoCard{})
	card := connect(b, open(b))
	cmd := []byte{0x00, 0xB0, 0x00, 0x00, 0x00}
	b.ResetTimer()
	for b.Loop() {
		if _, err := card.Transmit(cmd); err != nil {
			b.Fatal(err)
		}
	}
}
