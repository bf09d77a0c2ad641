package console

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/sync/synctest"
)

// day0 is the test's "now": 2026-11-25 15:00 JST.
var day0 = time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)

// site is a console served over real HTTPS that demands a client
// certificate from the test village CA, as the collector does.
type site struct {
	t     *testing.T
	url   string
	pki   *synctest.PKI
	store *memStore
	imp   Importer
	srv   *httptest.Server
}

func newSite(t *testing.T, st *memStore, imp Importer) *site {
	t.Helper()
	pki, err := synctest.GenerateTestPKI(t.TempDir(), "staff-tanaka", "staff-sato", "K01", "staffer")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{Store: st, Importer: imp, Now: func() time.Time { return day0 }})
	if err != nil {
		t.Fatal(err)
	}
	pool, err := ksync.LoadCAPool(pki.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(pki.ServerCert, pki.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(c.Handler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point of some tests
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &site{t: t, url: srv.URL, pki: pki, store: st, imp: imp, srv: srv}
}

// client is a browser-like client presenting cn's certificate ("" none).
func (s *site) client(cn string) *http.Client {
	s.t.Helper()
	pool, err := ksync.LoadCAPool(s.pki.CAFile)
	if err != nil {
		s.t.Fatal(err)
	}
	tc := &tls.Config{RootCAs: pool}
	if cn != "" {
		cert, err := tls.LoadX509KeyPair(s.pki.Clients[cn].Cert, s.pki.Clients[cn].Key)
		if err != nil {
			s.t.Fatal(err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: tc},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// get fetches path and returns the status and body.
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

// chain seals recs as one journal's records: Seq from 1, KioskID, the hash chain.
func chain(kioskID, journalID string, recs ...kiosk.Record) []Visit {
	prev := journal.Genesis
	out := make([]Visit, len(recs))
	for i, r := range recs {
		r.Seq, r.KioskID, r.PrevHash = uint64(i+1), kioskID, prev
		r.Hash = journal.HashRecord(r, nil)
		prev = r.Hash
		out[i] = Visit{JournalID: journalID, Record: r, ReceivedAt: r.Time.Add(time.Minute)}
	}
	return out
}

func tries(n int) *int { return &n }

// sampleStore holds K01 (healthy) and K02 (silent, printer out of paper)
// and a morning of visits at K01.
func sampleStore() *memStore {
	st := newMemStore()
	at := func(h, m int) time.Time { return time.Date(2026, 11, 25, h, m, 0, 0, jst) }
	for _, v := range chain("K01", "JK01A", []kiosk.Record{
		{Time: at(9, 0), ClockTrusted: true, Kind: kiosk.TxSystem, Outcome: kiosk.OutcomeOK, Detail: "journal_new"},
		{Time: at(9, 5), ClockTrusted: true, Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Card: kiosk.CardMyNumber, Status: "valid", AuthTries: tries(3), SignTries: tries(5)},
		{Time: at(9, 20), ClockTrusted: true, Kind: kiosk.TxChangeAuth, Outcome: kiosk.OutcomeUnknown, Card: kiosk.CardMyNumber, Status: "pin_change_unknown"},
		{Time: at(10, 2), ClockTrusted: true, Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Card: kiosk.CardMyNumber, Status: "auth_locked", AuthTries: tries(0)},
		{Time: at(10, 2), ClockTrusted: true, Kind: kiosk.TxSystem, Outcome: kiosk.OutcomeError, Detail: "printer_unavailable", Reference: "K01-20261125-0004"},
		{Time: at(11, 30), ClockTrusted: false, Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Card: kiosk.CardMyNumber, Status: "renewal", Detail: "=HYPERLINK(\"x\")<script>"},
	}...) {
		st.add(v)
	}
	k1 := st.kiosks["K01"]
	k1.Version, k1.HeartbeatAt, k1.LastSync, k1.JournalDepth = "v1.4.0", day0.Add(-2*time.Minute), day0.Add(-2*time.Minute), 0
	k1.Devices = []Device{{"reader", "ok", ""}, {"printer", "ok", ""}, {"keypad", "ok", ""}, {"touch", "ok", ""}}
	k1.Journals = []Journal{{ID: "JK01A", Current: true, Created: at(9, 0), Reason: "new_file", Records: 6, HeadSeq: 6, StartSeq: 1}}
	st.kiosks["K01"] = k1
	st.kiosks["K02"] = Kiosk{ID: "K02", Version: "v1.3.2", HeartbeatAt: day0.Add(-3 * time.Hour), JournalDepth: 120,
		Devices:  []Device{{"reader", "ok", ""}, {"printer", "paper_out", ""}, {"keypad", "ok", ""}, {"touch", "unknown", ""}},
		Journals: []Journal{{ID: "JK02A", Reason: "new_file", Records: 10, HeadSeq: 12, Gaps: []Gap{{From: 5, To: 6}}}, {ID: "JK02B", Current: true, Reason: "corrupt_moved_aside", Records: 3, HeadSeq: 3}},
		Events:   []Event{{Time: day0.Add(-24 * time.Hour), Kind: "journal_recreated", JournalID: "JK02B", Reason: "corrupt_moved_aside", Previous: "JK02A"}},
		Flags:    []Flag{{Kind: "chain_break", JournalID: "JK02A", Seq: 7, Detail: "does not follow record 6", First: day0.Add(-5 * time.Hour), Last: day0.Add(-4 * time.Hour), Count: 3}},
	}
	return st
}

func mustContain(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s: %q missing", what, w)
		}
	}
}
