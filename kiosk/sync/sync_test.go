package sync_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/sync/collector"
	"github.com/villagehall/kiosk/kiosk/sync/synctest"
)

const kioskID = "kiosk-01"

// faults sits in front of the collector and misbehaves per batch request
// according to plan, then behaves.
type faults struct {
	mu       gosync.Mutex
	plan     []string
	payloads [][]byte
	next     http.Handler
}

func (f *faults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	mode := "ok"
	f.mu.Lock()
	f.payloads = append(f.payloads, body)
	if r.URL.Path == ksync.PathBatch && len(f.plan) > 0 {
		mode, f.plan = f.plan[0], f.plan[1:]
	}
	f.mu.Unlock()
	hijackClose := func() {
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = c.Close()
		}
	}
	switch mode {
	case "500":
		http.Error(w, "boom", http.StatusInternalServerError)
	case "reset-before": // connection dies before the collector sees the batch
		hijackClose()
	case "reset-after": // stored, but the reply is lost: the kiosk must re-send
		f.next.ServeHTTP(httptest.NewRecorder(), r)
		hijackClose()
	case "slow-after": // stored, answer never comes before the client gives up
		f.next.ServeHTTP(httptest.NewRecorder(), r)
		<-r.Context().Done()
	default:
		f.next.ServeHTTP(w, r)
	}
}

type env struct {
	pki  *synctest.PKI
	coll *collector.Server
	srv  *httptest.Server
	f    *faults
	j    *journal.Journal
	logs *bytes.Buffer
}

