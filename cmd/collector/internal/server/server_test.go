package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/importer"
	"github.com/villagehall/kiosk/cmd/collector/internal/server"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/sync/pki"
	"github.com/villagehall/kiosk/kiosk/sync/synctest"
)

const kioskID = "K01"

// TestExactlyOnce runs the real syncer against the real collector through
// faults and checks every record arrives once, in order, chain intact, and
// the kiosk releases exactly what was acknowledged.
func TestExactlyOnce(t *testing.T) {
	tests := []struct {
		name      string
		plan      []string
		startLate int // collector starts after this many failed attempts
		timeout   time.Duration
	}{
		{name: "clean"},
		{name: "collector down, starts later", startLate: 3},
		{name: "500s", plan: []string{"500", "500", "ok", "500"}},
		{name: "slow answers after storing", plan: []string{"slow-after", "ok", "slow-after"}, timeout: 300 * time.Millisecond},
		{name: "reset before the collector sees it", plan: []string{"reset-before", "reset-before"}},
		{name: "reset mid-batch after storing (duplicate re-send)", plan: []string{"ok", "reset-after", "reset-after", "ok", "reset-after"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const n = 40
			e := newEnv(t, tc.startLate == 0)
			e.f.plan = tc.plan
			j := e.journal(t, kioskID, "journal.db")
			appendRecords(t, j, n)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var waits []time.Duration
			var serverTimes int
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			addr := e.srv.Listener.Addr().String()
			if tc.startLate > 0 {
				e.srv.Listener.Close() // connection refused until started
			}
			s := e.syncer(t, kioskID, j, func(c *ksync.Config) {
				c.Client = e.client(t, kioskID, timeout)
				c.BatchSize, c.MinBackoff, c.MaxBackoff = 7, time.Millisecond, 10*time.Millisecond
				c.OnServerTime = func(time.Time) { serverTimes++ }
				c.Health = func() ksync.Health { return ksync.Health{ReaderPresent: true, PrinterState: "ok", Version: "test"} }
				// The injected clock never waits; it also decides when the test is over.
				c.After = func(d time.Duration) <-chan time.Time {
					waits = append(waits, d)
					if tc.startLate > 0 && len(waits) == tc.startLate {
						l, err := net.Listen("tcp", addr)
						if err != nil {
							t.Errorf("re-listen: %v", err)
							cancel()
						} else {
							e.srv.Listener = l
							e.srv.StartTLS()
						}
					}
					if d, _ := j.Depth(); d == 0 || len(waits) > 100 {
						cancel()
					}
					ch := make(chan time.Time, 1)
					ch <- time.Time{}
					return ch
				}
			})
			if err := s.Run(ctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("Run: %v", err)
			}
			if d, _ := j.Depth(); d != 0 {
				t.Fatalf("%d records still pending after %d waits", d, len(waits))
			}
			got, err := e.st.Records(context.Background(), store.Query{KioskID: kioskID, JournalID: j.JournalID()})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != n+1 {
				t.Fatalf("collector holds %d records, want %d", len(got), n+1)
			}
			if b := journal.VerifyChain(got, 0, journal.Genesis); b != nil {
				t.Fatalf("collector's chain: %v", b)
			}
			k, _ := e.st.Kiosk(context.Background(), kioskID)
			if len(k.Journals) != 1 || len(k.Flags) != 0 || k.HeadSeq != n+1 || !k.Journals[0].Complete() || k.Journals[0].Signed == nil {
				t.Fatalf("kiosk state %+v", k)
			}
			// The first heartbeat goes out at start; with the collector down it is lost.
			if tc.startLate == 0 && (k.LastHeartbeat == nil || !k.LastHeartbeat.ReaderPresent) {
				t.Fatalf("no heartbeat: %+v", k)
			}
			st, _ := j.Status()
			if st.LastSync.IsZero() || st.CollectorTime.IsZero() || serverTimes == 0 || st.Sync.LastError != "" {
				t.Fatalf("sync time not recorded: %+v, %d server times", st, serverTimes)
			}
			if want := len(tc.plan) - countOK(tc.plan) + tc.startLate; len(waits) < want {
				t.Fatalf("only %d waits for %d faults", len(waits), want)
			}
		})
	}
}

