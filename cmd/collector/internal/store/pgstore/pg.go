// Package pgstore is the collector's store on PostgreSQL, for a fleet that
// outgrows one bbolt file (collector serve --store postgres://…). It keeps
// exactly what boltstore keeps and takes the same decisions: the ingest
// rules are store.Plan and JournalState.Apply, run inside one transaction
// that holds the kiosk's row lock, so two batches of one kiosk never plan
// against the same state.
//
// Records are rows (kiosk, journal, seq) with the columns queries filter
// on and the record's JSON as the kiosk sent it; journal states, flags,
// events and heartbeats are JSON documents, as in boltstore.
package pgstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
)

const schemaVersion = 1

// refExpr is a record's slip reference, as records_reference indexes it.
const refExpr = `coalesce(body::jsonb->>'reference', '')`

// schema is created on first open; every statement is idempotent.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value text NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS kiosks (
		kiosk_id     text PRIMARY KEY,
		heartbeat    jsonb,
		heartbeat_at timestamptz)`,
	// The last heartbeat from the journal before the current one.
	`ALTER TABLE kiosks ADD COLUMN IF NOT EXISTS heartbeat_before jsonb`,
	`CREATE TABLE IF NOT EXISTS journals (
		kiosk_id   text NOT NULL REFERENCES kiosks,
		journal_id text NOT NULL,
		first_seen timestamptz NOT NULL,
		state      jsonb NOT NULL,
		PRIMARY KEY (kiosk_id, journal_id))`,
	`CREATE TABLE IF NOT EXISTS records (
		kiosk_id   text NOT NULL,
		journal_id text NOT NULL,
		seq        bigint NOT NULL,
		time       timestamptz NOT NULL,
		kind       text NOT NULL,
		outcome    text NOT NULL,
		hash       text NOT NULL,
		prev_hash  text NOT NULL,
		body       text NOT NULL,
		PRIMARY KEY (kiosk_id, journal_id, seq),
		FOREIGN KEY (kiosk_id, journal_id) REFERENCES journals)`,
	`CREATE INDEX IF NOT EXISTS records_kiosk_time ON records (kiosk_id, time, journal_id, seq)`,
	`CREATE INDEX IF NOT EXISTS records_time ON records (time, kiosk_id, journal_id, seq)`,
	// A slip's reference names kiosk, journal tag and sequence: found by
	// kiosk and sequence, whichever journal.
	`CREATE INDEX IF NOT EXISTS records_kiosk_seq ON records (kiosk_id, seq)`,
	// Records carried into a diverged journal keep their slip's number:
	// few, so a partial index.
	`CREATE INDEX IF NOT EXISTS records_reference ON records (kiosk_id, (` + refExpr + `)) WHERE ` + refExpr + ` <> ''`,
	`CREATE TABLE IF NOT EXISTS flags (
		kiosk_id text NOT NULL REFERENCES kiosks,
		key      text NOT NULL,
		first    timestamptz NOT NULL,
		flag     jsonb NOT NULL,
		PRIMARY KEY (kiosk_id, key))`,
	`CREATE TABLE IF NOT EXISTS events (
		kiosk_id   text NOT NULL REFERENCES kiosks,
		journal_id text NOT NULL,
		time       timestamptz NOT NULL,
		event      jsonb NOT NULL,
		PRIMARY KEY (kiosk_id, journal_id))`,
	`CREATE TABLE IF NOT EXISTS certs (
		kiosk_id   text NOT NULL REFERENCES kiosks,
		sha256     text NOT NULL,
		der        bytea NOT NULL,
		first_seen timestamptz NOT NULL,
		last_seen  timestamptz NOT NULL,
		PRIMARY KEY (kiosk_id, sha256))`,
}

// Store is store.Store on PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

var _ store.Store = (*Store)(nil)

// Open connects to the database dsn names (postgres://…) and creates the
// tables when absent. now stamps what the store records (nil: time.Now).
func Open(ctx context.Context, dsn string, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	if err := configure(cfg); err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		// Many kiosks sync at once; pgxpool's default is the CPU count.
		cfg.MaxConns = 16
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	s := &Store{pool: pool, now: now}
	if err := s.init(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store %s: %w", redact(dsn), err)
	}
	return s, nil
}

// redact drops a password from a connection string for messages.
func redact(dsn string) string {
	if cfg, err := pgx.ParseConfig(dsn); err == nil {
		return fmt.Sprintf("%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
	}
	return "(connection string)"
}

func (s *Store) init(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// One collector creates the schema at a time.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7216001)`); err != nil {
			return err
		}
		for _, q := range slices.Concat(schema, staffSchema, reportViews) {
			if _, err := tx.Exec(ctx, q); err != nil {
				return fmt.Errorf("create schema: %w", err)
			}
		}
		var v string
		err := tx.QueryRow(ctx, `SELECT value FROM meta WHERE key = 'schema'`).Scan(&v)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			_, err = tx.Exec(ctx, `INSERT INTO meta VALUES ('schema', $1)`, fmt.Sprint(schemaVersion))
			return err
		case err != nil:
			return err
		case v != fmt.Sprint(schemaVersion):
			return fmt.Errorf("store schema %q: this collector reads %d", v, schemaVersion)
		}
		return nil
	})
}

