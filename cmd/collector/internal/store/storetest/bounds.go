package storetest

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

func rehash(r kiosk.Record) kiosk.Record { r.Hash = journal.HashRecord(r); return r }

// seqBounds: a signed record at an absurd sequence is refused with its
// reason (no gap to 2^64 that never closes), and a record's link to its
// neighbour is checked whichever of the two arrives first.
func seqBounds(t *testing.T, s store.Store, _ func() store.Store) {
	jid := kiosk.NewJournalID()
	c := Chain("K01", jid, journal.DetailJournalNew, 8)
	wantAcked(t, ingest(t, s, "K01", jid, c[:2]), c[:2])
	far := func(seq uint64) kiosk.Record { r := c[2]; r.Seq = seq; return rehash(r) }
	wrapA, wrapB := far(math.MaxUint64), far(0)
	for _, tc := range []struct {
		name string
		recs []kiosk.Record
	}{
		{"10^12", []kiosk.Record{far(1_000_000_000_000)}},
		{"2^64-1", []kiosk.Record{far(math.MaxUint64)}},
		{"just past the bound", []kiosk.Record{far(kiosk.MaxSeq + 1)}},
		{"2^64-1 then 0 (Seq+1 wraps)", []kiosk.Record{wrapA, wrapB}},
	} {
		res := ingest(t, s, "K01", jid, tc.recs)
		if len(res.Acked) != 0 || len(res.Refused) != 1 || res.Refused[0].Code != ksync.RefusedInvalid ||
			!strings.Contains(res.Refused[0].Reason, "beyond any journal's") {
			t.Fatalf("%s: acked %v refused %+v", tc.name, res.Acked, res.Refused)
		}
	}
	j, _ := s.Journal(context.Background(), "K01", jid)
	if j.HeadSeq != 2 || len(j.Gaps) != 0 || j.Records != 2 {
		t.Fatalf("after absurd sequences: %+v", j)
	}
	// The bound itself is a sequence like any other.
	if res := ingest(t, s, "K01", jid, []kiosk.Record{far(kiosk.MaxSeq)}); len(res.Acked) != 1 {
		t.Fatalf("seq MaxSeq: %+v", res)
	}
	// 5 arrives first; a 4 that 5 does not follow is refused when it
	// comes, and so is a 6 that does not follow 5.
	wantAcked(t, ingest(t, s, "K01", jid, c[4:5]), c[4:5])
	bad4 := c[3]
	bad4.Detail = "not the one 5 follows"
	bad4 = rehash(bad4)
	bad6 := c[5]
	bad6.PrevHash = c[3].Hash
	bad6 = rehash(bad6)
	for _, tc := range []struct {
		rec  kiosk.Record
		want string
	}{{bad4, "record 5 held does not follow it"}, {bad6, "does not follow record 5"}} {
		res := ingest(t, s, "K01", jid, []kiosk.Record{tc.rec})
		if len(res.Refused) != 1 || res.Refused[0].Code != ksync.RefusedChainBreak || !strings.Contains(res.Refused[0].Reason, tc.want) {
			t.Fatalf("seq %d: %+v, want a chain break %q", tc.rec.Seq, res.Refused, tc.want)
		}
	}
	wantAcked(t, ingest(t, s, "K01", jid, c[2:8]), c[2:8])
}

