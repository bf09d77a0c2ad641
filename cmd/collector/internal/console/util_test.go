package console

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/importer"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/boltstore"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/sync/pki"
)

// day0 is the test's "now": 2026-11-25 15:00 JST.
var day0 = time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)

// The journals of the sample: their tags (first four characters) are what
// the slips' reference numbers carry.
const (
	jK01  = "7Q3FABCDEFGHJKMNPQRSTVWXYZ"
	jK02a = "M4X9ABCDEFGHJKMNPQRSTVWXYZ"
	jK02b = "R2D2ABCDEFGHJKMNPQRSTVWXYZ"
)

// site is a console over a real store, served over real HTTPS that demands
// a client certificate from a test village CA, as the collector does.
type site struct {
	t    *testing.T
	url  string
	ca   *pki.CA
	caPE string // CA file
	st   store.Store
	view store.Store
	dir  string
}

func newSite(t *testing.T, st store.Store, view store.Store, imp Importer) *site {
	t.Helper()
	dir := t.TempDir()
	ca, err := pki.NewCA("test village CA", pki.ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	if view == nil {
		view = st
	}
	if imp == nil {
		imp = Importing(st, importer.Options{CAPool: ca.Pool(), Now: func() time.Time { return day0 }})
	}
	c, err := New(Options{Store: view, Importer: imp, Admins: testAdmins, Now: func() time.Time { return day0 }})
	if err != nil {
		t.Fatal(err)
	}
	srvCert, err := ca.Server()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(c.Handler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{srvCert.TLS()}, ClientCAs: ca.Pool(), ClientAuth: tls.RequireAndVerifyClientCert}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point of some tests
	srv.StartTLS()
	t.Cleanup(srv.Close)
	s := &site{t: t, url: srv.URL, ca: ca, st: st, view: view, dir: dir}
	s.caPE = s.write("ca.pem", ca.PEM())
	return s
}

func (s *site) write(name string, data []byte) string {
	s.t.Helper()
	p := s.dir + "/" + name
	if err := writeFile(p, data); err != nil {
		s.t.Fatal(err)
	}
	return p
}

// issue makes a client certificate for cn and writes its PEM files.
func (s *site) issue(cn string) (*pki.Issued, string, string) {
	s.t.Helper()
	is, err := s.ca.Client(cn)
	if err != nil {
		s.t.Fatal(err)
	}
	return is, s.write(cn+".pem", is.CertPEM), s.write(cn+"-key.pem", is.KeyPEM)
}

// client is a browser-like client presenting cn's certificate ("" none).
func (s *site) client(cn string) *http.Client {
	s.t.Helper()
	tc := &tls.Config{RootCAs: s.ca.Pool()}
	if cn != "" {
		is, _, _ := s.issue(cn)
		tc.Certificates = []tls.Certificate{is.TLS()}
	}
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: tc},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// get fetches url and returns the status, body and headers.
func get(t *testing.T, c *http.Client, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

// seal makes recs one journal's run from seq first: kiosk, journal, the chain.
func seal(kioskID, journalID string, first uint64, prev string, recs ...kiosk.Record) []kiosk.Record {
	out := make([]kiosk.Record, len(recs))
	for i, r := range recs {
		r.Seq, r.KioskID, r.JournalID, r.PrevHash = first+uint64(i), kioskID, journalID, prev
		r.Hash = journal.HashRecord(r)
		prev = r.Hash
		out[i] = r
	}
	return out
}

func tries(n int) *int { return &n }

func at(h, m int) time.Time { return time.Date(2026, 11, 25, h, m, 0, 0, kiosk.JST()) }

// sampleStore is a real bbolt store holding K01 (healthy, a morning of
// visits) and K02 (silent three hours, printer out of paper, a chain break,
// a gap, and a journal re-created after a corrupt file).
func sampleStore(t *testing.T) *boltstore.Store {
	t.Helper()
	st, err := boltstore.Open(t.TempDir(), func() time.Time { return day0 })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	ingest := func(kid, jid string, recs []kiosk.Record) {
		t.Helper()
		res, err := st.Ingest(ctx, store.Ingest{KioskID: kid, JournalID: jid, Records: recs, Source: store.SourceSync, At: day0.Add(-4 * time.Hour)})
		if err != nil || len(res.Refused) > 0 {
			t.Fatalf("ingest %s/%s: %v %v", kid, jid, res.Refused, err)
		}
	}
	ingest("K01", jK01, seal("K01", jK01, 1, journal.Genesis,
		kiosk.Record{Time: at(9, 0), ClockTrusted: true, Kind: kiosk.TxSystem, Outcome: kiosk.OutcomeOK, Detail: journal.DetailJournalNew},
		kiosk.Record{Time: at(9, 5), ClockTrusted: true, Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Card: kiosk.CardMyNumber, Status: "valid", AuthTries: tries(3), SignTries: tries(5)},
		kiosk.Record{Time: at(9, 20), ClockTrusted: true, Kind: kiosk.TxChangeAuth, Outcome: kiosk.OutcomeUnknown, Card: kiosk.CardMyNumber, Status: "pin_change_unknown"},
		kiosk.Record{Time: at(10, 2), ClockTrusted: true, Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Card: kiosk.CardMyNumber, Status: "auth_locked", AuthTries: tries(0)},
		kiosk.Record{Time: at(10, 2), ClockTrusted: true, Kind: kiosk.TxSystem, Outcome: kiosk.OutcomeError, Detail: kiosk.DetailPrinterUnavailable, Reference: "K01-7Q3F-0004"},
		kiosk.Record{Time: at(11, 30), ClockTrusted: false, Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Card: kiosk.CardMyNumber, Status: "renewal", Detail: "=HYPERLINK(\"x\")<script>"},
	))
	a := make([]kiosk.Record, 12)
	for i := range a {
		a[i] = kiosk.Record{Time: at(8, i), ClockTrusted: true, Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Card: kiosk.CardMyNumber, Status: "valid"}
	}
	a[0] = kiosk.Record{Time: at(8, 0), ClockTrusted: true, Kind: kiosk.TxSystem, Outcome: kiosk.OutcomeOK, Detail: journal.DetailJournalNew}
	a = seal("K02", jK02a, 1, journal.Genesis, a...)
	ingest("K02", jK02a, a[:4])
	ingest("K02", jK02a, a[6:]) // 5 and 6 never arrived
	bad := a[11]
	bad.Seq, bad.PrevHash, bad.Status = 13, strings.Repeat("ab", 32), "expired"
	bad.Hash = journal.HashRecord(bad)
	if res, err := st.Ingest(ctx, store.Ingest{KioskID: "K02", JournalID: jK02a, Records: []kiosk.Record{bad}, At: day0.Add(-4 * time.Hour)}); err != nil || len(res.Refused) != 1 {
		t.Fatalf("chain break not refused: %+v %v", res, err)
	}
	ingest("K02", jK02b, seal("K02", jK02b, 1, journal.Genesis,
		kiosk.Record{Time: at(11, 0), ClockTrusted: true, Kind: kiosk.TxSystem, Outcome: kiosk.OutcomeError, Detail: journal.DetailReset},
		kiosk.Record{Time: at(11, 10), ClockTrusted: true, Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Card: kiosk.CardMyNumber, Status: "valid"},
	))
	ok := []ksync.DeviceHealth{{Name: ksync.DeviceReader, State: ksync.StateOK}, {Name: ksync.DevicePrinter, State: ksync.StateOK},
		{Name: ksync.DeviceKeypad, State: ksync.StateOK}, {Name: ksync.DeviceTouch, State: ksync.StateOK}}
	hb := func(hb ksync.Heartbeat, received time.Time) {
		t.Helper()
		if err := st.SaveHeartbeat(ctx, store.Heartbeat{HB: hb, ReceivedAt: received}); err != nil {
			t.Fatal(err)
		}
	}
	hb(ksync.Heartbeat{KioskID: "K01", JournalID: jK01, Version: "v1.4.0", Devices: ok, Time: day0.Add(-2 * time.Minute),
		Update: &ksync.UpdateStatus{Phase: "committed", Version: "v1.4.0", CommittedVersion: "v1.4.0"},
		Sync:   ksync.SyncHealth{SyncState: journal.SyncState{LastSuccess: day0.Add(-2 * time.Minute)}}}, day0.Add(-2*time.Minute))
	hb(ksync.Heartbeat{KioskID: "K02", JournalID: jK02b, Version: "v1.3.2", JournalDepth: 120, Time: day0.Add(-3 * time.Hour),
		Update: &ksync.UpdateStatus{Phase: "failed", Version: "v1.4.0", Reason: "unhealthy", Detail: "no_reader: pcscd lists no card reader"},
		Devices: []ksync.DeviceHealth{{Name: ksync.DeviceReader, State: ksync.StateOK}, {Name: ksync.DevicePrinter, State: ksync.StatePaperOut},
			{Name: ksync.DeviceKeypad, State: ksync.StateOK}, {Name: ksync.DeviceTouch, State: ksync.StateUnknown}},
		Sync: ksync.SyncHealth{SyncState: journal.SyncState{LastSuccess: day0.Add(-3 * time.Hour)}, Unsent: 120}}, day0.Add(-3*time.Hour))
	return st
}

// actions lists the audit log's actions in order.
func actions(t *testing.T, st store.Store) string {
	t.Helper()
	es, err := st.Audit(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var a []string
	for _, e := range es {
		a = append(a, e.Action)
	}
	return strings.Join(a, " ")
}

func mustContain(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s: %q missing", what, w)
		}
	}
}

// failing is the store view with some methods failing, as a dying disk
// would make them; or, for Audit, answering with an edited log.
type failing struct {
	store.Store
	fail  map[string]error
	audit func([]store.AuditEntry) []store.AuditEntry
}

func (f *failing) Kiosks(ctx context.Context) ([]store.KioskState, error) {
	if err := f.fail["Kiosks"]; err != nil {
		return nil, err
	}
	return f.Store.Kiosks(ctx)
}

func (f *failing) AppendAudit(ctx context.Context, e store.AuditEntry) (store.AuditEntry, error) {
	if err := f.fail["AppendAudit"]; err != nil {
		return store.AuditEntry{}, err
	}
	return f.Store.AppendAudit(ctx, e)
}

func (f *failing) Audit(ctx context.Context, after uint64, limit int) ([]store.AuditEntry, error) {
	es, err := f.Store.Audit(ctx, after, limit)
	if f.audit != nil {
		es = f.audit(es)
	}
	return es, err
}

func writeFile(p string, data []byte) error { return os.WriteFile(p, data, 0o600) }

// testAdmins administer the test consoles; any other staff name is counter staff.
var testAdmins = []string{"staff-tanaka", "staff-sato"}
