// Package storetest checks a store.Store implementation against the rules
// every collector store must keep. Run it from the implementation's tests:
//
//	func TestStore(t *testing.T) { storetest.Run(t, func(dir string) (store.Store, error) { return Open(dir, nil) }) }
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// Opener opens the implementation on dir (the same dir again reopens it).
type Opener func(dir string) (store.Store, error)

// T0 is when the chains made here start.
var T0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// Chain makes n records of one journal as a kiosk's journal would: a start
// record (Detail why) at seq 1, then status checks, one a minute, hashed
// and linked.
func Chain(kioskID, journalID, why string, n int) []kiosk.Record {
	out := make([]kiosk.Record, 0, n)
	prev := journal.Genesis
	for i := range n {
		r := kiosk.Record{Seq: uint64(i + 1), Time: T0.Add(time.Duration(i) * time.Minute), KioskID: kioskID, JournalID: journalID,
			Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Status: "valid", PrevHash: prev}
		if i == 0 {
			r.Kind, r.Detail, r.Status = kiosk.TxSystem, why, ""
		}
		if i%5 == 4 {
			r.Kind, r.Outcome = kiosk.TxChangeAuth, kiosk.OutcomeLocked
		}
		r.Hash = journal.HashRecord(r)
		prev = r.Hash
		out = append(out, r)
	}
	return out
}

// Run runs every check, each on a fresh store in its own directory.
func Run(t *testing.T, open Opener) {
	checks := []struct {
		name string
		fn   func(t *testing.T, s store.Store, reopen func() store.Store)
	}{
		{"in order, then idempotent", inOrderIdempotent},
		{"records inside a gap are stored and close it", gapsClose},
		{"conflicts, bad hashes, chain breaks refused and flagged once", refusals},
		{"a re-created journal is an event, not a conflict", recreated},
		{"lookup by reference number", lookup},
		{"listing by kiosk, journal, date, kind, outcome", listing},
		{"heartbeats and certificates", heartbeatsCerts},
		{"everything survives a reopen", reopen},
		{"concurrent kiosks", concurrent},
		{"follow-up marks and the audit log", staffLog},
		{"sequences bounded, links checked in either order", seqBounds},
		{"values off their lists refused", offList},
		{"a journal that ends leaves a follow-up for what it had unsent", unsentAtEnd},
		{"installed kiosks and the alert queue", fleet},
		{"visits per day, kiosks' histories", numbers},
		{"the follow-up index answers as classifying every record did", followUpIndex},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := open(dir)
			if err != nil {
				t.Fatal(err)
			}
			cur := s
			t.Cleanup(func() { cur.Close() })
			c.fn(t, s, func() store.Store {
				if err := cur.Close(); err != nil {
					t.Fatal(err)
				}
				if cur, err = open(dir); err != nil {
					t.Fatal(err)
				}
				return cur
			})
		})
	}
}