// offList: values a kiosk never writes are refused on arrival, with the
// field named; the records before them are taken.
func offList(t *testing.T, s store.Store, _ func() store.Store) {
	jid := kiosk.NewJournalID()
	c := Chain("K01", jid, journal.DetailJournalNew, 3)
	wantAcked(t, ingest(t, s, "K01", jid, c[:2]), c[:2])
	for _, tc := range []struct {
		edit func(*kiosk.Record)
		want string
	}{
		{func(r *kiosk.Record) { r.Kind = "Status_Check" }, "kind"},
		{func(r *kiosk.Record) { r.Outcome = "fine" }, "outcome"},
		{func(r *kiosk.Record) { r.Card = "passport" }, "card"},
		{func(r *kiosk.Record) { r.Status = "VALID" }, "status"},
		{func(r *kiosk.Record) { r.Reference = "not a reference" }, "reference"},
		{func(r *kiosk.Record) { r.Reference = "k01-7q3f-0042" }, "not written as a kiosk writes it"},
		{func(r *kiosk.Record) { r.Reference = "K09-7Q3F-0042" }, "another kiosk"},
	} {
		r := c[2]
		tc.edit(&r)
		res := ingest(t, s, "K01", jid, []kiosk.Record{rehash(r)})
		if len(res.Refused) != 1 || res.Refused[0].Code != ksync.RefusedInvalid || !strings.Contains(res.Refused[0].Reason, tc.want) {
			t.Fatalf("%s: refused %+v", tc.want, res.Refused)
		}
	}
	ok := c[2]
	ok.Reference, ok.Card = "K01-7Q3F-0042", kiosk.CardMyNumber
	wantAcked(t, ingest(t, s, "K01", jid, []kiosk.Record{rehash(ok)}), []kiosk.Record{rehash(ok)})
}

// unsentAtEnd: the kiosk's last heartbeat from a journal said how many
// records were unsent; when a new journal follows it (a re-flashed card, a
// corrupt file moved aside), staff get one flag saying how many of those
// the collector lacks. A journal that diverged carried them over: no flag.
func unsentAtEnd(t *testing.T, s store.Store, _ func() store.Store) {
	ctx := context.Background()
	hb := func(kioskID, jid string, head uint64, unsent int, at time.Time) {
		t.Helper()
		h := ksync.Heartbeat{KioskID: kioskID, JournalID: jid, Time: at, Sync: ksync.SyncHealth{HeadSeq: head, Unsent: unsent}}
		if err := s.SaveHeartbeat(ctx, store.Heartbeat{HB: h, ReceivedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		kiosk, why string
		hbFirst    bool // the new journal's heartbeat comes before its first batch
		flag       string
	}{
		{"K01", journal.DetailReset, false, "reported 5 records unsent (sequences 4–8), 3 of them are not at the collector"},
		{"K02", journal.DetailJournalNew, true, "reported 5 records unsent (sequences 4–8), 3 of them are not at the collector"},
		{"K03", journal.DetailDiverged, true, ""},
	} {
		a, b := kiosk.NewJournalID(), kiosk.NewJournalID()
		ca := Chain(tc.kiosk, a, journal.DetailJournalNew, 8)
		hb(tc.kiosk, a, 8, 5, T0)
		wantAcked(t, ingest(t, s, tc.kiosk, a, ca[:5]), ca[:5]) // 4 and 5 arrive after the heartbeat; 6–8 never
		if tc.hbFirst {
			hb(tc.kiosk, b, 1, 1, T0.Add(time.Minute))
		}
		cb := Chain(tc.kiosk, b, tc.why, 2)
		wantAcked(t, ingest(t, s, tc.kiosk, b, cb), cb)
		hb(tc.kiosk, b, 2, 0, T0.Add(2*time.Minute))
		k, err := s.Kiosk(ctx, tc.kiosk)
		if err != nil {
			t.Fatal(err)
		}
		var got []store.Flag
		for _, f := range k.Flags {
			if f.Kind == store.FlagUnsentAtEnd {
				got = append(got, f)
			}
		}
		switch {
		case tc.flag == "" && len(got) != 0:
			t.Fatalf("%s: flags %+v, want none", tc.kiosk, got)
		case tc.flag != "" && (len(got) != 1 || got[0].JournalID != a || !strings.Contains(got[0].Detail, tc.flag)):
			t.Fatalf("%s: flags %+v, want one on %s saying %q", tc.kiosk, got, a, tc.flag)
		}
	}
}
