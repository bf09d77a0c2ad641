package storetest

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
)

// followUpIndex: the store's follow-up index gives the same answers as
// the console's old path (every record of the period classified by
// store.FollowUpOf, newest first): whole, by kind, unmarked only, page by
// page after a cursor (ties in time included), counted — and again after
// a reopen.
func followUpIndex(t *testing.T, s store.Store, again func() store.Store) {
	ctx := context.Background()
	mixed := func(kioskID, journalID string, base time.Time) []kiosk.Record {
		recs := []kiosk.Record{{Time: base, ClockTrusted: true, Kind: kiosk.TxSystem, Outcome: kiosk.OutcomeOK, Detail: journal.DetailJournalNew}}
		zero := 0
		for i := range 40 {
			// Two records a minute: ties in time across kiosks and journals.
			r := kiosk.Record{Time: base.Add(time.Duration(i/2) * time.Minute), ClockTrusted: true, Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK,
				Card: kiosk.CardMyNumber, Status: string(kiosk.CodeValid)}
			switch i % 8 {
			case 1:
				r.Status = string(kiosk.CodeAuthLocked)
			case 2:
				r.Kind, r.Outcome, r.Status = kiosk.TxChangeAuth, kiosk.OutcomeUnknown, string(kiosk.CodeChangeUnsure)
			case 3:
				r.Status = string(kiosk.CodeExpired)
			case 4:
				r.Kind, r.Card, r.Status = kiosk.TxSystem, "", ""
				r.Outcome, r.Detail, r.Reference = kiosk.OutcomeError, kiosk.DetailPrinterUnavailable, fmt.Sprintf("%s-7Q3F-%04d", kioskID, i)
			case 5:
				r.Office = []kiosk.Code{kiosk.CodeNoSignCert} // in date, yet the slip sent them to the office
			case 6:
				r.Kind, r.Outcome, r.Status, r.AuthTries = kiosk.TxChangeAuth, kiosk.OutcomeWrongPIN, string(kiosk.CodeWrongPIN), &zero
			}
			recs = append(recs, r)
		}
		return sealed(kioskID, journalID, recs...)
	}
	ingest(t, s, "K01", "J1", mixed("K01", "J1", T0))
	ingest(t, s, "K02", "J2", mixed("K02", "J2", T0))
	ingest(t, s, "K02", "J3", mixed("K02", "J3", T0.Add(5*time.Minute)))
	from, to := T0.Add(2*time.Minute), T0.Add(20*time.Minute)

	// The old path: classify every record of the period.
	old := func(s store.Store, q store.FollowUpQuery) []store.FollowUpItem {
		rs, err := s.Records(ctx, store.Query{From: q.From, To: q.To})
		if err != nil {
			t.Fatal(err)
		}
		var out []store.FollowUpItem
		for _, r := range rs {
			k, ok := store.FollowUpOf(r)
			if !ok || (q.Kind != "" && k != q.Kind) {
				continue
			}
			if m, err := s.MarkOf(ctx, r.KioskID, r.JournalID, r.Seq); err != nil || (q.Unmarked && m != nil) {
				if err != nil {
					t.Fatal(err)
				}
				continue
			}
			out = append(out, store.FollowUpItem{Found: store.Found{JournalID: store.JournalOf(r), Record: r}, Kind: k})
		}
		slices.SortFunc(out, func(a, b store.FollowUpItem) int {
			return cmp.Or(b.Record.Time.Compare(a.Record.Time), cmp.Compare(b.Record.KioskID, a.Record.KioskID),
				cmp.Compare(b.JournalID, a.JournalID), cmp.Compare(b.Record.Seq, a.Record.Seq))
		})
		return out
	}
	// Two marks: unmarked lists leave them out.
	for _, it := range old(s, store.FollowUpQuery{From: from, To: to})[3:5] {
		if _, err := s.Mark(ctx, store.Mark{KioskID: it.Record.KioskID, JournalID: it.JournalID, Seq: it.Record.Seq, RecordTime: it.Record.Time,
			Kind: string(it.Kind), By: "staff", At: T0}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(s store.Store) {
		for _, kind := range append([]store.FollowUpKind{""}, store.FollowUpKinds...) {
			for _, unmarked := range []bool{false, true} {
				q := store.FollowUpQuery{From: from, To: to, Kind: kind, Unmarked: unmarked}
				want := old(s, q)
				if len(want) == 0 && kind == "" {
					t.Fatal("the mixed data set has no follow-ups: the comparison proves nothing")
				}
				got, err := s.FollowUps(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if !sameItems(got, want) {
					t.Errorf("FollowUps(%+v): got %d items, the old path %d\n got %v\nwant %v", q, len(got), len(want), ids(got), ids(want))
				}
				// Page by three after the cursor: the pages join into the whole.
				var paged []store.FollowUpItem
				for page := 0; page < 100; page++ {
					pq := q
					pq.Limit = 3
					if n := len(paged); n > 0 {
						pq.After = &store.FollowUpCursor{Time: paged[n-1].Record.Time, ID: paged[n-1].ID()}
					}
					p, err := s.FollowUps(ctx, pq)
					if err != nil {
						t.Fatal(err)
					}
					if len(p) > 3 {
						t.Fatalf("limit 3 gave %d", len(p))
					}
					if len(p) == 0 {
						break
					}
					paged = append(paged, p...)
				}
				if !sameItems(paged, want) {
					t.Errorf("paged %+v: got %v\nwant %v", q, ids(paged), ids(want))
				}
				counts, err := s.FollowUpCounts(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				wantCounts := map[store.FollowUpKind]int{}
				for _, it := range want {
					wantCounts[it.Kind]++
				}
				if !reflect.DeepEqual(counts, wantCounts) {
					t.Errorf("FollowUpCounts(%+v) = %v, the old path %v", q, counts, wantCounts)
				}
			}
		}
	}
	check(s)
	check(again())
}

func sameItems(a, b []store.FollowUpItem) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID() != b[i].ID() || a[i].Kind != b[i].Kind || a[i].Record.Hash != b[i].Record.Hash {
			return false
		}
	}
	return true
}

func ids(its []store.FollowUpItem) []string {
	out := make([]string, len(its))
	for i, it := range its {
		out[i] = it.ID().String() + ":" + string(it.Kind)
	}
	return out
}

// FollowUpBackfill checks a store from before the follow-up index: strip
// removes the index from s as an old collector left it, reopen opens the
// store again, which must index the records held once and list what a
// fresh ingest did. Every fifth record of the chain is a locked PIN.
func FollowUpBackfill(t *testing.T, s store.Store, n int, strip func(), reopen func() store.Store) {
	ctx := context.Background()
	if _, err := s.Ingest(ctx, store.Ingest{KioskID: "K01", JournalID: "J1", Records: Chain("K01", "J1", "new_file", n), Source: store.SourceSync}); err != nil {
		t.Fatal(err)
	}
	want, err := s.FollowUps(ctx, store.FollowUpQuery{})
	if err != nil || len(want) != n/5 {
		t.Fatalf("%d follow-ups before, want %d (%v)", len(want), n/5, err)
	}
	strip()
	if got, _ := s.FollowUps(ctx, store.FollowUpQuery{}); len(got) != 0 {
		t.Fatalf("without the index still %d", len(got))
	}
	got, err := reopen().FollowUps(ctx, store.FollowUpQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if !sameItems(got, want) {
		t.Fatalf("back-filled %d follow-ups, want %d", len(got), len(want))
	}
}
