package server_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/server"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/boltstore"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// restoredEnv is a second collector of the same village on a copy of
// from's store as backed up (what a town hall restores from last night).
func restoredEnv(t *testing.T, from *env, backup []byte) *env {
	t.Helper()
	e := &env{dir: t.TempDir(), ca: from.ca, logs: from.logs, log: from.log, certs: from.certs}
	if err := os.WriteFile(filepath.Join(e.dir, boltstore.FileName), backup, 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	if e.st, err = boltstore.Open(e.dir, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.st.Close() })
	e.f = &faults{next: server.New(e.st, server.Options{CAPool: from.ca.Pool(), Logger: e.log}).Handler()}
	e.srv = httptest.NewUnstartedServer(e.f)
	sc, err := e.ca.Server()
	if err != nil {
		t.Fatal(err)
	}
	e.srv.TLS = server.NewTLSConfig(sc.TLS(), e.ca.Pool())
	e.srv.StartTLS()
	t.Cleanup(e.srv.Close)
	return e
}

// TestRestoredCollectorGetsRecordsAgain: the real syncer and collector.
// The collector's store is restored from a backup taken before the
// kiosk's last batches; the kiosk, keeping what was acknowledged, sends
// them again when the restored collector asks from its own head, so it
// ends with every record. Records the kiosk no longer keeps become one
// follow-up naming kiosk, journal and range.
func TestRestoredCollectorGetsRecordsAgain(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ret       journal.Retention
		later     time.Duration // how long after the records the restore happens
		wantHeld  int
		wantFlags int
	}{
		{"kept: every record again", journal.Retention{Days: 30}, time.Hour, 17, 0},
		{"wiped by then: one follow-up", journal.Retention{Days: 1, MaxBytes: 1}, 72 * time.Hour, 7, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, true)
			now := time.Now()
			j, err := journal.Open(filepath.Join(e.dir, "k.db"), journal.Options{KioskID: kioskID, Retention: tc.ret, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			s := e.syncer(t, kioskID, j, nil)
			appendRecords(t, j, 5)
			drain(t, s)
			var backup bytes.Buffer
			if _, err := e.st.Backup(&backup); err != nil {
				t.Fatal(err)
			}
			appendRecords(t, j, 10) // acknowledged by the collector, then lost by its restore
			drain(t, s)
			now = now.Add(tc.later)
			appendRecords(t, j, 1) // releasing it wipes what the window allows
			drain(t, s)

			r := restoredEnv(t, e, backup.Bytes())
			s = e.syncer(t, kioskID, j, func(c *ksync.Config) { c.BaseURL = r.url() })
			for range 3 { // the first heartbeat learns the protocol; then every sync tells the point
				if err := s.Heartbeat(context.Background()); err != nil {
					t.Fatal(err)
				}
				appendRecords(t, j, 1)
				drain(t, s)
			}
			js, err := r.st.Journal(context.Background(), kioskID, j.JournalID())
			if err != nil {
				t.Fatal(err)
			}
			want := tc.wantHeld + 3
			if js.Records != want || js.HeadSeq != 20 {
				t.Errorf("restored collector holds %d records, head %d, gaps %v; want %d, head 20", js.Records, js.HeadSeq, js.Gaps, want)
			}
			if tc.wantFlags == 0 && len(js.Gaps) != 0 {
				t.Errorf("gaps left: %v", js.Gaps)
			}
			ks, err := r.st.Kiosk(context.Background(), kioskID)
			if err != nil {
				t.Fatal(err)
			}
			var lost []store.Flag
			for _, f := range ks.Flags {
				if f.Kind == store.FlagNotRetained {
					lost = append(lost, f)
				}
			}
			if len(lost) != tc.wantFlags {
				t.Fatalf("follow-ups for records the kiosk no longer keeps: %+v, want %d", lost, tc.wantFlags)
			}
			if tc.wantFlags > 0 {
				d := lost[0].Detail
				if lost[0].Seq != 7 || !strings.Contains(d, kioskID) || !strings.Contains(d, j.JournalID()) || !strings.Contains(d, "records 7 to 16") {
					t.Errorf("follow-up: seq %d %q; want kiosk, journal and records 7 to 16", lost[0].Seq, d)
				}
			}
		})
	}
}

// TestMissingBelow: what a restored store lacks below a kiosk's point,
// split at the oldest record the kiosk still keeps.
func TestMissingBelow(t *testing.T) {
	p := func(seq, from uint64) ksync.AckedPoint { return ksync.AckedPoint{Seq: seq, RetainedFrom: from} }
	for _, tc := range []struct {
		name string
		js   store.JournalState
		p    ksync.AckedPoint
		want server.Missing
	}{
		{"holds everything", store.JournalState{HeadSeq: 20}, p(15, 3), server.Missing{}},
		{"behind the point", store.JournalState{HeadSeq: 6}, p(16, 1), server.Missing{ResendFrom: 7}},
		{"behind, partly wiped", store.JournalState{HeadSeq: 6}, p(17, 17), server.Missing{ResendFrom: 17, LostFrom: 7, LostTo: 16}},
		{"behind, all wiped", store.JournalState{HeadSeq: 6}, p(16, 17), server.Missing{LostFrom: 7, LostTo: 16}},
		{"a gap below newer records", store.JournalState{HeadSeq: 30, Gaps: []store.Gap{{From: 7, To: 20}}}, p(25, 10),
			server.Missing{ResendFrom: 10, LostFrom: 7, LostTo: 9}},
		{"a gap above the point", store.JournalState{HeadSeq: 30, Gaps: []store.Gap{{From: 26, To: 28}}}, p(25, 1), server.Missing{}},
		{"unknown journal", store.JournalState{}, p(5, 1), server.Missing{ResendFrom: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := server.MissingBelow(tc.js, tc.p); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
