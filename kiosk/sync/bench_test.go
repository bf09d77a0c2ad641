package sync_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// BenchmarkSyncThroughput drains a backlog (10,000 records, or
// KIOSK_BENCH_BACKLOG) to an in-process collector over loopback TLS.
func BenchmarkSyncThroughput(b *testing.B) {
	n := 10000
	if v := os.Getenv("KIOSK_BENCH_BACKLOG"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, true)
		appendRecords(b, e.j, n)
		s, err := ksync.New(ksync.Config{BaseURL: e.url(), Client: e.client(b, kioskID, 30*time.Second), KioskID: kioskID, Outbox: e.j, BatchSize: 500})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		total := 0
		for {
			sent, _, err := s.SyncOnce(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			if sent == 0 {
				break
			}
			total += sent
		}
		el := time.Since(start)
		b.StopTimer()
		if total != n {
			b.Fatalf("sent %d of %d", total, n)
		}
		b.ReportMetric(float64(n)/el.Seconds(), "records/s")
		b.ReportMetric(float64(el.Milliseconds()), "drain-ms")
		st, _ := e.j.Status()
		b.ReportMetric(float64(st.FileSize)/1024, "journal-KiB")
		b.StartTimer()
	}
}
