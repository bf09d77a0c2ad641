package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/villagehall/kiosk/drivers/pcsc/pcsctest"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/visitrun"
	"github.com/villagehall/kiosk/ui"
)

type nopJournal struct{ n uint64 }

func (j *nopJournal) Append(_ context.Context, r kiosk.Record) (kiosk.Record, error) {
	j.n++
	r.Seq, r.KioskID = j.n, "B01"
	return r, nil
}

// BenchmarkPresentToStatus: from the PC/SC watcher's card-present event
// to the status frame on the screen, through pcscd + vpcd, the session
// and the real renderer (on tcell's simulation screen).
func BenchmarkPresentToStatus(b *testing.B) {
	pcsctest.StartPCSCD(b)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	log := slog.New(slog.DiscardHandler)

	raw := make(chan visitrun.CardEvent, 4)
	cards := make(chan visitrun.CardEvent, 4)
	seen := make(chan time.Time, 4)
	wg.Add(2)
	go func() { defer wg.Done(); pcscCards(ctx, "", &kiosk.HealthCell{}, log, raw) }()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-raw:
				if ev.Kind == visitrun.CardInserted {
					seen <- ev.Seen
				}
				cards <- ev
			}
		}
	}()
	runner := visitrun.New(visitrun.Config{Flows: &kiosk.Flows{Journal: &nopJournal{}}, Log: log})
	input, views := make(chan kiosk.Input, 8), make(chan kiosk.View, 1)
	wg.Add(1)
	go func() { defer wg.Done(); runner.Run(ctx, cards, input, views) }()
	scr := tcell.NewSimulationScreen("UTF-8")
	if err := scr.Init(); err != nil {
		b.Fatal(err)
	}
	scr.SetSize(100, 30)
	drawn := make(chan time.Time, 16)
	app := ui.New(scr, ui.Options{Logger: log, Keypad: kiosk.KeypadFor(kiosk.KeypadConfig{Mode: kiosk.ModeSim}), OnFrame: func(v kiosk.View) {
		if v.Screen == kiosk.ScreenStatus {
			select {
			case drawn <- time.Now():
			default:
			}
		}
	}})
	wg.Add(1)
	go func() { defer wg.Done(); app.Run(ctx, views) }()

	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for len(drawn) > 0 { // frames of the last visit
			<-drawn
		}
		slot := pcsctest.Insert(b, card(b, "fresh"))
		var t0, t1 time.Time
		select {
		case t0 = <-seen:
		case <-time.After(5 * time.Second):
			b.Fatal("no card event")
		}
		for !t1.After(t0) {
			select {
			case t1 = <-drawn:
			case <-time.After(5 * time.Second):
				b.Fatal("no status frame")
			}
		}
		lat = append(lat, t1.Sub(t0))
		pcsctest.Remove(b, slot)
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(15, "apdus/status") // asserted by drivers/jpki's budget tests
}

var idleOnce struct {
	sync.Once
	cpuPct, rssMB float64
	err           error
}

// BenchmarkIdle: the kiosk binary waiting for a card (real PC/SC stack,
// real terminal in tmux) for 5 s: CPU used and resident memory.
func BenchmarkIdle(b *testing.B) {
	idleOnce.Do(func() {
		pcsctest.StartPCSCD(b)
		idleOnce.cpuPct, idleOnce.rssMB, idleOnce.err = measureIdle(b)
	})
	if idleOnce.err != nil {
		b.Fatal(idleOnce.err)
	}
	b.ReportMetric(idleOnce.cpuPct, "cpu-%")
	b.ReportMetric(idleOnce.rssMB, "rss-MB")
}

func measureIdle(b *testing.B) (cpuPct, rssMB float64, err error) {
	dir := b.TempDir()
	writeConfig(b, dir, kit{})
	sock := filepath.Join(dir, "tmux.sock")
	tm := func(args ...string) error {
		return exec.Command("tmux", append([]string{"-S", sock}, args...)...).Run()
	}
	if err := tm("new-session", "-d", "-x", "100", "-y", "30", "-e", "TERM=xterm-256color", kioskBin+" --config "+filepath.Join(dir, "kiosk.toml")+" --log "+filepath.Join(dir, "kiosk.log")); err != nil {
		return 0, 0, fmt.Errorf("tmux: %w", err)
	}
	defer tm("kill-server")
	var pid int
	for deadline := time.Now().Add(10 * time.Second); pid == 0 && time.Now().Before(deadline); {
		out, _ := exec.Command("pgrep", "-f", "^"+kioskBin+" ").Output()
		pid, _ = strconv.Atoi(strings.TrimSpace(strings.Split(string(out), "\n")[0]))
		if pid == 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if pid == 0 {
		return 0, 0, fmt.Errorf("kiosk did not start")
	}
	time.Sleep(time.Second) // let start-up finish: idle is what is measured
	c0, t0 := cpuTicks(pid), time.Now()
	time.Sleep(5 * time.Second)
	c1, t1 := cpuTicks(pid), time.Now()
	const hz = 100 // USER_HZ on Linux
	cpuPct = float64(c1-c0) / hz / t1.Sub(t0).Seconds() * 100
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			rssMB = float64(kb) / 1024
		}
	}
	return cpuPct, rssMB, nil
}

// cpuTicks is utime+stime of pid from /proc/PID/stat.
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndex(s, ")")+2:])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st
}
