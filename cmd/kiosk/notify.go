package main

import (
	"context"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// notifier sends state lines to systemd's $NOTIFY_SOCKET (a datagram
// socket; "@" means the abstract namespace). With no socket it does
// nothing, so the kiosk runs the same outside systemd.
type notifier struct{ socket string }

func notifierFromEnv() notifier { return notifier{os.Getenv("NOTIFY_SOCKET")} }

func (n notifier) send(state string) error {
	path := n.socket
	if path == "" {
		return nil
	}
	if path[0] == '@' {
		path = "\x00" + path[1:]
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Write([]byte(state))
	return err
}

// readiness sends READY=1 once, when the first frame is on the screen:
// systemd (and kiosk-ready.service after it) then knows a resident sees
// the kiosk, not merely that the process started.
type readiness struct {
	once   sync.Once
	notify notifier
	log    *slog.Logger
}

func (r *readiness) Ready() {
	r.once.Do(func() {
		r.log.Info("kiosk ready: first frame drawn")
		if err := r.notify.send("READY=1"); err != nil {
			r.log.Warn("sd_notify READY failed", "err", err)
		}
	})
}

// watchdog pings systemd only while the screen loop is alive: the loop
// calls Beat on every tick, and each ping needs a beat since the last
// one. A loop stuck in a handler, a draw or a full channel stops the
// pings, and systemd restarts the kiosk; a separate ticker alone would
// keep a frozen kiosk "alive".
type watchdog struct {
	beats  atomic.Uint64
	notify notifier
	log    *slog.Logger

	seen    uint64 // beats at the last ping; Tick's goroutine only
	stalled bool
}

// Beat is the screen loop saying it went round.
func (w *watchdog) Beat() { w.beats.Add(1) }

// Tick pings systemd if the loop beat since the last Tick, and says so.
func (w *watchdog) Tick() bool {
	b := w.beats.Load()
	if b == w.seen {
		if !w.stalled {
			w.log.Error("screen loop is not going round: watchdog pings stopped")
			w.stalled = true
		}
		return false
	}
	if w.stalled {
		w.log.Warn("screen loop going round again: watchdog pings resumed")
	}
	w.seen, w.stalled = b, false
	if err := w.notify.send("WATCHDOG=1"); err != nil {
		w.log.Warn("sd_notify WATCHDOG failed", "err", err)
	}
	return true
}

// Run ticks every interval until ctx ends.
func (w *watchdog) Run(ctx context.Context, interval time.Duration) {
	every(ctx, interval, func() { w.Tick() })
}

// watchdogInterval is how often to ping: a third of the WatchdogSec
// systemd asked for (WATCHDOG_USEC), as the unit says. 0: no watchdog.
func watchdogInterval() time.Duration {
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0
	}
	return time.Duration(usec) * time.Microsecond / 3
}

// loopTick is how often the screen loop must go round to feed the
// watchdog: twice per ping, and at least every second for the countdown.
func loopTick(ping time.Duration) time.Duration {
	if ping > 0 && ping/2 < time.Second {
		return max(ping/2, 10*time.Millisecond)
	}
	return time.Second
}
