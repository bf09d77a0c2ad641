package boltstore

import (
	"os"
	"testing"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/storetest"
)

// openBench opens a store in a directory of its own; the lookup fixture
// outlives the first benchmark run, so not a b.TempDir.
func openBench(tb testing.TB) store.Store {
	dir, err := os.MkdirTemp("", "boltstore-bench-")
	if err != nil {
		tb.Fatal(err)
	}
	s, err := Open(dir, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func BenchmarkFleetIngest(b *testing.B) { storetest.BenchFleetIngest(b, openBench) }

// BenchmarkLookup: KIOSK_BENCH_RECORDS=1000000 for the README's figure.
func BenchmarkLookup(b *testing.B) { storetest.BenchLookup(b, openBench) }
