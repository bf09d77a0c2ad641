package journal

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// benchBacklog is the backlog size: 10,000 by default, KIOSK_BENCH_BACKLOG=100000 for the full run.
func benchBacklog(b *testing.B) int {
	if v := os.Getenv("KIOSK_BENCH_BACKLOG"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("KIOSK_BENCH_BACKLOG: %v", err)
		}
		return n
	}
	return 10000
}

// BenchmarkAppend measures durable (fsynced) appends per second.
func BenchmarkAppend(b *testing.B) {
	j, err := Open(filepath.Join(b.TempDir(), "j.db"), Options{KioskID: "kiosk-01"})
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	ctx := context.Background()
	i := 0
	start := time.Now()
	for b.Loop() {
		if _, err := j.Append(ctx, rec(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/time.Since(start).Seconds(), "appends/s")
}

// BenchmarkDrainBacklog measures releasing a backlog the way the syncer
// does (Pending + Release in batches of 200), then the file size before and
// after compaction.
func BenchmarkDrainBacklog(b *testing.B) {
	n := benchBacklog(b)
	for b.Loop() {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "j.db")
		j, err := Open(path, Options{KioskID: "kiosk-01"})
		if err != nil {
			b.Fatal(err)
		}
		appendN(b, j, n)
		b.StartTimer()
		start := time.Now()
		for {
			p, err := j.Pending(200)
			if err != nil {
				b.Fatal(err)
			}
			if len(p) == 0 {
				break
			}
			if _, err := j.Release(j.JournalID(), acksOf(p)); err != nil {
				b.Fatal(err)
			}
		}
		drain := time.Since(start)
		b.StopTimer()
		before, _ := os.Stat(path)
		if _, err := j.Compact(true); err != nil {
			b.Fatal(err)
		}
		after, _ := os.Stat(path)
		b.ReportMetric(float64(n), "backlog")
		b.ReportMetric(float64(drain.Milliseconds()), "drain-ms")
		b.ReportMetric(float64(before.Size())/1024, "KiB-before-compact")
		b.ReportMetric(float64(after.Size())/1024, "KiB-after-compact")
		j.Close()
		b.StartTimer()
	}
}
