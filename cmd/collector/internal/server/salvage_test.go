package server_test

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/importer"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// TestCorruptJournalEnds: the kiosk's journal file goes bad with records
// unsent. The kiosk moves it aside and starts a new journal; the
// collector, told by the kiosk's last heartbeat from the old journal how
// many were unsent, raises one follow-up saying how many it lacks. The
// technician salvages the moved-aside file (kioskctl journal salvage does
// exactly this) and the import closes the old journal: every record of it
// is at the collector.
func TestCorruptJournalEnds(t *testing.T) {
	e := newEnv(t, true)
	ctx := context.Background()
	path := filepath.Join(e.dir, "journal.db")
	j := e.journal(t, kioskID, "journal.db")
	old := j.JournalID()
	appendRecords(t, j, 3)
	s := e.syncer(t, kioskID, j, nil)
	drain(t, s) // 1–4
	appendRecords(t, j, 4)
	if err := s.Heartbeat(ctx); err != nil { // unsent 4, head 8
		t.Fatal(err)
	}
	j.Close()
	data, _ := os.ReadFile(path)
	for i := range 2 * 4096 {
		data[i] = 0 // the meta pages: bbolt cannot open it
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}

	j = e.journal(t, kioskID, "journal.db") // moved aside, a new journal
	if j.Reset() == nil || j.JournalID() == old {
		t.Fatal("the corrupt file was not moved aside")
	}
	s = e.syncer(t, kioskID, j, nil)
	if err := s.Heartbeat(ctx); err != nil { // the new journal's heartbeat comes first
		t.Fatal(err)
	}
	drain(t, s)
	k, _ := e.st.Kiosk(ctx, kioskID)
	var flags []store.Flag
	for _, f := range k.Flags {
		if f.Kind == store.FlagUnsentAtEnd {
			flags = append(flags, f)
		}
	}
	if len(flags) != 1 || flags[0].JournalID != old || !strings.Contains(flags[0].Detail, "reported 4 records unsent (sequences 5–8), 4 of them are not at the collector") {
		t.Fatalf("follow-ups %+v", flags)
	}

	moved, err := os.ReadFile(j.Reset().MovedTo)
	if err != nil {
		t.Fatal(err)
	}
	sv := journal.Salvage(moved)
	if len(sv.Runs) == 0 {
		t.Fatalf("salvage found nothing: %s", sv)
	}
	for i, run := range sv.Runs {
		dir := filepath.Join(t.TempDir(), "run")
		if _, err := ksync.WriteExport(dir, ksync.ExportSource{KioskID: kioskID, JournalID: run[0].JournalID, Records: run},
			e.identity(t, kioskID), time.Now()); err != nil {
			t.Fatal(err)
		}
		ex, err := importer.ReadDir(dir, importer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := importer.Import(ctx, e.st, ex, importer.Options{CAPool: e.ca.Pool(), Certs: []*x509.Certificate{e.cert(t, kioskID).Cert}}); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	js, err := e.st.Journal(ctx, kioskID, old)
	if err != nil || js.Records != 8 || !js.Complete() {
		t.Fatalf("old journal after the salvage: %+v %v", js, err)
	}
}
