// Package boltstore is the collector's store on one bbolt file.
//
// Layout (schema 2):
//
//	meta/schema                      "2"
//	kiosks/<kiosk>/heartbeat         store.Heartbeat (JSON)
//	kiosks/<kiosk>/heartbeat_before  the last one from the journal before
//	kiosks/<kiosk>/journals/<jid>/state   store.JournalState (JSON)
//	kiosks/<kiosk>/journals/<jid>/recs/<seq>  the record (JSON, as the kiosk sent it)
//	kiosks/<kiosk>/bytime/<time><jid><seq>    index for date ranges
//	kiosks/<kiosk>/flags/<kind/jid/seq>       store.Flag
//	kiosks/<kiosk>/events/<jid>               store.Event
//	kiosks/<kiosk>/certs/<sha256>             certificate seen on TLS
//
// A file from the collector before journal IDs (kiosks/<kiosk>/records,
// keyed by seq alone) is migrated on open into each kiosk's legacy journal.
package boltstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
)

// FileName is the store's file in the data directory.
const FileName = "collector.db"

const schema = "2"

var (
	bMeta     = []byte("meta")
	bKiosks   = []byte("kiosks")
	bJournals = []byte("journals")
	bRecs     = []byte("recs")
	bByTime   = []byte("bytime")
	bFlags    = []byte("flags")
	bEvents   = []byte("events")
	bCerts    = []byte("certs")
	kSchema   = []byte("schema")
	kState    = []byte("state")
	kHB       = []byte("heartbeat")
	kHBBefore = []byte("heartbeat_before") // the last heartbeat from the journal before the current one
)

// Store is store.Store on bbolt.
type Store struct {
	db  *bolt.DB
	now func() time.Time
}

var _ store.Store = (*Store)(nil)

// Open opens (or creates) dir/collector.db. now stamps what the store
// records (nil: time.Now).
func Open(dir string, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open collector store: %w", err)
	}
	// Many kiosks at once: their batches share a commit (and its fsync).
	db.MaxBatchDelay = 2 * time.Millisecond
	s := &Store{db: db, now: now}
	if err := db.Update(s.init); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("init collector store: %w", err)
	}
	return s, nil
}

func (s *Store) init(tx *bolt.Tx) error {
	meta := tx.Bucket(bMeta)
	kb := tx.Bucket(bKiosks)
	if meta != nil && string(meta.Get(kSchema)) == schema {
		return nil
	}
	if meta != nil {
		return fmt.Errorf("store schema %q: this collector reads %s", meta.Get(kSchema), schema)
	}
	var err error
	if meta, err = tx.CreateBucket(bMeta); err != nil {
		return err
	}
	if kb == nil {
		if _, err := tx.CreateBucket(bKiosks); err != nil {
			return err
		}
	} else if err := s.migrate(tx, kb); err != nil {
		return fmt.Errorf("migrate a store from before journal IDs: %w", err)
	}
	return meta.Put(kSchema, []byte(schema))
}

