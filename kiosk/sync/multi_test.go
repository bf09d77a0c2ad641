package sync_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// TestSeveralCollectors: the kiosk tries its collectors in order. One
// that does not answer, or answers 5xx (its database down), passes the
// batch to the next; a 4xx is the answer (the others would refuse too).
func TestSeveralCollectors(t *testing.T) {
	ok := func(w http.ResponseWriter, _ *http.Request, b ksync.Batch) {
		writeJSON(w, 200, ksync.Reply{JournalID: b.JournalID, Acked: acksOf(b.Records), ServerTime: time.Now()})
	}
	status := func(code int) func(http.ResponseWriter, *http.Request, ksync.Batch) {
		return func(w http.ResponseWriter, _ *http.Request, _ ksync.Batch) {
			writeJSON(w, code, ksync.Reply{Error: "no"})
		}
	}
	tests := []struct {
		name      string
		first     func(http.ResponseWriter, *http.Request, ksync.Batch) // nil: not listening
		wantLeft  int
		wantErr   string
		wantOther int // batches the second collector got
	}{
		{"the first takes it", ok, 0, "", 0},
		{"the first is off", nil, 0, "", 1},
		{"the first's database is down", status(503), 0, "", 1},
		{"the first refuses the kiosk", status(403), 4, "403 Forbidden", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newKioskEnv(t)
			appendRecords(t, e.j, 3)
			second := &collectorStub{answer: ok}
			second.srv = httptest.NewUnstartedServer(second)
			second.srv.TLS = e.coll.srv.TLS.Clone()
			second.srv.StartTLS()
			defer second.srv.Close()
			first := e.coll.url()
			if tc.first == nil {
				e.coll.srv.Close()
			} else {
				e.coll.answer = tc.first
			}
			s := e.syncer(t, 5*time.Second, func(c *ksync.Config) { c.BaseURL, c.MoreURLs = first, []string{second.url()} })
			_, _, err := s.SyncOnce(context.Background())
			if (tc.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("SyncOnce: %v, want %q", err, tc.wantErr)
			}
			if n, _ := e.j.Depth(); n != tc.wantLeft {
				t.Errorf("%d records left, want %d", n, tc.wantLeft)
			}
			second.mu.Lock()
			defer second.mu.Unlock()
			if len(second.bodies) != tc.wantOther {
				t.Errorf("the second collector got %d batches, want %d", len(second.bodies), tc.wantOther)
			}
		})
	}
}
