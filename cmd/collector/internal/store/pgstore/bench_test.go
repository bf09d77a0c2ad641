package pgstore

import (
	"context"
	"testing"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/storetest"
)

func openBench(tb testing.TB) store.Store {
	s, err := Open(context.Background(), pg.NewSchema(tb), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func BenchmarkFleetIngest(b *testing.B) { storetest.BenchFleetIngest(b, openBench) }

// BenchmarkLookup: KIOSK_BENCH_RECORDS=1000000 for the README's figure.
func BenchmarkLookup(b *testing.B) { storetest.BenchLookup(b, openBench) }
