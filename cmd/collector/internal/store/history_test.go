package store

import (
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

func TestChanges(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	hb := func(at time.Duration, printer, syncErr string) Heartbeat {
		return Heartbeat{ReceivedAt: t0.Add(at), HB: ksync.Heartbeat{KioskID: "K01",
			Devices: []ksync.DeviceHealth{{Name: ksync.DeviceReader, State: ksync.StateOK}, {Name: ksync.DevicePrinter, State: printer}},
			Sync:    ksync.SyncHealth{SyncState: syncState(syncErr)}}}
	}
	tests := []struct {
		name string
		prev *Heartbeat
		hb   Heartbeat
		want []string // kind:device:state:detail
	}{
		{"first, all well", nil, hb(0, ksync.StateOK, ""), nil},
		{"first, out of paper", nil, hb(0, ksync.StatePaperOut, ""), []string{"device:printer:paper_out:"}},
		{"nothing changed", ptr(hb(0, ksync.StateOK, "")), hb(time.Minute, ksync.StateOK, ""), nil},
		{"paper ran out", ptr(hb(0, ksync.StateOK, "")), hb(time.Minute, ksync.StatePaperOut, ""), []string{"device:printer:paper_out:"}},
		{"paper back", ptr(hb(0, ksync.StatePaperOut, "")), hb(time.Minute, ksync.StateOK, ""), []string{"device:printer:ok:"}},
		{"silent an hour", ptr(hb(0, ksync.StateOK, "")), hb(time.Hour, ksync.StateOK, ""), []string{"silent:::"}},
		{"sync fails", ptr(hb(0, ksync.StateOK, "")), hb(time.Minute, ksync.StateOK, "503"), []string{"sync:::503"}},
		{"sync fails on", ptr(hb(0, ksync.StateOK, "503")), hb(time.Minute, ksync.StateOK, "timeout"), nil},
		{"sync back", ptr(hb(0, ksync.StateOK, "503")), hb(time.Minute, ksync.StateOK, ""), []string{"sync:::"}},
	}
	for _, tt := range tests {
		got := Changes(tt.prev, tt.hb, 15*time.Minute)
		var s []string
		for _, h := range got {
			s = append(s, h.Kind+":"+h.Device+":"+h.State+":"+h.Detail)
			if h.Kind == HistorySilent && !h.Since.Equal(tt.prev.ReceivedAt) {
				t.Errorf("%s: silent since %v, want %v", tt.name, h.Since, tt.prev.ReceivedAt)
			}
		}
		if len(s) != len(tt.want) || (len(s) > 0 && s[0] != tt.want[0]) {
			t.Errorf("%s: %v, want %v", tt.name, s, tt.want)
		}
	}
}

func ptr(h Heartbeat) *Heartbeat { return &h }

func syncState(lastErr string) journal.SyncState { return journal.SyncState{LastError: lastErr} }
