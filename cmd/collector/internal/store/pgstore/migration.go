package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// A migration into this database (collector migrate) is marked before
// its first row and unmarked only after the copy checked: a database with
// the mark holds half a store, which serve refuses and a new migrate
// empties before it starts again. The mark is a row of meta, committed on
// its own, so every collector on the database sees it at once.

const migrationKey = "migration_unfinished"

// ErrMigrationUnfinished: a migration into this database was cut off.
var ErrMigrationUnfinished = errors.New("a migration into this database did not finish")

// StartMigration marks the database as being migrated into (from says
// from what, for the message).
func (s *Store) StartMigration(ctx context.Context, from string, at time.Time) error {
	v := fmt.Sprintf("from %s, started %s", from, at.UTC().Format(time.RFC3339))
	_, err := s.pool.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, migrationKey, v)
	if err != nil {
		return fmt.Errorf("mark the migration: %w", err)
	}
	return nil
}

// FinishMigration removes the mark: the store is whole.
func (s *Store) FinishMigration(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM meta WHERE key = $1`, migrationKey); err != nil {
		return fmt.Errorf("unmark the migration: %w", err)
	}
	return nil
}

// UnfinishedMigration says what migration was cut off ("" for none).
func (s *Store) UnfinishedMigration(ctx context.Context) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT value FROM meta WHERE key = $1`, migrationKey).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("migration mark: %w", err)
	}
	return v, nil
}

// CheckWhole refuses a store holding a cut-off migration, saying how to
// finish it.
func (s *Store) CheckWhole(ctx context.Context) error {
	m, err := s.UnfinishedMigration(ctx)
	if err != nil || m == "" {
		return err
	}
	return fmt.Errorf("%w (%s): it holds part of the old store only and is not served. "+
		"Run the same collector migrate --data DIR --to … again (it empties this database and copies everything again), "+
		"and start the collector once it says \"migrated and checked\"", ErrMigrationUnfinished, m)
}

// WipeUnfinished empties a database holding a cut-off migration, in one
// transaction; it refuses one without the mark.
func (s *Store) WipeUnfinished(ctx context.Context) error {
	return s.tx(ctx, "empty the cut-off migration", func(tx pgx.Tx) error {
		var v string
		if err := tx.QueryRow(ctx, `SELECT value FROM meta WHERE key = $1 FOR UPDATE`, migrationKey).Scan(&v); err != nil {
			return fmt.Errorf("no cut-off migration to empty: %w", err)
		}
		_, err := tx.Exec(ctx, `TRUNCATE records, journals, flags, events, certs, marks, audit, kiosks`)
		return err
	})
}
