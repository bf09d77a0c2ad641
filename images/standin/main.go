// Command standin takes the place of cmd/kiosk in an SD-card image built
// while cmd/kiosk does not compile yet (images/build.sh says so loudly). It
// checks the provisioned configuration and speaks the same systemd protocol
// the real kiosk must speak, so the image, its units and the smoke test can
// be exercised end to end:
//
//   - NOTIFY_SOCKET set: send "READY=1" once started, then "WATCHDOG=1"
//     every WATCHDOG_USEC/3 (WATCHDOG_PID is not checked: under cage and
//     foot the kiosk is not the unit's main process).
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

func main() {
	cfgPath := flag.String("config", "/var/lib/kiosk/config.toml", "configuration file")
	flag.Bool("sim", false, "ignored")
	flag.Parse()
	if err := run(*cfgPath); err != nil {
		fmt.Fprintln(os.Stderr, "kiosk (stand-in):", err)
		os.Exit(1)
	}
}

func run(cfgPath string) error {
	cfg, err := kiosk.LoadConfig(cfgPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "kiosk (stand-in): kiosk %s configured; the real cmd/kiosk was not built into this image\n", cfg.KioskID)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := notify("READY=1\nSTATUS=stand-in kiosk " + cfg.KioskID); err != nil {
		return err
	}
	interval := time.Hour
	if us, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64); err == nil && us > 0 {
		interval = time.Duration(us) * time.Microsecond / 3
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return notify("STOPPING=1")
		case <-t.C:
			if err := notify("WATCHDOG=1"); err != nil {
				return err
			}
		}
	}
}

// notify sends one sd_notify datagram; without NOTIFY_SOCKET it does nothing.
func notify(state string) error {
	sock := os.Getenv("NOTIFY_SOCKET")
	if sock == "" {
		return nil
	}
	if sock[0] == '@' {
		sock = "\x00" + sock[1:] // abstract socket
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify %q: %w", state, err)
	}
	return nil
}
