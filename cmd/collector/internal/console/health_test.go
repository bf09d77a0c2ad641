package console

import (
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// A kiosk whose certificate the collector refuses is alive and trying:
// staff must read "revoked", not "check power and network".
func TestRevokedKioskIsNotSilent(t *testing.T) {
	now := at(12, 0)
	refusals := map[string]time.Time{"K01": now.Add(-5 * time.Minute), "K03": now.Add(-5 * time.Hour)}
	h := Health{RefusedAt: func(id string) (time.Time, bool) { at, ok := refusals[id]; return at, ok }}.withDefaults()
	tests := []struct {
		k         store.KioskState
		want, not string
	}{
		{store.KioskState{KioskID: "K01", HeartbeatAt: now.Add(-3 * time.Hour)}, "証明書が失効しているため、接続を断っています（最後は5分前）", "通信がありません"},
		{store.KioskState{KioskID: "K02", HeartbeatAt: now.Add(-3 * time.Hour)}, "3時間前から通信がありません", "失効"},
		// Refused before its last heartbeat: it has a new certificate since.
		{store.KioskState{KioskID: "K03", HeartbeatAt: now.Add(-time.Minute)}, "", "失効"},
		{store.KioskState{KioskID: "K01"}, "失効", "まだ一度も"}, // never heard from: refused from the start
	}
	for _, tt := range tests {
		lv, ps := h.assess(LangJA, tt.k, now)
		var all []string
		for _, p := range ps {
			all = append(all, p.Text)
		}
		got := strings.Join(all, " / ")
		if !strings.Contains(got, tt.want) || strings.Contains(got, tt.not) {
			t.Errorf("%s: %q, want %q and not %q", tt.k.KioskID, got, tt.want, tt.not)
		}
		if tt.want != "" && lv != LevelBad {
			t.Errorf("%s: level %v, want bad", tt.k.KioskID, lv)
		}
	}
	_, ps := h.assess(LangEN, store.KioskState{KioskID: "K01", HeartbeatAt: now.Add(-3 * time.Hour)}, now)
	if len(ps) == 0 || !strings.Contains(ps[0].Text, "its certificate is revoked") {
		t.Errorf("English: %+v", ps)
	}
}

// A kiosk whose update failed says so, and that it runs its old version.
func TestFailedUpdateIsShown(t *testing.T) {
	now := at(12, 0)
	h := Health{}.withDefaults()
	k := store.KioskState{KioskID: "K01", HeartbeatAt: now, LastHeartbeat: &ksync.Heartbeat{
		Devices: []ksync.DeviceHealth{{Name: ksync.DeviceReader, State: ksync.StateOK}, {Name: ksync.DevicePrinter, State: ksync.StateOK}},
		Update:  &ksync.UpdateStatus{Phase: "failed", Version: "v2", Reason: "trial_failed"}}}
	lv, ps := h.assess(LangJA, k, now)
	if lv != LevelWarn || len(ps) != 1 || ps[0].Text != "更新 v2 を入れられませんでした（新しい版が起動しませんでした）。元の版で動いています" {
		t.Fatalf("%v %+v", lv, ps)
	}
	k.LastHeartbeat.Update.Phase = "committed"
	if _, ps := h.assess(LangEN, k, now); len(ps) != 0 {
		t.Fatalf("committed: %+v", ps)
	}
}
