package journal

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestUnsentBeside: an older journal with unsent records beside the
// configured path (same directory, or the one above) is found with its
// count; a drained one, a file moved aside, a foreign .db file and the
// configured journal itself are not.
func TestUnsentBeside(t *testing.T) {
	root := t.TempDir()
	cur := filepath.Join(root, "journal", "journal.db")
	if err := os.MkdirAll(filepath.Dir(cur), 0o700); err != nil {
		t.Fatal(err)
	}
	// withRecords makes a journal at p with n records appended (plus the one
	// that starts it); drained: all of them acknowledged.
	withRecords := func(p string, n int, drained bool) {
		t.Helper()
		j, err := Open(p, Options{KioskID: "K07"})
		if err != nil {
			t.Fatal(err)
		}
		defer j.Close()
		for i := range n {
			if _, err := j.Append(context.Background(), rec(i)); err != nil {
				t.Fatal(err)
			}
		}
		if drained {
			if _, err := ackUpTo(j, ^uint64(0)); err != nil {
				t.Fatal(err)
			}
		}
	}
	withRecords(filepath.Join(root, "journal.db"), 3, false)                // an older layout's path, above
	withRecords(filepath.Join(root, "journal", "old.db"), 2, false)         // beside
	withRecords(filepath.Join(root, "journal", "sent.db"), 2, true)         // drained: nothing to lose
	withRecords(cur, 1, false)                                              // the configured one itself
	withRecords(filepath.Join(root, "journal", "x.db.corrupt-1"), 1, false) // moved aside: not *.db
	if err := os.WriteFile(filepath.Join(root, "notes.db"), []byte("not a journal"), 0o600); err != nil {
		t.Fatal(err)
	}

	got, err := UnsentBeside(cur)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{filepath.Join(root, "journal", "old.db"): 3, filepath.Join(root, "journal.db"): 4}
	if len(got) != len(want) {
		t.Fatalf("found %+v, want %v", got, want)
	}
	for _, u := range got {
		if want[u.Path] != u.Records || u.KioskID != "K07" || u.JournalID == "" {
			t.Errorf("found %+v, want %d records of kiosk K07 with a journal ID", u, want[u.Path])
		}
	}
}
