package migrate

import (
	"context"
	"fmt"
	"reflect"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/pgstore"
)

// heartbeatBefore is a store that keeps the last heartbeat of a kiosk's
// previous journal (both stores do; it is not part of store.Store).
type heartbeatBefore interface {
	HeartbeatBefore(ctx context.Context, kioskID string) (*store.Heartbeat, error)
}

// copyHeartbeatBefore carries it over, and checks it arrived: without it
// the new store could not tell staff what a journal the kiosk had left
// before the migration left unsent (store.UnsentAtEnd).
func copyHeartbeatBefore(ctx context.Context, src store.Store, dst *pgstore.Store, kioskID string) error {
	s, ok := src.(heartbeatBefore)
	if !ok {
		return nil
	}
	hb, err := s.HeartbeatBefore(ctx, kioskID)
	if err != nil {
		return fmt.Errorf("kiosk %s: %w", kioskID, err)
	}
	if err := dst.LoadHeartbeatBefore(ctx, kioskID, hb); err != nil {
		return err
	}
	got, err := dst.HeartbeatBefore(ctx, kioskID)
	if err != nil {
		return err
	}
	if (hb == nil) != (got == nil) || (hb != nil && !reflect.DeepEqual(hb.HB, got.HB)) {
		return fmt.Errorf("check: kiosk %s: the heartbeat before its current journal did not copy", kioskID)
	}
	return nil
}
