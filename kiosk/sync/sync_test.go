package sync_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/sync/pki"
	"github.com/villagehall/kiosk/kiosk/sync/synctest"
)

const kioskID = "K01"

// collectorStub is a real HTTPS server on loopback that demands a client
// certificate from the village CA and answers batches as answer says.
type collectorStub struct {
	srv    *httptest.Server
	mu     gosync.Mutex
	answer func(w http.ResponseWriter, r *http.Request, b ksync.Batch)
	bodies [][]byte
	paths  []string
	// gone is closed when the test ends, before the server closes: an
	// answer that must never come waits on it.
	gone chan struct{}
}

func (c *collectorStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.bodies, c.paths = append(c.bodies, body), append(c.paths, r.URL.Path)
	answer := c.answer
	c.mu.Unlock()
	if r.URL.Path == ksync.PathHeartbeat {
		writeJSON(w, 200, ksync.Reply{ServerTime: time.Now()})
		return
	}
	var b ksync.Batch
	_ = json.Unmarshal(body, &b)
	answer(w, r, b)
}

func (c *collectorStub) url() string { return "https://" + c.srv.Listener.Addr().String() }

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// kioskEnv is one kiosk: its identity from a fresh village CA, a real
// bbolt journal, and a collector stub.
type kioskEnv struct {
	ca   *pki.CA
	id   *ksync.Identity
	j    *journal.Journal
	coll *collectorStub
	logs *synctest.LogBuffer
}

func newKioskEnv(t testing.TB) *kioskEnv {
	t.Helper()
	ca, err := pki.NewCA("test village CA", pki.ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := ca.Client(kioskID)
	if err != nil {
		t.Fatal(err)
	}
	id, err := ksync.NewIdentity(cl.TLS())
	if err != nil {
		t.Fatal(err)
	}
	srvCert, err := ca.Server()
	if err != nil {
		t.Fatal(err)
	}
	e := &kioskEnv{ca: ca, id: id, coll: &collectorStub{gone: make(chan struct{})}, logs: &synctest.LogBuffer{}}
	e.coll.srv = httptest.NewUnstartedServer(e.coll)
	e.coll.srv.TLS = &tls.Config{Certificates: []tls.Certificate{srvCert.TLS()}, ClientCAs: ca.Pool(), ClientAuth: tls.RequireAndVerifyClientCert}
	e.coll.srv.Config.ErrorLog = stdlog.New(io.Discard, "", 0) // cut connections are the point here
	e.coll.srv.StartTLS()
	t.Cleanup(e.coll.srv.Close)
	t.Cleanup(func() { close(e.coll.gone) }) // runs first: a hanging answer ends
	e.j, err = journal.Open(filepath.Join(t.TempDir(), "journal.db"), journal.Options{KioskID: kioskID})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.j.Close() })
	return e
}

