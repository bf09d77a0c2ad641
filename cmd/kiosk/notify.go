package main

import (
	"context"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"
)

// sdNotify sends one state line to systemd ($NOTIFY_SOCKET, a datagram
// socket; "@" means the abstract namespace). Without systemd it does nothing.
func sdNotify(state string) error {
	path := os.Getenv("NOTIFY_SOCKET")
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

func notifyReady(log *slog.Logger) {
	if err := sdNotify("READY=1"); err != nil {
		log.Warn("sd_notify READY failed", "err", err)
	}
}

// watchdog pings systemd at half the WatchdogSec it asked for (WATCHDOG_USEC).
func watchdog(ctx context.Context) {
	usec, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return
	}
	every(ctx, time.Duration(usec)*time.Microsecond/2, func() { _ = sdNotify("WATCHDOG=1") })
}
