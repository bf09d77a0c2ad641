package sync_test

import (
	"context"
	"net/http"
	gosync "sync"
	"testing"
	"time"

	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// TestRetryAfterHonoured: a collector whose database is down answers 503
// with Retry-After; the syncer waits what it asks (plus at most a second
// of jitter) instead of backing off ever longer — so syncing resumes
// seconds after the database returns — and never longer than its cap.
func TestRetryAfterHonoured(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter string
		wantMin    time.Duration
		wantMax    time.Duration
	}{
		{"5 s asked", "5", 5 * time.Second, 6 * time.Second},
		{"an hour asked: capped", "3600", 20 * time.Second, 20 * time.Second},
		{"no Retry-After: the backoff grows", "", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newKioskEnv(t)
			appendRecords(t, e.j, 3)
			const downFor = 6
			var mu gosync.Mutex
			tries := 0
			e.coll.answer = func(w http.ResponseWriter, _ *http.Request, b ksync.Batch) {
				mu.Lock()
				tries++
				n := tries
				mu.Unlock()
				if n <= downFor {
					if tc.retryAfter != "" {
						w.Header().Set("Retry-After", tc.retryAfter)
					}
					writeJSON(w, 503, ksync.Reply{Error: "the collector's database cannot be reached"})
					return
				}
				writeJSON(w, 200, ksync.Reply{JournalID: b.JournalID, Acked: acksOf(b.Records), ServerTime: time.Now()})
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var waits []time.Duration
			s := e.syncer(t, 5*time.Second, func(c *ksync.Config) {
				c.MaxRetryAfter = 20 * time.Second
				c.HeartbeatEvery = time.Hour
				c.Jitter = func() float64 { return 0.5 }
				c.After = func(d time.Duration) <-chan time.Time {
					mu.Lock()
					waits = append(waits, d)
					if len(waits) > downFor {
						cancel() // the batch after the outage went through
					}
					mu.Unlock()
					ch := make(chan time.Time, 1)
					ch <- time.Now()
					return ch
				}
			})
			_ = s.Run(ctx)
			if n, _ := e.j.Depth(); n != 0 {
				t.Fatalf("%d records left after the collector's database returned", n)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(waits) < downFor {
				t.Fatalf("waits %v", waits)
			}
			for i, w := range waits[:downFor] {
				if tc.retryAfter == "" {
					if i == downFor-1 && w < 16*time.Second {
						t.Errorf("without Retry-After the backoff should grow: %v", waits)
					}
					continue
				}
				if w < tc.wantMin || w > tc.wantMax {
					t.Errorf("wait %d after a 503 with Retry-After %s: %v, want %v to %v (all: %v)", i+1, tc.retryAfter, w, tc.wantMin, tc.wantMax, waits)
				}
			}
		})
	}
}
