package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
)

// TestJournalExportNeverOverwrites walks a technician's second visit with
// the same USB stick: export, ack, export again to the same folder. The
// second export must neither replace the first (whose records the kiosk no
// longer keeps) nor write an empty one; with new records it refuses the
// used folder and names a new one.
func TestJournalExportNeverOverwrites(t *testing.T) {
	f := testPKI(t)
	db := makeJournal(t, 3)
	dir := filepath.Join(t.TempDir(), "kiosk-K07")
	export := func(to string) (string, error) {
		return runJournal(t, append([]string{"export", "--db", db, "--to", to}, signing(f)...)...)
	}
	if out, err := export(dir); err != nil {
		t.Fatalf("first export: %v\n%s", err, out)
	}
	first, err := os.ReadFile(filepath.Join(dir, "records.jsonl"))
	if err != nil || len(first) == 0 {
		t.Fatalf("first export's records: %v, %d bytes", err, len(first))
	}
	// Flags after the folder, as a technician types them.
	if out, err := runJournal(t, "verify", dir, "--cert", f.Clients["K07"].Cert, "--config", ""); err != nil || !strings.Contains(out, "OK: 4 records") {
		t.Fatalf("verify DIR --cert: %v\n%s", err, out)
	}
	if out, err := runJournal(t, "ack", "--db", db, "--manifest", filepath.Join(dir, "manifest.json"), "--cert", f.Clients["K07"].Cert); err != nil {
		t.Fatalf("ack: %v\n%s", err, out)
	}

	// Nothing unsent: said so, nothing written anywhere.
	empty := filepath.Join(t.TempDir(), "fresh")
	for _, to := range []string{dir, empty} {
		out, err := export(to)
		if err != nil || !strings.Contains(out, "nothing to export") || strings.Contains(out, "exported 0") {
			t.Errorf("export to %s with nothing unsent: %v\n%s", to, err, out)
		}
	}
	if _, err := os.Stat(empty); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an empty export made %s: %v", empty, err)
	}

	// New records: the used folder is refused, the first export intact.
	appendRecords(t, db, 2)
	out, err := export(dir)
	if err == nil || !errors.Is(err, errExportThere) || !strings.Contains(err.Error(), "seq 1..4") || !strings.Contains(err.Error(), "--to "+dir+"-") {
		t.Fatalf("second export to the same folder: %v\n%s", err, out)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "records.jsonl")); string(again) != string(first) {
		t.Fatal("the first export's records were changed")
	}
	if out, err := export(dir + "-2"); err != nil || !strings.Contains(out, "exported 2 records") {
		t.Fatalf("export to a new folder: %v\n%s", err, out)
	}
}

// TestCheckExportTarget: either file of an export makes a folder used;
// other files (a stick's own) do not.
func TestCheckExportTarget(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		used  bool
	}{
		{"missing folder", nil, false},
		{"other files", []string{"notes.txt"}, false},
		{"manifest only", []string{"manifest.json"}, true},
		{"records only", []string{"records.jsonl"}, true},
		{"both", []string{"manifest.json", "records.jsonl"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "usb")
			for _, f := range tt.files {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := checkExportTarget(dir, time.Now())
			if got := errors.Is(err, errExportThere); got != tt.used {
				t.Fatalf("used = %v (%v), want %v", got, err, tt.used)
			}
		})
	}
}

// TestJournalFlagsPerSubcommand: each subcommand lists and takes its own
// flags, and flags may follow the folder.
func TestJournalFlagsPerSubcommand(t *testing.T) {
	tests := []struct {
		args      []string
		want, not []string
	}{
		{[]string{"export", "-h"}, []string{"-to", "-key", "-db"}, []string{"-manifest", "-ca"}},
		{[]string{"ack", "-h"}, []string{"-manifest", "-ca"}, []string{"-to", "-key"}},
		{[]string{"verify", "-h"}, []string{"-ca", "-cert", "DIR"}, []string{"-db", "-to", "-manifest"}},
		{[]string{"status", "-h"}, []string{"-db"}, []string{"-to", "-cert"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, _ := runJournal(t, tt.args...)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(out, w) {
					t.Errorf("lists %q:\n%s", w, out)
				}
			}
		})
	}
	if _, err := runJournal(t, "export", "--manifest", "x", "--to", t.TempDir()); err == nil {
		t.Error("export took ack's --manifest")
	}
}

// appendRecords adds n records to the journal at db.
func appendRecords(t *testing.T, db string, n int) {
	t.Helper()
	j, err := journal.Open(db, journal.Options{KioskID: "K07"})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for range n {
		if _, err := j.Append(context.Background(), kiosk.Record{Time: time.Now(), Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK}); err != nil {
			t.Fatal(err)
		}
	}
}
