package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	stdlog "log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/server"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/boltstore"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/sync/pki"
	"github.com/villagehall/kiosk/kiosk/sync/synctest"
)

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

// env is a collector (real store, real server, real HTTPS with client
// certificates on loopback) and the village CA that certifies its kiosks.
type env struct {
	dir  string
	ca   *pki.CA
	st   *boltstore.Store
	srv  *httptest.Server
	f    *faults
	logs *synctest.LogBuffer
	log  *slog.Logger

	mu    gosync.Mutex
	certs map[string]*pki.Issued
}

func newEnv(t testing.TB, start bool) *env {
	t.Helper()
	ca, err := pki.NewCA("test village CA", pki.ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{dir: t.TempDir(), ca: ca, logs: &synctest.LogBuffer{}, certs: map[string]*pki.Issued{}}
	e.log = slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if e.st, err = boltstore.Open(e.dir, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.st.Close() })
	e.f = &faults{next: server.New(e.st, server.Options{CAPool: ca.Pool(), Logger: e.log}).Handler()}
	e.srv = httptest.NewUnstartedServer(e.f)
	sc, err := ca.Server()
	if err != nil {
		t.Fatal(err)
	}
	e.srv.TLS = server.NewTLSConfig(sc.TLS(), ca.Pool())
	e.srv.Config.ErrorLog = stdlog.New(io.Discard, "", 0) // refused handshakes are expected here
	if start {
		e.srv.StartTLS()
	}
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) url() string { return "https://" + e.srv.Listener.Addr().String() }

// cert issues (once) the client certificate of cn.
func (e *env) cert(t testing.TB, cn string) *pki.Issued {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.certs[cn]; ok {
		return c
	}
	c, err := e.ca.Client(cn)
	if err != nil {
		t.Fatal(err)
	}
	e.certs[cn] = c
	return c
}

func (e *env) identity(t testing.TB, cn string) *ksync.Identity {
	t.Helper()
	id, err := ksync.NewIdentity(e.cert(t, cn).TLS())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *env) client(t testing.TB, cn string, timeout time.Duration) *http.Client {
	t.Helper()
	return ksync.NewHTTPClient(e.identity(t, cn).ClientTLS(e.ca.Pool()), timeout)
}

func (e *env) journal(t testing.TB, kioskID, name string) *journal.Journal {
	t.Helper()
	j, err := journal.Open(filepath.Join(e.dir, name), journal.Options{KioskID: kioskID, Logger: e.log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func (e *env) syncer(t testing.TB, kioskID string, j ksync.Outbox, mod func(*ksync.Config)) *ksync.Syncer {
	t.Helper()
	id := e.identity(t, kioskID)
	cfg := ksync.Config{BaseURL: e.url(), Client: ksync.NewHTTPClient(id.ClientTLS(e.ca.Pool()), 5*time.Second), KioskID: kioskID,
		Signer: id.Signer, Outbox: j, Logger: e.log}
	if mod != nil {
		mod(&cfg)
	}
	s, err := ksync.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// drain syncs until nothing is pending or the syncer fails.
func drain(t testing.TB, s *ksync.Syncer) {
	t.Helper()
	for range 1000 {
		sent, _, err := s.SyncOnce(context.Background())
		if err != nil {
			t.Fatalf("sync: %v", err)
		}
		if sent == 0 {
			return
		}
	}
	t.Fatal("sync never drained")
}

// get is a staff read; it decodes JSON into v and returns the status.
func (e *env) get(t testing.TB, cn, path string, v any) int {
	t.Helper()
	resp, err := e.client(t, cn, 5*time.Second).Get(e.url() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	return resp.StatusCode
}

func (e *env) post(t testing.TB, c *http.Client, path string, body []byte) (int, ksync.Reply) {
	t.Helper()
	resp, err := c.Post(e.url()+path, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep ksync.Reply
	_ = json.NewDecoder(resp.Body).Decode(&rep)
	return resp.StatusCode, rep
}

func appendRecords(t testing.TB, j *journal.Journal, n int) []kiosk.Record {
	t.Helper()
	var out []kiosk.Record
	for i := range n {
		tries := 3
		r, err := j.Append(context.Background(), kiosk.Record{Kind: kiosk.TxChangeAuth, Outcome: kiosk.OutcomeOK,
			Card: kiosk.CardMyNumber, AuthTries: &tries, Status: string(kiosk.Codes[i%7])})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}
