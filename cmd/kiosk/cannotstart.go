package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gdamore/tcell/v2"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/ui"
)

// cannotStart shows why the kiosk cannot start on its own screen, with the
// kiosk's display stack (tcell; under cage + foot on the kiosk), until ctx
// ends, and returns the reason as its error. lines are the English problem
// lines the console and the journal get. withSSH: the technician's key is
// in place and sshd runs, so the screen names the kiosk's addresses (which
// DHCP may hand out only later: they are looked at again every few seconds).
// report, when not nil, runs beside the screen until it stops (heartbeats
// telling the town hall why: faultReport); cannotStart returns only after
// it has.
func cannotStart(ctx context.Context, lines []string, withSSH bool, report func(context.Context), stderr io.Writer) error {
	reason := kiosk.NewCannotStart(lines)
	for _, l := range reason.Problems {
		fmt.Fprintln(stderr, "KIOSK NOT STARTED:", l)
	}
	cause := errors.New("cannot start: " + strings.Join(reason.Problems, "; "))
	scr, err := newScreen()
	if err != nil {
		return fmt.Errorf("%w (and no screen to show it: %v)", cause, err)
	}
	if err := scr.Init(); err != nil {
		return fmt.Errorf("%w (and no screen to show it: %v)", cause, err)
	}
	defer scr.Fini()
	// Every goroutine below ends with ctx: cancelled when the loop returns,
	// whatever ended it, before they are waited for.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	reportDone := make(chan struct{})
	go func() {
		defer close(reportDone)
		if report != nil {
			report(ctx)
		}
	}()
	content := func() ui.CannotStart {
		cs := ui.CannotStart{Reason: reason, Version: version}
		if withSSH {
			for _, a := range hostAddrs() {
				cs.SSH = append(cs.SSH, "root@"+a)
			}
		}
		return cs
	}
	updates := make(chan ui.CannotStart)
	done := make(chan struct{})
	go func() { // stopped by ctx, waited for below
		defer close(done)
		last := content()
		every(ctx, 3*time.Second, func() {
			if cs := content(); !slices.Equal(cs.SSH, last.SSH) {
				last = cs
				select {
				case updates <- cs:
				case <-ctx.Done():
				}
			}
		})
	}()
	// Under kiosk.service (Type=notify, a watchdog) the screen counts as
	// started: READY=1 with the reason as STATUS= after the first frame,
	// WATCHDOG=1 while its loop goes round. Without that systemd killed it
	// at TimeoutStartSec and started it again, redrawing it every 90 s; it
	// stays up now until the technician fixes the file. (An update's trial
	// still never commits on it: the journal is never opened.)
	notify := notifierFromEnv()
	var ready sync.Once
	wd := &watchdog{notify: notify, log: slog.New(slog.NewTextHandler(stderr, nil))}
	ping := watchdogInterval()
	wdDone := make(chan struct{})
	go func() { // stopped by ctx, waited for below
		defer close(wdDone)
		if ping > 0 {
			wd.Run(ctx, ping)
		}
	}()
	ticks := time.NewTicker(loopTick(ping))
	defer ticks.Stop()
	err = ui.RunCannotStartLoop(ctx, scr, content(), updates, ui.CannotStartLoop{
		Ticks: ticks.C, OnTick: wd.Beat,
		OnFrame: func() {
			ready.Do(func() {
				if err := notify.send("READY=1\nSTATUS=" + statusLine(cause)); err != nil {
					fmt.Fprintln(stderr, "sd_notify READY failed:", err)
				}
			})
		},
	})
	cancel()
	<-done
	<-wdDone
	<-reportDone
	if err != nil {
		return fmt.Errorf("%w (screen: %v)", cause, err)
	}
	return cause
}

// newScreen is the display the cannot-start screen draws on (tests: a
// simulation screen).
var newScreen = tcell.NewScreen

// statusLine is cause as one line for systemctl status (STATUS=): no
// newlines, at most 200 bytes on a rune boundary.
func statusLine(cause error) string {
	s := strings.ReplaceAll(cause.Error(), "\n", " ")
	if len(s) <= 200 {
		return s
	}
	cut := 200
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// readReason reads the problem lines kiosk-provision wrote.
func readReason(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot-start reason: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) == 1 && lines[0] == "" {
		lines = []string{"(no reason given: see journalctl -u kiosk-provision)"}
	}
	return lines, nil
}

// hostAddrs are the kiosk's global unicast addresses, IPv4 first (what a
// technician types), then IPv6.
func hostAddrs() []string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var v4, v6 []string
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.IsLoopback() || n.IP.IsLinkLocalMulticast() {
			continue
		}
		switch {
		case n.IP.To4() != nil:
			v4 = append(v4, n.IP.String())
		case n.IP.IsGlobalUnicast():
			v6 = append(v6, n.IP.String())
		}
	}
	return append(v4, v6...)
}

// problemLines is one line per problem of an errors.Join.
func problemLines(err error) []string {
	var out []string
	for _, e := range kiosk.SplitErrors(err) {
		out = append(out, e.Error())
	}
	return out
}
