package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

var numbersSchema = []string{
	`CREATE TABLE IF NOT EXISTS history (
		kiosk_id text NOT NULL,
		id       bigserial,
		time     timestamptz NOT NULL,
		entry    jsonb NOT NULL,
		PRIMARY KEY (kiosk_id, id))`,
	`CREATE INDEX IF NOT EXISTS history_kiosk_time ON history (kiosk_id, time DESC, id DESC)`,
}

// VisitCounts implements store.Numbers: counted in the database, by the
// JST day of the kiosk time, over the records_time index.
func (s *Store) VisitCounts(ctx context.Context, from, to time.Time) ([]store.DayCount, error) {
	kinds := make([]string, len(store.VisitKinds))
	for i, k := range store.VisitKinds {
		kinds[i] = string(k)
	}
	rows, err := s.pool.Query(ctx, `SELECT kiosk_id, to_char(time AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD') AS day, count(*)
		FROM records WHERE time >= $1 AND time < $2 AND kind = ANY($3)
		GROUP BY 1, 2 ORDER BY 1, 2`, from, to, kinds)
	if err != nil {
		return nil, fmt.Errorf("visit counts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.DayCount, error) {
		var d store.DayCount
		var n int64
		err := r.Scan(&d.KioskID, &d.Day, &n)
		d.Visits = int(n)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("visit counts: %w", err)
	}
	return out, nil
}

// AddHistory implements store.Numbers.
func (s *Store) AddHistory(ctx context.Context, h store.HistoryEntry) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO history (kiosk_id, time, entry) VALUES ($1, $2, $3)`, h.KioskID, h.Time, h); err != nil {
		return fmt.Errorf("add history: %w", err)
	}
	return nil
}

// History implements store.Numbers.
func (s *Store) History(ctx context.Context, kioskID string, limit int) ([]store.HistoryEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT entry FROM history WHERE kiosk_id = $1 ORDER BY time DESC, id DESC LIMIT $2`, kioskID, limitOrAll(limit))
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", kioskID, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[store.HistoryEntry])
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", kioskID, err)
	}
	return out, nil
}
