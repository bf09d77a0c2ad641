package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/villagehall/kiosk/kiosk/journal"
)

// TestJournalExportRetained: status shows the acknowledged records kept
// for resending, and export --retained writes them before the unsent
// ones as one verified chain, kiosk stopped or running.
func TestJournalExportRetained(t *testing.T) {
	for _, running := range []bool{false, true} {
		t.Run(map[bool]string{false: "kiosk stopped", true: "kiosk running"}[running], func(t *testing.T) {
			db := makeJournal(t, 6)
			j, err := journal.Open(db, journal.Options{Retention: journal.Retention{Days: 30}})
			if err != nil {
				t.Fatal(err)
			}
			p, _ := j.Pending(4)
			acks := make([]journal.Ack, len(p))
			for i, r := range p {
				acks[i] = journal.Ack{Seq: r.Seq, Hash: r.Hash}
			}
			if n, err := j.Release(j.JournalID(), acks); err != nil || n != 4 {
				t.Fatalf("release: %d %v", n, err)
			}
			j.Close()
			if running {
				serveJournal(t, db)
			}
			out, err := runJournal(t, "status", "--db", db)
			if err != nil || !strings.Contains(out, "unsent records: 3") || !strings.Contains(out, "kept after ack: 4 records (seq 1..4") {
				t.Fatalf("status: %v\n%s", err, out)
			}
			f := testPKI(t)
			dir := filepath.Join(t.TempDir(), "usb")
			out, err = runJournal(t, append([]string{"export", "--retained", "--db", db, "--to", dir}, signing(f)...)...)
			if err != nil || !strings.Contains(out, "exported 7 records (seq 1..7)") {
				t.Fatalf("export --retained: %v\n%s", err, out)
			}
			if out, err := runJournal(t, "verify", "--cert", f.Clients["K07"].Cert, dir); err != nil || !strings.Contains(out, "7 records") {
				t.Fatalf("verify: %v\n%s", err, out)
			}
			dir2 := filepath.Join(t.TempDir(), "usb2")
			if out, err := runJournal(t, append([]string{"export", "--db", db, "--to", dir2}, signing(f)...)...); err != nil || !strings.Contains(out, "exported 3 records (seq 5..7)") {
				t.Fatalf("export: %v\n%s", err, out)
			}
		})
	}
}
