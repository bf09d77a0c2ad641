package visitrun_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/jpki"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/visitrun"
)

// TestUpdateGivesWayAfterTheVisit: an update asked for during a visit is
// told "not idle" until the card leaves, then "idle" with the update screen
// up; a card inserted then is not read; when the update ends, the kiosk is
// back in service and the idle answer withdrawn.
func TestUpdateGivesWayAfterTheVisit(t *testing.T) {
	var mu sync.Mutex
	var asked *kiosk.UpdateProgress
	var idle []bool
	set := func(p *kiosk.UpdateProgress) { mu.Lock(); asked = p; mu.Unlock() }
	lastIdle := func() (bool, int) {
		mu.Lock()
		defer mu.Unlock()
		if len(idle) == 0 {
			return false, 0
		}
		return idle[len(idle)-1], len(idle)
	}
	var logs lockedWriter
	j := &memJournal{}
	ticks := make(chan time.Time)
	s := visitrun.New(visitrun.Config{Flows: &kiosk.Flows{Journal: j}, Ticks: ticks, Log: slog.New(slog.NewTextHandler(&logs, nil)),
		Update:     func() *kiosk.UpdateProgress { mu.Lock(); defer mu.Unlock(); return asked },
		UpdateIdle: func(b bool) { mu.Lock(); idle = append(idle, b); mu.Unlock() }})
	cards, views := make(chan visitrun.CardEvent), make(chan kiosk.View, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx, cards, make(chan kiosk.Input), views)
	want := func(sc kiosk.Screen) kiosk.View {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case v := <-views:
				if v.Screen == sc {
					return v
				}
			case <-deadline:
				t.Fatalf("no %s screen", sc)
			}
		}
	}
	want(kiosk.ScreenWaiting)
	cards <- visitrun.CardEvent{Kind: visitrun.CardInserted, Card: jpki.New(loadCard(t, "fresh", time.Now()))}
	want(kiosk.ScreenStatus)
	set(&kiosk.UpdateProgress{Version: "v2", Step: kiosk.UpdateWaiting})
	ticks <- time.Now()
	want(kiosk.ScreenStatus)
	if b, n := lastIdle(); b || n == 0 {
		t.Fatalf("idle %v after %d answers during a visit", b, n)
	}
	cards <- visitrun.CardEvent{Kind: visitrun.CardRemoved}
	ticks <- time.Now()
	want(kiosk.ScreenUpdating)
	// The screen can be up before the tick that tells the updater.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if b, _ := lastIdle(); b {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the update screen is up but the updater was not told")
		}
	}
	set(&kiosk.UpdateProgress{Version: "v2", Step: kiosk.UpdateWrite, Percent: 30})
	ticks <- time.Now()
	for v := want(kiosk.ScreenUpdating); v.Update == nil || v.Update.Percent != 30; v = want(kiosk.ScreenUpdating) {
		// an earlier frame; the next one carries the progress (or want fails)
	}
	cards <- visitrun.CardEvent{Kind: visitrun.CardInserted, Card: jpki.New(loadCard(t, "fresh", time.Now()))}
	ticks <- time.Now()
	want(kiosk.ScreenUpdating)
	cards <- visitrun.CardEvent{Kind: visitrun.CardRemoved}
	set(nil)
	ticks <- time.Now()
	want(kiosk.ScreenWaiting)
	ticks <- time.Now() // the loop has finished the tick that ended the update
	if b, _ := lastIdle(); b {
		t.Fatal("idle answer not withdrawn after the update")
	}
	// One record: the first visit's status; none for the card the update held out.
	if n := len(j.all()); n != 1 {
		t.Errorf("%d records, want only the visit's status check", n)
	}
	if l := logs.String(); !strings.Contains(l, "update asked for") || !strings.Contains(l, "update over: in service") {
		t.Errorf("log:\n%s", l)
	}
}
