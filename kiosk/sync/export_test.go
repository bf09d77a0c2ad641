package sync_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/sync/synctest"
)

func writeTestExport(t testing.TB, e *kioskEnv, n int) (string, *ksync.Manifest) {
	t.Helper()
	appendRecords(t, e.j, n)
	recs, err := e.j.Pending(0)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "usb")
	m, err := ksync.WriteExport(dir, ksync.ExportSource{KioskID: kioskID, JournalID: e.j.JournalID(), Records: recs}, e.id, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return dir, m
}

func TestExportRoundTrip(t *testing.T) {
	e := newKioskEnv(t)
	dir, m := writeTestExport(t, e, 4)
	if m.Count != 5 || m.FirstSeq != 1 || m.LastSeq != 5 || m.JournalID != e.j.JournalID() || m.Signature == nil {
		t.Fatalf("manifest %+v", m)
	}
	ex, err := ksync.ReadExport(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := ex.CheckSignature(e.id.Cert); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if c, err := ex.SignerCert(); err != nil || !c.Equal(e.id.Cert) {
		t.Fatalf("embedded certificate: %v", err)
	}
	if n, err := e.j.Release(ex.Manifest.JournalID, ex.Acks()); err != nil || n != 5 {
		t.Fatalf("release by the export's acks: %d %v", n, err)
	}
	// Another kiosk's certificate, even from the same CA, does not do.
	other, _ := e.ca.Client("K02")
	if err := ex.CheckSignature(other.Cert); err == nil {
		t.Fatal("verified with another kiosk's certificate")
	}
}

// TestEditedExportFailsEvenWithRecomputedHashes: an editor who changes a
// record and recomputes every hash, the chain, the checksum and the
// manifest produces an export that reads back fine and still fails its
// signature.
func TestEditedExportFailsEvenWithRecomputedHashes(t *testing.T) {
	e := newKioskEnv(t)
	dir, _ := writeTestExport(t, e, 4)
	forgedDir := filepath.Join(t.TempDir(), "forged")
	if err := synctest.Forge(dir, forgedDir, 2, func(r *kiosk.Record) { r.Outcome = kiosk.OutcomeLocked }); err != nil {
		t.Fatal(err)
	}
	forged, err := ksync.ReadExport(forgedDir)
	if err != nil {
		t.Fatalf("the forgery should be self-consistent: %v", err)
	}
	if err := forged.CheckSignature(e.id.Cert); !errors.Is(err, ksync.ErrBadSignature) {
		t.Fatalf("edited export verified: %v", err)
	}
	// Without a signature at all it is refused too.
	m := forged.Manifest
	m.Signature = nil
	mb, _ := json.Marshal(m)
	os.WriteFile(filepath.Join(forgedDir, ksync.ExportManifest), mb, 0o600)
	unsigned, err := ksync.ReadExport(forgedDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := unsigned.CheckSignature(e.id.Cert); !errors.Is(err, ksync.ErrUnsigned) {
		t.Fatalf("unsigned export: %v", err)
	}
}

func TestReadExportRefusesOldAndForeign(t *testing.T) {
	e := newKioskEnv(t)
	dir, m := writeTestExport(t, e, 2)
	mb, _ := os.ReadFile(filepath.Join(dir, ksync.ExportManifest))
	tests := []struct {
		name string
		man  string
		want string
	}{
		{"manifest of the old format", strings.Replace(string(mb), `"format": "`+ksync.ExportFormat+`"`, `"format": ""`, 1), "older kioskctl"},
		{"two manifests in one file", string(mb) + string(mb), "more than one JSON value"},
		{"another kiosk", strings.Replace(string(mb), `"kiosk_id": "K01"`, `"kiosk_id": "K02"`, 1), `record of kiosk "K01" in an export of "K02"`},
		{"another journal", strings.Replace(string(mb), m.JournalID, kiosk.NewJournalID(), 1), "record of journal"},
		{"records file outside", strings.Replace(string(mb), `"records_file": "records.jsonl"`, `"records_file": "../x"`, 1), "unexpected records file"},
	}
	for _, tc := range tests {
		os.WriteFile(filepath.Join(dir, ksync.ExportManifest), []byte(tc.man), 0o600)
		if _, err := ksync.ReadExport(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
