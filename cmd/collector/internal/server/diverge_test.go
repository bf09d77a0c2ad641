package server_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/villagehall/kiosk/cmd/collector/internal/server"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDivergedJournalDelivers: the real syncer against the real collector
// over loopback mutual TLS. A kiosk restored from an SD-card backup (same
// journal ID, older state: its next records reuse sequence numbers the
// collector holds) and a kiosk whose card was cloned each start a new
// journal by themselves, carry their unsent records over and deliver them:
// in the end the collector holds every genuine record, the kiosk holds
// none unsent, and staff see the new journal's event with why.
func TestDivergedJournalDelivers(t *testing.T) {
	for _, tc := range []struct {
		name string
		// run leaves j diverging from the collector: it returns the
		// records the collector must end up holding from this journal file
		// besides those synced before.
		run func(t *testing.T, e *env, path string, j *journal.Journal) (*journal.Journal, []kiosk.Record)
	}{
		{"restored from a backup", func(t *testing.T, e *env, path string, j *journal.Journal) (*journal.Journal, []kiosk.Record) {
			appendRecords(t, j, 2) // 5, 6
			j.Close()
			copyFile(t, path, path+".backup") // the technician's SD-card image
			j = e.journal(t, kioskID, filepath.Base(path))
			s := e.syncer(t, kioskID, j, nil)
			drain(t, s)
			appendRecords(t, j, 2) // 7, 8
			drain(t, s)
			j.Close()
			copyFile(t, path+".backup", path) // restored: 5, 6 unsent again, head 6
			j = e.journal(t, kioskID, filepath.Base(path))
			appendRecords(t, j, 3) // 7, 8, 9 again, other visits
			pending, _ := j.Pending(0)
			return j, pending[2:] // 5 and 6 are the collector's already
		}},
		{"a cloned card", func(t *testing.T, e *env, path string, j *journal.Journal) (*journal.Journal, []kiosk.Record) {
			j.Close()
			copyFile(t, path, path+".clone")
			j = e.journal(t, kioskID, filepath.Base(path))
			clone := e.journal(t, kioskID, filepath.Base(path)+".clone")
			appendRecords(t, j, 3)
			drain(t, e.syncer(t, kioskID, j, nil)) // the original delivers 5–7
			appendRecords(t, clone, 2)             // the clone's own 5, 6
			pending, _ := clone.Pending(0)
			return clone, pending
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, true)
			ctx := context.Background()
			path := filepath.Join(e.dir, "journal.db")
			j := e.journal(t, kioskID, "journal.db")
			appendRecords(t, j, 3)
			drain(t, e.syncer(t, kioskID, j, nil)) // 1–4 at the collector
			old := j.JournalID()
			j, carried := tc.run(t, e, path, j)
			before, _ := e.st.Records(ctx, store.Query{KioskID: kioskID, JournalID: old})

			drain(t, e.syncer(t, kioskID, j, nil))
			checkDiverged(t, e, j, old, carried, before)
		})
	}
}

// checkDiverged: the kiosk holds nothing unsent, the old journal is as it
// was, the new one holds its start and the carried records (content and
// slip references kept), a slip still finds its visit, and staff see the
// event and the one conflict that caused it.
func checkDiverged(t *testing.T, e *env, j *journal.Journal, old string, carried, before []kiosk.Record) {
	t.Helper()
	ctx := context.Background()
	if d, _ := j.Depth(); d != 0 {
		t.Fatalf("%d records still unsent on the kiosk", d)
	}
	if j.JournalID() == old {
		t.Fatal("the journal did not start a new one")
	}
	k, err := e.st.Kiosk(ctx, kioskID)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := e.st.Records(ctx, store.Query{KioskID: kioskID, JournalID: old})
	if len(after) != len(before) {
		t.Fatalf("the old journal changed: %d records, was %d", len(after), len(before))
	}
	got, _ := e.st.Records(ctx, store.Query{KioskID: kioskID, JournalID: j.JournalID()})
	if len(got) != len(carried)+1 || got[0].Detail != journal.DetailDiverged {
		t.Fatalf("new journal holds %d records (want the start and %d carried): %+v", len(got), len(carried), got)
	}
	for i, c := range carried {
		r := got[i+1]
		if r.Kind != c.Kind || r.Outcome != c.Outcome || !r.Time.Equal(c.Time) || r.Status != c.Status || r.Reference != kiosk.ReferenceOf(c) {
			t.Fatalf("carried record %d: %+v, want the content of %+v with its slip reference", i, r, c)
		}
	}
	// The resident's slip still finds their visit.
	var found []server.Found
	if code := e.get(t, "staff-ana", ksync.PathLookup+"?ref="+kiosk.ReferenceOf(carried[0]), &found); code != 200 {
		t.Fatalf("lookup %s: %d", kiosk.ReferenceOf(carried[0]), code)
	}
	var hit bool
	for _, f := range found {
		hit = hit || (f.JournalID == j.JournalID() && f.Record.Hash == got[1].Hash)
	}
	if !hit {
		t.Fatalf("lookup %s: %+v, want the carried record", kiosk.ReferenceOf(carried[0]), found)
	}
	var ev *store.Event
	for i := range k.Events {
		if k.Events[i].JournalID == j.JournalID() {
			ev = &k.Events[i]
		}
	}
	if ev == nil || ev.Kind != store.EventJournalRecreated || ev.Reason != store.ReasonDiverged || ev.Previous != old {
		t.Fatalf("events %+v: want the new journal's, diverged from %s", k.Events, old)
	}
	for _, js := range k.Journals {
		if !js.Complete() {
			t.Errorf("journal %s has gaps %+v", js.JournalID, js.Gaps)
		}
	}
	for _, f := range k.Flags {
		if f.Kind != store.FlagConflict || f.JournalID != old {
			t.Errorf("flag %+v: want only the conflict that started it", f)
		}
	}
	if !strings.Contains(e.logs.String(), "started a new journal and carried the unsent records over") {
		t.Error("the kiosk's log does not say what happened")
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(j.Path()), filepath.Base(j.Path())+".diverged-*")); len(m) != 1 {
		t.Errorf("copies of the diverged file: %v", m)
	}
}
