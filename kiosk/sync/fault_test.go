package sync_test

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

var oldJournalFault = ksync.FaultStatus{Kind: ksync.FaultOldJournal,
	Journals: []ksync.FaultJournal{{Path: "/var/lib/kiosk/journal.db", KioskID: kioskID, Unsent: 3}}}

// TestFaultReporterSendsUntilStopped: a kiosk on its cannot-start screen
// sends heartbeats with the fault, no journal and no devices, every
// HeartbeatEvery, and Run returns once its context ends (the screen's):
// no goroutine is left behind.
func TestFaultReporterSendsUntilStopped(t *testing.T) {
	e := newKioskEnv(t)
	conns := clientConns()
	r, err := ksync.NewFaultReporter(ksync.Config{BaseURL: e.coll.url(), Client: ksync.NewHTTPClient(e.id.ClientTLS(e.ca.Pool()), 5*time.Second),
		KioskID: kioskID, HeartbeatEvery: 20 * time.Millisecond,
		Health: func() ksync.Health { return ksync.Health{Version: "2026.12.1", ReaderPresent: true} }}, oldJournalFault)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for heartbeats(e) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%d fault heartbeats in 5 s, want 3", heartbeats(e))
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	for deadline := time.Now().Add(5 * time.Second); clientConns() > conns; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d client connections' goroutines left after Run returned (%d before)", clientConns(), conns)
		}
	}
	e.coll.mu.Lock()
	body := e.coll.bodies[0]
	e.coll.mu.Unlock()
	var hb ksync.Heartbeat
	if err := json.Unmarshal(body, &hb); err != nil {
		t.Fatal(err)
	}
	if hb.Fault == nil || hb.Fault.Kind != ksync.FaultOldJournal || hb.Fault.Unsent() != 3 || hb.KioskID != kioskID || hb.Version != "2026.12.1" {
		t.Errorf("heartbeat %s", body)
	}
	if hb.JournalID != "" || len(hb.Devices) > 0 || hb.ReaderPresent {
		t.Errorf("a fault heartbeat claims a journal or devices: %s", body)
	}
	if err := hb.Check(); err != nil {
		t.Errorf("the collector's check refuses it: %v", err)
	}
}

// clientConns counts the goroutines of HTTP client connections.
func clientConns() int {
	buf := make([]byte, 1<<20)
	return strings.Count(string(buf[:runtime.Stack(buf, true)]), "net/http.(*persistConn).readLoop")
}

func heartbeats(e *kioskEnv) int {
	e.coll.mu.Lock()
	defer e.coll.mu.Unlock()
	n := 0
	for _, p := range e.coll.paths {
		if p == ksync.PathHeartbeat {
			n++
		}
	}
	return n
}

// TestFaultReporterBacksOff: with no collector answering, the waits
// double from MinBackoff (no hammering), and after a success it goes
// back to HeartbeatEvery.
func TestFaultReporterBacksOff(t *testing.T) {
	e := newKioskEnv(t)
	waits := make(chan time.Duration)
	after := func(d time.Duration) <-chan time.Time {
		waits <- d
		c := make(chan time.Time, 1)
		c <- time.Now()
		return c
	}
	r, err := ksync.NewFaultReporter(ksync.Config{BaseURL: "https://127.0.0.1:1", Client: ksync.NewHTTPClient(e.id.ClientTLS(e.ca.Pool()), time.Second),
		KioskID: kioskID, HeartbeatEvery: time.Minute, MinBackoff: time.Second, MaxBackoff: 4 * time.Second,
		After: after, Jitter: func() float64 { return 0 }}, oldJournalFault)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	for i, want := range []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 2 * time.Second} {
		if got := <-waits; got != want {
			t.Errorf("wait %d: %v, want %v", i+1, got, want)
		}
	}
	cancel()
	for { // Run may be sending, or waiting to hand over its next wait
		select {
		case <-waits:
			continue
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after its context ended")
		}
		break
	}
}

// TestFaultStatusChecked: a fault is refused by the reporter and by the
// collector's check when its kind is unknown or a count is negative.
func TestFaultStatusChecked(t *testing.T) {
	for _, f := range []ksync.FaultStatus{
		{Kind: "cosmic_ray"},
		{Kind: ksync.FaultOldJournal, Journals: []ksync.FaultJournal{{Path: "/x.db", Unsent: -1}}},
		{Kind: ksync.FaultOldJournal, Journals: []ksync.FaultJournal{{Path: ""}}},
		{Kind: ksync.FaultConfig, Fields: []string{""}},
	} {
		hb := ksync.Heartbeat{KioskID: kioskID, PrinterState: ksync.StateUnknown, Fault: &f}
		if hb.Check() == nil {
			t.Errorf("Check took %+v", f)
		}
		if _, err := ksync.NewFaultReporter(ksync.Config{BaseURL: "https://x.invalid", Client: ksync.NewHTTPClient(nil, time.Second), KioskID: kioskID}, f); err == nil {
			t.Errorf("NewFaultReporter took %+v", f)
		}
	}
	ok := ksync.Heartbeat{KioskID: kioskID, PrinterState: ksync.StateUnknown, Fault: &ksync.FaultStatus{Kind: ksync.FaultConfig, Fields: []string{"devices.printer.path"}}}
	if err := ok.Check(); err != nil {
		t.Errorf("Check refused a config fault: %v", err)
	}
}
