package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/sync/pki"
	"github.com/villagehall/kiosk/kiosk/sync/synctest"
)

// testPKI is a village CA with kiosk K07's certificate (and K08's).
func testPKI(t *testing.T) *pki.Files {
	t.Helper()
	f, err := pki.Generate(t.TempDir(), pki.ECDSA, "K07", "K08")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// signing is the flags that give kiosk K07's key and certificate.
func signing(f *pki.Files) []string {
	return []string{"--cert", f.Clients["K07"].Cert, "--key", f.Clients["K07"].Key, "--config", ""}
}

func makeJournal(t *testing.T, n int, ref ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := journal.Open(path, journal.Options{KioskID: "K07"})
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
	j, err := journal.Open(db, journal.Options{KioskID: "K07"})
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
			exportVerifyAck(t, db, testPKI(t))
		})
	}
}

func exportVerifyAck(t *testing.T, db string, f *pki.Files) {
	dir := filepath.Join(t.TempDir(), "usb")
	out, err := runJournal(t, "status", "--db", db)
	if err != nil || !strings.Contains(out, "unsent records: 7") || !strings.Contains(out, "chain:          ok") ||
		!strings.Contains(out, "(new file)") || !regexpMatch(`journal:        [0-9A-Z]{26} \(references K07-[0-9A-Z]{4}-NNNN\)`, out) {
		t.Fatalf("status: %v\n%s", err, out)
	}
	if out, err := runJournal(t, "export", "--db", db, "--to", dir); err == nil || !strings.Contains(out+err.Error(), "signed with the kiosk's key") {
		t.Fatalf("export without a key: %v\n%s", err, out)
	}
	if out, err := runJournal(t, append([]string{"export", "--db", db, "--to", dir}, signing(f)...)...); err != nil || !strings.Contains(out, "collector import "+dir) {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if out, err := runJournal(t, "verify", "--config", "", dir); err == nil || !strings.Contains(err.Error(), "give --cert") {
		t.Fatalf("verify with no certificate: %v\n%s", err, out)
	}
	if out, err := runJournal(t, "verify", "--cert", f.Clients["K07"].Cert, dir); err != nil || !strings.Contains(out, "7 records") {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	if out, err := runJournal(t, "verify", "--ca", f.CAFile, "--config", "", dir); err != nil || !strings.Contains(out, "village CA") {
		t.Fatalf("verify by the CA: %v\n%s", err, out)
	}
	if out, err := runJournal(t, "verify", "--cert", f.Clients["K08"].Cert, dir); err == nil {
		t.Fatalf("verified with another kiosk's certificate\n%s", out)
	}
	if out, err := runJournal(t, "ack", "--db", db, "--manifest", filepath.Join(dir, "manifest.json"), "--config", ""); err == nil {
		t.Fatalf("ack without the kiosk's certificate to check the export: %s", out)
	}
	if out, err := runJournal(t, "ack", "--db", db, "--manifest", filepath.Join(dir, "manifest.json"), "--cert", f.Clients["K07"].Cert); err != nil || !strings.Contains(out, "released 7") {
		t.Fatalf("ack: %v\n%s", err, out)
	}
	out, err = runJournal(t, "status", "--db", db)
	if err != nil || !strings.Contains(out, "unsent records: 0") || !strings.Contains(out, "chain:          ok") {
		t.Fatalf("status after ack: %v\n%s", err, out)
	}
	// A second ack of the same export is harmless.
	if out, err := runJournal(t, "ack", "--db", db, "--manifest", filepath.Join(dir, "manifest.json"), "--cert", f.Clients["K07"].Cert); err != nil || !strings.Contains(out, "already released") {
		t.Fatalf("second ack: %v\n%s", err, out)
	}
}

func TestJournalVerifyDetectsTampering(t *testing.T) {
	f := testPKI(t)
	tests := []struct {
		name   string
		edit   func(lines []string, man string) ([]string, string)
		reason string
	}{
		{"edited record, hashes, chain, checksum and manifest recomputed", recompute, "signature does not verify"},
		{"edited record", func(l []string, m string) ([]string, string) {
			l[2] = strings.Replace(l[2], `"outcome":"ok"`, `"outcome":"locked"`, 1)
			return l, m
		}, "edited"},
		{"missing record", func(l []string, m string) ([]string, string) {
			return append(l[:2:2], l[3:]...), m
		}, "missing records 3..3"},
		{"signature removed", func(l []string, m string) ([]string, string) {
			return l, regexpReplace(`(?s),\s*"signature": \{.*?\}`, m, "")
		}, "not signed"},
		{"reordered records", func(l []string, m string) ([]string, string) {
			l[1], l[2] = l[2], l[1]
			return l, m
		}, "chain broken at seq 3"},
		{"last record dropped", func(l []string, m string) ([]string, string) {
			return l[:len(l)-1], m
		}, "manifest says 6"},
		{"first record dropped", func(l []string, m string) ([]string, string) {
			return l[1:], m
		}, "prev_hash"},
		{"reformatted but same records", func(l []string, m string) ([]string, string) {
			l[0] = l[0] + " "
			return l, m
		}, "checksum"},
		{"manifest count edited", func(l []string, m string) ([]string, string) {
			return l, strings.Replace(m, `"count": 6`, `"count": 5`, 1)
		}, "manifest says 5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := makeJournal(t, 5)
			dir := t.TempDir()
			if out, err := runJournal(t, append([]string{"export", "--db", db, "--to", dir}, signing(f)...)...); err != nil {
				t.Fatalf("export: %v\n%s", err, out)
			}
			recs, _ := os.ReadFile(filepath.Join(dir, "records.jsonl"))
			man, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
			lines, m := tc.edit(strings.Split(strings.TrimSuffix(string(recs), "\n"), "\n"), string(man))
			os.WriteFile(filepath.Join(dir, "records.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o600)
			os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(m), 0o600)
			out, err := runJournal(t, "verify", "--cert", f.Clients["K07"].Cert, dir)
			if err == nil || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("verify: err %v, want %q\n%s", err, tc.reason, out)
			}
			// And a tampered export never releases anything.
			if _, err := runJournal(t, "ack", "--db", db, "--manifest", filepath.Join(dir, "manifest.json"), "--cert", f.Clients["K07"].Cert); err == nil {
				t.Fatal("ack accepted a tampered export")
			}
			if out, _ := runJournal(t, "status", "--db", db); !strings.Contains(out, "unsent records: 6") {
				t.Fatalf("records released:\n%s", out)
			}
		})
	}
}

func TestJournalAckRefusesOtherJournal(t *testing.T) {
	f := testPKI(t)
	dbA, dbB := makeJournal(t, 3), makeJournal(t, 4, "other") // same kiosk ID, another journal
	dir := t.TempDir()
	if _, err := runJournal(t, append([]string{"export", "--db", dbA, "--to", dir}, signing(f)...)...); err != nil {
		t.Fatal(err)
	}
	if _, err := runJournal(t, "ack", "--db", dbB, "--manifest", filepath.Join(dir, "manifest.json"), "--cert", f.Clients["K07"].Cert); err == nil || !strings.Contains(err.Error(), "nothing released") {
		t.Fatalf("ack on another journal: %v", err)
	}
	if out, _ := runJournal(t, "status", "--db", dbB); !strings.Contains(out, "unsent records: 5") {
		t.Fatalf("records released:\n%s", out)
	}
}

// TestJournalStatusShowsStuckSync: a kiosk whose uploads fail says so,
// with the URL, even when read from the file with the kiosk stopped.
func TestJournalStatusShowsStuckSync(t *testing.T) {
	db := makeJournal(t, 2)
	j, err := journal.Open(db, journal.Options{KioskID: "K07"})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		j.SetSyncFailed(time.Now(), "https://collector.example.jp:8443/v1/batch answered 404 Not Found: \"404 page not found\"")
	}
	j.Close()
	out, err := runJournal(t, "status", "--db", db)
	if err != nil || !strings.Contains(out, "FAILING since") || !strings.Contains(out, "3 attempts") ||
		!strings.Contains(out, "https://collector.example.jp:8443/v1/batch answered 404") || !strings.Contains(out, "unsent records: 3") {
		t.Fatalf("status: %v\n%s", err, out)
	}
}

