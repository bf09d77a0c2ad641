package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// The staff log (store.StaffLog). Both tables are append-only: the store
// never updates or deletes a row, and the audit chain shows anyone who did.
var staffSchema = []string{
	`CREATE TABLE IF NOT EXISTS marks (
		kiosk_id    text NOT NULL,
		journal_id  text NOT NULL,
		seq         bigint NOT NULL,
		record_time timestamptz NOT NULL,
		mark        jsonb NOT NULL,
		PRIMARY KEY (kiosk_id, journal_id, seq))`,
	`CREATE INDEX IF NOT EXISTS marks_time ON marks (record_time)`,
	`CREATE TABLE IF NOT EXISTS audit (
		seq   bigint PRIMARY KEY,
		entry jsonb NOT NULL)`,
}

// Mark implements store.StaffLog.
func (s *Store) Mark(ctx context.Context, m store.Mark) (store.Mark, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO marks (kiosk_id, journal_id, seq, record_time, mark) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING`, m.KioskID, m.JournalID, int64(m.Seq), m.RecordTime, m)
	if err != nil {
		return store.Mark{}, fmt.Errorf("mark: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return m, nil
	}
	old, err := s.MarkOf(ctx, m.KioskID, m.JournalID, m.Seq)
	if err != nil || old == nil {
		return store.Mark{}, fmt.Errorf("mark: read the first mark: %v", err)
	}
	return *old, store.ErrAlreadyMarked
}

// MarkOf implements store.StaffLog.
func (s *Store) MarkOf(ctx context.Context, kioskID, journalID string, seq uint64) (*store.Mark, error) {
	var m store.Mark
	err := s.pool.QueryRow(ctx, `SELECT mark FROM marks WHERE kiosk_id = $1 AND journal_id = $2 AND seq = $3`, kioskID, journalID, int64(seq)).Scan(&m)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mark of %s/%s/%d: %w", kioskID, journalID, seq, err)
	}
	return &m, nil
}

// Marks implements store.StaffLog.
func (s *Store) Marks(ctx context.Context, from, to time.Time) ([]store.Mark, error) {
	if to.IsZero() {
		to = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	rows, err := s.pool.Query(ctx, `SELECT mark FROM marks WHERE record_time >= $1 AND record_time < $2 ORDER BY record_time, kiosk_id, journal_id, seq`, from, to)
	if err != nil {
		return nil, fmt.Errorf("marks: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[store.Mark])
}

// AppendAudit implements store.StaffLog. The table lock makes appends one
// at a time, so each entry seals the one truly before it; its time is
// taken under the lock too, so times never go backwards.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) (store.AuditEntry, error) {
	err := s.tx(ctx, "append audit", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE audit IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		var prev *store.AuditEntry
		var last store.AuditEntry
		err := tx.QueryRow(ctx, `SELECT entry FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&last)
		switch {
		case err == nil:
			prev = &last
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		e.Time = store.AuditTime(s.now(), prev)
		e = store.SealAudit(prev, e)
		_, err = tx.Exec(ctx, `INSERT INTO audit (seq, entry) VALUES ($1, $2)`, int64(e.Seq), e)
		return err
	})
	if err != nil {
		return store.AuditEntry{}, err
	}
	return e, nil
}

// Audit implements store.StaffLog.
func (s *Store) Audit(ctx context.Context, afterSeq uint64, limit int) ([]store.AuditEntry, error) {
	sql, args := `SELECT entry FROM audit WHERE seq > $1 ORDER BY seq`, []any{int64(afterSeq)}
	if limit > 0 {
		sql += ` LIMIT $2`
		args = append(args, limit)
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[store.AuditEntry])
}