// Close closes the connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// ensureKiosk makes the kiosk's row and locks it for the transaction.
func ensureKiosk(ctx context.Context, tx pgx.Tx, id string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO kiosks (kiosk_id) VALUES ($1) ON CONFLICT DO NOTHING`, id); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `SELECT 1 FROM kiosks WHERE kiosk_id = $1 FOR UPDATE`, id)
	return err
}

func getState(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, kioskID, journalID string) (store.JournalState, bool, error) {
	var st store.JournalState
	err := q.QueryRow(ctx, `SELECT state FROM journals WHERE kiosk_id = $1 AND journal_id = $2`, kioskID, journalID).Scan(&st)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, false, nil
	}
	return st, err == nil, err
}

func putState(ctx context.Context, tx pgx.Tx, st store.JournalState) error {
	_, err := tx.Exec(ctx, `INSERT INTO journals (kiosk_id, journal_id, first_seen, state) VALUES ($1, $2, $3, $4)
		ON CONFLICT (kiosk_id, journal_id) DO UPDATE SET state = EXCLUDED.state`, st.KioskID, st.JournalID, st.FirstSeen, st)
	return err
}

// begin locks the kiosk's row (made when new) and reads the journal's
// state and the hashes of the records held around the run, in one round
// trip: what Plan needs.
func begin(ctx context.Context, tx pgx.Tx, in store.Ingest) (st store.JournalState, found bool, held map[uint64]store.Link, err error) {
	lo, hi := uint64(1), uint64(0)
	if len(in.Records) > 0 {
		lo, hi = in.Records[0].Seq, in.Records[0].Seq
		for _, r := range in.Records {
			lo, hi = min(lo, r.Seq), max(hi, r.Seq)
		}
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO kiosks (kiosk_id) VALUES ($1) ON CONFLICT (kiosk_id) DO UPDATE SET kiosk_id = EXCLUDED.kiosk_id`, in.KioskID)
	b.Queue(`SELECT state FROM journals WHERE kiosk_id = $1 AND journal_id = $2`, in.KioskID, in.JournalID)
	b.Queue(`SELECT seq, hash, prev_hash FROM records WHERE kiosk_id = $1 AND journal_id = $2 AND seq BETWEEN $3 AND $4`,
		in.KioskID, in.JournalID, int64(max(lo, 1)-1), int64(hi+1))
	br := tx.SendBatch(ctx, b)
	defer func() {
		if cerr := br.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err = br.Exec(); err != nil {
		return st, false, nil, fmt.Errorf("lock kiosk: %w", err)
	}
	switch err = br.QueryRow().Scan(&st); {
	case err == nil:
		found = true
	case errors.Is(err, pgx.ErrNoRows):
		err = nil
	default:
		return st, false, nil, fmt.Errorf("journal state: %w", err)
	}
	rows, err := br.Query()
	if err != nil {
		return st, found, nil, err
	}
	held = map[uint64]store.Link{}
	var seq int64
	var l store.Link
	_, err = pgx.ForEachRow(rows, []any{&seq, &l.Hash, &l.PrevHash}, func() error {
		held[uint64(seq)] = l
		return nil
	})
	return st, found, held, err
}

