package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/villagehall/kiosk/cmd/collector/internal/pgtest"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/boltstore"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/pgstore"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/storetest"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
)

// boltSource is a bbolt store of kiosks × journals × n records, with an
// audit log: what collector migrate moves.
func boltSource(t *testing.T, kiosks, journals, n int) (dir string, records int) {
	t.Helper()
	ctx := context.Background()
	dir = t.TempDir()
	st, err := boltstore.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for k := range kiosks {
		kid := fmt.Sprintf("K%02d", k+1)
		for range journals {
			jid := kiosk.NewJournalID()
			if _, err := st.Ingest(ctx, store.Ingest{KioskID: kid, JournalID: jid, Records: storetest.Chain(kid, jid, journal.DetailJournalNew, n), At: storetest.T0}); err != nil {
				t.Fatal(err)
			}
			records += n
		}
	}
	for i := range 50 {
		if _, err := st.AppendAudit(ctx, store.AuditEntry{Staff: "staff-a", Action: store.ActSearch, Detail: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	return dir, records
}

// TestWholeProgramMigrateKilled: collector migrate killed (SIGKILL) after
// its 1st, 3rd and 6th progress line leaves a database that collector
// serve refuses, saying the migration did not finish and how to resume;
// the same command run again empties it, copies everything and the
// collector then serves every record and the whole audit log.
func TestWholeProgramMigrateKilled(t *testing.T) {
	pg, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Stop()
	data, records := boltSource(t, 4, 2, 1500)
	pki := t.TempDir()
	if out, err := runBin(t, "collector", "gen-test-pki", pki, "staff-a"); err != nil {
		t.Fatalf("gen-test-pki: %v\n%s", err, out)
	}
	for _, after := range []int{1, 3, 6} {
		t.Run(fmt.Sprintf("killed after line %d", after), func(t *testing.T) {
			dsn := pg.NewSchema(t)
			killMigrate(t, data, dsn, after)
			out, err := runBin(t, "collector", "serve", "--listen", "127.0.0.1:0",
				"--ca", pki+"/ca.pem", "--cert", pki+"/server.pem", "--key", pki+"/server-key.pem", "--store", dsn)
			if err == nil || !strings.Contains(out, "did not finish") || !strings.Contains(out, "collector migrate") {
				t.Fatalf("serve on a half-migrated store: %v\n%s", err, out)
			}
			out, err = runBin(t, "collector", "migrate", "--data", data, "--to", dsn)
			if err != nil || !strings.Contains(out, "did not finish") || !strings.Contains(out, "migrated and checked") {
				t.Fatalf("migrate again: %v\n%s", err, out)
			}
			dst, err := pgstore.Open(context.Background(), dsn, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer dst.Close()
			if err := dst.CheckWhole(context.Background()); err != nil {
				t.Fatal(err)
			}
			ks, err := dst.Kiosks(context.Background())
			held := 0
			for _, k := range ks {
				held += k.Records
			}
			es, aerr := dst.Audit(context.Background(), 0, 0)
			if err != nil || aerr != nil || len(ks) != 4 || held != records || len(es) != 50 || store.VerifyAudit(nil, es) != nil {
				t.Fatalf("after the rerun: %d kiosks, %d of %d records, %d audit entries (%v, %v)", len(ks), held, records, len(es), err, aerr)
			}
		})
	}
}

// killMigrate runs collector migrate and kills it with SIGKILL once it
// has printed after progress lines (or fails t if it finished first).
func killMigrate(t *testing.T, data, dsn string, after int) {
	t.Helper()
	cmd := exec.Command(bin("collector"), "migrate", "--data", data, "--to", dsn)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var seen []string
	for len(seen) < after && sc.Scan() {
		seen = append(seen, sc.Text())
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	werr := cmd.Wait()
	if len(seen) < after || strings.Contains(strings.Join(seen, "\n"), "migrated and checked") {
		t.Fatalf("migrate was not cut off after %d lines (%v): %q", after, werr, seen)
	}
	t.Logf("killed after %q", seen[len(seen)-1])
}
