package boltstore

import (
	"context"

	bolt "go.etcd.io/bbolt"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// HeartbeatBefore is the last heartbeat a kiosk sent from the journal
// before its current one (nil when none): what it left unsent there.
// collector migrate copies it.
func (s *Store) HeartbeatBefore(ctx context.Context, kioskID string) (*store.Heartbeat, error) {
	var before *store.Heartbeat
	err := s.view(ctx, func(tx *bolt.Tx) error {
		k := tx.Bucket(bKiosks).Bucket([]byte(kioskID))
		if k == nil {
			return nil
		}
		var err error
		_, before, err = heartbeats(k)
		return err
	})
	return before, err
}
