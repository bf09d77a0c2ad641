package main

import (
	"testing"
	"time"

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
