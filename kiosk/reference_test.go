package kiosk_test

import (
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

func TestReferenceOf(t *testing.T) {
	at := time.Date(2026, 11, 24, 15, 30, 0, 0, time.UTC) // 2026-11-25 00:30 JST
	const jid = "7Q3FZ0B1C2D3E4F5G6H7J8K9MN"
	tests := []struct {
		name string
		rec  kiosk.Record
		want string
	}{
		{"journal with an ID", kiosk.Record{KioskID: "K01", JournalID: jid, Seq: 42, Time: at}, "K01-7Q3F-0042"},
		{"first record", kiosk.Record{KioskID: "K01", JournalID: jid, Seq: 1, Time: at}, "K01-7Q3F-0001"},
		{"long sequence", kiosk.Record{KioskID: "K01", JournalID: jid, Seq: 123456, Time: at}, "K01-7Q3F-123456"},
		{"record from before journal IDs: dated form", kiosk.Record{KioskID: "K01", Seq: 42, Time: at}, "K01-20261125-0042"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := kiosk.ReferenceOf(tt.rec)
			if ref != tt.want {
				t.Fatalf("ReferenceOf = %q, want %q", ref, tt.want)
			}
			for _, typed := range []string{ref, " " + strings.ToLower(ref) + " ", strings.ReplaceAll(ref, "-", " "), "Ｋ０１－" + ref[4:]} {
				p, err := kiosk.ParseReference(typed)
				if err != nil {
					t.Fatalf("ParseReference(%q): %v", typed, err)
				}
				if p.String() != ref || !p.Matches(tt.rec.JournalID, tt.rec) {
					t.Errorf("ParseReference(%q) = %+v (%s), does not name the record", typed, p, p)
				}
			}
		})
	}
}

func TestReferenceUniqueAcrossJournals(t *testing.T) {
	// A re-flashed SD card starts a new journal at sequence 1 on the same day:
	// its references must not repeat the old journal's. The tag is 4 base32
	// characters (about a million), so two of 200 random journals share one
	// about once in 50 runs — which is why a lookup also matches the journal
	// (below). What must hold every time: journals with different tags never
	// give the same reference.
	at := time.Now()
	seen := map[string]string{} // reference → the tag of the journal that gave it
	for range 200 {
		id := kiosk.NewJournalID()
		if !kiosk.ValidJournalID(id) {
			t.Fatalf("NewJournalID() = %q, not valid", id)
		}
		ref := kiosk.ReferenceOf(kiosk.Record{KioskID: "K01", JournalID: id, Seq: 1, Time: at})
		if tag, ok := seen[ref]; ok && tag != kiosk.JournalTag(id) {
			t.Fatalf("journals tagged %s and %s both give reference %s", tag, kiosk.JournalTag(id), ref)
		}
		seen[ref] = kiosk.JournalTag(id)
		p, _ := kiosk.ParseReference(ref)
		if p.Matches(kiosk.LegacyJournalID, kiosk.Record{KioskID: "K01", JournalID: kiosk.LegacyJournalID, Seq: 1}) {
			t.Fatalf("a new journal's tag %s equals the legacy journal's", p.JournalTag)
		}
	}
	// A different journal's record with the same sequence is not the one named.
	a := kiosk.Record{KioskID: "K01", JournalID: "AAAA" + kiosk.LegacyJournalID[4:], Seq: 7, Time: at}
	b := kiosk.Record{KioskID: "K01", JournalID: "BBBB" + kiosk.LegacyJournalID[4:], Seq: 7, Time: at}
	p, _ := kiosk.ParseReference(kiosk.ReferenceOf(a))
	if !p.Matches(a.JournalID, a) || p.Matches(b.JournalID, b) {
		t.Fatal("a reference matches another journal's record")
	}
}

func TestParseReferenceForgivesLookAlikes(t *testing.T) {
	p, err := kiosk.ParseReference("k01-7q3o-0042") // O typed for 0
	if err != nil || p.JournalTag != "7Q30" || p.Seq != 42 || p.KioskID != "K01" {
		t.Fatalf("got %+v %v", p, err)
	}
	for _, bad := range []string{"", "K01", "K01-7Q3F", "K01-7Q3F-42", "K01-7QU3-0042", "K01-7Q3-0042", "K 1-7Q3F-0042",
		"K01-20261325-0042", "K01-2026112-0042", "K01-7Q3F-0000", "K01-7Q3F-00A1", "K01-7Q3F-0042-1"} {
		if _, err := kiosk.ParseReference(bad); err == nil {
			t.Errorf("ParseReference(%q) accepted", bad)
		}
	}
}
