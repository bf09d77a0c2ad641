package main

import (
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/update"
)

func TestUpdateStatusForHeartbeat(t *testing.T) {
	dir := t.TempDir()
	if s := updateStatus(dir); s != nil {
		t.Fatalf("no update yet: %+v", s)
	}
	at := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	st := update.State{Phase: update.PhaseFailed, Target: update.Release{Slot: "b", Version: "v2", Serial: 200},
		Committed: update.Release{Version: "v1"}, Reason: "trial_failed", Detail: "no READY=1", Source: "collector", At: at}
	if err := (update.StateStore{Dir: dir}).Save(st); err != nil {
		t.Fatal(err)
	}
	s := updateStatus(dir)
	if s == nil || s.Phase != "failed" || s.Version != "v2" || s.CommittedVersion != "v1" || s.Reason != "trial_failed" || s.Source != "collector" || !s.At.Equal(at) {
		t.Fatalf("%+v", s)
	}
}

func TestUpdateScreenReadsTheUpdater(t *testing.T) {
	dir := t.TempDir()
	sig := update.Signal{Progress: dir + "/u/progress.json", Idle: dir + "/k/update-idle"}
	u := &updateScreen{sig: sig, log: slog.New(slog.DiscardHandler)}
	if u.progress() != nil {
		t.Fatal("progress with nothing posted")
	}
	sig.Post(update.SignalState{Version: "v2", Step: "write", Percent: 40, At: time.Now()})
	if p := u.progress(); p == nil || p.Step != kiosk.UpdateWrite || p.Percent != 40 || p.Version != "v2" {
		t.Fatalf("%+v", p)
	}
	sig.Post(update.SignalState{Step: "refused", Reason: update.ReasonBadSignature, At: time.Now()})
	if p := u.progress(); p == nil || p.Refused.JA == "" || !strings.Contains(p.Refused.EN, "not signed") {
		t.Fatalf("%+v", p)
	}
	// An updater killed mid-way leaves its file: the kiosk ignores it once stale.
	sig.Post(update.SignalState{Step: "write", At: time.Now().Add(-update.Stale - time.Second)})
	if p := u.progress(); p != nil {
		t.Fatalf("stale progress shown: %+v", p)
	}
	u.idle(true) // no runtime directory: logged once, not fatal
	os.MkdirAll(dir+"/k", 0o755)
	start := time.Now()
	u.idle(true)
	if !sig.IdleSince(start) {
		t.Fatal("idle answer not written")
	}
	u.idle(false)
	if sig.IdleSince(start) {
		t.Fatal("idle answer not withdrawn")
	}
}
