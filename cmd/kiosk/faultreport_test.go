package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// TestCannotStartStopsItsReport: the heartbeats beside the cannot-start
// screen run while it is up and have ended by the time it returns (the
// screen stopped by systemctl stop): no goroutine is left sending.
func TestCannotStartStopsItsReport(t *testing.T) {
	newScreen = func() (tcell.Screen, error) { return tcell.NewSimulationScreen("UTF-8"), nil }
	t.Cleanup(func() { newScreen = tcell.NewScreen })
	started, ended := make(chan struct{}), make(chan struct{})
	report := func(ctx context.Context) {
		close(started)
		<-ctx.Done()
		time.Sleep(50 * time.Millisecond) // a heartbeat finishing: cannotStart must wait for it
		close(ended)
	}
	ctx, cancel := context.WithCancel(context.Background())
	returned := make(chan error, 1)
	go func() {
		returned <- cannotStart(ctx, []string{"kiosk.toml: idle_timout: unknown key (misspelt?)"}, false, report, io.Discard)
	}()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the report did not start beside the screen")
	}
	cancel()
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("cannotStart did not return when stopped")
	}
	select {
	case <-ended:
	default:
		t.Fatal("cannotStart returned while its report was still running")
	}
}

// TestNothingToReportWithout: a configuration whose sync part is not
// usable by itself sends nothing (no collector, no certificate to
// present): the kiosk only shows its screen, as before.
func TestNothingToReportWithout(t *testing.T) {
	const sync = "[sync]\ncollector_url = \"https://collector.village.local:8443\"\nca = \"/nonexistent/ca.pem\"\ncert = \"/nonexistent/c.pem\"\nkey = \"/nonexistent/k.pem\"\n"
	for name, toml := range map[string]string{
		"not TOML":           "kiosk_id = \"K01\n" + sync,
		"sync off":           "kiosk_id = \"K01\"\n[devices.printer]\nwidth_mm = 70\n",
		"no certificate yet": "kiosk_id = \"K01\"\n[devices.printer]\nwidth_mm = 70\n" + sync,
	} {
		path := filepath.Join(t.TempDir(), "kiosk.toml")
		if err := os.WriteFile(path, []byte(toml), 0o600); err != nil {
			t.Fatal(err)
		}
		if r := configFaultReport(path, []string{path + ": devices.printer.width_mm: must be 58 or 80, got 70"}, io.Discard); r != nil {
			t.Errorf("%s: a report was set up", name)
		}
	}
}

// TestOldJournalFault: what the heartbeat carries of the refusal is each
// file, its journal and its count, and passes the collector's check.
func TestOldJournalFault(t *testing.T) {
	e := &unsentBesideError{path: "/var/lib/kiosk/journal/journal.db", old: []journal.Unsent{
		{Path: "/var/lib/kiosk/journal.db", KioskID: "K01", JournalID: kiosk.NewJournalID(), Records: 3}}}
	f := e.fault()
	if f.Kind != ksync.FaultOldJournal || len(f.Journals) != 1 || f.Journals[0].Path != "/var/lib/kiosk/journal.db" || f.Unsent() != 3 {
		t.Fatalf("%+v", f)
	}
	if err := (ksync.Heartbeat{KioskID: "K01", PrinterState: ksync.StateUnknown, Fault: &f}).Check(); err != nil {
		t.Fatal(err)
	}
}
