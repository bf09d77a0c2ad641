package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
)

// Loading copies another store's content as it is (collector migrate):
// journal states, flags, events and the audit log keep their times and
// chains exactly, which a replay through Ingest could not. It is only for
// an empty database, and the caller checks the copy afterwards.

// Empty reports whether the database holds nothing yet.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM kiosks) + (SELECT count(*) FROM audit) + (SELECT count(*) FROM marks)`).Scan(&n)
	return n == 0, err
}

// LoadKiosk writes a kiosk's heartbeat, journal states, flags and events.
func (s *Store) LoadKiosk(ctx context.Context, k store.KioskState) error {
	return s.tx(ctx, "load kiosk "+k.KioskID, func(tx pgx.Tx) error {
		var hb *store.Heartbeat
		if k.LastHeartbeat != nil {
			hb = &store.Heartbeat{HB: *k.LastHeartbeat, ReceivedAt: k.HeartbeatAt}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO kiosks (kiosk_id, heartbeat, heartbeat_at) VALUES ($1, $2, $3)`, k.KioskID, hb, nullTime(k.HeartbeatAt)); err != nil {
			return err
		}
		for _, j := range k.Journals {
			if err := putState(ctx, tx, j); err != nil {
				return err
			}
		}
		for _, f := range k.Flags {
			if _, err := tx.Exec(ctx, `INSERT INTO flags (kiosk_id, key, first, flag) VALUES ($1, $2, $3, $4)`, k.KioskID, f.Key(), f.First, f); err != nil {
				return err
			}
		}
		for _, e := range k.Events {
			if err := putEvent(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// LoadRecords writes records of one journal as they are.
func (s *Store) LoadRecords(ctx context.Context, journalID string, recs []kiosk.Record) error {
	return s.tx(ctx, fmt.Sprintf("load %d records", len(recs)), func(tx pgx.Tx) error { return putRecords(ctx, tx, journalID, recs) })
}

// LoadStaffLog writes marks and audit entries as they are (the chain kept).
func (s *Store) LoadStaffLog(ctx context.Context, marks []store.Mark, audit []store.AuditEntry) error {
	return s.tx(ctx, "load staff log", func(tx pgx.Tx) error {
		for _, m := range marks {
			if _, err := tx.Exec(ctx, `INSERT INTO marks (kiosk_id, journal_id, seq, record_time, mark) VALUES ($1, $2, $3, $4, $5)`,
				m.KioskID, m.JournalID, int64(m.Seq), m.RecordTime, m); err != nil {
				return err
			}
		}
		for _, e := range audit {
			if _, err := tx.Exec(ctx, `INSERT INTO audit (seq, entry) VALUES ($1, $2)`, int64(e.Seq), e); err != nil {
				return err
			}
		}
		return nil
	})
}
