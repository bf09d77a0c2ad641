package server_test

import (
	"context"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// TestStrictBodies: what a kiosk sends means one thing. A key the type
// does not have, a key spelled in another case (encoding/json alone would
// take it), a key given twice, a value off its list in a heartbeat: 400
// with the reason, nothing stored. A record whose kind, outcome, card,
// status or reference is off its list is refused by its sequence, with
// the code the kiosk reads, and the records before it are taken.
func TestStrictBodies(t *testing.T) {
	e := newEnv(t, true)
	j := e.journal(t, kioskID, "journal.db")
	appendRecords(t, j, 2)
	recs, _ := j.Pending(0)
	id := e.identity(t, kioskID)
	c := e.client(t, kioskID, 5*time.Second)
	good := string(signedBatch(t, id, kioskID, j.JournalID(), recs))
	hb := `{"kiosk_id":"K01","journal_id":"` + j.JournalID() + `","printer_state":"ok","devices":[{"name":"printer","state":"ok"}],"sync":{"unsent":0}}`
	for _, tc := range []struct {
		name, path, body, want string
	}{
		{"a key in another case", ksync.PathBatch, strings.Replace(good, `"kiosk_id"`, `"Kiosk_ID"`, 1), `unknown field "Kiosk_ID"`},
		{"a record key in another case", ksync.PathBatch, strings.Replace(good, `"outcome"`, `"OUTCOME"`, 1), `unknown field "OUTCOME" in records[0]`},
		{"an unknown field", ksync.PathBatch, strings.Replace(good, `{`, `{"priority":1,`, 1), `unknown field "priority"`},
		{"an unknown record field", ksync.PathBatch, strings.Replace(good, `"seq":1,`, `"seq":1,"note":"x",`, 1), `unknown field "note" in records[0]`},
		{"a key given twice", ksync.PathBatch, strings.Replace(good, `{`, `{"kiosk_id":"K02",`, 1), `"kiosk_id" given twice`},
		{"a heartbeat key in another case", ksync.PathHeartbeat, strings.Replace(hb, `"printer_state"`, `"Printer_State"`, 1), `unknown field`},
		{"a heartbeat device state off its list", ksync.PathHeartbeat, strings.Replace(hb, `"state":"ok"`, `"state":"fine"`, 1), `state "fine" is not one of`},
		{"a heartbeat device name off its list", ksync.PathHeartbeat, strings.Replace(hb, `"name":"printer"`, `"name":"camera"`, 1), `name "camera"`},
		{"a printer state off its list", ksync.PathHeartbeat, strings.Replace(hb, `"printer_state":"ok"`, `"printer_state":"OK"`, 1), `printer_state "OK"`},
	} {
		code, rep := e.post(t, c, tc.path, []byte(tc.body))
		if code != http.StatusBadRequest || !strings.Contains(rep.Error, tc.want) {
			t.Errorf("%s: %d %q, want 400 saying %q", tc.name, code, rep.Error, tc.want)
		}
	}
	if _, err := e.st.Journal(context.Background(), kioskID, j.JournalID()); err == nil {
		t.Fatal("a refused body stored records")
	}
	if code, rep := e.post(t, c, ksync.PathHeartbeat, []byte(hb)); code != 200 {
		t.Fatalf("good heartbeat: %d %q", code, rep.Error)
	}
	bad := recs[2]
	bad.Kind = "status"
	bad.Hash = journal.HashRecord(bad)
	code, rep := e.post(t, c, ksync.PathBatch, signedBatch(t, id, kioskID, j.JournalID(), []kiosk.Record{recs[0], recs[1], bad}))
	if code != 200 || len(rep.Acked) != 2 || len(rep.Refused) != 1 || rep.Refused[0].Seq != 3 || rep.Refused[0].Code != ksync.RefusedInvalid ||
		!strings.Contains(rep.Refused[0].Reason, `kind "status"`) {
		t.Fatalf("a record off its list: %d %+v", code, rep)
	}
	k, _ := e.st.Kiosk(context.Background(), kioskID)
	if len(k.Flags) != 1 || k.Flags[0].Kind != store.FlagInvalid || k.Flags[0].Seq != 3 {
		t.Fatalf("flags %+v", k.Flags)
	}
}

// TestNoWrapInsideABatch: a signed batch whose sequences run 2^64-1, 0
// (Seq+1 wraps) is refused with its reason, and nothing of it is stored.
func TestNoWrapInsideABatch(t *testing.T) {
	e := newEnv(t, true)
	j := e.journal(t, kioskID, "journal.db")
	recs, _ := j.Pending(0)
	at := func(seq uint64) kiosk.Record {
		r := recs[0]
		r.Seq, r.PrevHash = seq, strings.Repeat("1", 64)
		r.Hash = journal.HashRecord(r)
		return r
	}
	a, b := at(math.MaxUint64), at(0)
	b.PrevHash = a.Hash
	b.Hash = journal.HashRecord(b)
	code, rep := e.post(t, e.client(t, kioskID, 5*time.Second), ksync.PathBatch, signedBatch(t, e.identity(t, kioskID), kioskID, j.JournalID(), []kiosk.Record{a, b}))
	if code != http.StatusBadRequest || !strings.Contains(rep.Error, "no journal goes beyond") {
		t.Fatalf("%d %+v", code, rep)
	}
	if _, err := e.st.Journal(context.Background(), kioskID, j.JournalID()); err == nil {
		t.Fatal("records of the wrapping batch were stored")
	}
}
