package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	gosync "sync"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store/boltstore"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// memOutbox is a simulated kiosk's journal: a pre-built chain in memory
// that releases as the real journal does (oldest first, only records
// acknowledged by journal, seq and hash). The fleet benchmark measures the
// collector, not 1,000 SD cards.
type memOutbox struct {
	mu      gosync.Mutex
	id      string
	pending []kiosk.Record
}

func newMemOutbox(kioskID string, n int, t0 time.Time) *memOutbox {
	o := &memOutbox{id: kiosk.NewJournalID()}
	prev := journal.Genesis
	tries := 3
	for i := range n {
		r := kiosk.Record{Seq: uint64(i + 1), Time: t0.Add(time.Duration(i) * time.Second), KioskID: kioskID, JournalID: o.id,
			Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Card: kiosk.CardMyNumber, Status: "valid", AuthTries: &tries, PrevHash: prev}
		if i == 0 {
			r = kiosk.Record{Seq: 1, Time: t0, KioskID: kioskID, JournalID: o.id, Kind: kiosk.TxSystem, Outcome: kiosk.OutcomeOK,
				Detail: journal.DetailJournalNew, PrevHash: prev}
		}
		r.Hash = journal.HashRecord(r)
		prev = r.Hash
		o.pending = append(o.pending, r)
	}
	return o
}

func (o *memOutbox) JournalID() string { return o.id }

func (o *memOutbox) Pending(limit int) ([]kiosk.Record, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.pending[:min(limit, len(o.pending))]), nil
}

func (o *memOutbox) Release(journalID string, acks []ksync.Ack) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if journalID != o.id {
		return 0, journal.ErrOtherJournal
	}
	acked := map[uint64]string{}
	for _, a := range acks {
		acked[a.Seq] = a.Hash
	}
	n := 0
	for n < len(o.pending) && acked[o.pending[n].Seq] == o.pending[n].Hash {
		n++
	}
	o.pending = o.pending[n:]
	return n, nil
}

func (o *memOutbox) SetSynced(time.Time, time.Time) error  { return nil }
func (o *memOutbox) SetSyncFailed(time.Time, string) error { return nil }
func (o *memOutbox) Depth() (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.pending), nil
}

func envInt(b *testing.B, name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("%s=%q: want a positive number", name, v)
		}
		return n
	}
	return def
}

// BenchmarkFleet is a prefecture's day on one machine: KIOSK_FLEET_KIOSKS
// (1,000) simulated kiosks, each with its own certificate, TLS connection
// and journal of KIOSK_FLEET_RECORDS (200) records, send a heartbeat, their
// records in batches of 200 through the real syncer, and a heartbeat again,
// KIOSK_FLEET_PARALLEL (64) at a time, to one collector (real server, real
// bbolt store) over loopback HTTPS. It reports records per second, the p50
// and p99 latency of a batch and of a heartbeat, and the store's size per
// million records.
func BenchmarkFleet(b *testing.B) {
	kiosks := envInt(b, "KIOSK_FLEET_KIOSKS", 1000)
	perKiosk := envInt(b, "KIOSK_FLEET_RECORDS", 200)
	parallel := envInt(b, "KIOSK_FLEET_PARALLEL", 64)
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, true)
		type sim struct {
			id string
			o  *memOutbox
			s  *ksync.Syncer
		}
		t0 := time.Date(2026, 11, 25, 8, 30, 0, 0, time.UTC)
		sims := make([]sim, kiosks)
		for i := range sims {
			id := fmt.Sprintf("F%04d", i)
			o := newMemOutbox(id, perKiosk, t0)
			sims[i] = sim{id: id, o: o, s: e.syncer(b, id, o, func(c *ksync.Config) {
				c.Client = e.client(b, id, time.Minute)
				c.Logger = nil
				c.Health = func() ksync.Health {
					return ksync.Health{ReaderPresent: true, PrinterState: ksync.StateOK, Version: "bench",
						Devices: []ksync.DeviceHealth{{Name: ksync.DeviceReader, State: ksync.StateOK}, {Name: ksync.DevicePrinter, State: ksync.StateOK}}}
				}
			})}
		}
		var mu gosync.Mutex
		var batchLat, hbLat []time.Duration
		var failed []error
		sem := make(chan struct{}, parallel)
		var wg gosync.WaitGroup
		b.StartTimer()
		start := time.Now()
		for _, k := range sims {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				var bl, hl []time.Duration
				hb := func() error {
					t := time.Now()
					err := k.s.Heartbeat(context.Background())
					hl = append(hl, time.Since(t))
					return err
				}
				err := hb()
				for err == nil {
					t := time.Now()
					var sent int
					sent, _, err = k.s.SyncOnce(context.Background())
					if sent == 0 {
						break
					}
					bl = append(bl, time.Since(t))
				}
				if err == nil {
					err = hb()
				}
				mu.Lock()
				batchLat, hbLat = append(batchLat, bl...), append(hbLat, hl...)
				if err != nil {
					failed = append(failed, fmt.Errorf("%s: %w", k.id, err))
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		b.StopTimer()
		if len(failed) > 0 {
			b.Fatalf("%d kiosks failed, first: %v", len(failed), failed[0])
		}
		ks, err := e.st.Kiosks(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		total := 0
		for _, k := range ks {
			if k.Records != perKiosk || k.Gaps() != 0 || k.LastHeartbeat == nil {
				b.Fatalf("kiosk %s: %d records, %d gaps, heartbeat %v", k.KioskID, k.Records, k.Gaps(), k.LastHeartbeat != nil)
			}
			total += k.Records
		}
		if len(ks) != kiosks {
			b.Fatalf("%d kiosks at the collector, want %d", len(ks), kiosks)
		}
		fi, err := os.Stat(filepath.Join(e.dir, boltstore.FileName))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(total)/elapsed.Seconds(), "records/s")
		b.ReportMetric(elapsed.Seconds(), "s-total")
		b.ReportMetric(ms(pct(batchLat, 50)), "batch-p50-ms")
		b.ReportMetric(ms(pct(batchLat, 99)), "batch-p99-ms")
		b.ReportMetric(ms(pct(hbLat, 99)), "heartbeat-p99-ms")
		b.ReportMetric(float64(fi.Size())/float64(total)*1e6/(1<<20), "MiB-per-million-records")
		b.ReportMetric(float64(total), "records")
		b.StartTimer()
	}
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkSyncThroughput drains one kiosk's backlog (10,000 records, or
// KIOSK_BENCH_BACKLOG) from its real bbolt journal through the real syncer
// to the collector over loopback HTTPS, in batches of 500.
func BenchmarkSyncThroughput(b *testing.B) {
	n := envInt(b, "KIOSK_BENCH_BACKLOG", 10000)
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, true)
		j := e.journal(b, kioskID, "journal.db")
		appendRecords(b, j, n)
		s := e.syncer(b, kioskID, j, func(c *ksync.Config) { c.BatchSize, c.Client = 500, e.client(b, kioskID, time.Minute) })
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
		if total != n+1 {
			b.Fatalf("sent %d of %d", total, n+1)
		}
		b.ReportMetric(float64(total)/el.Seconds(), "records/s")
		b.ReportMetric(float64(el.Milliseconds()), "drain-ms")
		st, _ := j.Status()
		b.ReportMetric(float64(st.FileSize)/1024, "journal-KiB")
		b.StartTimer()
	}
}
