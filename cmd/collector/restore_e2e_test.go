package main

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/pgtest"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// retainingKiosk is a kiosk's real journal, keeping what the town hall
// acknowledged as the kiosk's configuration does by default, and its
// syncer. Heartbeats every second and a 2 s backoff cap keep the drills
// short; the protocol is the kiosk's own.
func (e *pgEnv) retainingKiosk(id string, urls ...string) *kioskRun {
	e.t.Helper()
	return e.kioskWith(id, journal.Retention{Days: 60, MaxBytes: 64 << 20, FreeFloor: 64 << 20}, func(c *ksync.Config) {
		if len(urls) > 0 {
			c.BaseURL, c.MoreURLs = urls[0], urls[1:]
		}
		c.HeartbeatEvery, c.Idle, c.MaxBackoff = time.Second, time.Second, 2*time.Second
	})
}

// whole reports whether the collector holds every record of k's journal:
// as many as the kiosk ever wrote, up to its head, no gap.
func (e *pgEnv) whole(id string, k *kioskRun) (bool, string) {
	head, _ := k.j.HeadSeq()
	st := staff{t: e.t, base: e.base, c: e.staff}.kiosk(id)
	for _, j := range st.Journals {
		if j.JournalID == k.j.JournalID() {
			return uint64(j.Records) == head && j.HeadSeq == head && len(j.Gaps) == 0 && k.depth() == 0,
				fmt.Sprintf("%s: %d of %d records, head %d, gaps %v, %d unsent", id, j.Records, head, j.HeadSeq, j.Gaps, k.depth())
		}
	}
	return false, fmt.Sprintf("%s: journal %s not at the collector", id, k.j.JournalID())
}

// noneLost waits until every kiosk's journal is whole at the collector.
func (e *pgEnv) noneLost(step string, within time.Duration, ks map[string]*kioskRun) {
	e.t.Helper()
	var last []string
	deadline := time.Now().Add(within)
	for {
		last = last[:0]
		for id, k := range ks {
			if ok, why := e.whole(id, k); !ok {
				last = append(last, why)
			}
		}
		if len(last) == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: records lost after %v: %s", step, within, strings.Join(last, "; "))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// schemaOf is the search_path a pgtest DSN names.
func schemaOf(t *testing.T, dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("search_path")
}

// TestWholeProgramPgDumpRestoreDrill: pg_dump taken while two kiosks
// sync, more records acknowledged and released after it, the database
// restored from the dump (as a town hall does after losing it). The
// kiosks keep what was acknowledged; their next syncs tell the restored
// collector their acknowledged point, it asks from its own head, and in
// the end it holds every record: 0 lost.
func TestWholeProgramPgDumpRestoreDrill(t *testing.T) {
	e := newPGEnv(t, "K01", "K03")
	ks := map[string]*kioskRun{"K01": e.retainingKiosk("K01"), "K03": e.retainingKiosk("K03")}
	for _, k := range ks {
		k.add(t, 100)
	}
	e.noneLost("before the dump", 60*time.Second, ks)
	for _, k := range ks {
		k.add(t, 300) // syncing while the dump is taken
	}
	schema := schemaOf(t, e.dsn)
	dump := filepath.Join(e.pg.Dir(), "collector.dump")
	if out, err := e.pg.Exec("pg_dump", "-d", "postgres", "-n", schema, "-Fc", "-f", dump); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	for _, k := range ks {
		k.add(t, 200)
	}
	e.noneLost("after the dump", 60*time.Second, ks)

	e.coll.stop()
	if out, err := e.pg.Exec("psql", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", "DROP SCHEMA "+schema+" CASCADE"); err != nil {
		t.Fatalf("drop: %v\n%s", err, out)
	}
	if out, err := e.pg.Exec("pg_restore", "-d", "postgres", "--exit-on-error", dump); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	e.coll.start()
	held := 0
	for id, k := range ks {
		st := staff{t: t, base: e.base, c: e.staff}.kiosk(id)
		for _, j := range st.Journals {
			held += j.Records
		}
		head, _ := k.j.HeadSeq()
		t.Logf("%s: the restored database holds %d of %d records", id, held, head)
		held = 0
	}
	e.noneLost("after the restore and the kiosks' next syncs", 60*time.Second, ks)
	for _, k := range ks {
		k.add(t, 5)
	}
	e.noneLost("and on", 30*time.Second, ks)
}

// TestWholeProgramPromotedStandbyDrill: an asynchronous standby made by
// pg_basebackup stops receiving (it lags), the kiosks' last records are
// acknowledged by the primary only, the primary dies and the standby is
// promoted. The collector's multi-host connection string
// (target_session_attrs=read-write) finds it; the kiosks resend what it
// missed: 0 lost.
func TestWholeProgramPromotedStandbyDrill(t *testing.T) {
	primary, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = primary.Stop() })
	schema := schemaOf(t, primary.NewSchema(t))
	standby, err := primary.Standby()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = standby.Stop() })
	dsn := pgtest.MultiDSN("postgres", schema, primary, standby)
	e := newEnv(t, []string{"--store", dsn}, "K01", "K02")
	e.pg, e.dsn = primary, dsn
	ks := map[string]*kioskRun{"K01": e.retainingKiosk("K01"), "K02": e.retainingKiosk("K02")}
	for _, k := range ks {
		k.add(t, 100)
	}
	e.noneLost("with the primary", 60*time.Second, ks)
	// The standby has replayed those; then it falls behind (stopped).
	waitFor(t, "the standby replaying the first records", 30*time.Second, func() bool {
		out, err := standby.Exec("psql", "-d", "postgres", "-tAc", "SELECT count(*) FROM "+schema+".records")
		return err == nil && strings.TrimSpace(string(out)) == "202"
	})
	if err := standby.Halt(); err != nil {
		t.Fatal(err)
	}
	for _, k := range ks {
		k.add(t, 150) // acknowledged by the primary alone, and released
	}
	e.noneLost("before the primary dies", 60*time.Second, ks)
	if err := primary.Halt(); err != nil {
		t.Fatal(err)
	}
	if err := standby.Resume(); err != nil {
		t.Fatal(err)
	}
	if err := standby.Promote(); err != nil {
		t.Fatal(err)
	}
	out, err := standby.Exec("psql", "-d", "postgres", "-tAc", "SELECT count(*) FROM "+schema+".records")
	t.Logf("the promoted standby holds %s of 504 records (%v)", strings.TrimSpace(string(out)), err)
	for _, k := range ks {
		k.add(t, 5)
	}
	e.noneLost("on the promoted standby after the kiosks' next syncs", 90*time.Second, ks)
}