// recompute edits record 3 and recomputes every hash after it, the
// checksum and the manifest's chain head: all an editor without the
// kiosk's key can do.
func recompute(lines []string, man string) ([]string, string) {
	var recs []kiosk.Record
	for _, l := range lines {
		var r kiosk.Record
		json.Unmarshal([]byte(l), &r)
		recs = append(recs, r)
	}
	recs[2].Outcome = kiosk.OutcomeLocked
	synctest.Rechain(recs, 2)
	out := make([]string, len(recs))
	for i, r := range recs {
		b, _ := json.Marshal(r)
		out[i] = string(b)
	}
	var m ksync.Manifest
	json.Unmarshal([]byte(man), &m)
	sum := sha256.Sum256([]byte(strings.Join(out, "\n") + "\n"))
	m.ChainHead, m.RecordsSHA256 = recs[len(recs)-1].Hash, hex.EncodeToString(sum[:])
	mb, _ := json.MarshalIndent(m, "", "  ")
	return out, string(mb)
}

func TestJournalUsageAndMissingFile(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"export", "--db", "x"}, {"verify"}, {"ack"}, {"status", "--db", "/nonexistent/j.db"}} {
		if _, err := runJournal(t, args...); err == nil {
			t.Errorf("%q succeeded", args)
		}
	}
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

