package boltstore

import (
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/storetest"
)

// TestFollowUpBackfill: a file from before the follow-up index (no bucket,
// no mark in meta) is indexed once on open.
func TestFollowUpBackfill(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	storetest.FollowUpBackfill(t, s, 500, func() {
		err := s.db.Update(func(tx *bolt.Tx) error {
			if err := tx.DeleteBucket(bFollowUps); err != nil {
				return err
			}
			return tx.Bucket(bMeta).Delete(kFollowUpsIndexed)
		})
		if err != nil {
			t.Fatal(err)
		}
	}, func() store.Store {
		s.Close()
		if s, err = Open(dir, nil); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
