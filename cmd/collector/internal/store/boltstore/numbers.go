package boltstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// history/<kiosk>/<time><n>   store.HistoryEntry
var bHistory = []byte("history")

// VisitCounts implements store.Numbers: the records of the period, read
// through the kiosks' time indexes (a village's bbolt store is small).
func (s *Store) VisitCounts(ctx context.Context, from, to time.Time) ([]store.DayCount, error) {
	rs, err := s.Records(ctx, store.Query{From: from, To: to})
	if err != nil {
		return nil, fmt.Errorf("visit counts: %w", err)
	}
	n := map[[2]string]int{}
	for _, r := range rs {
		if slices.Contains(store.VisitKinds, r.Kind) {
			n[[2]string{r.KioskID, store.DayOf(r.Time)}]++
		}
	}
	out := make([]store.DayCount, 0, len(n))
	for k, v := range n {
		out = append(out, store.DayCount{KioskID: k[0], Day: k[1], Visits: v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].KioskID != out[j].KioskID {
			return out[i].KioskID < out[j].KioskID
		}
		return out[i].Day < out[j].Day
	})
	return out, nil
}

// AddHistory implements store.Numbers.
func (s *Store) AddHistory(ctx context.Context, h store.HistoryEntry) error {
	return s.update(ctx, "add history", func(tx *bolt.Tx) error {
		hb, err := tx.CreateBucketIfNotExists(bHistory)
		if err != nil {
			return err
		}
		kb, err := hb.CreateBucketIfNotExists([]byte(h.KioskID))
		if err != nil {
			return err
		}
		seq, err := kb.NextSequence()
		if err != nil {
			return err
		}
		key := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, uint64(h.Time.UnixNano())), seq)
		return putJSON(kb, key, h)
	})
}

// History implements store.Numbers.
func (s *Store) History(ctx context.Context, kioskID string, limit int) ([]store.HistoryEntry, error) {
	var out []store.HistoryEntry
	err := s.view(ctx, func(tx *bolt.Tx) error {
		hb := tx.Bucket(bHistory)
		if hb == nil || hb.Bucket([]byte(kioskID)) == nil {
			return nil
		}
		kb := hb.Bucket([]byte(kioskID))
		c := kb.Cursor()
		for k, _ := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, _ = c.Prev() {
			var h store.HistoryEntry
			if _, err := getJSON(kb, k, &h); err != nil {
				return err
			}
			out = append(out, h)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", kioskID, err)
	}
	return out, nil
}
