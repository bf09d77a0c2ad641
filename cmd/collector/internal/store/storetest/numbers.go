package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// sealed chains recs (kiosk, journal, sequence from 1, links, hashes).
func sealed(kioskID, journalID string, recs ...kiosk.Record) []kiosk.Record {
	prev := journal.Genesis
	for i := range recs {
		r := &recs[i]
		r.Seq, r.KioskID, r.JournalID, r.PrevHash = uint64(i+1), kioskID, journalID, prev
		r.Hash = journal.HashRecord(*r)
		prev = r.Hash
	}
	return recs
}

// numbers: visits are counted per kiosk and JST day (a visit at 23:59
// JST and one at 00:00 are on two days), only the kinds that start a
// visit count, the period's ends hold; a kiosk's history comes back
// newest first, limited, after a reopen.
func numbers(t *testing.T, s store.Store, again func() store.Store) {
	ctx := context.Background()
	jst := kiosk.JST()
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, jst) }
	rec := func(tm time.Time, k kiosk.TxKind) kiosk.Record {
		r := kiosk.Record{Time: tm, ClockTrusted: true, Kind: k, Outcome: kiosk.OutcomeOK}
		switch k {
		case kiosk.TxSystem:
			r.Detail = journal.DetailJournalNew
		case kiosk.TxCardError:
			r.Outcome, r.Status = kiosk.OutcomeError, string(kiosk.CodeUnreadable)
		default:
			r.Status = string(kiosk.CodeValid)
		}
		return r
	}
	ingest(t, s, "K01", "J1", sealed("K01", "J1",
		rec(at(24, 8, 0), kiosk.TxSystem),
		rec(at(24, 9, 0), kiosk.TxStatus),
		rec(at(24, 9, 1), kiosk.TxChangeAuth), // within the same visit
		rec(at(24, 23, 59), kiosk.TxStatus),
		rec(at(25, 0, 0), kiosk.TxCardError),
		rec(at(25, 10, 0), kiosk.TxStatus),
		rec(at(26, 0, 0), kiosk.TxStatus), // after the period
	))
	ingest(t, s, "K02", "J2", sealed("K02", "J2", rec(at(25, 12, 0), kiosk.TxSystem), rec(at(25, 12, 30), kiosk.TxStatus)))
	got, err := s.VisitCounts(ctx, at(24, 0, 0), at(26, 0, 0))
	want := []store.DayCount{{KioskID: "K01", Day: "2026-11-24", Visits: 2}, {KioskID: "K01", Day: "2026-11-25", Visits: 2}, {KioskID: "K02", Day: "2026-11-25", Visits: 1}}
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("visit counts: %v %v\nwant %v", got, err, want)
	}
	if got, _ := s.VisitCounts(ctx, at(25, 0, 0), at(25, 10, 0)); fmt.Sprint(got) != fmt.Sprint([]store.DayCount{{KioskID: "K01", Day: "2026-11-25", Visits: 1}}) {
		t.Errorf("visit counts of a morning: %v", got)
	}

	for i, h := range []store.HistoryEntry{
		{KioskID: "K01", Time: T0, Kind: store.HistoryDevice, Device: ksync.DevicePrinter, State: ksync.StatePaperOut, Since: T0.Add(-time.Minute)},
		{KioskID: "K01", Time: T0.Add(time.Hour), Kind: store.HistorySilent, Since: T0.Add(10 * time.Minute)},
		{KioskID: "K02", Time: T0, Kind: store.HistorySync, Detail: "503"},
		{KioskID: "K01", Time: T0.Add(2 * time.Hour), Kind: store.HistoryDevice, Device: ksync.DevicePrinter, State: ksync.StateOK},
	} {
		if err := s.AddHistory(ctx, h); err != nil {
			t.Fatalf("history %d: %v", i, err)
		}
	}
	s = again()
	hs, err := s.History(ctx, "K01", 0)
	if err != nil || len(hs) != 3 || hs[0].State != ksync.StateOK || hs[1].Kind != store.HistorySilent || !hs[1].Since.Equal(T0.Add(10*time.Minute)) || hs[2].State != ksync.StatePaperOut {
		t.Fatalf("K01's history, newest first: %+v %v", hs, err)
	}
	if hs, _ := s.History(ctx, "K01", 2); len(hs) != 2 {
		t.Errorf("history limit 2: %d", len(hs))
	}
	if hs, _ := s.History(ctx, "K09", 0); len(hs) != 0 {
		t.Errorf("an unknown kiosk's history: %+v", hs)
	}
}
