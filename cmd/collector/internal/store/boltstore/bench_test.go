package boltstore

import (
	"sync"
	"testing"

	"github.com/villagehall/kiosk/cmd/collector/internal/store/storetest"
	"github.com/villagehall/kiosk/kiosk"
)

func BenchmarkFleetIngest(b *testing.B) {
	s, err := Open(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchFleetIngest(b, s)
}

var lookup struct {
	once sync.Once
	s    *Store
	refs []kiosk.Ref
}

// BenchmarkLookup searches by reference over storetest.BenchRecords()
// records (KIOSK_BENCH_RECORDS=1000000 for the README's figure).
func BenchmarkLookup(b *testing.B) {
	lookup.once.Do(func() {
		s, err := Open(b.TempDir(), nil)
		if err != nil {
			b.Fatal(err)
		}
		lookup.s, lookup.refs = s, storetest.FillForLookup(b, s)
	})
	storetest.BenchLookup(b, lookup.s, lookup.refs)
}
