package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/ui"
)

// notifySocket listens where systemd would, reading what the kiosk sends.
func notifySocket(t *testing.T) (notifier, *net.UnixConn) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return notifier{path}, conn
}

// next reads one datagram, failing after a bound that only a hang reaches.
func next(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	buf := make([]byte, 256)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("no notification: %v", err)
	}
	return string(buf[:n])
}

// nothingPending: every send is synchronous (the datagram is queued before
// send returns), so an empty socket right now means nothing was sent.
func nothingPending(t *testing.T, conn *net.UnixConn) {
	t.Helper()
	conn.SetReadDeadline(time.Now())
	buf := make([]byte, 256)
	if n, err := conn.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("unexpected notification %q (%v)", buf[:n], err)
	}
}

func screenText(scr tcell.SimulationScreen) string {
	cells, w, _ := scr.GetContents()
	var b strings.Builder
	for i, c := range cells {
		if i > 0 && i%w == 0 {
			b.WriteByte('\n')
		}
		for _, r := range c.Runes {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestReadyAfterFirstFrameWatchdogFromLoop runs the real screen loop on a
// simulated screen with a real notify socket. READY=1 comes only once the
// first frame is on the screen; pings come only while the loop goes round;
// a loop blocked in a handler stops them, and they resume when it is free.
func TestReadyAfterFirstFrameWatchdogFromLoop(t *testing.T) {
	n, conn := notifySocket(t)
	log := slog.New(slog.DiscardHandler)
	ready := &readiness{notify: n, log: log}
	wd := &watchdog{notify: n, log: log}

	scr := tcell.NewSimulationScreen("UTF-8")
	if err := scr.Init(); err != nil {
		t.Fatal(err)
	}
	scr.SetSize(100, 30)
	var atReady string
	ticks := make(chan time.Time) // unbuffered: a send returns once the loop took it
	blocked, unblock := make(chan struct{}), make(chan struct{})
	beaten := make(chan struct{}, 1)
	app := ui.New(scr, ui.Options{Ticks: ticks, Logger: log, Keypad: kiosk.KeypadFor(kiosk.KeypadConfig{Mode: kiosk.ModeSim}),
		OnTick: func() { wd.Beat(); beaten <- struct{}{} },
		OnFrame: func(kiosk.View) {
			if atReady == "" {
				atReady = screenText(scr)
			}
			ready.Ready()
		},
		OnInput: func(kiosk.Input) { // the deliberately stuck handler
			blocked <- struct{}{}
			<-unblock
		},
	})
	if wd.Tick() {
		t.Fatal("pinged before the screen loop ran")
	}
	nothingPending(t, conn)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, nil) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	if got := next(t, conn); got != "READY=1" {
		t.Fatalf("first notification %q, want READY=1", got)
	}
	if !strings.Contains(atReady, "カード") {
		t.Fatalf("READY=1 before the waiting screen was drawn; screen then:\n%s", atReady)
	}

	tick := func() { ticks <- time.Now(); <-beaten }
	tick()
	if !wd.Tick() || next(t, conn) != "WATCHDOG=1" {
		t.Fatal("no ping while the loop goes round")
	}
	if wd.Tick() {
		t.Fatal("pinged twice on one beat")
	}
	nothingPending(t, conn)

	scr.InjectKey(tcell.KeyRune, '#', tcell.ModNone) // any keypad key: the handler then blocks the loop
	<-blocked
	select {
	case ticks <- time.Now():
		t.Fatal("a blocked loop took a tick")
	default:
	}
	for range 3 {
		if wd.Tick() {
			t.Fatal("pinged while the screen loop was blocked")
		}
	}
	nothingPending(t, conn)

	close(unblock)
	tick()
	if !wd.Tick() || next(t, conn) != "WATCHDOG=1" {
		t.Fatal("pings did not resume once the loop was free")
	}
}

func TestWatchdogInterval(t *testing.T) {
	t.Setenv("WATCHDOG_USEC", "30000000")
	if got := watchdogInterval(); got != 10*time.Second {
		t.Errorf("WatchdogSec=30s: ping every %v, want 10s (a third, as the unit asks)", got)
	}
	t.Setenv("WATCHDOG_USEC", "")
	if got := watchdogInterval(); got != 0 {
		t.Errorf("no watchdog: %v", got)
	}
	if got := loopTick(10 * time.Second); got != time.Second {
		t.Errorf("loop tick %v", got)
	}
	if got := loopTick(300 * time.Millisecond); got != 150*time.Millisecond {
		t.Errorf("loop tick for 300ms pings: %v", got)
	}
}
