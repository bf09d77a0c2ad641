package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/boltstore"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// TestBatchOutcomes: each answer to a kiosk batch is counted under its
// outcome and, when refused, its reason; other paths are not counted.
func TestBatchOutcomes(t *testing.T) {
	st, err := boltstore.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := New(st, Options{})
	answers := []struct {
		path, body string
		code       int
	}{
		{ksync.PathBatch, `{"acked":[{"seq":1}]}`, 200},
		{ksync.PathBatch, `{"acked":[],"refused":[{"seq":2,"reason":"chain break"}]}`, 200},
		{ksync.PathBatch, `{"error":"down"}`, 503},
		{ksync.PathBatch, `{"error":"signature"}`, 403},
		{ksync.PathBatch, `{"error":"big"}`, 413},
		{ksync.PathBatch, `{"error":"malformed"}`, 400},
		{ksync.PathBatch, `boom`, 500},
		{ksync.PathHeartbeat, `{}`, 503}, // not a batch
	}
	for _, a := range answers {
		h := m.Batches(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(a.code)
			io.WriteString(w, a.body)
		}))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", a.path, nil))
	}
	m.Observer("ingest", 20*time.Millisecond, fmt.Errorf("%w: x", store.ErrUnavailable))
	m.Observer("kiosk", time.Millisecond, store.ErrNotFound) // an answer, not a failure
	m.Observer("mark", time.Millisecond, errors.New("disk"))
	rec := httptest.NewRecorder()
	m.Handler(st).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`collector_batches_total{outcome="stored"} 1`, `collector_batches_total{outcome="refused_in_part"} 1`,
		`collector_batches_total{outcome="unavailable"} 1`, `collector_batches_total{outcome="refused"} 3`,
		`collector_batches_total{outcome="error"} 1`, `collector_refusals_total{reason="forbidden"} 1`,
		`collector_refusals_total{reason="too_large"} 1`, `collector_refusals_total{reason="malformed"} 1`,
		`collector_refusals_total{reason="unavailable"} 1`, `collector_store_failures_total{kind="unavailable",op="ingest"} 1`,
		`collector_store_failures_total{kind="error",op="mark"} 1`, `collector_store_seconds_count{op="kiosk"} 1`,
		`collector_kiosks 0`, `collector_store_up 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("no %s in:\n%s", want, grepCollector(body))
		}
	}
	if strings.Contains(body, `op="kiosk",kind`) || strings.Contains(body, `kind="error",op="kiosk"`) {
		t.Errorf("not found counted as a failure")
	}
	rec = httptest.NewRecorder()
	m.Handler(st).ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 200 {
		t.Errorf("/readyz: %d %s", rec.Code, rec.Body)
	}
	st.Close()
	rec = httptest.NewRecorder()
	m.Handler(st).ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil).WithContext(context.Background()))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the store closed: %d %s", rec.Code, rec.Body)
	}
}

func grepCollector(body string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "collector_") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