func regexpReplace(re, s, with string) string {
	return regexp.MustCompile(re).ReplaceAllString(s, with)
}

// corrupt makes path unopenable the way a dying SD card does (its meta
// pages gone) and damages one record's content in place; it returns the
// sequence of the damaged record.
func corrupt(t *testing.T, path string) uint64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 * 4096 {
		data[i] = 0xA5
	}
	// bbolt copies pages on write: older copies of a record stay in freed
	// pages, and salvage would find an intact one. Damage every copy.
	n := 0
	for at := 0; ; n++ {
		i := bytes.Index(data[at:], []byte(`{"seq":4,`))
		if i < 0 {
			break
		}
		at += i
		o := bytes.Index(data[at:], []byte(`"outcome":"ok"`))
		copy(data[at+o:], `"outcome":"no"`)
		at++
	}
	if n == 0 {
		t.Fatal("record 4 not found in the file")
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if j, err := journal.Open(path, journal.Options{NoReset: true}); err == nil {
		j.Close()
		t.Fatal("the corrupted file still opens")
	}
	return 4
}

// TestJournalSalvage: a technician reads what can be read of a journal
// file too damaged to open: every record whose hash matches, as signed
// exports of unbroken runs that verify; the damaged record is counted and
// never exported.
func TestJournalSalvage(t *testing.T) {
	f := testPKI(t)
	db := makeJournal(t, 7) // the start record and 7: seq 1..8
	bad := corrupt(t, db)
	dir := filepath.Join(t.TempDir(), "usb")
	if out, err := runJournal(t, "salvage", "--to", dir); err == nil {
		t.Fatalf("salvage without --db: %s", out)
	}
	out, err := runJournal(t, append([]string{"salvage", "--db", db, "--to", dir}, signing(f)...)...)
	if err != nil || !strings.Contains(out, "7 records verified in 2 unbroken runs;") || strings.Contains(out, "; 0 found that do not match") {
		t.Fatalf("salvage: %v\n%s", err, out)
	}
	got := 0
	for i, want := range [][2]uint64{{1, bad - 1}, {bad + 1, 8}} {
		run := filepath.Join(dir, fmt.Sprintf("run-%02d", i+1))
		out, err := runJournal(t, "verify", "--cert", f.Clients["K07"].Cert, run)
		if err != nil || !strings.Contains(out, fmt.Sprintf("seq %d..%d", want[0], want[1])) {
			t.Fatalf("verify %s: %v\n%s", run, err, out)
		}
		got += int(want[1] - want[0] + 1)
	}
	if got != 7 {
		t.Fatalf("%d records exported", got)
	}
}

// TestJournalDiverge: for a kiosk that delivers by USB only, the
// technician starts the new journal the syncer would have started, with
// the kiosk stopped or running; a second time, before anything of the new
// journal was delivered, is refused.
func TestJournalDiverge(t *testing.T) {
	for _, running := range []bool{false, true} {
		t.Run(map[bool]string{false: "kiosk stopped", true: "kiosk running"}[running], func(t *testing.T) {
			db := makeJournal(t, 3)
			if running {
				serveJournal(t, db)
			}
			out, err := runJournal(t, "diverge", "--db", db)
			if err != nil || !strings.Contains(out, "4 unsent records carried over (seq 1..4 of the old one)") {
				t.Fatalf("diverge: %v\n%s", err, out)
			}
			out, err = runJournal(t, "status", "--db", db)
			if err != nil || !strings.Contains(out, "unsent records: 5") || !strings.Contains(out, "cloned card") || !strings.Contains(out, "chain:          ok") {
				t.Fatalf("status: %v\n%s", err, out)
			}
			if out, err := runJournal(t, "diverge", "--db", db); err == nil || !strings.Contains(err.Error(), "diverged already") {
				t.Fatalf("second diverge: %v\n%s", err, out)
			}
		})
	}
}