func newEnv(t testing.TB, start bool) *env {
	t.Helper()
	dir := t.TempDir()
	pki, err := synctest.GenerateTestPKI(dir, kioskID, "kiosk-02", "staff-ana")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{pki: pki, logs: &bytes.Buffer{}}
	log := slog.New(slog.NewTextHandler(lockedWriter{w: e.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.coll, err = collector.Open(dir, collector.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.coll.Close() })
	e.f = &faults{next: e.coll.Handler()}
	e.srv = httptest.NewUnstartedServer(e.f)
	e.srv.TLS, err = collector.ServerTLS(pki.CAFile, pki.ServerCert, pki.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Config.ErrorLog = stdlog.New(io.Discard, "", 0) // refused handshakes are expected here
	if start {
		e.srv.StartTLS()
	}
	t.Cleanup(e.srv.Close)
	e.j, err = journal.Open(filepath.Join(dir, "journal.db"), journal.Options{KioskID: kioskID, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.j.Close() })
	return e
}

type lockedWriter struct{ w *bytes.Buffer }

var logMu gosync.Mutex

func (l lockedWriter) Write(p []byte) (int, error) {
	logMu.Lock()
	defer logMu.Unlock()
	return l.w.Write(p)
}

func (e *env) client(t testing.TB, cn string, timeout time.Duration) *http.Client {
	t.Helper()
	c := e.pki.Clients[cn]
	tc, err := ksync.ClientTLS(e.pki.CAFile, c.Cert, c.Key)
	if err != nil {
		t.Fatal(err)
	}
	return ksync.NewHTTPClient(tc, timeout)
}

func (e *env) url() string { return "https://" + e.srv.Listener.Addr().String() }

func appendRecords(t testing.TB, j *journal.Journal, n int) {
	t.Helper()
	for i := range n {
		tries := 3
		r := kiosk.Record{Time: time.Now(), Kind: kiosk.TxChangeAuth, Outcome: kiosk.OutcomeOK, Card: kiosk.CardMyNumber,
			AuthTries: &tries, Reference: "R" + string(rune('A'+i%26))}
		if _, err := j.Append(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		jitter  float64
		want    time.Duration
	}{
		{1, 0, 500 * time.Millisecond},
		{1, 0.999999, 999999 * time.Microsecond},
		{2, 0, time.Second},
		{4, 1, 8 * time.Second},
		{30, 0, 30 * time.Second},
		{30, 1, time.Minute},
	}
	for _, tc := range tests {
		got := ksync.Backoff(tc.attempt, time.Second, time.Minute, tc.jitter)
		if got.Round(time.Millisecond) != tc.want.Round(time.Millisecond) {
			t.Errorf("Backoff(%d, jitter %v) = %v, want %v", tc.attempt, tc.jitter, got, tc.want)
		}
	}
}

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
			appendRecords(t, e.j, n)
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
			s, err := ksync.New(ksync.Config{
				BaseURL: "https://" + addr, Client: e.client(t, kioskID, timeout), KioskID: kioskID,
				Outbox: e.j, BatchSize: 7, MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond,
				OnServerTime: func(time.Time) { serverTimes++ },
				Health:       func() ksync.Health { return ksync.Health{ReaderPresent: true, PrinterState: "ok", Version: "test"} },
				// The injected clock never waits; it also decides when the test is over.
				After: func(d time.Duration) <-chan time.Time {
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
					if d, _ := e.j.Depth(); d == 0 || len(waits) > 100 {
						cancel()
					}
					ch := make(chan time.Time, 1)
					ch <- time.Time{}
					return ch
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Run(ctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("Run: %v", err)
			}
			if d, _ := e.j.Depth(); d != 0 {
				t.Fatalf("%d records still pending after %d waits", d, len(waits))
			}
			got, err := e.coll.Records(kioskID, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != n {
				t.Fatalf("collector holds %d records, want %d", len(got), n)
			}
			for i, r := range got {
				if r.Seq != uint64(i+1) {
					t.Fatalf("record %d has seq %d", i, r.Seq)
				}
			}
			if b := journal.VerifyChain(got, 0, journal.Genesis, nil); b != nil {
				t.Fatalf("collector's chain: %v", b)
			}
			ks, _ := e.coll.Kiosks()
			if len(ks) != 1 || len(ks[0].Flags) != 0 || ks[0].HeadSeq != n {
				t.Fatalf("kiosk state %+v", ks)
			}
			// The first heartbeat goes out at start; with the collector down it is lost.
			if tc.startLate == 0 && (ks[0].LastHeartbeat == nil || !ks[0].LastHeartbeat.ReaderPresent) {
				t.Fatalf("no heartbeat: %+v", ks[0])
			}
			st, _ := e.j.Status()
			if st.LastSync.IsZero() || st.CollectorTime.IsZero() || serverTimes == 0 {
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

func TestRefusals(t *testing.T) {
	e := newEnv(t, true)
	other, err := synctest.GenerateTestPKI(t.TempDir(), kioskID)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := ksync.LoadCAPool(e.pki.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	otherCert, err := tls.LoadX509KeyPair(other.Clients[kioskID].Cert, other.Clients[kioskID].Key)
	if err != nil {
		t.Fatal(err)
	}
	rec := kiosk.Record{Seq: 1, KioskID: kioskID, Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, PrevHash: journal.Genesis}
	rec.Hash = journal.HashRecord(rec, nil)
	batch := func(id string) []byte {
		b, _ := json.Marshal(ksync.Batch{KioskID: id, Records: []kiosk.Record{rec}})
		return b
	}
	tests := []struct {
		name     string
		client   *http.Client
		method   string
		path     string
		body     []byte
		wantCode int // 0: the TLS handshake must fail
	}{
		{"no client certificate", ksync.NewHTTPClient(&tls.Config{RootCAs: pool}, 5*time.Second), "POST", ksync.PathBatch, batch(kioskID), 0},
		{"certificate from another CA", ksync.NewHTTPClient(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{otherCert}}, 5*time.Second), "POST", ksync.PathBatch, batch(kioskID), 0},
		{"claims another kiosk's ID", e.client(t, "kiosk-02", 5*time.Second), "POST", ksync.PathBatch, batch(kioskID), http.StatusForbidden},
		{"records of another kiosk", e.client(t, "kiosk-02", 5*time.Second), "POST", ksync.PathBatch, bytes.ReplaceAll(batch(kioskID), []byte(`"kiosk_id":"kiosk-01","records"`), []byte(`"kiosk_id":"kiosk-02","records"`)), http.StatusBadRequest},
		{"heartbeat for another kiosk", e.client(t, "kiosk-02", 5*time.Second), "POST", ksync.PathHeartbeat, []byte(`{"kiosk_id":"kiosk-01"}`), http.StatusForbidden},
		{"kiosk reads the staff view", e.client(t, kioskID, 5*time.Second), "GET", ksync.PathKiosks, nil, http.StatusForbidden},
		{"kiosk reads records", e.client(t, kioskID, 5*time.Second), "GET", ksync.PathRecords + "?kiosk=kiosk-01", nil, http.StatusForbidden},
		{"staff reads the kiosks", e.client(t, "staff-ana", 5*time.Second), "GET", ksync.PathKiosks, nil, http.StatusOK},
		{"own batch", e.client(t, kioskID, 5*time.Second), "POST", ksync.PathBatch, batch(kioskID), http.StatusOK},
		{"staff reads csv", e.client(t, "staff-ana", 5*time.Second), "GET", ksync.PathRecords + "?kiosk=kiosk-01&format=csv", nil, http.StatusOK},
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
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.wantCode)
			}
		})
	}
	got, _ := e.coll.Records(kioskID, 0)
	if len(got) != 1 {
		t.Fatalf("collector holds %d records, want only the kiosk's own", len(got))
	}
}

func TestCollectorChecksChain(t *testing.T) {
	e := newEnv(t, true)
	c := e.client(t, kioskID, 5*time.Second)
	mk := func(seq uint64, prev, detail string) kiosk.Record {
		r := kiosk.Record{Seq: seq, KioskID: kioskID, Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, PrevHash: prev, Detail: detail}
		r.Hash = journal.HashRecord(r, nil)
		return r
	}
	r1 := mk(1, journal.Genesis, "")
	r2 := mk(2, r1.Hash, "")
	edited := r2
	edited.Outcome = kiosk.OutcomeLocked // hash not recomputed
	tests := []struct {
		name      string
		recs      []kiosk.Record
		wantCode  int
		wantAcked uint64
		wantFlag  string
	}{
		{"first", []kiosk.Record{r1}, 200, 1, ""},
		{"edited record", []kiosk.Record{edited}, 409, 1, "bad_hash"},
		{"broken link", []kiosk.Record{mk(2, strings.Repeat("1", 64), "")}, 409, 1, "chain_break"},
		{"good then duplicate", []kiosk.Record{r1, r2, r2}, 200, 2, ""},
		{"conflicting re-send", []kiosk.Record{mk(2, r1.Hash, "other")}, 409, 2, "conflict"},
		{"gap inside a batch", []kiosk.Record{mk(3, r2.Hash, ""), mk(5, r2.Hash, "")}, 400, 3, ""},
		{"gap at batch start (released by export)", []kiosk.Record{mk(9, strings.Repeat("2", 64), "")}, 200, 9, "gap"},
	}
	for _, tc := range tests {
		body, _ := json.Marshal(ksync.Batch{KioskID: kioskID, Records: tc.recs})
		resp, err := c.Post(e.url()+ksync.PathBatch, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var rep ksync.Reply
		_ = json.NewDecoder(resp.Body).Decode(&rep)
		resp.Body.Close()
		if resp.StatusCode != tc.wantCode || rep.AckedSeq != tc.wantAcked {
			t.Fatalf("%s: status %d acked %d (%s), want %d acked %d", tc.name, resp.StatusCode, rep.AckedSeq, rep.Error, tc.wantCode, tc.wantAcked)
		}
		ks, _ := e.coll.Kiosks()
		if tc.wantFlag != "" {
			if f := ks[0].Flags; len(f) == 0 || f[len(f)-1].Kind != tc.wantFlag {
				t.Fatalf("%s: flags %+v, want %s last", tc.name, f, tc.wantFlag)
			}
		}
	}
}

// TestNoPersonalDataOnTheWire: records and heartbeats the kiosk sends, and
// both sides' logs, carry nothing of the resident. The canaries are what a
// session handles around a record (the PIN typed, a name from a signing
// certificate, a My Number); none may appear outside the hashes.
func TestNoPersonalDataOnTheWire(t *testing.T) {
	e := newEnv(t, true)
	canaries := []string{"7391", "739102", "ABC739", "山田", "Yamada", "1980-02-29", "123456789018", "千代田区"}
	forbiddenKeys := []string{"pin", "old_pin", "new_pin", "name", "address", "birth", "birth_date", "sex", "my_number", "individual_number"}
	tries := 2
	for _, r := range []kiosk.Record{
		{Kind: kiosk.TxChangeAuth, Outcome: kiosk.OutcomeWrongPIN, Card: kiosk.CardMyNumber, AuthTries: &tries, Reference: "K01-0001"},
		{Kind: kiosk.TxSignCheck, Outcome: kiosk.OutcomeOK, Card: kiosk.CardMyNumber, Status: "valid", CertRef: "c1f0e2", Reference: "K01-0002"},
		{Kind: kiosk.TxCardError, Outcome: kiosk.OutcomeUnknown, Detail: "outcome_unknown"},
	} {
		r.Time = time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
		if _, err := e.j.Append(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	s, err := ksync.New(ksync.Config{BaseURL: e.url(), Client: e.client(t, kioskID, 5*time.Second), KioskID: kioskID, Outbox: e.j,
		Logger: slog.New(slog.NewTextHandler(lockedWriter{w: e.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Heartbeat(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sent, acked, err := s.SyncOnce(context.Background()); err != nil || sent != 3 || acked != 3 {
		t.Fatalf("SyncOnce: %d %d %v", sent, acked, err)
	}
	hashes := regexp.MustCompile(`"(prev_)?hash":"[0-9a-f]{64}"`)
	e.f.mu.Lock()
	payloads := e.f.payloads
	e.f.mu.Unlock()
	if len(payloads) != 2 {
		t.Fatalf("%d payloads captured", len(payloads))
	}
	logMu.Lock()
	logs := e.logs.String()
	logMu.Unlock()
	for _, p := range append(payloads, []byte(logs)) {
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