func putRecords(ctx context.Context, tx pgx.Tx, journalID string, recs []kiosk.Record) error {
	rows := make([][]any, len(recs))
	for i, r := range recs {
		body, err := json.Marshal(r)
		if err != nil {
			return err
		}
		rows[i] = []any{r.KioskID, journalID, int64(r.Seq), r.Time, string(r.Kind), string(r.Outcome), r.Hash, r.PrevHash, string(body)}
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"records"},
		[]string{"kiosk_id", "journal_id", "seq", "time", "kind", "outcome", "hash", "prev_hash", "body"}, pgx.CopyFromRows(rows))
	return err
}

func (s *Store) tx(ctx context.Context, op string, fn func(pgx.Tx) error) error {
	if err := pgx.BeginFunc(ctx, s.pool, fn); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// Ingest implements store.Store: store.Apply in one transaction holding
// the kiosk's row lock.
func (s *Store) Ingest(ctx context.Context, in store.Ingest) (store.Result, error) {
	if in.At.IsZero() {
		in.At = s.now()
	}
	in.At = in.At.UTC()
	var res store.Result
	err := s.tx(ctx, fmt.Sprintf("ingest %s/%s", in.KioskID, in.JournalID), func(tx pgx.Tx) error {
		st, found, held, err := begin(ctx, tx, in)
		if err != nil {
			return err
		}
		res, err = store.Apply(&ingestTx{ctx: ctx, tx: tx, in: in, st: st, found: found, held: held}, in)
		return err
	})
	if err != nil {
		return store.Result{}, err
	}
	return res, nil
}

// ingestTx is store.IngestTx in a transaction that holds the kiosk's row
// lock; begin read the state and the records around the run already.
type ingestTx struct {
	ctx   context.Context
	tx    pgx.Tx
	in    store.Ingest
	st    store.JournalState
	found bool
	held  map[uint64]store.Link
}

func (t *ingestTx) State() (store.JournalState, bool, error) { return t.st, t.found, nil }

func (t *ingestTx) Held(seq uint64) (store.Link, bool) { l, ok := t.held[seq]; return l, ok }

func (t *ingestTx) PutRecords(_ store.JournalState, recs []kiosk.Record) error {
	return putRecords(t.ctx, t.tx, t.in.JournalID, recs)
}

func (t *ingestTx) PutState(st store.JournalState) error { return putState(t.ctx, t.tx, st) }

func (t *ingestTx) Journals() ([]store.JournalState, error) {
	return journalStates(t.ctx, t.tx, t.in.KioskID)
}

func (t *ingestTx) Event() (store.Event, bool, error) {
	var ev store.Event
	err := t.tx.QueryRow(t.ctx, `SELECT event FROM events WHERE kiosk_id = $1 AND journal_id = $2`, t.in.KioskID, t.in.JournalID).Scan(&ev)
	if errors.Is(err, pgx.ErrNoRows) {
		return ev, false, nil
	}
	return ev, err == nil, err
}

func (t *ingestTx) PutEvent(ev store.Event) error { return putEvent(t.ctx, t.tx, ev) }

func (t *ingestTx) Heartbeats() (last, before *store.Heartbeat, err error) {
	err = t.tx.QueryRow(t.ctx, `SELECT heartbeat, heartbeat_before FROM kiosks WHERE kiosk_id = $1`, t.in.KioskID).Scan(&last, &before)
	if err != nil {
		return nil, nil, fmt.Errorf("heartbeats: %w", err)
	}
	return last, before, nil
}

func (t *ingestTx) RaiseFlag(f store.Flag) error { return raiseFlag(t.ctx, t.tx, f) }

func putEvent(ctx context.Context, tx pgx.Tx, ev store.Event) error {
	_, err := tx.Exec(ctx, `INSERT INTO events (kiosk_id, journal_id, time, event) VALUES ($1, $2, $3, $4)
		ON CONFLICT (kiosk_id, journal_id) DO UPDATE SET event = EXCLUDED.event`, ev.KioskID, ev.JournalID, ev.Time, ev)
	return err
}

func raiseFlag(ctx context.Context, tx pgx.Tx, f store.Flag) error {
	var old store.Flag
	var prev *store.Flag
	err := tx.QueryRow(ctx, `SELECT flag FROM flags WHERE kiosk_id = $1 AND key = $2 FOR UPDATE`, f.KioskID, f.Key()).Scan(&old)
	switch {
	case err == nil:
		prev = &old
	case !errors.Is(err, pgx.ErrNoRows):
		return err
	}
	m := store.MergeFlag(prev, f)
	_, err = tx.Exec(ctx, `INSERT INTO flags (kiosk_id, key, first, flag) VALUES ($1, $2, $3, $4)
		ON CONFLICT (kiosk_id, key) DO UPDATE SET flag = EXCLUDED.flag`, f.KioskID, f.Key(), m.First, m)
	return err
}

// RaiseFlag implements store.Store.
func (s *Store) RaiseFlag(ctx context.Context, f store.Flag) error {
	if f.Last.IsZero() {
		f.Last = s.now().UTC()
	}
	return s.tx(ctx, "raise flag", func(tx pgx.Tx) error {
		if err := ensureKiosk(ctx, tx, f.KioskID); err != nil {
			return err
		}
		return raiseFlag(ctx, tx, f)
	})
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// SaveHeartbeat implements store.Store.
func (s *Store) SaveHeartbeat(ctx context.Context, hb store.Heartbeat) error {
	// The last heartbeat of a journal the kiosk left says what it left
	// unsent (store.UnsentAtEnd): kept when the journal changes.
	_, err := s.pool.Exec(ctx, `INSERT INTO kiosks (kiosk_id, heartbeat, heartbeat_at) VALUES ($1, $2, $3)
		ON CONFLICT (kiosk_id) DO UPDATE SET heartbeat = EXCLUDED.heartbeat, heartbeat_at = EXCLUDED.heartbeat_at,
			heartbeat_before = CASE WHEN coalesce(kiosks.heartbeat->'hb'->>'journal_id', '') NOT IN ('', $4)
				THEN kiosks.heartbeat ELSE kiosks.heartbeat_before END`,
		hb.HB.KioskID, hb, hb.ReceivedAt, hb.HB.JournalID)
	if err != nil {
		return fmt.Errorf("save heartbeat: %w", err)
	}
	return nil
}

// RememberCert implements store.Store.
func (s *Store) RememberCert(ctx context.Context, kioskID string, der []byte, at time.Time) error {
	sum := sha256.Sum256(der)
	return s.tx(ctx, "remember certificate", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO kiosks (kiosk_id) VALUES ($1) ON CONFLICT DO NOTHING`, kioskID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO certs (kiosk_id, sha256, der, first_seen, last_seen) VALUES ($1, $2, $3, $4, $4)
			ON CONFLICT (kiosk_id, sha256) DO UPDATE SET last_seen = EXCLUDED.last_seen`, kioskID, hex.EncodeToString(sum[:]), der, at.UTC())
		return err
	})
}