func (e *kioskEnv) syncer(t testing.TB, timeout time.Duration, mod func(*ksync.Config)) *ksync.Syncer {
	t.Helper()
	cfg := ksync.Config{
		BaseURL: e.coll.url(), Client: ksync.NewHTTPClient(e.id.ClientTLS(e.ca.Pool()), timeout), KioskID: kioskID,
		Signer: e.id.Signer, Outbox: e.j, BatchSize: 50,
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := ksync.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func appendRecords(t testing.TB, j *journal.Journal, n int) {
	t.Helper()
	for i := range n {
		tries := 3
		r := kiosk.Record{Kind: kiosk.TxChangeAuth, Outcome: kiosk.OutcomeOK, Card: kiosk.CardMyNumber,
			AuthTries: &tries, Status: fmt.Sprintf("s%d", i)}
		if _, err := j.Append(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
}

func acksOf(recs []kiosk.Record) []ksync.Ack {
	out := make([]ksync.Ack, len(recs))
	for i, r := range recs {
		out[i] = ksync.Ack{Seq: r.Seq, Hash: r.Hash}
	}
	return out
}

func hijackClose(w http.ResponseWriter) {
	if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
		_ = c.Close()
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

// TestSyncerReleasesOnlyAcknowledged drives one SyncOnce through every kind
// of answer a collector, a proxy or a broken network can give, and checks
// that exactly the records acknowledged by (journal, seq, hash) leave the
// journal: every other answer keeps them all, is an error naming the full
// URL, and shows in the journal's sync state.
func TestSyncerReleasesOnlyAcknowledged(t *testing.T) {
	const n = 9 // and the journal's start record: 10 pending
	type answer func(w http.ResponseWriter, r *http.Request, b ksync.Batch)
	ok := func(b ksync.Batch, acks []ksync.Ack) ksync.Reply {
		return ksync.Reply{JournalID: b.JournalID, Acked: acks, ServerTime: time.Now()}
	}
	status := func(code int, body string) answer {
		return func(w http.ResponseWriter, _ *http.Request, _ ksync.Batch) {
			w.WriteHeader(code)
			io.WriteString(w, body)
		}
	}
	tests := []struct {
		name        string
		answer      answer
		timeout     time.Duration
		wantRelease int    // records that may leave; 0 for every refusal
		wantErr     string // substring of the error ("" = success)
	}{
		{"200 acknowledging every record", func(w http.ResponseWriter, _ *http.Request, b ksync.Batch) {
			writeJSON(w, 200, ok(b, acksOf(b.Records)))
		}, 0, n + 1, ""},
		{"200 acknowledging the oldest four", func(w http.ResponseWriter, _ *http.Request, b ksync.Batch) {
			writeJSON(w, 200, ok(b, acksOf(b.Records[:4])))
		}, 0, 4, "released 4 of 10: record 5 was not acknowledged"},
		{"200 acknowledging the oldest four, refusing the fifth", func(w http.ResponseWriter, _ *http.Request, b ksync.Batch) {
			rep := ok(b, acksOf(b.Records[:4]))
			rep.Refused = []ksync.Refusal{{Seq: 5, Reason: "chain break"}}
			writeJSON(w, 200, rep)
		}, 0, 4, "record 5 refused: chain break"},
		{"200 acknowledging all but the oldest", func(w http.ResponseWriter, _ *http.Request, b ksync.Batch) {
			writeJSON(w, 200, ok(b, acksOf(b.Records[1:])))
		}, 0, 0, "record 1 was not acknowledged"},
		{"409 with acked_seq at the head (the re-created journal's old collector)", func(w http.ResponseWriter, _ *http.Request, b ksync.Batch) {
			writeJSON(w, 409, map[string]any{"acked_seq": 1000, "acked_hash": strings.Repeat("a", 64), "error": "record 1 differs from the one already held"})
		}, 0, 0, "409 Conflict"},
		{"409 with acked_seq equal to the batch's last", func(w http.ResponseWriter, _ *http.Request, b ksync.Batch) {
			last := b.Records[len(b.Records)-1]
			writeJSON(w, 409, map[string]any{"acked_seq": last.Seq, "acked_hash": last.Hash})
		}, 0, 0, "409 Conflict"},
		{"409 even with acknowledgements of every record", func(w http.ResponseWriter, _ *http.Request, b ksync.Batch) {
			writeJSON(w, 409, ok(b, acksOf(b.Records)))
		}, 0, 0, "409 Conflict"},
		{"400", status(400, `{"error":"malformed batch"}`), 0, 0, `400 Bad Request: "malformed batch"`},
		{"403", status(403, `{"error":"kiosk ID does not match the client certificate"}`), 0, 0, "403 Forbidden"},
		{"404 (a path in the collector URL)", status(404, "404 page not found\n"), 0, 0, `404 Not Found: "404 page not found"`},
		{"413", status(413, "request entity too large"), 0, 0, "413 Request Entity Too Large"},
		{"500", status(500, "boom"), 0, 0, "500 Internal Server Error"},
		{"502 from a proxy, HTML", status(502, "<html><body>Bad Gateway</body></html>"), 0, 0, "502 Bad Gateway"},
		{"503 with a reply acknowledging everything", func(w http.ResponseWriter, _ *http.Request, b ksync.Batch) {
			writeJSON(w, 503, ok(b, acksOf(b.Records)))
		}, 0, 0, "503 Service Unavailable"},
		{"307 redirect elsewhere", func(w http.ResponseWriter, r *http.Request, _ ksync.Batch) {
			http.Redirect(w, r, "/v1/other", http.StatusTemporaryRedirect)
		}, 0, 0, "307 Temporary Redirect"},
		{"200, body cut off", func(w http.ResponseWriter, _ *http.Request, b ksync.Batch) {
			full, _ := json.Marshal(ok(b, acksOf(b.Records)))
			w.Header().Set("Content-Length", fmt.Sprint(len(full)))
			w.WriteHeader(200)
			w.Write(full[:len(full)/2])
			w.(http.Flusher).Flush()
			hijackClose(w)
		}, 0, 0, "reply cut off"},
		{"200, garbage body", status(200, "\x00\x01garbage\xff"), 0, 0, "no readable reply"},
		{"200, empty body", status(200, ""), 0, 0, "no readable reply"},
		{"200, a reply and then more", func(w http.ResponseWriter, _ *http.Request, b ksync.Batch) {
			full, _ := json.Marshal(ok(b, acksOf(b.Records)))
			w.WriteHeader(200)
			w.Write(append(full, []byte(`{"acked":[]}`)...))
		}, 0, 0, "more than one JSON value"},
		{"200 acknowledging someone else's hashes", func(w http.ResponseWriter, _ *http.Request, b ksync.Batch) {
			acks := acksOf(b.Records)
			for i := range acks {
				acks[i].Hash = strings.Repeat("b", 64)
			}
			writeJSON(w, 200, ok(b, acks))
		}, 0, 0, "10 acknowledgements were not of records sent"},
		{"200 acknowledging another journal", func(w http.ResponseWriter, _ *http.Request, b ksync.Batch) {
			rep := ok(b, acksOf(b.Records))
			rep.JournalID = kiosk.NewJournalID()
			writeJSON(w, 200, rep)
		}, 0, 0, "acknowledged journal"},
		{"200 from an old collector (acked_seq, no journal)", func(w http.ResponseWriter, _ *http.Request, b ksync.Batch) {
			last := b.Records[len(b.Records)-1]
			writeJSON(w, 200, map[string]any{"acked_seq": last.Seq, "acked_hash": last.Hash})
		}, 0, 0, `acknowledged journal ""`},
		{"200 acknowledging sequences not sent", func(w http.ResponseWriter, _ *http.Request, b ksync.Batch) {
			writeJSON(w, 200, ok(b, []ksync.Ack{{Seq: 500, Hash: b.Records[0].Hash}, {Seq: 0, Hash: ""}}))
		}, 0, 0, "2 acknowledgements were not of records sent"},
		{"connection cut before any answer", func(w http.ResponseWriter, _ *http.Request, _ ksync.Batch) {
			hijackClose(w)
		}, 0, 0, "EOF"},
		{"no answer before the client gives up", nil, 300 * time.Millisecond, 0, "Client.Timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newKioskEnv(t)
			e.coll.answer = tc.answer
			if tc.answer == nil {
				// Never an answer, not even when the request's context
				// ends on the server's side first (it did once under
				// -race: the stub returned, the server said 200 with no
				// body, and the client read that before its timeout).
				e.coll.answer = func(http.ResponseWriter, *http.Request, ksync.Batch) { <-e.coll.gone }
			}
			appendRecords(t, e.j, n)
			before, err := e.j.Pending(0)
			if err != nil || len(before) != n+1 {
				t.Fatalf("pending %d, %v", len(before), err)
			}
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 10 * time.Second
			}
			s := e.syncer(t, timeout, nil)
			sent, released, err := s.SyncOnce(context.Background())
			if sent != n+1 || released != tc.wantRelease {
				t.Errorf("sent %d released %d, want %d released %d", sent, released, n+1, tc.wantRelease)
			}
			after, _ := e.j.Pending(0)
			if len(after) != len(before)-tc.wantRelease {
				t.Fatalf("%d records left in the journal, want %d", len(after), len(before)-tc.wantRelease)
			}
			// What left is exactly the oldest wantRelease records; the rest are untouched.
			for i, r := range after {
				if b := before[tc.wantRelease+i]; r.Seq != b.Seq || r.Hash != b.Hash {
					t.Fatalf("record %d changed", r.Seq)
				}
			}
			st, _ := e.j.Status()
			wantURL := e.coll.url() + ksync.PathBatch
			if tc.wantErr == "" {
				if err != nil || st.Sync.LastError != "" || st.Sync.LastSuccess.IsZero() {
					t.Fatalf("SyncOnce: %v, sync state %+v", err, st.Sync)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("SyncOnce error %v, want it to say %q", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), wantURL) {
				t.Errorf("error %q does not name the URL %s", err, wantURL)
			}
			if st.Sync.Failures != 1 || st.Sync.LastError != err.Error() || st.Sync.ErrorSince.IsZero() {
				t.Errorf("journal sync state %+v, want the failure", st.Sync)
			}
			if s.State().LastError != err.Error() {
				t.Errorf("syncer state %+v", s.State())
			}
		})
	}
}

// TestRunKeepsRecordsAndBacksOff: Run against a collector answering 404
// keeps every record, waits longer each time, logs the full URL, and shows
// the failure in the heartbeat that still gets through.
func TestRunKeepsRecordsAndBacksOff(t *testing.T) {
	e := newKioskEnv(t)
	e.coll.answer = func(w http.ResponseWriter, _ *http.Request, _ ksync.Batch) { http.NotFound(w, nil) }
	appendRecords(t, e.j, 5)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var waits []time.Duration
	s := e.syncer(t, 5*time.Second, func(c *ksync.Config) {
		c.MinBackoff, c.MaxBackoff, c.HeartbeatEvery = time.Second, time.Minute, time.Hour
		c.Jitter = func() float64 { return 0 }
		c.Health = func() ksync.Health {
			return ksync.Health{ReaderPresent: true, PrinterState: "paper_out", Version: "test",
				Update:  &ksync.UpdateStatus{Phase: "failed", Version: "v2", Reason: "trial_failed"},
				Devices: []ksync.DeviceHealth{{Name: ksync.DeviceReader, State: ksync.StateOK}, {Name: ksync.DevicePrinter, State: ksync.StatePaperOut}}}
		}
		c.After = func(d time.Duration) <-chan time.Time {
			waits = append(waits, d)
			if len(waits) == 4 {
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
	if d, _ := e.j.Depth(); d != 6 {
		t.Fatalf("%d records left, want all 6", d)
	}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("waits %v, want %v", waits, want)
	}
	logs := e.logs.String()
	if strings.Count(logs, `"url":"`+e.coll.url()+`/v1/batch"`) != 4 || !strings.Contains(logs, "404 Not Found") {
		t.Errorf("log does not show each failure with the full URL:\n%s", logs)
	}
	// A heartbeat after the failures carries them.
	if err := s.Heartbeat(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.coll.mu.Lock()
	last := e.coll.bodies[len(e.coll.bodies)-1]
	e.coll.mu.Unlock()
	var hb ksync.Heartbeat
	if err := json.Unmarshal(last, &hb); err != nil {
		t.Fatal(err)
	}
	if hb.Sync.Unsent != 6 || hb.Sync.Failures != 4 || !strings.Contains(hb.Sync.LastError, e.coll.url()+"/v1/batch") ||
		hb.Sync.OldestUnsent.IsZero() || hb.JournalID != e.j.JournalID() || hb.JournalDepth != 6 {
		t.Errorf("heartbeat sync state %+v", hb.Sync)
	}
	if hb.Update == nil || hb.Update.Phase != "failed" || hb.Update.Reason != "trial_failed" || hb.Update.Version != "v2" {
		t.Errorf("heartbeat update %+v", hb.Update)
	}
	if len(hb.Devices) != 2 || hb.Devices[1].State != ksync.StatePaperOut || hb.Devices[1].Since.IsZero() || !hb.ReaderPresent {
		t.Errorf("heartbeat devices %+v", hb.Devices)
	}
	// A kiosk restarted goes on telling the failure the journal recorded.
	again := e.syncer(t, 5*time.Second, nil)
	if st := again.State(); st.Failures != 4 || !strings.Contains(st.LastError, "404") {
		t.Errorf("restarted syncer's state %+v", st)
	}
}

// TestHeartbeatDeviceSince: a device's Since stays while its state does,
// and moves when it changes.
func TestHeartbeatDeviceSince(t *testing.T) {
	e := newKioskEnv(t)
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	state := ksync.StateOK
	s := e.syncer(t, 5*time.Second, func(c *ksync.Config) {
		c.Now = func() time.Time { return now }
		c.Health = func() ksync.Health {
			return ksync.Health{Devices: []ksync.DeviceHealth{{Name: ksync.DevicePrinter, State: state}}}
		}
	})
	var sinces []time.Time
	for i, st := range []string{ksync.StateOK, ksync.StateOK, ksync.StatePaperOut, ksync.StatePaperOut} {
		state, now = st, now.Add(time.Duration(i)*time.Minute)
		if err := s.Heartbeat(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.coll.mu.Lock()
		var hb ksync.Heartbeat
		json.Unmarshal(e.coll.bodies[len(e.coll.bodies)-1], &hb)
		e.coll.mu.Unlock()
		sinces = append(sinces, hb.Devices[0].Since)
	}
	if !sinces[0].Equal(sinces[1]) || sinces[2].Equal(sinces[1]) || !sinces[2].Equal(sinces[3]) {
		t.Fatalf("since %v", sinces)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	e := newKioskEnv(t)
	base := ksync.Config{BaseURL: "https://collector.example.jp:8443", Client: http.DefaultClient, KioskID: kioskID, Signer: e.id.Signer, Outbox: e.j}
	tests := []struct {
		name string
		mod  func(*ksync.Config)
		want string
	}{
		{"a path in the URL", func(c *ksync.Config) { c.BaseURL = "https://collector.example.jp/v1/journal" }, `remove "/v1/journal"`},
		{"http", func(c *ksync.Config) { c.BaseURL = "http://collector.example.jp" }, "https://"},
		{"no signing key", func(c *ksync.Config) { c.Signer = nil }, "sign batches"},
		{"no outbox", func(c *ksync.Config) { c.Outbox = nil }, "outbox"},
	}
	for _, tc := range tests {
		c := base
		tc.mod(&c)
		if _, err := ksync.New(c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := ksync.New(base); err != nil {
		t.Fatal(err)
	}
}

// TestBatchIsSignedAndHoldsNothingPersonal: the batch on the wire carries
// the kiosk's signature over its chain head, and only record fields.
func TestBatchIsSignedAndHoldsNothingPersonal(t *testing.T) {
	e := newKioskEnv(t)
	e.coll.answer = func(w http.ResponseWriter, _ *http.Request, b ksync.Batch) {
		writeJSON(w, 200, ksync.Reply{JournalID: b.JournalID, Acked: acksOf(b.Records)})
	}
	appendRecords(t, e.j, 3)
	s := e.syncer(t, 5*time.Second, nil)
	if _, _, err := s.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.coll.mu.Lock()
	body := e.coll.bodies[0]
	e.coll.mu.Unlock()
	var b ksync.Batch
	if err := ksync.DecodeOne(bytes.NewReader(body), &b); err != nil {
		t.Fatal(err)
	}
	if err := ksync.VerifyHead(e.id.Cert, b.Head(), b.Signature); err != nil {
		t.Fatalf("batch signature: %v", err)
	}
	b.Records[1].Outcome = kiosk.OutcomeLocked
	synctest.Rechain(b.Records, 1) // an editor recomputes the hashes and the chain
	if br := journal.VerifyChain(b.Records, 0, journal.Genesis); br != nil {
		t.Fatalf("the edit did not keep the chain: %v", br)
	}
	if err := ksync.VerifyHead(e.id.Cert, b.Head(), b.Signature); !errors.Is(err, ksync.ErrBadSignature) {
		t.Fatalf("edited batch with a recomputed chain verified: %v", err)
	}
	var v map[string]any
	json.Unmarshal(body, &v)
	for k := range v {
		if k != "kiosk_id" && k != "journal_id" && k != "records" && k != "signature" {
			t.Errorf("unexpected batch field %q", k)
		}
	}
}

// TestRevokedSaysSo: the collector answers a revoked kiosk 403 with
// HeaderRefused (its handshake goes through so that the reason arrives);
// the kiosk says its certificate was revoked and what to do, keeps every
// record, and a 403 without that header stays a plain refusal. The same
// against the real collector: TestRefusedCertificateSaysSo in
// cmd/collector/internal/server.
func TestRevokedSaysSo(t *testing.T) {
	for _, tc := range []struct {
		name, header, want, not string
	}{
		{"revoked", ksync.RefusedRevoked, "the town hall revoked it; the town hall issues a new one, put in kiosk-keys/", ""},
		{"another 403", "", `403 Forbidden: "no"`, "revoked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newKioskEnv(t)
			e.coll.answer = func(w http.ResponseWriter, _ *http.Request, _ ksync.Batch) {
				if tc.header != "" {
					w.Header().Set(ksync.HeaderRefused, tc.header)
				}
				http.Error(w, "no", http.StatusForbidden)
			}
			appendRecords(t, e.j, 2)
			_, released, err := e.syncer(t, 5*time.Second, nil).SyncOnce(context.Background())
			if err == nil || released != 0 || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), ksync.PathBatch) ||
				(tc.not != "" && strings.Contains(err.Error(), tc.not)) {
				t.Fatalf("released %d, err %v; want one saying %q", released, err, tc.want)
			}
			if n, _ := e.j.Pending(100); len(n) != 3 {
				t.Errorf("%d records pending, want 3", len(n))
			}
		})
	}
}
