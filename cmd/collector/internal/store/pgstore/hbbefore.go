package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// HeartbeatBefore is the last heartbeat a kiosk sent from the journal
// before its current one (nil when none).
func (s *Store) HeartbeatBefore(ctx context.Context, kioskID string) (*store.Heartbeat, error) {
	var before *store.Heartbeat
	err := s.pool.QueryRow(ctx, `SELECT heartbeat_before FROM kiosks WHERE kiosk_id = $1`, kioskID).Scan(&before)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("heartbeat before: %w", err)
	}
	return before, nil
}

// LoadHeartbeatBefore writes a kiosk's heartbeat_before (collector
// migrate, after LoadKiosk).
func (s *Store) LoadHeartbeatBefore(ctx context.Context, kioskID string, hb *store.Heartbeat) error {
	if hb == nil {
		return nil
	}
	if _, err := s.pool.Exec(ctx, `UPDATE kiosks SET heartbeat_before = $2 WHERE kiosk_id = $1`, kioskID, hb); err != nil {
		return fmt.Errorf("load heartbeat before of %s: %w", kioskID, err)
	}
	return nil
}
