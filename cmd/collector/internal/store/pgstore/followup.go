package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
)

// The follow-up index: records.followup holds store.FollowUpOf's kind,
// written in the same COPY as the record, NULL for the many records that
// need nobody. A partial index over the follow-ups alone serves the
// console's pages and counts without reading the other records.
var followUpSchema = []string{
	`ALTER TABLE records ADD COLUMN IF NOT EXISTS followup text`,
	`CREATE INDEX IF NOT EXISTS records_followup ON records (time, kiosk_id, journal_id, seq) INCLUDE (followup) WHERE followup IS NOT NULL`,
}

// followUpsIndexed marks (in meta) that every record held has its followup
// column filled: a database from before the column is back-filled once.
const followUpsIndexed = "followups_indexed"

// followUpColumn is the followup column of r: its kind, or NULL.
func followUpColumn(r kiosk.Record) *string {
	k, ok := store.FollowUpOf(r)
	if !ok {
		return nil
	}
	s := string(k)
	return &s
}

// backfillFollowUps fills the column for the records held before it
// existed, a thousand at a time in key order, inside init's transaction
// (which holds the schema lock, so one collector does it once).
func backfillFollowUps(ctx context.Context, tx pgx.Tx) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM meta WHERE key = $1`, followUpsIndexed).Scan(&n); err != nil || n > 0 {
		return err
	}
	var k, j string
	var seq int64
	for {
		rows, err := tx.Query(ctx, `SELECT kiosk_id, journal_id, seq, body FROM records WHERE (kiosk_id, journal_id, seq) > ($1, $2, $3)
			ORDER BY kiosk_id, journal_id, seq LIMIT 1000`, k, j, seq)
		if err != nil {
			return err
		}
		var ks, js, kinds []string
		var seqs []int64
		var body []byte
		got := 0
		_, err = pgx.ForEachRow(rows, []any{&k, &j, &seq, &body}, func() error {
			got++
			var r kiosk.Record
			if err := json.Unmarshal(body, &r); err != nil {
				return fmt.Errorf("record %s/%s/%d: %w", k, j, seq, err)
			}
			if kind, ok := store.FollowUpOf(r); ok {
				ks, js, seqs, kinds = append(ks, k), append(js, j), append(seqs, seq), append(kinds, string(kind))
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(ks) > 0 {
			if _, err := tx.Exec(ctx, `UPDATE records r SET followup = u.kind FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) AS u(k, j, s, kind)
				WHERE r.kiosk_id = u.k AND r.journal_id = u.j AND r.seq = u.s`, ks, js, seqs, kinds); err != nil {
				return err
			}
		}
		if got < 1000 {
			break
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)`, followUpsIndexed, time.Now().UTC().Format(time.RFC3339))
	return err
}

// followUpWhere is the condition selecting q's follow-ups from records r.
func followUpWhere(q store.FollowUpQuery, withKind bool) (string, []any) {
	conds := []string{"r.followup IS NOT NULL"}
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if !q.From.IsZero() {
		conds = append(conds, "r.time >= "+arg(q.From))
	}
	if !q.To.IsZero() {
		conds = append(conds, "r.time < "+arg(q.To))
	}
	if withKind && q.Kind != "" {
		conds = append(conds, "r.followup = "+arg(string(q.Kind)))
	}
	if q.Unmarked {
		conds = append(conds, "NOT EXISTS (SELECT 1 FROM marks m WHERE m.kiosk_id = r.kiosk_id AND m.journal_id = r.journal_id AND m.seq = r.seq)")
	}
	if c := q.After; c != nil {
		conds = append(conds, fmt.Sprintf("(r.time, r.kiosk_id, r.journal_id, r.seq) < (%s, %s, %s, %s)",
			arg(c.Time), arg(c.ID.KioskID), arg(c.ID.JournalID), arg(int64(c.ID.Seq))))
	}
	return strings.Join(conds, " AND "), args
}

// FollowUps implements store.FollowUpIndex.
func (s *Store) FollowUps(ctx context.Context, q store.FollowUpQuery) ([]store.FollowUpItem, error) {
	where, args := followUpWhere(q, true)
	sql := `SELECT r.journal_id, r.followup, r.body FROM records r WHERE ` + where +
		` ORDER BY r.time DESC, r.kiosk_id DESC, r.journal_id DESC, r.seq DESC`
	if q.Limit > 0 {
		sql += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("follow-ups: %w", err)
	}
	var out []store.FollowUpItem
	var jid, kind string
	var body []byte
	_, err = pgx.ForEachRow(rows, []any{&jid, &kind, &body}, func() error {
		it := store.FollowUpItem{Found: store.Found{JournalID: jid}, Kind: store.FollowUpKind(kind)}
		if err := json.Unmarshal(body, &it.Record); err != nil {
			return err
		}
		out = append(out, it)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("follow-ups: %w", err)
	}
	return out, nil
}

// FollowUpCounts implements store.FollowUpIndex: an aggregate over the
// partial index.
func (s *Store) FollowUpCounts(ctx context.Context, q store.FollowUpQuery) (map[store.FollowUpKind]int, error) {
	where, args := followUpWhere(q, true)
	rows, err := s.pool.Query(ctx, `SELECT r.followup, count(*) FROM records r WHERE `+where+` GROUP BY r.followup`, args...)
	if err != nil {
		return nil, fmt.Errorf("count follow-ups: %w", err)
	}
	out := map[store.FollowUpKind]int{}
	var kind string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&kind, &n}, func() error { out[store.FollowUpKind(kind)] = int(n); return nil })
	if err != nil {
		return nil, fmt.Errorf("count follow-ups: %w", err)
	}
	return out, nil
}
