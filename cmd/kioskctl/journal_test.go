package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
)

func makeJournal(t *testing.T, n int, ref ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := journal.Open(path, journal.Options{KioskID: "kiosk-07"})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for i := range n {
		r := kiosk.Record{Time: time.Date(2026, 4, 1, 9, i, 0, 0, time.UTC), Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Reference: "R" + strings.Join(ref, "")}
		if _, err := j.Append(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func runJournal(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := journalCmd(context.Background(), args, &out, &errb)
	return out.String() + errb.String(), err
}

// serveJournal plays a running kiosk: it holds the journal open (so the
// file cannot be opened again) and serves it on the control socket.
func serveJournal(t *testing.T, db string) {
	t.Helper()
	j, err := journal.Open(db, journal.Options{KioskID: "kiosk-07"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := journal.Listen(db)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- journal.Serve(ctx, ln, j, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		j.Close()
	})
}

func TestJournalExportVerifyAck(t *testing.T) {
	for _, running := range []bool{false, true} {
		t.Run(map[bool]string{false: "kiosk stopped", true: "kiosk running"}[running], func(t *testing.T) {
			db := makeJournal(t, 6)
			if running {
				serveJournal(t, db)
			}
			exportVerifyAck(t, db)
		})
	}
}

func exportVerifyAck(t *testing.T, db string) {
	dir := filepath.Join(t.TempDir(), "usb")
	out, err := runJournal(t, "status", "--db", db)
	if err != nil || !strings.Contains(out, "unsent records: 6") || !strings.Contains(out, "chain:          ok") {
		t.Fatalf("status: %v\n%s", err, out)
	}
	if out, err := runJournal(t, "export", "--db", db, "--to", dir); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if out, err := runJournal(t, "verify", dir); err != nil || !strings.Contains(out, "6 records") {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	if out, err := runJournal(t, "ack", "--db", db, "--manifest", filepath.Join(dir, "manifest.json")); err != nil || !strings.Contains(out, "released 6") {
		t.Fatalf("ack: %v\n%s", err, out)
	}
	out, err = runJournal(t, "status", "--db", db)
	if err != nil || !strings.Contains(out, "unsent records: 0") || !strings.Contains(out, "chain:          ok") {
		t.Fatalf("status after ack: %v\n%s", err, out)
	}
	// A second ack of the same export is harmless.
	if out, err := runJournal(t, "ack", "--db", db, "--manifest", filepath.Join(dir, "manifest.json")); err != nil || !strings.Contains(out, "already released") {
		t.Fatalf("second ack: %v\n%s", err, out)
	}
}

func TestJournalVerifyDetectsTampering(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(lines []string, man string) ([]string, string)
		reason string
	}{
		{"edited record", func(l []string, m string) ([]string, string) {
			l[2] = strings.Replace(l[2], `"outcome":"ok"`, `"outcome":"locked"`, 1)
			return l, m
		}, "edited"},
		{"missing record", func(l []string, m string) ([]string, string) {
			return append(l[:2:2], l[3:]...), m
		}, "missing records 3..3"},
		{"reordered records", func(l []string, m string) ([]string, string) {
			l[1], l[2] = l[2], l[1]
			return l, m
		}, "chain broken at seq 3"},
		{"last record dropped", func(l []string, m string) ([]string, string) {
			return l[:len(l)-1], m
		}, "manifest says 5"},
		{"first record dropped", func(l []string, m string) ([]string, string) {
			return l[1:], m
		}, "prev_hash"},
		{"reformatted but same records", func(l []string, m string) ([]string, string) {
			l[0] = l[0] + " "
			return l, m
		}, "checksum"},
		{"manifest count edited", func(l []string, m string) ([]string, string) {
			return l, strings.Replace(m, `"count": 5`, `"count": 4`, 1)
		}, "manifest says 4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := makeJournal(t, 5)
			dir := t.TempDir()
			if out, err := runJournal(t, "export", "--db", db, "--to", dir); err != nil {
				t.Fatalf("export: %v\n%s", err, out)
			}
			recs, _ := os.ReadFile(filepath.Join(dir, "records.jsonl"))
			man, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
			lines, m := tc.edit(strings.Split(strings.TrimSuffix(string(recs), "\n"), "\n"), string(man))
			os.WriteFile(filepath.Join(dir, "records.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o600)
			os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(m), 0o600)
			out, err := runJournal(t, "verify", dir)
			if err == nil || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("verify: err %v, want %q\n%s", err, tc.reason, out)
			}
			// And a tampered export never releases anything.
			if _, err := runJournal(t, "ack", "--db", db, "--manifest", filepath.Join(dir, "manifest.json")); err == nil {
				t.Fatal("ack accepted a tampered export")
			}
			if out, _ := runJournal(t, "status", "--db", db); !strings.Contains(out, "unsent records: 5") {
				t.Fatalf("records released:\n%s", out)
			}
		})
	}
}

func TestJournalAckRefusesOtherJournal(t *testing.T) {
	dbA, dbB := makeJournal(t, 3), makeJournal(t, 4, "other") // same kiosk ID, different records
	dir := t.TempDir()
	if _, err := runJournal(t, "export", "--db", dbA, "--to", dir); err != nil {
		t.Fatal(err)
	}
	if _, err := runJournal(t, "ack", "--db", dbB, "--manifest", filepath.Join(dir, "manifest.json")); err == nil || !strings.Contains(err.Error(), "differs") {
		t.Fatalf("ack on another journal: %v", err)
	}
}

func TestJournalUsageAndMissingFile(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"export", "--db", "x"}, {"verify"}, {"ack"}, {"status", "--db", "/nonexistent/j.db"}} {
		if _, err := runJournal(t, args...); err == nil {
			t.Errorf("%q succeeded", args)
		}
	}
}
