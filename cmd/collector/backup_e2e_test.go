package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/boltstore"
)

// TestWholeProgramBackupRestoreDrill: collector backup taken while a
// kiosk syncs to the running collector (bbolt), then restored: the copy
// passes bbolt's consistency check, a collector starts on it and serves
// the kiosk's journal whole up to the point of the backup (no gap, the
// chain and the audit log intact). What the kiosk sent after the backup
// is not in it: getting that back is the kiosk's retention (not here).
func TestWholeProgramBackupRestoreDrill(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	e := newEnv(t, []string{"--data", data}, "K01")
	k := e.kiosk("K01")
	k.add(t, 20)
	waitFor(t, "the first records at the collector", 30*time.Second, func() bool { return k.depth() == 0 })
	if code, _, _ := e.page("/console/"); code != 200 { // an audit entry to carry over
		t.Fatalf("staff page: %d", code)
	}
	before := 21  // the journal's start record and 20
	k.add(t, 200) // syncing while the backup is taken
	file := filepath.Join(t.TempDir(), "collector-backup.db")
	out, err := runBin(t, "collector", "backup", "--data", data, "--to", file)
	if err != nil || !strings.Contains(out, "through the running collector, checked") {
		t.Fatalf("backup while serving: %v\n%s", err, out)
	}
	waitFor(t, "every record at the collector", 60*time.Second, func() bool { return k.depth() == 0 })
	e.coll.stop()

	restored := filepath.Join(t.TempDir(), "restored")
	if err := os.MkdirAll(restored, 0o700); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, boltstore.FileName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	e.coll.args = append(e.coll.args[:len(e.coll.args)-2], "--data", restored)
	e.coll.start()
	if code, body, _ := e.page("/console/kiosk/K01"); code != 200 || !strings.Contains(body, "K01") {
		t.Fatalf("the restored collector's kiosk page: %d\n%s", code, body)
	}
	e.coll.stop()
	st, err := boltstore.Open(restored, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	ks, err := st.Kiosks(ctx)
	if err != nil || len(ks) != 1 || len(ks[0].Journals) != 1 {
		t.Fatalf("restored kiosks: %+v %v", ks, err)
	}
	j := ks[0].Journals[0]
	if j.Records < before || j.Records > before+200 || uint64(j.Records) != j.HeadSeq || len(j.Gaps) != 0 {
		t.Errorf("restored journal: %d records, head %d, gaps %v; want %d to %d, whole", j.Records, j.HeadSeq, j.Gaps, before, before+200)
	}
	t.Logf("the backup holds %d of %d records", j.Records, before+200)
	es, err := st.Audit(ctx, 0, 0)
	if err != nil || len(es) < 2 || store.VerifyAudit(nil, es) != nil {
		t.Errorf("restored audit log: %d entries, %v, chain %v", len(es), err, store.VerifyAudit(nil, es))
	}
}