// Certs implements store.Store.
func (s *Store) Certs(ctx context.Context, kioskID string) ([][]byte, error) {
	rows, err := s.pool.Query(ctx, `SELECT der FROM certs WHERE kiosk_id = $1 ORDER BY last_seen DESC`, kioskID)
	if err != nil {
		return nil, fmt.Errorf("certificates: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[[]byte])
}

type querier interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
	QueryRow(context.Context, string, ...any) pgx.Row
}

func journalStates(ctx context.Context, q querier, kioskID string) ([]store.JournalState, error) {
	rows, err := q.Query(ctx, `SELECT state FROM journals WHERE kiosk_id = $1 ORDER BY first_seen, journal_id`, kioskID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[store.JournalState])
}

// kioskStates reads the kiosks ids names (all when ids is nil).
func (s *Store) kioskStates(ctx context.Context, ids []string) ([]store.KioskState, error) {
	where, args := "", []any{}
	if ids != nil {
		where, args = " WHERE kiosk_id = ANY($1)", []any{ids}
	}
	var out []store.KioskState
	byID := map[string]*store.KioskState{}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT kiosk_id, heartbeat FROM kiosks`+where+` ORDER BY kiosk_id`, args...)
		if err != nil {
			return err
		}
		var id string
		var hb *store.Heartbeat
		if _, err := pgx.ForEachRow(rows, []any{&id, &hb}, func() error {
			st := store.KioskState{KioskID: id}
			if hb != nil {
				h := hb.HB
				st.LastHeartbeat, st.HeartbeatAt = &h, hb.ReceivedAt
			}
			out = append(out, st)
			return nil
		}); err != nil {
			return err
		}
		for i := range out {
			byID[out[i].KioskID] = &out[i]
		}
		each := func(q string, fn func(k *store.KioskState, raw []byte) error) error {
			rows, err := tx.Query(ctx, q+where+` ORDER BY 1, 2`, args...)
			if err != nil {
				return err
			}
			var id string
			var order any
			var raw []byte
			_, err = pgx.ForEachRow(rows, []any{&id, &order, &raw}, func() error {
				if k := byID[id]; k != nil {
					return fn(k, raw)
				}
				return nil
			})
			return err
		}
		if err := each(`SELECT kiosk_id, first_seen, state FROM journals`, func(k *store.KioskState, raw []byte) error {
			var j store.JournalState
			err := json.Unmarshal(raw, &j)
			k.Journals = append(k.Journals, j)
			return err
		}); err != nil {
			return err
		}
		if err := each(`SELECT kiosk_id, first, flag FROM flags`, func(k *store.KioskState, raw []byte) error {
			var f store.Flag
			err := json.Unmarshal(raw, &f)
			k.Flags = append(k.Flags, f)
			return err
		}); err != nil {
			return err
		}
		return each(`SELECT kiosk_id, time, event FROM events`, func(k *store.KioskState, raw []byte) error {
			var e store.Event
			err := json.Unmarshal(raw, &e)
			k.Events = append(k.Events, e)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("kiosks: %w", err)
	}
	for i := range out {
		k := &out[i]
		var latest time.Time
		for _, j := range k.Journals {
			k.Records += j.Records
			if !j.LastSeen.Before(latest) {
				latest, k.HeadSeq, k.JournalID = j.LastSeen, j.HeadSeq, j.JournalID
			}
		}
	}
	return out, nil
}

// Kiosks implements store.Store.
func (s *Store) Kiosks(ctx context.Context) ([]store.KioskState, error) {
	return s.kioskStates(ctx, nil)
}

// Kiosk implements store.Store.
func (s *Store) Kiosk(ctx context.Context, kioskID string) (store.KioskState, error) {
	ks, err := s.kioskStates(ctx, []string{kioskID})
	if err != nil {
		return store.KioskState{}, err
	}
	if len(ks) == 0 {
		return store.KioskState{}, fmt.Errorf("kiosk %s: %w", kioskID, store.ErrNotFound)
	}
	return ks[0], nil
}

// Journal implements store.Store.
func (s *Store) Journal(ctx context.Context, kioskID, journalID string) (store.JournalState, error) {
	st, found, err := getState(ctx, s.pool, kioskID, journalID)
	if err == nil && !found {
		err = fmt.Errorf("journal %s/%s: %w", kioskID, journalID, store.ErrNotFound)
	}
	return st, err
}

// Records implements store.Store: oldest first; with Newest and a Limit,
// the newest Limit records (still oldest first).
func (s *Store) Records(ctx context.Context, q store.Query) ([]kiosk.Record, error) {
	var conds []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if q.KioskID != "" {
		conds = append(conds, "kiosk_id = "+arg(q.KioskID))
	}
	order := []string{"time", "kiosk_id", "journal_id", "seq"}
	if q.JournalID != "" {
		conds = append(conds, "journal_id = "+arg(q.JournalID))
		if q.AfterSeq > 0 {
			conds = append(conds, "seq > "+arg(int64(q.AfterSeq)))
		}
		order = []string{"seq"}
	}
	if !q.From.IsZero() {
		conds = append(conds, "time >= "+arg(q.From))
	}
	if !q.To.IsZero() {
		conds = append(conds, "time < "+arg(q.To))
	}
	if q.Kind != "" {
		conds = append(conds, "kind = "+arg(string(q.Kind)))
	}
	if q.Outcome != "" {
		conds = append(conds, "outcome = "+arg(string(q.Outcome)))
	}
	sql := "SELECT body FROM records"
	if len(conds) > 0 {
		sql += " WHERE " + strings.Join(conds, " AND ")
	}
	dir := ""
	if q.Newest && q.Limit > 0 {
		dir = " DESC"
	}
	for i := range order {
		order[i] += dir
	}
	sql += " ORDER BY " + strings.Join(order, ", ")
	if q.Limit > 0 {
		sql += " LIMIT " + arg(q.Limit)
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("records: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (kiosk.Record, error) {
		var body []byte
		var r kiosk.Record
		if err := row.Scan(&body); err != nil {
			return r, err
		}
		return r, json.Unmarshal(body, &r)
	})
	if err != nil {
		return nil, fmt.Errorf("records: %w", err)
	}
	if dir != "" {
		slices.Reverse(out)
	}
	return out, nil
}

// Lookup implements store.Store.
func (s *Store) Lookup(ctx context.Context, ref kiosk.Ref) ([]store.Found, error) {
	sql := `SELECT journal_id, body FROM records WHERE kiosk_id = $1 AND seq = $2`
	args := []any{ref.KioskID, int64(ref.Seq)}
	if ref.JournalTag != "" {
		sql += ` AND left(journal_id, $3) = $4`
		args = append(args, len(ref.JournalTag), ref.JournalTag)
	}
	// And a record carried into a diverged journal, which keeps the slip's
	// number in its reference (records_reference).
	sql += fmt.Sprintf(` UNION SELECT journal_id, body FROM records WHERE kiosk_id = $1 AND %[1]s <> '' AND %[1]s = $%[2]d`, refExpr, len(args)+1)
	args = append(args, ref.String())
	rows, err := s.pool.Query(ctx, sql+` ORDER BY journal_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("lookup %s: %w", ref, err)
	}
	var out []store.Found
	var jid string
	var body []byte
	_, err = pgx.ForEachRow(rows, []any{&jid, &body}, func() error {
		var r kiosk.Record
		if err := json.Unmarshal(body, &r); err != nil {
			return err
		}
		if ref.Matches(jid, r) || r.Reference == ref.String() {
			out = append(out, store.Found{JournalID: jid, Record: r})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lookup %s: %w", ref, err)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].JournalID < out[b].JournalID })
	return out, nil
}