func ingest(t *testing.T, s store.Store, kioskID, journalID string, recs []kiosk.Record) store.Result {
	t.Helper()
	res, err := s.Ingest(context.Background(), store.Ingest{KioskID: kioskID, JournalID: journalID, Records: recs, Source: store.SourceSync, At: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func wantAcked(t *testing.T, res store.Result, recs []kiosk.Record) {
	t.Helper()
	if len(res.Acked) != len(recs) || len(res.Refused) != 0 {
		t.Fatalf("acked %d refused %v, want all %d acked", len(res.Acked), res.Refused, len(recs))
	}
	for i, r := range recs {
		if res.Acked[i] != (ksync.Ack{Seq: r.Seq, Hash: r.Hash}) {
			t.Fatalf("ack %d = %+v, want %d/%s", i, res.Acked[i], r.Seq, r.Hash)
		}
	}
}

func inOrderIdempotent(t *testing.T, s store.Store, _ func() store.Store) {
	jid := kiosk.NewJournalID()
	c := Chain("K01", jid, journal.DetailJournalNew, 10)
	res := ingest(t, s, "K01", jid, c[:6])
	wantAcked(t, res, c[:6])
	if res.Stored != 6 || !res.NewJournal || res.Journal.HeadSeq != 6 || res.Journal.StartSeq != 1 || len(res.Journal.Gaps) != 0 ||
		res.Journal.Reason != store.ReasonNewFile || !res.Journal.Created.Equal(T0) {
		t.Fatalf("first ingest %+v", res)
	}
	res = ingest(t, s, "K01", jid, c[3:]) // a re-send overlapping what is held
	wantAcked(t, res, c[3:])
	if res.Stored != 4 || res.Duplicates != 3 || res.NewJournal || res.Journal.Records != 10 || !res.Journal.Complete() {
		t.Fatalf("overlapping ingest %+v", res)
	}
	res = ingest(t, s, "K01", jid, c)
	if res.Stored != 0 || res.Duplicates != 10 || res.Journal.Records != 10 {
		t.Fatalf("full re-send stored again: %+v", res)
	}
	got, err := s.Records(context.Background(), store.Query{KioskID: "K01", JournalID: jid})
	if err != nil || len(got) != 10 {
		t.Fatalf("records %d %v", len(got), err)
	}
	if b := journal.VerifyChain(got, 0, journal.Genesis); b != nil {
		t.Fatalf("stored chain: %v", b)
	}
	k, err := s.Kiosk(context.Background(), "K01")
	if err != nil || len(k.Events) != 1 || k.Events[0].Kind != store.EventJournalFirst || k.Records != 10 || k.JournalID != jid || len(k.Flags) != 0 {
		t.Fatalf("kiosk %+v %v", k, err)
	}
}

func gapsClose(t *testing.T, s store.Store, _ func() store.Store) {
	jid := kiosk.NewJournalID()
	c := Chain("K01", jid, journal.DetailJournalNew, 12)
	gaps := func(res store.Result) string { return fmt.Sprint(spans(res.Journal.Gaps)) }
	steps := []struct {
		recs []kiosk.Record
		want string
	}{
		{c[0:3], "[]"},            // 1..3
		{c[8:10], "[[4 8]]"},      // 9..10: a gap the kiosk released after an export
		{c[5:6], "[[4 5] [7 8]]"}, // 6 inside it
		{c[3:5], "[[7 8]]"},       // 4..5, as an import brings them
		{c[6:8], "[]"},            // 7..8
		{c[11:12], "[[11 11]]"},   // 12
		{c[10:11], "[]"},
	}
	for i, st := range steps {
		res := ingest(t, s, "K01", jid, st.recs)
		wantAcked(t, res, st.recs)
		if gaps(res) != st.want {
			t.Fatalf("step %d: gaps %s, want %s", i, gaps(res), st.want)
		}
	}
	j, err := s.Journal(context.Background(), "K01", jid)
	if err != nil || !j.Complete() || j.Records != 12 || j.HeadSeq != 12 {
		t.Fatalf("journal %+v %v", j, err)
	}
	// A journal whose first arrival is not its start has a gap from 1,
	// closed when the start arrives.
	jid2 := kiosk.NewJournalID()
	c2 := Chain("K02", jid2, journal.DetailJournalNew, 4)
	if res := ingest(t, s, "K02", jid2, c2[2:]); gaps(res) != "[[1 2]]" || res.Journal.Reason != store.ReasonUnknown {
		t.Fatalf("late start: %+v", res.Journal)
	}
	k, _ := s.Kiosk(context.Background(), "K02")
	if len(k.Events) != 1 || k.Events[0].Reason != store.ReasonUnknown {
		t.Fatalf("event before the start record %+v", k.Events)
	}
	if res := ingest(t, s, "K02", jid2, c2[:2]); gaps(res) != "[]" || res.Journal.Reason != store.ReasonNewFile {
		t.Fatalf("start arrived: %+v", res.Journal)
	}
	k, _ = s.Kiosk(context.Background(), "K02")
	if k.Events[0].Reason != store.ReasonNewFile {
		t.Fatalf("event reason not updated: %+v", k.Events)
	}
}

func spans(gs []store.Gap) [][2]uint64 {
	out := [][2]uint64{}
	for _, g := range gs {
		out = append(out, [2]uint64{g.From, g.To})
	}
	return out
}

func refusals(t *testing.T, s store.Store, _ func() store.Store) {
	jid := kiosk.NewJournalID()
	c := Chain("K01", jid, journal.DetailJournalNew, 6)
	ingest(t, s, "K01", jid, c[:3])
	rehash := func(r kiosk.Record) kiosk.Record { r.Hash = journal.HashRecord(r); return r }
	other := c[2]
	other.Detail = "other"
	other = rehash(other)
	edited := c[3]
	edited.Outcome = kiosk.OutcomeLocked // hash not recomputed
	broken := c[3]
	broken.PrevHash = c[0].Hash
	broken = rehash(broken)
	fresh := kiosk.NewJournalID() // seq 1 of jid is held: a new journal's first record
	badStart := Chain("K01", fresh, "", 1)[0]
	badStart.PrevHash = c[1].Hash
	badStart = rehash(badStart)
	second := c[5]
	second.PrevHash = journal.Genesis
	second = rehash(second)
	foreign := c[3]
	foreign.KioskID = "K09"
	foreign = rehash(foreign)
	editedNext := c[4]
	editedNext.Outcome = kiosk.OutcomeOK
	tests := []struct {
		name     string
		jid      string
		recs     []kiosk.Record
		acked    int
		flag     string
		flagSeq  uint64
		inReason string
	}{
		{"same seq, different record", jid, []kiosk.Record{other}, 0, store.FlagConflict, 3, "differs"},
		{"again: the same flag, counted", jid, []kiosk.Record{other}, 0, store.FlagConflict, 3, "differs"},
		{"edited, hash not recomputed", jid, []kiosk.Record{edited}, 0, store.FlagBadHash, 4, "hash"},
		{"does not follow the record held", jid, []kiosk.Record{broken}, 0, store.FlagChainBreak, 4, "does not follow record 3"},
		{"good records stored, then the first refusal stops", jid, []kiosk.Record{c[3], editedNext, c[5]}, 1, store.FlagBadHash, 5, "hash"},
		{"seq 1 that does not start the chain", fresh, []kiosk.Record{badStart}, 0, store.FlagChainStart, 1, "does not start"},
		{"a second start inside the journal", jid, []kiosk.Record{second}, 0, store.FlagChainStart, 6, "second chain"},
		{"another kiosk's record", jid, []kiosk.Record{foreign}, 0, store.FlagForeign, 4, "K09"},
	}
	for _, tc := range tests {
		res := ingest(t, s, "K01", tc.jid, tc.recs)
		if len(res.Acked) != tc.acked || len(res.Refused) != 1 || res.Refused[0].Seq != tc.flagSeq {
			t.Fatalf("%s: acked %v refused %v", tc.name, res.Acked, res.Refused)
		}
		if !strings.Contains(res.Refused[0].Reason, tc.inReason) {
			t.Fatalf("%s: reason %q, want %q", tc.name, res.Refused[0].Reason, tc.inReason)
		}
	}
	k, err := s.Kiosk(context.Background(), "K01")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, f := range k.Flags {
		counts[f.Kind+fmt.Sprint(f.Seq)] = f.Count
		if f.First.IsZero() || f.Last.IsZero() {
			t.Errorf("flag without times %+v", f)
		}
	}
	want := map[string]int{"conflict3": 2, "bad_hash4": 1, "chain_break4": 1, "bad_hash5": 1, "chain_start1": 1, "chain_start6": 1, "foreign_record4": 1}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Fatalf("flags %v, want %v (each condition once, counted)", counts, want)
	}
	j, _ := s.Journal(context.Background(), "K01", jid)
	if j.Records != 4 || j.HeadSeq != 4 {
		t.Fatalf("refused records stored: %+v", j)
	}
	if err := s.RaiseFlag(context.Background(), store.Flag{KioskID: "K01", JournalID: jid, Kind: store.FlagBadSignature, Detail: "x", Last: T0}); err != nil {
		t.Fatal(err)
	}
	if err := s.RaiseFlag(context.Background(), store.Flag{KioskID: "K01", JournalID: jid, Kind: store.FlagBadSignature, Detail: "y", Last: T0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	k, _ = s.Kiosk(context.Background(), "K01")
	for _, f := range k.Flags {
		if f.Kind == store.FlagBadSignature && (f.Count != 2 || !f.Last.Equal(T0.Add(time.Hour)) || !f.First.Equal(T0)) {
			t.Fatalf("raised flag %+v", f)
		}
	}
}

func recreated(t *testing.T, s store.Store, _ func() store.Store) {
	a, b, c := kiosk.NewJournalID(), kiosk.NewJournalID(), kiosk.NewJournalID()
	ca := Chain("K01", a, journal.DetailJournalNew, 5)
	cb := Chain("K01", b, journal.DetailJournalNew, 3) // SD card re-flashed: seq 1 again, same day
	cc := Chain("K01", c, journal.DetailReset, 2)      // then a corrupt file moved aside
	for _, step := range []struct {
		jid  string
		recs []kiosk.Record
	}{{a, ca}, {b, cb}, {c, cc}} {
		wantAcked(t, ingest(t, s, "K01", step.jid, step.recs), step.recs)
	}
	k, err := s.Kiosk(context.Background(), "K01")
	if err != nil {
		t.Fatal(err)
	}
	if k.Records != 10 || len(k.Journals) != 3 || len(k.Flags) != 0 {
		t.Fatalf("kiosk %+v", k)
	}
	if len(k.Events) != 3 || k.Events[0].Kind != store.EventJournalFirst ||
		k.Events[1].Kind != store.EventJournalRecreated || k.Events[1].Reason != store.ReasonNewFile || k.Events[1].Previous != a ||
		k.Events[2].Reason != store.ReasonCorrupt || k.Events[2].Previous != b {
		t.Fatalf("events %+v", k.Events)
	}
}

func lookup(t *testing.T, s store.Store, _ func() store.Store) {
	a := kiosk.NewJournalID()
	b := kiosk.NewJournalID()
	ca, cb := Chain("K01", a, journal.DetailJournalNew, 5), Chain("K01", b, journal.DetailJournalNew, 5)
	ingest(t, s, "K01", a, ca)
	ingest(t, s, "K01", b, cb)
	for _, want := range []kiosk.Record{ca[3], cb[3], cb[0]} {
		ref, err := kiosk.ParseReference(kiosk.ReferenceOf(want))
		if err != nil {
			t.Fatal(err)
		}
		found, err := s.Lookup(context.Background(), ref)
		if err != nil || len(found) != 1 || found[0].Record.Hash != want.Hash || found[0].JournalID != want.JournalID {
			t.Fatalf("lookup %s: %+v %v", ref, found, err)
		}
	}
	for _, ref := range []string{"K01-ZZZZ-0003", "K02-" + kiosk.JournalTag(a) + "-0003", "K01-" + kiosk.JournalTag(a) + "-0099"} {
		r, _ := kiosk.ParseReference(ref)
		if found, err := s.Lookup(context.Background(), r); err != nil || len(found) != 0 {
			t.Fatalf("lookup %s found %+v %v", ref, found, err)
		}
	}
	// Records from before journal IDs, in the legacy journal, by the dated form.
	legacy := Chain("K01", "", "", 3)
	wantAcked(t, ingest(t, s, "K01", kiosk.LegacyJournalID, legacy), legacy)
	ref, _ := kiosk.ParseReference(kiosk.ReferenceOf(legacy[2]))
	if found, err := s.Lookup(context.Background(), ref); err != nil || len(found) != 1 || found[0].JournalID != kiosk.LegacyJournalID {
		t.Fatalf("legacy lookup %s: %+v %v", ref, found, err)
	}
	// Two journals sharing a tag: both found, and staff are told.
	twin := kiosk.JournalTag(a) + b[4:]
	ct := Chain("K01", twin, journal.DetailJournalNew, 5)
	ingest(t, s, "K01", twin, ct)
	ref, _ = kiosk.ParseReference(kiosk.ReferenceOf(ct[3]))
	if found, _ := s.Lookup(context.Background(), ref); len(found) != 2 {
		t.Fatalf("tag collision lookup: %+v", found)
	}
	k, _ := s.Kiosk(context.Background(), "K01")
	if len(k.Flags) != 1 || k.Flags[0].Kind != store.FlagTagCollision {
		t.Fatalf("flags %+v", k.Flags)
	}
	// A record carried into a diverged journal is found by its slip's
	// number too, beside what the old journal holds there.
	d := kiosk.NewJournalID()
	cd := Chain("K01", d, journal.DetailDiverged, 3)
	cd[1].Reference = kiosk.ReferenceOf(cb[3])
	prev := cd[0].Hash
	for i := 1; i < len(cd); i++ {
		cd[i].PrevHash = prev
		cd[i] = rehash(cd[i])
		prev = cd[i].Hash
	}
	wantAcked(t, ingest(t, s, "K01", d, cd), cd)
	ref, _ = kiosk.ParseReference(kiosk.ReferenceOf(cb[3]))
	found, err := s.Lookup(context.Background(), ref)
	if err != nil || len(found) != 2 {
		t.Fatalf("lookup of a carried record's slip: %+v %v", found, err)
	}
	for _, f := range found {
		if !(f.JournalID == b && f.Record.Hash == cb[3].Hash) && !(f.JournalID == d && f.Record.Hash == cd[1].Hash) {
			t.Fatalf("lookup of a carried record's slip found %+v", f)
		}
	}
}

func listing(t *testing.T, s store.Store, _ func() store.Store) {
	a, b := kiosk.NewJournalID(), kiosk.NewJournalID()
	ca, cb := Chain("K01", a, journal.DetailJournalNew, 20), Chain("K02", b, journal.DetailJournalNew, 10)
	ingest(t, s, "K01", a, ca)
	ingest(t, s, "K02", b, cb)
	ctx := context.Background()
	tests := []struct {
		name  string
		q     store.Query
		seqs  string
		count int
	}{
		{"one journal, paged", store.Query{KioskID: "K01", JournalID: a, AfterSeq: 15, Limit: 3}, "[16 17 18]", 3},
		{"one journal, newest", store.Query{KioskID: "K01", JournalID: a, Limit: 2, Newest: true}, "[19 20]", 2},
		{"a kiosk by date", store.Query{KioskID: "K01", From: T0.Add(5 * time.Minute), To: T0.Add(8 * time.Minute)}, "[6 7 8]", 3},
		{"a kiosk, newest 3 before a time", store.Query{KioskID: "K01", To: T0.Add(10 * time.Minute), Limit: 3, Newest: true}, "[8 9 10]", 3},
		{"by kind and outcome", store.Query{KioskID: "K01", Kind: kiosk.TxChangeAuth, Outcome: kiosk.OutcomeLocked}, "[5 10 15 20]", 4},
		{"every kiosk by date", store.Query{From: T0.Add(9 * time.Minute), To: T0.Add(10 * time.Minute)}, "[10 10]", 2},
		{"every kiosk, newest 2", store.Query{Limit: 2, Newest: true}, "[19 20]", 2},
		{"unknown kiosk", store.Query{KioskID: "K09"}, "[]", 0},
	}
	for _, tc := range tests {
		got, err := s.Records(ctx, tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		seqs := []uint64{}
		for _, r := range got {
			seqs = append(seqs, r.Seq)
		}
		if fmt.Sprint(seqs) != tc.seqs || len(got) != tc.count {
			t.Errorf("%s: seqs %v, want %s", tc.name, seqs, tc.seqs)
		}
	}
}

func heartbeatsCerts(t *testing.T, s store.Store, _ func() store.Store) {
	ctx := context.Background()
	hb := ksync.Heartbeat{KioskID: "K01", ReaderPresent: true, PrinterState: "paper_out", JournalDepth: 7,
		Devices: []ksync.DeviceHealth{{Name: ksync.DevicePrinter, State: ksync.StatePaperOut, Since: T0}},
		Sync:    ksync.SyncHealth{SyncState: journal.SyncState{LastError: "post https://c:8443/v1/batch: 404", Failures: 3}, Unsent: 7}}
	for i := range 3 {
		hb.Time = T0.Add(time.Duration(i) * time.Minute)
		if err := s.SaveHeartbeat(ctx, store.Heartbeat{HB: hb, ReceivedAt: hb.Time}); err != nil {
			t.Fatal(err)
		}
	}
	k, err := s.Kiosk(ctx, "K01")
	if err != nil || k.LastHeartbeat == nil || !k.HeartbeatAt.Equal(T0.Add(2*time.Minute)) || k.LastHeartbeat.Sync.Failures != 3 ||
		len(k.LastHeartbeat.Devices) != 1 || k.LastHeartbeat.Sync.Unsent != 7 {
		t.Fatalf("kiosk %+v %v", k, err)
	}
	// A kiosk on its cannot-start screen: the fault is kept whole, as
	// every field of a heartbeat (the console reads it back).
	fault := ksync.Heartbeat{KioskID: "K02", PrinterState: ksync.StateUnknown, Version: "v9", Time: T0, Fault: &ksync.FaultStatus{Kind: ksync.FaultOldJournal,
		Journals: []ksync.FaultJournal{{Path: "/var/lib/kiosk/journal.db", KioskID: "K02", JournalID: kiosk.NewJournalID(), Unsent: 3}}}}
	if err := s.SaveHeartbeat(ctx, store.Heartbeat{HB: fault, ReceivedAt: T0}); err != nil {
		t.Fatal(err)
	}
	if k, err := s.Kiosk(ctx, "K02"); err != nil || k.Fault() == nil || fmt.Sprint(*k.Fault()) != fmt.Sprint(*fault.Fault) {
		t.Fatalf("fault heartbeat read back as %+v %v", k.LastHeartbeat, err)
	}
	if _, err := s.Kiosk(ctx, "K09"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown kiosk: %v", err)
	}
	if _, err := s.Journal(ctx, "K01", kiosk.NewJournalID()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown journal: %v", err)
	}
	for i, der := range [][]byte{[]byte("cert-a"), []byte("cert-b"), []byte("cert-a")} {
		if err := s.RememberCert(ctx, "K01", der, T0.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	certs, err := s.Certs(ctx, "K01")
	if err != nil || len(certs) != 2 || string(certs[0]) != "cert-a" {
		t.Fatalf("certs %q %v", certs, err)
	}
}

func reopen(t *testing.T, s store.Store, again func() store.Store) {
	jid := kiosk.NewJournalID()
	c := Chain("K01", jid, journal.DetailJournalNew, 8)
	ingest(t, s, "K01", jid, append(c[:3:3], c[5:]...))
	if err := s.RememberCert(context.Background(), "K01", []byte("der"), T0); err != nil {
		t.Fatal(err)
	}
	s = again()
	j, err := s.Journal(context.Background(), "K01", jid)
	if err != nil || j.Records != 6 || fmt.Sprint(spans(j.Gaps)) != "[[4 5]]" {
		t.Fatalf("after reopen %+v %v", j, err)
	}
	res := ingest(t, s, "K01", jid, c)
	if res.Stored != 2 || res.Duplicates != 6 || !res.Journal.Complete() {
		t.Fatalf("after reopen, ingest %+v", res)
	}
	if certs, _ := s.Certs(context.Background(), "K01"); len(certs) != 1 {
		t.Fatal("certificate lost on reopen")
	}
}

func concurrent(t *testing.T, s store.Store, _ func() store.Store) {
	const kiosks, per = 20, 30
	var wg sync.WaitGroup
	errs := make(chan error, kiosks)
	for i := range kiosks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, jid := fmt.Sprintf("K%02d", i), kiosk.NewJournalID()
			c := Chain(id, jid, journal.DetailJournalNew, per)
			for lo := 0; lo < per; lo += 7 {
				res, err := s.Ingest(context.Background(), store.Ingest{KioskID: id, JournalID: jid, Records: c[lo:min(lo+7, per)], At: T0})
				if err == nil && len(res.Refused) > 0 {
					err = fmt.Errorf("%s refused %v", id, res.Refused)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	ks, err := s.Kiosks(context.Background())
	if err != nil || len(ks) != kiosks {
		t.Fatalf("%d kiosks %v", len(ks), err)
	}
	for _, k := range ks {
		if k.Records != per || k.Gaps() != 0 {
			t.Fatalf("kiosk %s: %d records, %d gaps", k.KioskID, k.Records, k.Gaps())
		}
	}
}
