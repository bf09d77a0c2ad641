package migrate

import (
	"bytes"
	"context"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/villagehall/kiosk/cmd/collector/internal/pgtest"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/boltstore"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/pgstore"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/storetest"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

var pg *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &pg)) }

// source is a bbolt store with what a year at the town hall leaves: two
// kiosks, a re-created journal, a gap, a refused conflict (a flag), a
// heartbeat, certificates, a follow-up mark and an audit log.
func source(t *testing.T) (*boltstore.Store, string) {
	t.Helper()
	ctx := context.Background()
	st, err := boltstore.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	in := func(kid, jid string, recs []kiosk.Record) store.Result {
		t.Helper()
		res, err := st.Ingest(ctx, store.Ingest{KioskID: kid, JournalID: jid, Records: recs, At: storetest.T0})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	j1, j2, j3 := kiosk.NewJournalID(), kiosk.NewJournalID(), kiosk.NewJournalID()
	a := storetest.Chain("K01", j1, journal.DetailJournalNew, 12000) // more than one load chunk
	in("K01", j1, a[:40])
	in("K01", j1, a[45:]) // 41..45 never arrived
	forged := a[10]
	forged.Status = "expired"
	forged.Hash = journal.HashRecord(forged)
	if res := in("K01", j1, []kiosk.Record{forged}); len(res.Refused) != 1 {
		t.Fatal("conflict not refused")
	}
	in("K01", j2, storetest.Chain("K01", j2, journal.DetailReset, 30))
	in("K02", j3, storetest.Chain("K02", j3, journal.DetailJournalNew, 7))
	if err := st.SaveHeartbeat(ctx, store.Heartbeat{HB: ksync.Heartbeat{KioskID: "K01", Version: "v1.4.0", JournalDepth: 3}, ReceivedAt: storetest.T0}); err != nil {
		t.Fatal(err)
	}
	for i, der := range []string{"cert-old", "cert-new"} {
		if err := st.RememberCert(ctx, "K01", []byte(der), storetest.T0.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Mark(ctx, store.Mark{KioskID: "K01", JournalID: j1, Seq: 5, RecordTime: a[4].Time, Kind: "pin_locked", By: "staff-a", At: storetest.T0}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := st.AppendAudit(ctx, store.AuditEntry{Time: storetest.T0.Add(time.Duration(i) * time.Minute), Staff: "staff-a", Action: store.ActSearch}); err != nil {
			t.Fatal(err)
		}
	}
	return st, j1
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	src, j1 := source(t)
	dsn := pg.NewSchema(t)
	dst, err := pgstore.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	var log bytes.Buffer
	rep, err := Run(ctx, src, dst, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	want := Report{Kiosks: 2, Journals: 3, Records: 11995 + 30 + 7, Flags: 1, Events: 3, Marks: 1, AuditEntries: 5}
	rep.AuditHead = ""
	if rep != want {
		t.Errorf("report %+v, want %+v", rep, want)
	}
	// What staff and the console see is the same in both stores.
	for _, kid := range []string{"K01", "K02"} {
		ka, _ := src.Kiosk(ctx, kid)
		kb, err := dst.Kiosk(ctx, kid)
		if err != nil || !reflect.DeepEqual(ka, kb) {
			t.Errorf("kiosk %s differs:\n%+v\n%+v", kid, ka, kb)
		}
	}
	ra, _ := src.Records(ctx, store.Query{KioskID: "K01", From: storetest.T0, To: storetest.T0.Add(time.Hour)})
	rb, _ := dst.Records(ctx, store.Query{KioskID: "K01", From: storetest.T0, To: storetest.T0.Add(time.Hour)})
	if len(ra) == 0 || !reflect.DeepEqual(ra, rb) {
		t.Errorf("an hour of records: %d in the old store, %d in the new", len(ra), len(rb))
	}
	if certs, _ := dst.Certs(ctx, "K01"); len(certs) != 2 || string(certs[0]) != "cert-new" {
		t.Errorf("certificates %q", certs)
	}
	if m, _ := dst.MarkOf(ctx, "K01", j1, 5); m == nil || m.By != "staff-a" {
		t.Errorf("mark %+v", m)
	}
	// The collector goes on with the new store: the audit chain continues.
	if _, err := dst.AppendAudit(ctx, store.AuditEntry{Time: storetest.T0, Staff: "staff-b", Action: store.ActViewKiosks}); err != nil {
		t.Fatal(err)
	}
	if es, _ := dst.Audit(ctx, 0, 0); len(es) != 6 || store.VerifyAudit(nil, es) != nil {
		t.Errorf("audit after the migration: %d entries, %v", len(es), store.VerifyAudit(nil, es))
	}

	if _, err := Run(ctx, src, dst, &log); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("a second migration into the same database: %v", err)
	}

	// A record changed in the new store after the copy: the check finds it.
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, `UPDATE records SET body = replace(body, '"status":"valid"', '"status":"expired"') WHERE kiosk_id = 'K02' AND seq = 3`); err != nil {
		t.Fatal(err)
	}
	if err := Check(ctx, src, dst); err == nil || !strings.Contains(err.Error(), "record 3 does not match its hash") {
		t.Errorf("check after an edit: %v", err)
	}
}
