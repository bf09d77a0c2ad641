package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
)

// Fleet benchmarks, the same for every store: 1,000 kiosks, each with its
// own journal, sending batches at once (16 at a time, as a collector's
// connections would); and the staff's search by reference number over a
// store of BenchRecords() records.

const (
	FleetKiosks = 1000
	fleetBatch  = 50
	fleetConns  = 16
)

// BenchRecords is how many records the search benchmark stores:
// KIOSK_BENCH_RECORDS, default 100,000 (1,000,000 takes minutes to fill).
func BenchRecords() int {
	if n, err := strconv.Atoi(os.Getenv("KIOSK_BENCH_RECORDS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// fleetChain is one kiosk's day: n records, status checks mostly.
func fleetChain(kioskID, journalID string, n int, t0 time.Time) []kiosk.Record {
	out := make([]kiosk.Record, n)
	prev := journal.Genesis
	tries := 3
	for i := range out {
		r := kiosk.Record{Seq: uint64(i + 1), Time: t0.Add(time.Duration(i) * time.Minute), KioskID: kioskID, JournalID: journalID,
			Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Card: kiosk.CardMyNumber, Status: "valid", AuthTries: &tries, PrevHash: prev}
		if i == 0 {
			r = kiosk.Record{Seq: 1, Time: t0, KioskID: kioskID, JournalID: journalID, Kind: kiosk.TxSystem, Outcome: kiosk.OutcomeOK,
				Detail: journal.DetailJournalNew, PrevHash: prev}
		}
		r.Hash = journal.HashRecord(r)
		prev = r.Hash
		out[i] = r
	}
	return out
}

// fill ingests perKiosk records for each of kiosks kiosks, fleetConns
// batches at a time, and returns each batch's latency.
func fill(tb testing.TB, s store.Store, kiosks, perKiosk, batch int, t0 time.Time) []time.Duration {
	type job struct {
		id, jid string
		recs    []kiosk.Record
	}
	jobs := make(chan job)
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	errs := make(chan error, fleetConns)
	for range fleetConns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for j := range jobs {
				start := time.Now()
				res, err := s.Ingest(context.Background(), store.Ingest{KioskID: j.id, JournalID: j.jid, Records: j.recs, Source: store.SourceSync, At: t0})
				if err == nil && len(res.Refused) > 0 {
					err = fmt.Errorf("%s refused %v", j.id, res.Refused[0])
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					continue
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	chains := make([][]kiosk.Record, kiosks)
	jids := make([]string, kiosks)
	for k := range chains {
		jids[k] = kiosk.NewJournalID()
		chains[k] = fleetChain(fmt.Sprintf("B%04d", k), jids[k], perKiosk, t0)
	}
	// Round by round: every kiosk's next batch, as a fleet syncing at once.
	for lo := 0; lo < perKiosk; lo += batch {
		for k := range chains {
			jobs <- job{fmt.Sprintf("B%04d", k), jids[k], chains[k][lo:min(lo+batch, perKiosk)]}
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		tb.Fatal(err)
	default:
	}
	return lat
}

func p99(lat []time.Duration) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	return lat[len(lat)*99/100]
}

// BenchOpener opens a fresh, empty store for a benchmark.
type BenchOpener func(tb testing.TB) store.Store

// BenchFleetIngest: a prefecture's day, 1,000 kiosks × 200 records in
// batches of 50, per iteration (a new day in the same store).
func BenchFleetIngest(b *testing.B, open BenchOpener) {
	s := open(b)
	const perKiosk = 200
	var lat []time.Duration
	start := time.Now()
	for i := range b.N {
		lat = append(lat, fill(b, s, FleetKiosks, perKiosk, fleetBatch, T0.Add(time.Duration(i)*24*time.Hour))...)
	}
	el := time.Since(start)
	b.ReportMetric(float64(b.N*FleetKiosks*perKiosk)/el.Seconds(), "records/s")
	b.ReportMetric(float64(p99(lat).Microseconds())/1000, "p99-batch-ms")
	b.ReportMetric(0, "ns/op")
}

// fillForLookup stores BenchRecords() records from 1,000 kiosks and returns
// references to look up.
func fillForLookup(tb testing.TB, s store.Store) []kiosk.Ref {
	total := BenchRecords()
	per := max(total/FleetKiosks, 2)
	start := time.Now()
	fill(tb, s, FleetKiosks, per, 1000, T0)
	tb.Logf("filled %d records (%d kiosks × %d) in %v", per*FleetKiosks, FleetKiosks, per, time.Since(start).Round(time.Second))
	ks, err := s.Kiosks(context.Background())
	if err != nil || len(ks) != FleetKiosks {
		tb.Fatalf("%d kiosks %v", len(ks), err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	refs := make([]kiosk.Ref, 1000)
	for i := range refs {
		k := ks[rng.IntN(len(ks))]
		refs[i] = kiosk.Ref{KioskID: k.KioskID, JournalTag: kiosk.JournalTag(k.JournalID), Seq: uint64(1 + rng.IntN(per))}
	}
	return refs
}

// lookupFixture is filled once per test binary: the testing package runs a
// benchmark function more than once, and a million records take minutes.
var lookupFixture struct {
	once sync.Once
	s    store.Store
	refs []kiosk.Ref
}

// BenchLookup: the staff's search by a slip's reference number over
// BenchRecords() records from 1,000 kiosks; ms per search.
func BenchLookup(b *testing.B, open BenchOpener) {
	lookupFixture.once.Do(func() {
		lookupFixture.s = open(b)
		lookupFixture.refs = fillForLookup(b, lookupFixture.s)
	})
	s, refs := lookupFixture.s, lookupFixture.refs
	b.ResetTimer()
	for i := range b.N {
		fs, err := s.Lookup(context.Background(), refs[i%len(refs)])
		if err != nil || len(fs) != 1 {
			b.Fatalf("lookup %s: %d found, %v", refs[i%len(refs)], len(fs), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/search")
}
