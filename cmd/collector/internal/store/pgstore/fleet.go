package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// The fleet (store.Fleet): the installed kiosks and the alerts to mail.
var fleetSchema = []string{
	`CREATE TABLE IF NOT EXISTS installed (
		kiosk_id text PRIMARY KEY,
		entry    jsonb NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS alerts (
		key      text PRIMARY KEY,
		queued   timestamptz NOT NULL,
		next_try timestamptz NOT NULL,
		sent     boolean NOT NULL DEFAULT false,
		alert    jsonb NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS alerts_pending ON alerts (queued) WHERE NOT sent`,
	`CREATE INDEX IF NOT EXISTS alerts_queued ON alerts (queued)`,
}

// Install implements store.Fleet.
func (s *Store) Install(ctx context.Context, k store.Installed) error {
	if err := k.Check(); err != nil {
		return fmt.Errorf("install: %w", err)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO installed (kiosk_id, entry) VALUES ($1, $2)
		ON CONFLICT (kiosk_id) DO UPDATE SET entry = EXCLUDED.entry`, k.KioskID, k)
	if err != nil {
		return fmt.Errorf("install %s: %w", k.KioskID, err)
	}
	return nil
}

// Uninstall implements store.Fleet.
func (s *Store) Uninstall(ctx context.Context, kioskID string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM installed WHERE kiosk_id = $1`, kioskID)
	switch {
	case err != nil:
		return fmt.Errorf("uninstall %s: %w", kioskID, err)
	case tag.RowsAffected() == 0:
		return fmt.Errorf("uninstall %s: %w", kioskID, store.ErrNotFound)
	}
	return nil
}

// Installed implements store.Fleet.
func (s *Store) Installed(ctx context.Context) ([]store.Installed, error) {
	rows, err := s.pool.Query(ctx, `SELECT entry FROM installed ORDER BY kiosk_id`)
	if err != nil {
		return nil, fmt.Errorf("installed kiosks: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[store.Installed])
	if err != nil {
		return nil, fmt.Errorf("installed kiosks: %w", err)
	}
	return out, nil
}

// QueueAlert implements store.Fleet.
func (s *Store) QueueAlert(ctx context.Context, a store.Alert) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO alerts (key, queued, next_try, alert) VALUES ($1, $2, $3, $4)
		ON CONFLICT (key) DO NOTHING`, a.Key, a.Queued, a.NextTry, a)
	if err != nil {
		return false, fmt.Errorf("queue alert: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// DueAlerts implements store.Fleet.
func (s *Store) DueAlerts(ctx context.Context, now time.Time, limit int) ([]store.Alert, error) {
	return s.alerts(ctx, `SELECT alert FROM alerts WHERE NOT sent AND next_try <= $1 ORDER BY queued, key LIMIT $2`, now, limitOrAll(limit))
}

// Alerts implements store.Fleet.
func (s *Store) Alerts(ctx context.Context, limit int) ([]store.Alert, error) {
	return s.alerts(ctx, `SELECT alert FROM alerts ORDER BY queued DESC, key DESC LIMIT $1`, limitOrAll(limit))
}

func limitOrAll(limit int) any {
	if limit <= 0 {
		return nil // LIMIT NULL: all
	}
	return limit
}

func (s *Store) alerts(ctx context.Context, q string, args ...any) ([]store.Alert, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[store.Alert])
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	return out, nil
}

// AlertDone implements store.Fleet.
func (s *Store) AlertDone(ctx context.Context, key string, try store.AlertTry) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var a store.Alert
		err := tx.QueryRow(ctx, `SELECT alert FROM alerts WHERE key = $1 FOR UPDATE`, key).Scan(&a)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("alert %q: %w", key, store.ErrNotFound)
		case err != nil:
			return fmt.Errorf("alert %q: %w", key, err)
		case !a.Sent.IsZero():
			return nil // sent already: a late second outcome changes nothing
		}
		a = a.Apply(try)
		_, err = tx.Exec(ctx, `UPDATE alerts SET next_try = $2, sent = $3, alert = $4 WHERE key = $1`, key, a.NextTry, !a.Sent.IsZero(), a)
		if err != nil {
			return fmt.Errorf("alert %q: %w", key, err)
		}
		return nil
	})
}

// LoadAlerts copies alerts as they are, sent or not (migration).
func (s *Store) LoadAlerts(ctx context.Context, as []store.Alert) error {
	for _, a := range as {
		_, err := s.pool.Exec(ctx, `INSERT INTO alerts (key, queued, next_try, sent, alert) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (key) DO NOTHING`, a.Key, a.Queued, a.NextTry, !a.Sent.IsZero(), a)
		if err != nil {
			return fmt.Errorf("load alert %q: %w", a.Key, err)
		}
	}
	return nil
}