// migrate moves each kiosk's records of the old layout (kiosks/<id>/records
// by seq, head_seq, head_hash, flags) into its legacy journal.
func (s *Store) migrate(tx *bolt.Tx, kb *bolt.Bucket) error {
	var ids [][]byte
	if err := kb.ForEachBucket(func(id []byte) error { ids = append(ids, bytes.Clone(id)); return nil }); err != nil {
		return err
	}
	now := s.now().UTC()
	for _, id := range ids {
		k := kb.Bucket(id)
		old := k.Bucket([]byte("records"))
		if old == nil {
			continue
		}
		var recs []kiosk.Record
		if err := old.ForEach(func(_, v []byte) error {
			var r kiosk.Record
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			recs = append(recs, r)
			return nil
		}); err != nil {
			return err
		}
		st := store.NewJournal(string(id), kiosk.LegacyJournalID, now)
		for _, r := range recs {
			if err := putRecord(k, kiosk.LegacyJournalID, r); err != nil {
				return err
			}
			st.Apply(r, now)
		}
		if err := putState(k, st); err != nil {
			return err
		}
		ev, _ := store.JournalEvent(st, nil, now)
		eb, err := mk(k, bEvents)
		if err != nil {
			return err
		}
		if err := putJSON(eb, []byte(st.JournalID), ev); err != nil {
			return err
		}
		for _, name := range []string{"records", "flags"} {
			if k.Bucket([]byte(name)) != nil {
				if err := k.DeleteBucket([]byte(name)); err != nil {
					return err
				}
			}
		}
		for _, key := range []string{"head_seq", "head_hash"} {
			if err := k.Delete([]byte(key)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// mk returns the named sub-bucket of b (in a write transaction), creating
// it when absent; names is a path of them.
func mk(b *bolt.Bucket, names ...[]byte) (*bolt.Bucket, error) {
	for _, n := range names {
		var err error
		if b, err = b.CreateBucketIfNotExists(n); err != nil {
			return nil, fmt.Errorf("bucket %q: %w", n, err)
		}
	}
	return b, nil
}

// kioskBucket is kiosks/<id>, created when absent.
func kioskBucket(tx *bolt.Tx, id string) (*bolt.Bucket, error) {
	return mk(tx.Bucket(bKiosks), []byte(id))
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}

func getJSON(b *bolt.Bucket, k []byte, v any) (bool, error) {
	if b == nil {
		return false, nil
	}
	data := b.Get(k)
	if data == nil {
		return false, nil
	}
	return true, json.Unmarshal(data, v)
}

// timeKey orders the index by kiosk time, then journal, then sequence.
func timeKey(r kiosk.Record, journalID string) []byte {
	k := binary.BigEndian.AppendUint64(nil, uint64(r.Time.UnixNano()))
	k = append(k, journalID...)
	return binary.BigEndian.AppendUint64(k, r.Seq)
}

// appendFill packs pages full where keys mostly arrive in order (a
// journal's sequence, a kiosk's clock): bbolt's default half-full split is
// for random inserts and would double the file.
const appendFill = 0.95

func putRecord(k *bolt.Bucket, journalID string, r kiosk.Record) error {
	rb, err := mk(k, bJournals, []byte(journalID), bRecs)
	if err != nil {
		return err
	}
	rb.FillPercent = appendFill
	if err := putJSON(rb, be64(r.Seq), r); err != nil {
		return err
	}
	idx, err := mk(k, bByTime)
	if err != nil {
		return err
	}
	idx.FillPercent = appendFill
	return idx.Put(timeKey(r, journalID), nil)
}

func putState(k *bolt.Bucket, st store.JournalState) error {
	jb, err := mk(k, bJournals, []byte(st.JournalID))
	if err != nil {
		return err
	}
	return putJSON(jb, kState, st)
}

func journals(k *bolt.Bucket) ([]store.JournalState, error) {
	jbs := k.Bucket(bJournals)
	if jbs == nil {
		return nil, nil
	}
	var out []store.JournalState
	err := jbs.ForEachBucket(func(jid []byte) error {
		var st store.JournalState
		if _, err := getJSON(jbs.Bucket(jid), kState, &st); err != nil {
			return fmt.Errorf("journal %s state: %w", jid, err)
		}
		out = append(out, st)
		return nil
	})
	sort.Slice(out, func(a, b int) bool { return out[a].FirstSeen.Before(out[b].FirstSeen) })
	return out, err
}

// Ingest implements store.Store: store.Apply in one write transaction.
func (s *Store) Ingest(ctx context.Context, in store.Ingest) (store.Result, error) {
	if err := ctx.Err(); err != nil {
		return store.Result{}, err
	}
	if in.At.IsZero() {
		in.At = s.now()
	}
	in.At = in.At.UTC()
	var res store.Result
	// Batch may run the function more than once: it starts from scratch each time.
	err := s.db.Batch(func(tx *bolt.Tx) error {
		k, err := kioskBucket(tx, in.KioskID)
		if err != nil {
			return err
		}
		jb, err := mk(k, bJournals, []byte(in.JournalID))
		if err != nil {
			return err
		}
		res, err = store.Apply(ingestTx{k: k, jb: jb, journalID: in.JournalID}, in)
		return err
	})
	if err != nil {
		return store.Result{}, fmt.Errorf("ingest %s/%s: %w", in.KioskID, in.JournalID, err)
	}
	return res, nil
}

// ingestTx is store.IngestTx on one kiosk's bucket in a write transaction.
type ingestTx struct {
	k, jb     *bolt.Bucket
	journalID string
}

func (t ingestTx) State() (store.JournalState, bool, error) {
	var st store.JournalState
	found, err := getJSON(t.jb, kState, &st)
	return st, found, err
}

func (t ingestTx) Held(seq uint64) (store.Link, bool) {
	var l struct {
		Hash     string `json:"hash"`
		PrevHash string `json:"prev_hash"`
	}
	ok, err := getJSON(t.jb.Bucket(bRecs), be64(seq), &l) // no bucket until the first record: nothing held
	return store.Link{Hash: l.Hash, PrevHash: l.PrevHash}, ok && err == nil
}

func (t ingestTx) PutRecords(_ store.JournalState, recs []kiosk.Record) error {
	for _, r := range recs {
		if err := putRecord(t.k, t.journalID, r); err != nil {
			return err
		}
	}
	return nil
}

func (t ingestTx) PutState(st store.JournalState) error { return putState(t.k, st) }

func (t ingestTx) Journals() ([]store.JournalState, error) { return journals(t.k) }

func (t ingestTx) Event() (store.Event, bool, error) {
	var ev store.Event
	eb := t.k.Bucket(bEvents)
	if eb == nil {
		return ev, false, nil
	}
	found, err := getJSON(eb, []byte(t.journalID), &ev)
	return ev, found, err
}

func (t ingestTx) PutEvent(ev store.Event) error {
	eb, err := mk(t.k, bEvents)
	if err != nil {
		return err
	}
	return putJSON(eb, []byte(ev.JournalID), ev)
}

func (t ingestTx) Heartbeats() (last, before *store.Heartbeat, err error) {
	return heartbeats(t.k)
}

func (t ingestTx) RaiseFlag(f store.Flag) error { return raiseFlag(t.k, f) }

func heartbeats(k *bolt.Bucket) (last, before *store.Heartbeat, err error) {
	var l, b store.Heartbeat
	if ok, err := getJSON(k, kHB, &l); err != nil {
		return nil, nil, fmt.Errorf("heartbeat: %w", err)
	} else if ok {
		last = &l
	}
	if ok, err := getJSON(k, kHBBefore, &b); err != nil {
		return nil, nil, fmt.Errorf("heartbeat before: %w", err)
	} else if ok {
		before = &b
	}
	return last, before, nil
}

func raiseFlag(k *bolt.Bucket, f store.Flag) error {
	fb, err := mk(k, bFlags)
	if err != nil {
		return err
	}
	var old store.Flag
	found, err := getJSON(fb, []byte(f.Key()), &old)
	if err != nil {
		return err
	}
	var prev *store.Flag
	if found {
		prev = &old
	}
	return putJSON(fb, []byte(f.Key()), store.MergeFlag(prev, f))
}

// RaiseFlag implements store.Store.
func (s *Store) RaiseFlag(ctx context.Context, f store.Flag) error {
	if f.Last.IsZero() {
		f.Last = s.now().UTC()
	}
	return s.update(ctx, "raise flag", func(tx *bolt.Tx) error {
		k, err := kioskBucket(tx, f.KioskID)
		if err != nil {
			return err
		}
		return raiseFlag(k, f)
	})
}

func (s *Store) update(ctx context.Context, op string, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.db.Batch(fn); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

func (s *Store) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// SaveHeartbeat implements store.Store.
func (s *Store) SaveHeartbeat(ctx context.Context, hb store.Heartbeat) error {
	return s.update(ctx, "save heartbeat", func(tx *bolt.Tx) error {
		k, err := kioskBucket(tx, hb.HB.KioskID)
		if err != nil {
			return err
		}
		// The last heartbeat of a journal the kiosk left says what it
		// left unsent (store.UnsentAtEnd): keep it when the journal changes.
		last, _, err := heartbeats(k)
		if err != nil {
			return err
		}
		if last != nil && last.HB.JournalID != "" && last.HB.JournalID != hb.HB.JournalID {
			if err := putJSON(k, kHBBefore, last); err != nil {
				return err
			}
		}
		return putJSON(k, kHB, hb)
	})
}

type storedCert struct {
	DER       []byte    `json:"der"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// RememberCert implements store.Store.
func (s *Store) RememberCert(ctx context.Context, kioskID string, der []byte, at time.Time) error {
	sum := sha256.Sum256(der)
	key := []byte(hex.EncodeToString(sum[:]))
	return s.update(ctx, "remember certificate", func(tx *bolt.Tx) error {
		k, err := kioskBucket(tx, kioskID)
		if err != nil {
			return err
		}
		cb, err := mk(k, bCerts)
		if err != nil {
			return err
		}
		c := storedCert{DER: der, FirstSeen: at.UTC(), LastSeen: at.UTC()}
		var old storedCert
		if found, err := getJSON(cb, key, &old); err != nil {
			return err
		} else if found {
			c.FirstSeen = old.FirstSeen
		}
		return putJSON(cb, key, c)
	})
}

// Certs implements store.Store.
func (s *Store) Certs(ctx context.Context, kioskID string) ([][]byte, error) {
	var cs []storedCert
	err := s.view(ctx, func(tx *bolt.Tx) error {
		k := tx.Bucket(bKiosks).Bucket([]byte(kioskID))
		if k == nil || k.Bucket(bCerts) == nil {
			return nil
		}
		return k.Bucket(bCerts).ForEach(func(_, v []byte) error {
			var c storedCert
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			cs = append(cs, c)
			return nil
		})
	})
	sort.Slice(cs, func(a, b int) bool { return cs[a].LastSeen.After(cs[b].LastSeen) })
	out := make([][]byte, len(cs))
	for i, c := range cs {
		out[i] = c.DER
	}
	return out, err
}

func kioskState(id []byte, k *bolt.Bucket) (store.KioskState, error) {
	st := store.KioskState{KioskID: string(id)}
	js, err := journals(k)
	if err != nil {
		return st, err
	}
	st.Journals = js
	var latest time.Time
	for _, j := range js {
		st.Records += j.Records
		if !j.LastSeen.Before(latest) {
			latest, st.HeadSeq, st.JournalID = j.LastSeen, j.HeadSeq, j.JournalID
		}
	}
	var hb store.Heartbeat
	if found, err := getJSON(k, kHB, &hb); err != nil {
		return st, fmt.Errorf("heartbeat: %w", err)
	} else if found {
		st.LastHeartbeat, st.HeartbeatAt = &hb.HB, hb.ReceivedAt
	}
	for _, name := range [][]byte{bFlags, bEvents} {
		b := k.Bucket(name)
		if b == nil {
			continue
		}
		if err := b.ForEach(func(_, v []byte) error {
			if bytes.Equal(name, bFlags) {
				var f store.Flag
				err := json.Unmarshal(v, &f)
				st.Flags = append(st.Flags, f)
				return err
			}
			var e store.Event
			err := json.Unmarshal(v, &e)
			st.Events = append(st.Events, e)
			return err
		}); err != nil {
			return st, err
		}
	}
	sort.Slice(st.Flags, func(a, b int) bool { return st.Flags[a].First.Before(st.Flags[b].First) })
	sort.Slice(st.Events, func(a, b int) bool { return st.Events[a].Time.Before(st.Events[b].Time) })
	return st, nil
}

// Kiosks implements store.Store.
func (s *Store) Kiosks(ctx context.Context) ([]store.KioskState, error) {
	var out []store.KioskState
	err := s.view(ctx, func(tx *bolt.Tx) error {
		kb := tx.Bucket(bKiosks)
		return kb.ForEachBucket(func(id []byte) error {
			st, err := kioskState(id, kb.Bucket(id))
			out = append(out, st)
			return err
		})
	})
	return out, err
}

// Kiosk implements store.Store.
func (s *Store) Kiosk(ctx context.Context, kioskID string) (store.KioskState, error) {
	var st store.KioskState
	err := s.view(ctx, func(tx *bolt.Tx) error {
		k := tx.Bucket(bKiosks).Bucket([]byte(kioskID))
		if k == nil {
			return fmt.Errorf("kiosk %s: %w", kioskID, store.ErrNotFound)
		}
		var err error
		st, err = kioskState([]byte(kioskID), k)
		return err
	})
	return st, err
}

// Journal implements store.Store.
func (s *Store) Journal(ctx context.Context, kioskID, journalID string) (store.JournalState, error) {
	var st store.JournalState
	err := s.view(ctx, func(tx *bolt.Tx) error {
		k := tx.Bucket(bKiosks).Bucket([]byte(kioskID))
		var jb *bolt.Bucket
		if k != nil && k.Bucket(bJournals) != nil {
			jb = k.Bucket(bJournals).Bucket([]byte(journalID))
		}
		found, err := getJSON(jb, kState, &st)
		if err == nil && !found {
			err = fmt.Errorf("journal %s/%s: %w", kioskID, journalID, store.ErrNotFound)
		}
		return err
	})
	return st, err
}

// Records implements store.Store.
func (s *Store) Records(ctx context.Context, q store.Query) ([]kiosk.Record, error) {
	var out []kiosk.Record
	err := s.view(ctx, func(tx *bolt.Tx) error {
		kb := tx.Bucket(bKiosks)
		if q.KioskID != "" {
			k := kb.Bucket([]byte(q.KioskID))
			if k == nil {
				return nil
			}
			var err error
			out, err = kioskRecords(k, q)
			return err
		}
		// Every kiosk: each one's best Limit, merged by time.
		return kb.ForEachBucket(func(id []byte) error {
			recs, err := kioskRecords(kb.Bucket(id), q)
			out = append(out, recs...)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("records: %w", err)
	}
	if q.KioskID == "" {
		sort.SliceStable(out, func(a, b int) bool { return out[a].Time.Before(out[b].Time) })
		if q.Limit > 0 && len(out) > q.Limit {
			if q.Newest {
				out = out[len(out)-q.Limit:]
			} else {
				out = out[:q.Limit]
			}
		}
	}
	return out, nil
}

// kioskRecords runs q over one kiosk: one journal by sequence, else the
// time index.
func kioskRecords(k *bolt.Bucket, q store.Query) ([]kiosk.Record, error) {
	var out []kiosk.Record
	full := func() bool { return q.Limit > 0 && len(out) >= q.Limit }
	take := func(v []byte) error {
		var r kiosk.Record
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		if q.Match(r) {
			out = append(out, r)
		}
		return nil
	}
	jbs := k.Bucket(bJournals)
	if jbs == nil {
		return nil, nil
	}
	if q.JournalID != "" {
		jb := jbs.Bucket([]byte(q.JournalID))
		if jb == nil || jb.Bucket(bRecs) == nil {
			return nil, nil
		}
		c := jb.Bucket(bRecs).Cursor()
		if q.Newest {
			for key, v := c.Last(); key != nil && !full() && binary.BigEndian.Uint64(key) > q.AfterSeq; key, v = c.Prev() {
				if err := take(v); err != nil {
					return nil, err
				}
			}
			slices.Reverse(out)
			return out, nil
		}
		for key, v := c.Seek(be64(q.AfterSeq + 1)); key != nil && !full(); key, v = c.Next() {
			if err := take(v); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	idx := k.Bucket(bByTime)
	if idx == nil {
		return nil, nil
	}
	get := func(key []byte) error {
		if len(key) < 16 {
			return fmt.Errorf("bad index key %x", key)
		}
		jid, seq := key[8:len(key)-8], key[len(key)-8:]
		jb := jbs.Bucket(jid)
		if jb == nil || jb.Bucket(bRecs) == nil {
			return fmt.Errorf("index names journal %s, not held", jid)
		}
		v := jb.Bucket(bRecs).Get(seq)
		if v == nil {
			return fmt.Errorf("index names record %s/%d, not held", jid, binary.BigEndian.Uint64(seq))
		}
		return take(v)
	}
	c := idx.Cursor()
	lo := binary.BigEndian.AppendUint64(nil, uint64(max(q.From.UnixNano(), 0)))
	if q.Newest {
		key, _ := c.Last()
		if !q.To.IsZero() {
			if key, _ = c.Seek(binary.BigEndian.AppendUint64(nil, uint64(q.To.UnixNano()))); key == nil {
				key, _ = c.Last()
			} else {
				key, _ = c.Prev()
			}
		}
		for ; key != nil && !full() && bytes.Compare(key[:8], lo) >= 0; key, _ = c.Prev() {
			if err := get(key); err != nil {
				return nil, err
			}
		}
		slices.Reverse(out)
		return out, nil
	}
	for key, _ := c.Seek(lo); key != nil && !full(); key, _ = c.Next() {
		if !q.To.IsZero() && binary.BigEndian.Uint64(key[:8]) >= uint64(q.To.UnixNano()) {
			break
		}
		if err := get(key); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// carriedRef finds, in a journal that diverged, the record carried over
// from the slip ref names: the carried records follow its start record,
// each with its old reference.
func carriedRef(jb, rb *bolt.Bucket, ref kiosk.Ref) (*kiosk.Record, error) {
	var st store.JournalState
	if _, err := getJSON(jb, kState, &st); err != nil || st.Reason != store.ReasonDiverged {
		return nil, err
	}
	c := rb.Cursor()
	for k, v := c.Seek(be64(st.StartSeq + 1)); k != nil; k, v = c.Next() {
		var r kiosk.Record
		if err := json.Unmarshal(v, &r); err != nil {
			return nil, err
		}
		if r.Reference == "" || r.Seq != binary.BigEndian.Uint64(k) {
			return nil, nil
		}
		if r.Reference == ref.String() {
			return &r, nil
		}
	}
	return nil, nil
}

// Lookup implements store.Store.
func (s *Store) Lookup(ctx context.Context, ref kiosk.Ref) ([]store.Found, error) {
	var out []store.Found
	err := s.view(ctx, func(tx *bolt.Tx) error {
		k := tx.Bucket(bKiosks).Bucket([]byte(ref.KioskID))
		if k == nil || k.Bucket(bJournals) == nil {
			return nil
		}
		jbs := k.Bucket(bJournals)
		return jbs.ForEachBucket(func(jid []byte) error {
			rb := jbs.Bucket(jid).Bucket(bRecs)
			if rb == nil {
				return nil
			}
			carried, err := carriedRef(jbs.Bucket(jid), rb, ref)
			if err != nil || carried != nil {
				if carried != nil {
					out = append(out, store.Found{JournalID: string(jid), Record: *carried})
				}
				return err
			}
			if ref.JournalTag != "" && kiosk.JournalTag(string(jid)) != ref.JournalTag {
				return nil
			}
			v := rb.Get(be64(ref.Seq))
			if v == nil {
				return nil
			}
			var r kiosk.Record
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			if ref.Matches(string(jid), r) {
				out = append(out, store.Found{JournalID: string(jid), Record: r})
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("lookup %s: %w", ref, err)
	}
	return out, nil
}