func countOK(p []string) int {
	n := 0
	for _, m := range p {
		if m == "ok" {
			n++
		}
	}
	return n
}

func signedBatch(t *testing.T, id *ksync.Identity, kioskID, journalID string, recs []kiosk.Record) []byte {
	t.Helper()
	b := ksync.Batch{KioskID: kioskID, JournalID: journalID, Records: recs}
	sig, err := ksync.SignHead(id.Signer, b.Head())
	if err != nil {
		t.Fatal(err)
	}
	b.Signature = &sig
	data, _ := json.Marshal(b)
	return data
}

// TestRefusals: who may post what, and what a body must be.
func TestRefusals(t *testing.T) {
	e := newEnv(t, true)
	other, err := pki.NewCA("another CA", pki.ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := other.Client(kioskID)
	j := e.journal(t, kioskID, "journal.db")
	appendRecords(t, j, 2)
	recs, _ := j.Pending(0)
	jid := j.JournalID()
	k01, k02, staff := e.identity(t, kioskID), e.identity(t, "K02"), e.identity(t, "staff-ana")
	own := signedBatch(t, k01, kioskID, jid, recs)
	unsigned, _ := json.Marshal(ksync.Batch{KioskID: kioskID, JournalID: jid, Records: recs})
	signedByOther := signedBatch(t, k02, kioskID, jid, recs)
	gappy := signedBatch(t, k01, kioskID, jid, []kiosk.Record{recs[0], recs[2]})
	noTLS := ksync.NewHTTPClient(&tls.Config{RootCAs: e.ca.Pool()}, 5*time.Second)
	otherCA := ksync.NewHTTPClient(&tls.Config{RootCAs: e.ca.Pool(), Certificates: []tls.Certificate{foreign.TLS()}}, 5*time.Second)
	c := func(cn string) *http.Client { return e.client(t, cn, 5*time.Second) }
	// A 1 MiB limit here: the default (16 MiB) takes the JSON scanner over
	// 5 s under -race on a busy machine, and the limit is the same code.
	const limit = 1 << 20
	e.f.next = server.New(e.st, server.Options{CAPool: e.ca.Pool(), Logger: e.log, MaxBatchBytes: limit}).Handler()
	huge := append([]byte(`{"kiosk_id":"K01","records":[`), bytes.Repeat([]byte(`{"seq":1},`), limit/10+1)...)
	tests := []struct {
		name     string
		client   *http.Client
		method   string
		path     string
		body     []byte
		wantCode int    // 0: the TLS handshake must fail
		wantErr  string // in the reply's error
	}{
		{"no client certificate", noTLS, "POST", ksync.PathBatch, own, 0, ""},
		{"certificate from another CA", otherCA, "POST", ksync.PathBatch, own, 0, ""},
		{"staff certificate posts a batch as itself", c("staff-ana"), "POST", ksync.PathBatch,
			signedBatch(t, staff, "staff-ana", jid, recs), http.StatusForbidden, "staff certificate"},
		{"staff certificate posts a heartbeat as itself", c("staff-ana"), "POST", ksync.PathHeartbeat,
			[]byte(`{"kiosk_id":"staff-ana"}`), http.StatusForbidden, "staff certificate"},
		{"a certificate that is no kiosk's", c("printer-3"), "POST", ksync.PathHeartbeat, []byte(`{"kiosk_id":"printer-3"}`), http.StatusForbidden, "not a kiosk's"},
		{"claims another kiosk's ID", c("K02"), "POST", ksync.PathBatch, own, http.StatusForbidden, "certificate of \"K02\""},
		{"heartbeat for another kiosk", c("K02"), "POST", ksync.PathHeartbeat, []byte(`{"kiosk_id":"K01"}`), http.StatusForbidden, ""},
		{"trailing bytes after the batch", c(kioskID), "POST", ksync.PathBatch, append(bytes.Clone(own), []byte(" x")...), http.StatusBadRequest, "after the JSON value"},
		{"two batches in one body", c(kioskID), "POST", ksync.PathBatch, append(bytes.Clone(own), own...), http.StatusBadRequest, "more than one JSON value"},
		{"trailing bytes after a heartbeat", c(kioskID), "POST", ksync.PathHeartbeat, []byte(`{"kiosk_id":"K01"}{}`), http.StatusBadRequest, "more than one"},
		{"a body too large", c(kioskID), "POST", ksync.PathBatch, huge, http.StatusRequestEntityTooLarge, "larger than"},
		{"unsigned batch", c(kioskID), "POST", ksync.PathBatch, unsigned, http.StatusBadRequest, "not signed"},
		{"batch signed by another kiosk's key", c(kioskID), "POST", ksync.PathBatch, signedByOther, http.StatusForbidden, "does not verify"},
		{"gap inside the batch", c(kioskID), "POST", ksync.PathBatch, gappy, http.StatusBadRequest, "gap inside"},
		{"kiosk reads the staff view", c(kioskID), "GET", ksync.PathKiosks, nil, http.StatusForbidden, ""},
		{"kiosk reads records", c(kioskID), "GET", ksync.PathRecords + "?kiosk=K01", nil, http.StatusForbidden, ""},
		{"kiosk imports", c(kioskID), "POST", ksync.PathImport, []byte(`{}`), http.StatusForbidden, ""},
		{"own batch", c(kioskID), "POST", ksync.PathBatch, own, http.StatusOK, ""},
		{"own heartbeat", c(kioskID), "POST", ksync.PathHeartbeat, []byte(`{"kiosk_id":"K01"}`), http.StatusOK, ""},
		{"staff reads the kiosks", c("staff-ana"), "GET", ksync.PathKiosks, nil, http.StatusOK, ""},
		{"staff reads csv", c("staff-ana"), "GET", ksync.PathRecords + "?kiosk=K01&format=csv", nil, http.StatusOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, e.url()+tc.path, bytes.NewReader(tc.body))
			resp, err := tc.client.Do(req)
			if tc.wantCode == 0 {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("request succeeded with status %s", resp.Status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var rep ksync.Reply
			_ = json.NewDecoder(resp.Body).Decode(&rep)
			if resp.StatusCode != tc.wantCode || !strings.Contains(rep.Error, tc.wantErr) {
				t.Fatalf("status %d (%q), want %d (%q)", resp.StatusCode, rep.Error, tc.wantCode, tc.wantErr)
			}
		})
	}
	got, _ := e.st.Records(context.Background(), store.Query{KioskID: kioskID})
	if len(got) != 3 {
		t.Fatalf("collector holds %d records, want only the kiosk's own 3", len(got))
	}
	ks, _ := e.st.Kiosks(context.Background())
	for _, k := range ks {
		if k.KioskID != kioskID {
			t.Errorf("a kiosk %q was made by a refused request", k.KioskID)
		}
	}
	k, _ := e.st.Kiosk(context.Background(), kioskID)
	kinds := map[string]int{}
	for _, f := range k.Flags {
		kinds[f.Kind] += f.Count
	}
	if kinds[store.FlagUnsignedBatch] != 1 || kinds[store.FlagBadSignature] != 1 {
		t.Errorf("flags %v", kinds)
	}
}

// TestRetriesFlagOnce: a kiosk retrying a refused batch again and again
// leaves one flag per condition, counted, not one per retry.
func TestRetriesFlagOnce(t *testing.T) {
	e := newEnv(t, true)
	j := e.journal(t, kioskID, "journal.db")
	appendRecords(t, j, 3)
	recs, _ := j.Pending(0)
	id := e.identity(t, kioskID)
	c := e.client(t, kioskID, 5*time.Second)
	if code, _ := e.post(t, c, ksync.PathBatch, signedBatch(t, id, kioskID, j.JournalID(), recs)); code != 200 {
		t.Fatalf("first batch: %d", code)
	}
	other := recs[2]
	other.Detail = "different"
	other.Hash = journal.HashRecord(other)
	bad := signedBatch(t, id, kioskID, j.JournalID(), []kiosk.Record{other})
	for range 25 {
		code, rep := e.post(t, c, ksync.PathBatch, bad)
		if code != 200 || len(rep.Acked) != 0 || len(rep.Refused) != 1 || rep.Refused[0].Seq != 3 {
			t.Fatalf("conflicting re-send: %d %+v", code, rep)
		}
	}
	k, _ := e.st.Kiosk(context.Background(), kioskID)
	if len(k.Flags) != 1 || k.Flags[0].Kind != store.FlagConflict || k.Flags[0].Count != 25 || !k.Flags[0].Last.After(k.Flags[0].First) && k.Flags[0].Last != k.Flags[0].First {
		t.Fatalf("flags %+v", k.Flags)
	}
}

// TestReCreatedJournal is the scenario in process: 4 visits
// synced, the journal re-created (an SD card re-flashed: seq 1 again), 3
// more: the collector holds every record of both journals, the kiosk
// released exactly those, and staff see the new journal as an event.
func TestReCreatedJournal(t *testing.T) {
	e := newEnv(t, true)
	a := e.journal(t, kioskID, "a.db")
	appendRecords(t, a, 4)
	drain(t, e.syncer(t, kioskID, a, nil))
	a.Close()
	b := e.journal(t, kioskID, "b.db") // a new file: the card was re-flashed
	appendRecords(t, b, 3)
	s := e.syncer(t, kioskID, b, nil)
	drain(t, s)
	if d, _ := b.Depth(); d != 0 {
		t.Fatalf("%d unsent", d)
	}
	k, _ := e.st.Kiosk(context.Background(), kioskID)
	if k.Records != 9 || len(k.Journals) != 2 || len(k.Flags) != 0 {
		t.Fatalf("collector holds %d records in %d journals, flags %+v", k.Records, len(k.Journals), k.Flags)
	}
	for _, js := range k.Journals {
		if !js.Complete() || js.Reason != store.ReasonNewFile {
			t.Fatalf("journal %+v", js)
		}
	}
	if len(k.Events) != 2 || k.Events[1].Kind != store.EventJournalRecreated || k.Events[1].JournalID != b.JournalID() || k.Events[1].Previous != a.JournalID() {
		t.Fatalf("events %+v", k.Events)
	}
	var ks []store.KioskState
	if code := e.get(t, "staff-ana", ksync.PathKiosks, &ks); code != 200 || len(ks) != 1 || len(ks[0].Events) != 2 {
		t.Fatalf("staff view %d %+v", code, ks)
	}
	if !strings.Contains(e.logs.String(), "kiosk started a new journal") {
		t.Error("the new journal is not in the collector's log")
	}
}

// exportOf writes j's pending records to a USB export signed by kiosk id.
func exportOf(t *testing.T, j *journal.Journal, id *ksync.Identity) (string, *ksync.Export) {
	t.Helper()
	recs, err := j.Pending(0)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "usb")
	if _, err := ksync.WriteExport(dir, ksync.ExportSource{KioskID: j.KioskID(), JournalID: j.JournalID(), Records: recs}, id, time.Now()); err != nil {
		t.Fatal(err)
	}
	ex, err := ksync.ReadExport(dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, ex
}

func importBody(t *testing.T, dir string, cert []byte) []byte {
	t.Helper()
	man, _ := os.ReadFile(filepath.Join(dir, ksync.ExportManifest))
	recs, _ := os.ReadFile(filepath.Join(dir, ksync.ExportRecords))
	b, _ := json.Marshal(importer.Request{Manifest: man, Records: string(recs), KioskCert: string(cert)})
	return b
}

// TestExportClosesGap: the offline path ends with every record at the town
// hall. Records exported to a stick and released by `journal ack` leave a
// gap when the kiosk syncs again; importing the export (through the staff
// interface) closes it. An edited export is refused even with recomputed
// hashes.
func TestExportClosesGap(t *testing.T) {
	e := newEnv(t, true)
	j := e.journal(t, kioskID, "journal.db")
	id := e.identity(t, kioskID)
	s := e.syncer(t, kioskID, j, nil)
	appendRecords(t, j, 3)
	drain(t, s) // the collector has seen the kiosk (and its certificate)
	appendRecords(t, j, 5)
	dir, ex := exportOf(t, j, id)
	if n, err := j.Release(ex.Manifest.JournalID, ex.Acks()); err != nil || n != 5 { // kioskctl journal ack
		t.Fatalf("release: %d %v", n, err)
	}
	appendRecords(t, j, 2)
	drain(t, s)
	js, _ := e.st.Journal(context.Background(), kioskID, j.JournalID())
	if len(js.Gaps) != 1 || js.Gaps[0].From != 5 || js.Gaps[0].To != 9 {
		t.Fatalf("gaps before the import: %+v", js.Gaps)
	}
	staff := e.client(t, "staff-ana", 5*time.Second)

	// An edited export with recomputed hashes, checksum and manifest.
	forgedDir := filepath.Join(t.TempDir(), "forged")
	if err := synctest.Forge(dir, forgedDir, 1, func(r *kiosk.Record) { r.Outcome = kiosk.OutcomeLocked }); err != nil {
		t.Fatal(err)
	}
	if code, rep := e.post(t, staff, ksync.PathImport, importBody(t, forgedDir, nil)); code != http.StatusUnprocessableEntity || !strings.Contains(rep.Error, "does not verify") {
		t.Fatalf("forged import: %d %q", code, rep.Error)
	}
	if js, _ = e.st.Journal(context.Background(), kioskID, j.JournalID()); js.Records != 6 {
		t.Fatalf("the forged import stored records: %+v", js)
	}
	// A staff certificate cannot stand in for the kiosk's.
	if code, _ := e.post(t, staff, ksync.PathImport, importBody(t, forgedDir, e.cert(t, "staff-ana").CertPEM)); code != http.StatusUnprocessableEntity {
		t.Fatalf("forged import with a staff certificate given: %d", code)
	}

	resp, err := staff.Post(e.url()+ksync.PathImport, "application/json", bytes.NewReader(importBody(t, dir, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var res importer.Result
	json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if resp.StatusCode != 200 || res.Stored != 5 || len(res.Journal.Gaps) != 0 || !res.Journal.Complete() || res.Journal.Records != 11 ||
		!strings.Contains(res.VerifiedBy, "seen on sync") {
		t.Fatalf("import: %s %+v", resp.Status, res)
	}
	// Again: nothing new, nothing broken.
	if code, _ := e.post(t, staff, ksync.PathImport, importBody(t, dir, nil)); code != 200 {
		t.Fatalf("second import %d", code)
	}
	k, _ := e.st.Kiosk(context.Background(), kioskID)
	if k.Records != 11 || len(k.Flags) != 1 || k.Flags[0].Kind != store.FlagBadSignature || k.Flags[0].Count != 2 {
		t.Fatalf("kiosk %+v", k)
	}
}

// TestImportNeedsAKnownCertificate: a kiosk the collector never saw can be
// imported with its certificate given, or by the village CA vouching for
// the one the manifest carries; otherwise it is refused.
func TestImportNeedsAKnownCertificate(t *testing.T) {
	e := newEnv(t, true)
	j := e.journal(t, "K05", "journal.db")
	appendRecords(t, j, 2)
	dir, ex := exportOf(t, j, e.identity(t, "K05"))
	ctx := context.Background()
	if _, err := importer.Import(ctx, e.st, ex, importer.Options{}); !errors.Is(err, importer.ErrNotVerified) {
		t.Fatalf("import with no certificate known: %v", err)
	}
	other, _ := pki.NewCA("another CA", pki.ECDSA)
	if _, err := importer.Import(ctx, e.st, ex, importer.Options{CAPool: other.Pool()}); !errors.Is(err, importer.ErrNotVerified) {
		t.Fatalf("import vouched by another CA: %v", err)
	}
	// A stolen kiosk's certificate, revoked: neither the CA's word for it
	// nor staff giving it verifies an export any more.
	k05 := e.cert(t, "K05").Cert
	revoked := func(c *x509.Certificate) bool { return c.SerialNumber.Cmp(k05.SerialNumber) == 0 }
	for _, o := range []importer.Options{{CAPool: e.ca.Pool(), Revoked: revoked}, {CAPool: e.ca.Pool(), Certs: []*x509.Certificate{k05}, Revoked: revoked}} {
		if _, err := importer.Import(ctx, e.st, ex, o); !errors.Is(err, importer.ErrNotVerified) || !strings.Contains(err.Error(), "revoked") {
			t.Fatalf("import signed with a revoked certificate: %v", err)
		}
	}
	res, err := importer.Import(ctx, e.st, ex, importer.Options{CAPool: e.ca.Pool()})
	if err != nil || res.Stored != 3 || !strings.Contains(res.VerifiedBy, "village CA") {
		t.Fatalf("import vouched by the village CA: %+v %v", res, err)
	}
	ex2, err := importer.ReadDir(dir, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := importer.Import(ctx, e.st, ex2, importer.Options{CAPool: e.ca.Pool(), Certs: []*x509.Certificate{e.cert(t, "K05").Cert}}); err != nil || res.Duplicates != 3 {
		t.Fatalf("import with the certificate given: %+v %v", res, err)
	}
}

// TestLookupAndCSV: staff find a slip's record by its reference number,
// and the spreadsheet keeps the first collector's columns.
func TestLookupAndCSV(t *testing.T) {
	e := newEnv(t, true)
	j := e.journal(t, kioskID, "journal.db")
	recs := appendRecords(t, j, 3)
	drain(t, e.syncer(t, kioskID, j, nil))
	ref := kiosk.ReferenceOf(recs[1])
	var found []server.Found
	if code := e.get(t, "staff-ana", ksync.PathLookup+"?ref="+strings.ToLower(ref), &found); code != 200 || len(found) != 1 ||
		found[0].Record.Hash != recs[1].Hash || found[0].Reference != ref {
		t.Fatalf("lookup %s: %d %+v", ref, code, found)
	}
	if code := e.get(t, "staff-ana", ksync.PathLookup+"?ref=K01-ZZZZ-0002", nil); code != http.StatusNotFound {
		t.Fatalf("lookup of an unknown reference: %d", code)
	}
	if code := e.get(t, "staff-ana", ksync.PathLookup+"?ref=nonsense", nil); code != http.StatusBadRequest {
		t.Fatalf("lookup of nonsense: %d", code)
	}
	resp, err := e.client(t, "staff-ana", 5*time.Second).Get(e.url() + ksync.PathRecords + "?kiosk=K01&format=csv&kind=change_auth_pin")
	if err != nil {
		t.Fatal(err)
	}
	var csv bytes.Buffer
	csv.ReadFrom(resp.Body)
	resp.Body.Close()
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "seq,time,clock_trusted,kiosk_id,kind,outcome,card,status,auth_tries,sign_tries,reference,detail,hash,") ||
		!strings.HasSuffix(lines[2], ","+ref) {
		t.Fatalf("csv:\n%s", csv.String())
	}
	var list []kiosk.Record
	if code := e.get(t, "staff-ana", ksync.PathRecords+"?kiosk=K01&journal="+j.JournalID()+"&after=2&limit=1", &list); code != 200 || len(list) != 1 || list[0].Seq != 3 {
		t.Fatalf("paged list: %d %+v", code, list)
	}
	for _, bad := range []string{"?limit=0", "?from=yesterday", "?journal=X"} {
		if code := e.get(t, "staff-ana", ksync.PathRecords+bad, nil); code != http.StatusBadRequest {
			t.Errorf("records%s: %d", bad, code)
		}
	}
}

// TestNoPersonalDataOnTheWire: records and heartbeats the kiosk sends, and
// both sides' logs, carry nothing of the resident. The canaries are what a
// session handles around a record (the PIN typed, a name from a signing
// certificate, a My Number); none may appear outside the hashes.
func TestNoPersonalDataOnTheWire(t *testing.T) {
	e := newEnv(t, true)
	j := e.journal(t, kioskID, "journal.db")
	canaries := []string{"7391", "739102", "ABC739", "山田", "Yamada", "1980-02-29", "123456789018", "千代田区"}
	forbiddenKeys := []string{"pin", "old_pin", "new_pin", "name", "address", "birth", "birth_date", "sex", "my_number", "individual_number"}
	tries := 2
	for _, r := range []kiosk.Record{
		{Kind: kiosk.TxChangeAuth, Outcome: kiosk.OutcomeWrongPIN, Card: kiosk.CardMyNumber, AuthTries: &tries},
		{Kind: kiosk.TxSignCheck, Outcome: kiosk.OutcomeOK, Card: kiosk.CardMyNumber, Status: "valid", CertRef: "c1f0e2"},
		{Kind: kiosk.TxCardError, Outcome: kiosk.OutcomeUnknown, Detail: "outcome_unknown"},
	} {
		r.Time = time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
		if _, err := j.Append(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	s := e.syncer(t, kioskID, j, nil)
	if err := s.Heartbeat(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sent, released, err := s.SyncOnce(context.Background()); err != nil || sent != 4 || released != 4 {
		t.Fatalf("SyncOnce: %d %d %v", sent, released, err)
	}
	hashes := regexp.MustCompile(`"(prev_)?hash":"[0-9a-f]{64}"|"value":"[A-Za-z0-9+/=]+"`)
	e.f.mu.Lock()
	payloads := e.f.payloads
	e.f.mu.Unlock()
	if len(payloads) != 2 {
		t.Fatalf("%d payloads captured", len(payloads))
	}
	for _, p := range append(payloads, []byte(e.logs.String())) {
		clean := hashes.ReplaceAll(p, nil)
		for _, c := range canaries {
			if bytes.Contains(clean, []byte(c)) {
				t.Errorf("canary %q found in %s", c, clean)
			}
		}
	}
	for _, p := range payloads {
		var v any
		if err := json.Unmarshal(p, &v); err != nil {
			t.Fatal(err)
		}
		walkKeys(v, func(k string) {
			for _, f := range forbiddenKeys {
				if strings.EqualFold(k, f) {
					t.Errorf("forbidden field %q in payload", k)
				}
			}
		})
	}
}

func walkKeys(v any, fn func(string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			fn(k)
			walkKeys(e, fn)
		}
	case []any:
		for _, e := range x {
			walkKeys(e, fn)
		}
	}
}

// noAudit is a store whose audit log cannot be written.
type noAudit struct{ store.Store }

func (noAudit) AppendAudit(context.Context, store.AuditEntry) (store.AuditEntry, error) {
	return store.AuditEntry{}, errors.New("disk full")
}

// TestStaffAPIIsAudited: the staff API, like the console, writes who asked
// for what before it answers, and answers nothing when it cannot.
func TestStaffAPIIsAudited(t *testing.T) {
	e := newEnv(t, true)
	if code := e.get(t, "staff-ana", ksync.PathKiosks+"?kiosk=K01", nil); code != http.StatusOK && code != http.StatusNotFound {
		t.Fatalf("kiosks: %d", code)
	}
	if code := e.get(t, "K01", ksync.PathRecords+"?kiosk=K01", nil); code != http.StatusForbidden {
		t.Fatalf("a kiosk on the staff API: %d", code)
	}
	entries, err := e.st.Audit(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Action != store.ActAPIKiosks || entries[0].Staff != "staff-ana" ||
		entries[0].Detail != "kiosk=K01" || entries[0].Cert == "" {
		t.Fatalf("audit log %+v, want one api_kiosks entry by staff-ana", entries)
	}

	h := server.New(noAudit{e.st}, server.Options{CAPool: e.ca.Pool(), Logger: e.log}).Handler()
	staff := e.cert(t, "staff-ana").Cert
	r := httptest.NewRequest(http.MethodGet, ksync.PathRecords+"?kiosk=K01", nil)
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{staff}, VerifiedChains: [][]*x509.Certificate{{staff}}}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "audit log cannot be written") {
		t.Fatalf("with no audit log: %d %s", w.Code, w.Body)
	}
}

// TestAPICSVDefusesFormulas: the API's spreadsheet, like the console's,
// never lets a kiosk's text run as a formula on a staff PC.
func TestAPICSVDefusesFormulas(t *testing.T) {
	e := newEnv(t, true)
	j := e.journal(t, kioskID, "journal.db")
	if _, err := j.Append(context.Background(), kiosk.Record{Kind: kiosk.TxChangeAuth, Outcome: kiosk.OutcomeError,
		Card: kiosk.CardMyNumber, Detail: `=HYPERLINK("http://x")`, Status: string(kiosk.CodeAuthLocked)}); err != nil {
		t.Fatal(err)
	}
	drain(t, e.syncer(t, kioskID, j, nil))
	resp, err := e.client(t, "staff-ana", 5*time.Second).Get(e.url() + ksync.PathRecords + "?kiosk=K01&format=csv&kind=change_auth_pin")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("csv: %v %v", rows, err)
	}
	// Status is checked against its list on arrival; detail is the kiosk's free text.
	if got := rows[1]; got[11] != `'=HYPERLINK("http://x")` {
		t.Errorf("detail %q: a formula left live", got[11])
	}
}

// TestRecordsPagingCannotBeMisread: one journal's records are read oldest
// first from a cursor, page after page, until a page says it is the last;
// after=0 is the start (it once meant "the newest page", and the soak saw
// one page of 100,000 and reported the rest lost); the newest page is only
// had by asking for it, and nothing mixes the two.
func TestRecordsPagingCannotBeMisread(t *testing.T) {
	e := newEnv(t, true)
	j := e.journal(t, kioskID, "k.db")
	appendRecords(t, j, 6) // journal_new + 6: seq 1…7
	drain(t, e.syncer(t, kioskID, j, nil))
	c := e.client(t, "staff-ana", 5*time.Second)
	page := func(query string) (int, []uint64, string) {
		t.Helper()
		resp, err := c.Get(e.url() + ksync.PathRecords + "?kiosk=" + kioskID + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var recs []kiosk.Record
		if resp.StatusCode == http.StatusOK {
			if err := json.NewDecoder(resp.Body).Decode(&recs); err != nil {
				t.Fatal(err)
			}
		}
		var seqs []uint64
		for _, r := range recs {
			seqs = append(seqs, r.Seq)
		}
		return resp.StatusCode, seqs, resp.Header.Get(ksync.HeaderNextAfter)
	}
	jid := "&journal=" + j.JournalID()
	var got []uint64
	for after, pages := "0", 0; after != ""; pages++ {
		code, seqs, next := page(jid + "&limit=3&after=" + after)
		if code != http.StatusOK || pages > 3 {
			t.Fatalf("after=%s: %d, page %d", after, code, pages)
		}
		got = append(got, seqs...)
		after = next
	}
	if fmt.Sprint(got) != "[1 2 3 4 5 6 7]" {
		t.Errorf("paged from after=0: %v, want every record once, oldest first", got)
	}
	for _, tc := range []struct {
		query, want string
		code        int
	}{
		{jid + "&limit=3", "[1 2 3] next 3", 200},
		{jid + "&limit=3&after=5", "[6 7] next ", 200},
		{jid + "&limit=3&order=newest", "[5 6 7] next ", 200},
		{"&limit=2", "[1 2] next ", 200},
		{"&limit=2&order=newest", "[6 7] next ", 200},
		{"&after=0", "", http.StatusBadRequest},
		{jid + "&after=0&order=newest", "", http.StatusBadRequest},
		{jid + "&order=latest", "", http.StatusBadRequest},
		{jid + "&after=", "", http.StatusBadRequest},
	} {
		code, seqs, next := page(tc.query)
		if code != tc.code || (code == 200 && fmt.Sprintf("%v next %s", seqs, next) != tc.want) {
			t.Errorf("%s: %d %v next %q, want %d %s", tc.query, code, seqs, next, tc.code, tc.want)
		}
	}
}
