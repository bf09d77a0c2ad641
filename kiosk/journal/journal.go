// Package journal is the kiosk's durable outbox: every transaction record is
// hash-chained and committed to a bbolt file (fsync per append) before the UI
// may say "done", and stays there until the town hall acknowledges it.
package journal

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/villagehall/kiosk/kiosk"
)

// Errors callers act on.
var (
	// ErrFull: the record could not be stored (MaxSize reached or disk
	// full). The UI must refuse a transaction it cannot record.
	ErrFull = errors.New("journal full: the transaction cannot be recorded")
	// ErrInUse: another process (usually the running kiosk) holds the file.
	ErrInUse = errors.New("journal in use by another process")
	// ErrCorrupt: the file is unusable and the caller asked not to reset it.
	ErrCorrupt = errors.New("journal file corrupt")
	// ErrNotStarted: a read-only open found a database with no journal in
	// it yet (its writer stopped after making the file, before the
	// journal's first transaction; opened for writing, it starts there).
	ErrNotStarted = errors.New("not a journal yet (no meta bucket)")
	// ErrClosed: the journal was closed.
	ErrClosed = errors.New("journal closed")
	// ErrOtherJournal: an acknowledgement names another journal.
	ErrOtherJournal = errors.New("acknowledgement is for another journal")
)

// The Detail of the TxSystem record that starts every journal: why it was
// created. The town hall turns it into an event staff see.
const (
	// DetailJournalNew: no file was there (first start, or an SD card
	// re-flashed or replaced).
	DetailJournalNew = "journal_new"
	// DetailReset: the file was unusable and was moved aside.
	DetailReset = "journal_reset"
	// DetailDiverged: the collector holds other records under this
	// journal's sequence numbers (restored from a backup, a cloned card);
	// the unsent records were carried into the new journal (Diverge).
	DetailDiverged = "journal_diverged"
)

var (
	bucketRecords = []byte("records")
	bucketMeta    = []byte("meta")

	metaKioskID       = []byte("kiosk_id")
	metaJournalID     = []byte("journal_id")
	metaCreated       = []byte("created_at")
	metaCreatedWhy    = []byte("created_reason") // DetailJournalNew or DetailReset
	metaSyncState     = []byte("sync_state")
	metaHashAlg       = []byte("hash_alg")
	metaHeadSeq       = []byte("head_seq")
	metaHeadHash      = []byte("head_hash")
	metaTailSeq       = []byte("acked_seq") // last released record: anchors the chain after deletes
	metaTailHash      = []byte("acked_hash")
	metaLastTime      = []byte("last_record_time")
	metaLastSync      = []byte("last_sync")
	metaCollectorTime = []byte("collector_time")
)

// ackBatch bounds one Ack transaction so a 100k backlog does not build one
// huge dirty-page set.
const ackBatch = 1000

// Options configure Open.
type Options struct {
	// KioskID is written into every record. Required to create a journal;
	// empty means "whatever the file says" (staff tools).
	KioskID string
	// MaxSize caps the file in bytes (0 = no cap). Appends are refused with
	// ErrFull a little before the cap so acknowledging still has room.
	MaxSize int
	// LockTimeout bounds the wait for the file lock (default 5 s).
	LockTimeout time.Duration
	// ReadOnly opens with a shared lock and never repairs.
	ReadOnly bool
	// NoReset returns ErrCorrupt instead of moving a corrupt file aside.
	NoReset bool
	Logger  *slog.Logger
	Now     func() time.Time
}

// ResetInfo says that Open found an unusable file and started a new one.
type ResetInfo struct {
	MovedTo string       // where the old file now is (never deleted)
	Reason  string       // why it was unusable
	Record  kiosk.Record // the journal_reset record that starts the new chain
}

// Journal implements kiosk.Journal on bbolt.
type Journal struct {
	// mu is held shared by every operation (bbolt does its own locking) and
	// exclusively only while Compact swaps the file underneath.
	mu        sync.RWMutex
	db        *bolt.DB
	path      string
	opts      Options
	kioskID   string
	journalID string // random, made with the file (kiosk.LegacyJournalID for older files)
	log       *slog.Logger
	now       func() time.Time
	reset     *ResetInfo
}

// Ack says the town hall holds the record with this sequence and hash.
type Ack struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

var _ kiosk.Journal = (*Journal)(nil)

// Open opens or creates the journal at path. A new file gets a random
// journal ID and starts with a TxSystem "journal_new" record. A file bbolt
// cannot open or whose consistency check fails is renamed to
// path.corrupt-<time> and a fresh journal is created the same way, starting
// with a "journal_reset" record; Reset() then reports it.
func Open(path string, opts Options) (*Journal, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	j := &Journal{path: path, opts: opts, log: opts.Logger, now: opts.Now}
	db, reason, err := j.openChecked()
	if err != nil {
		return nil, err
	}
	if reason == "" {
		j.db = db
		if err := j.initMeta(DetailJournalNew); err != nil {
			_ = db.Close()
			return nil, err
		}
		return j, nil
	}
	if opts.ReadOnly || opts.NoReset {
		return nil, fmt.Errorf("open journal %s: %s: %w", path, reason, ErrCorrupt)
	}
	return j, j.resetCorrupt(reason)
}

func (j *Journal) boltOptions() *bolt.Options {
	return &bolt.Options{Timeout: j.opts.LockTimeout, MaxSize: j.opts.MaxSize, ReadOnly: j.opts.ReadOnly}
}

// openChecked opens the file and runs bbolt's consistency check. A non-empty
// reason means the content is unusable; err means something else is wrong
// (lock held, permissions) and the file must be left alone.
func (j *Journal) openChecked() (db *bolt.DB, reason string, err error) {
	db, err = bolt.Open(j.path, 0o600, j.boltOptions())
	if err != nil {
		switch {
		case errors.Is(err, berrors.ErrTimeout):
			return nil, "", fmt.Errorf("open journal %s: %w", j.path, ErrInUse)
		case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum),
			errors.Is(err, berrors.ErrVersionMismatch), strings.Contains(err.Error(), "file size too small"):
			return nil, err.Error(), nil
		}
		return nil, "", fmt.Errorf("open journal %s: %w", j.path, err)
	}
	if reason = checkFile(db); reason != "" {
		_ = db.Close()
		return nil, reason, nil
	}
	return db, "", nil
}

// checkFile runs tx.Check and a few schema checks; it recovers from panics
// because bbolt may panic on pages it cannot make sense of.
func checkFile(db *bolt.DB) (reason string) {
	defer func() {
		if r := recover(); r != nil {
			reason = fmt.Sprintf("panic while checking: %v", r)
		}
	}()
	err := db.View(func(tx *bolt.Tx) error {
		var errs []string
		for e := range tx.Check() {
			errs = append(errs, e.Error())
		}
		if len(errs) > 0 {
			return fmt.Errorf("consistency check: %s", strings.Join(errs[:min(len(errs), 3)], "; "))
		}
		rb, mb := tx.Bucket(bucketRecords), tx.Bucket(bucketMeta)
		if rb == nil && mb == nil {
			return nil // new file
		}
		if rb == nil || mb == nil {
			return errors.New("records or meta bucket missing")
		}
		if mb.Get(metaKioskID) == nil {
			return errors.New("kiosk ID missing")
		}
		// Chain and head mismatches are not "unusable": they are evidence
		// Verify reports, and the file must stay where staff can see it.
		return nil
	})
	if err != nil {
		return err.Error()
	}
	return ""
}

// initMeta checks a used file belongs to this kiosk and hash algorithm,
// or, on a new file, creates the buckets, a journal ID and the record that
// starts the chain (Detail why), all in one transaction: a cut leaves
// either no journal or a complete one.
func (j *Journal) initMeta(why string) error {
	alg := AlgSHA256
	check := func(mb *bolt.Bucket) error {
		id, fileAlg := string(mb.Get(metaKioskID)), string(mb.Get(metaHashAlg))
		if j.opts.KioskID != "" && id != j.opts.KioskID {
			return fmt.Errorf("journal %s belongs to kiosk %q, not %q", j.path, id, j.opts.KioskID)
		}
		if fileAlg != alg {
			return fmt.Errorf("journal %s is hashed with %s; this kiosk knows only %s", j.path, fileAlg, alg)
		}
		j.kioskID = id
		j.journalID = string(mb.Get(metaJournalID))
		if j.journalID == "" {
			// A file from before journal IDs: the one legacy journal of
			// this kiosk, a name the town hall gives it too.
			j.journalID = kiosk.LegacyJournalID
			if !j.opts.ReadOnly {
				return mb.Put(metaJournalID, []byte(j.journalID))
			}
		}
		return nil
	}
	if j.opts.ReadOnly {
		return j.db.View(func(tx *bolt.Tx) error {
			mb := tx.Bucket(bucketMeta)
			if mb == nil {
				return fmt.Errorf("open journal %s: %w", j.path, ErrNotStarted)
			}
			return check(mb)
		})
	}
	var start kiosk.Record
	err := j.db.Update(func(tx *bolt.Tx) error {
		if mb := tx.Bucket(bucketMeta); mb != nil {
			return check(mb)
		}
		if j.opts.KioskID == "" {
			return fmt.Errorf("create journal %s: kiosk ID required", j.path)
		}
		if _, err := tx.CreateBucket(bucketRecords); err != nil {
			return fmt.Errorf("create records bucket: %w", err)
		}
		mb, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return fmt.Errorf("create meta bucket: %w", err)
		}
		now := j.now().UTC().Round(0)
		j.kioskID, j.journalID = j.opts.KioskID, kiosk.NewJournalID()
		created, _ := now.MarshalBinary()
		for k, v := range map[string][]byte{
			string(metaKioskID): []byte(j.kioskID), string(metaHashAlg): []byte(alg),
			string(metaJournalID): []byte(j.journalID), string(metaCreated): created, string(metaCreatedWhy): []byte(why),
			string(metaHeadSeq): be64(0), string(metaHeadHash): []byte(Genesis),
			string(metaTailSeq): be64(0), string(metaTailHash): []byte(Genesis),
		} {
			if err := mb.Put([]byte(k), v); err != nil {
				return fmt.Errorf("init meta: %w", err)
			}
		}
		outcome := kiosk.OutcomeOK
		if why == DetailReset {
			outcome = kiosk.OutcomeError
		}
		start, err = j.appendTx(tx, kiosk.Record{Time: now, Kind: kiosk.TxSystem, Outcome: outcome, Detail: why})
		return err
	})
	if err != nil {
		return j.writeErr("create", err)
	}
	if start.Seq != 0 {
		j.log.Info("journal created", "journal_id", j.journalID, "reason", why, "path", j.path)
		if why == DetailReset {
			j.reset = &ResetInfo{Record: start}
		}
	}
	return nil
}

// resetCorrupt moves the unusable file aside and starts a new chain.
func (j *Journal) resetCorrupt(reason string) error {
	now := j.now().UTC()
	moved := fmt.Sprintf("%s.corrupt-%s", j.path, now.Format("20060102T150405.000000000Z"))
	if err := os.Rename(j.path, moved); err != nil {
		return fmt.Errorf("move corrupt journal aside: %w", err)
	}
	if err := syncDir(filepath.Dir(j.path)); err != nil {
		return err
	}
	db, err := bolt.Open(j.path, 0o600, j.boltOptions())
	if err != nil {
		return fmt.Errorf("create fresh journal after reset: %w", err)
	}
	j.db = db
	// A new journal ID: the new chain starts at sequence 1 again without
	// colliding with the old file's records the town hall already holds.
	if err := j.initMeta(DetailReset); err != nil {
		_ = db.Close()
		return fmt.Errorf("record journal reset: %w", err)
	}
	j.reset.MovedTo, j.reset.Reason = moved, reason
	j.log.Warn("journal was unusable; moved aside and started a new one (its unsent records: kioskctl journal salvage --db FILE --to DIR)",
		"moved_to", moved, "reason", reason, "journal_id", j.journalID)
	return nil
}

// Reset reports whether Open replaced a corrupt file (nil when it did not).
func (j *Journal) Reset() *ResetInfo { return j.reset }

// KioskID is the kiosk this journal belongs to.
func (j *Journal) KioskID() string { return j.kioskID }

// JournalID is this journal file's identity, written into every record.
// It changes only when the journal diverges (Diverge).
func (j *Journal) JournalID() string {
	j.mu.RLock()
	defer j.mu.RUnlock()
	return j.journalID
}

// Path is the journal file.
func (j *Journal) Path() string { return j.path }

// Close closes the file.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.db == nil {
		return nil
	}
	err := j.db.Close()
	j.db = nil
	if err != nil {
		return fmt.Errorf("close journal: %w", err)
	}
	return nil
}

// Append stores r durably (one fsynced bbolt transaction) and returns it with
// Seq, KioskID, JournalID, PrevHash and Hash filled in.
func (j *Journal) Append(ctx context.Context, r kiosk.Record) (kiosk.Record, error) {
	if err := ctx.Err(); err != nil {
		return kiosk.Record{}, fmt.Errorf("append: %w", err)
	}
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.db == nil {
		return kiosk.Record{}, fmt.Errorf("append: %w", ErrClosed)
	}
	var free int
	if j.opts.MaxSize > 0 {
		// Pending pages are released when this write transaction begins,
		// so they count as free; counting them keeps the answer stable.
		st := j.db.Stats()
		free = (st.FreePageN + st.PendingPageN) * j.db.Info().PageSize
	}
	err := j.db.Update(func(tx *bolt.Tx) error {
		if j.opts.MaxSize > 0 {
			if used := int(tx.Size()) - free; used > j.softLimit() {
				return fmt.Errorf("%d bytes in use of %d: %w", used, j.opts.MaxSize, ErrFull)
			}
		}
		var err error
		r, err = j.appendTx(tx, r)
		return err
	})
	if err != nil {
		return kiosk.Record{}, j.writeErr("append", err)
	}
	return r, nil
}

// appendTx chains r onto the head inside tx.
func (j *Journal) appendTx(tx *bolt.Tx, r kiosk.Record) (kiosk.Record, error) {
	if r.Time.IsZero() {
		r.Time = j.now()
	}
	r.Time = r.Time.UTC().Round(0)
	rb, mb := tx.Bucket(bucketRecords), tx.Bucket(bucketMeta)
	seq, err := rb.NextSequence()
	if err != nil {
		return r, err
	}
	if seq > kiosk.MaxSeq {
		return r, fmt.Errorf("sequence %d is beyond kiosk.MaxSeq: %w", seq, ErrFull)
	}
	r.Seq, r.KioskID, r.JournalID = seq, j.kioskID, j.journalID
	r.PrevHash = string(mb.Get(metaHeadHash))
	r.Hash = HashRecord(r)
	v, err := json.Marshal(r)
	if err != nil {
		return r, err
	}
	if err := rb.Put(be64(seq), v); err != nil {
		return r, err
	}
	if err := mb.Put(metaHeadSeq, be64(seq)); err != nil {
		return r, err
	}
	if err := mb.Put(metaHeadHash, []byte(r.Hash)); err != nil {
		return r, err
	}
	if last := getTime(mb, metaLastTime); r.Time.After(last) {
		return r, putTime(mb, metaLastTime, r.Time)
	}
	return r, nil
}

// softLimit keeps an eighth of MaxSize (at least 64 KiB) for Ack, whose
// deletes need fresh pages too: a full journal must still be drainable.
func (j *Journal) softLimit() int {
	return j.opts.MaxSize - max(j.opts.MaxSize/8, 64<<10)
}

func (j *Journal) writeErr(op string, err error) error {
	if errors.Is(err, ErrFull) {
		return fmt.Errorf("journal %s: %w", op, err)
	}
	if errors.Is(err, berrors.ErrMaxSizeReached) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("journal %s: %w: %w", op, ErrFull, err)
	}
	return fmt.Errorf("journal %s: %w", op, err)
}

// Pending returns up to limit unacknowledged records, oldest first.
func (j *Journal) Pending(limit int) ([]kiosk.Record, error) {
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.db == nil {
		return nil, fmt.Errorf("pending: %w", ErrClosed)
	}
	var out []kiosk.Record
	err := j.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRecords).Cursor()
		for k, v := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			var r kiosk.Record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("record %d: %w", u64(k), err)
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pending: %w", err)
	}
	return out, nil
}

// Release deletes, oldest first, the pending records the town hall has
// acknowledged, and stops at the first one it has not: the journal always
// holds an unbroken run from the released tail to the head, and a record
// leaves only when its own sequence and hash, in this journal, were
// acknowledged. It returns how many it deleted. The released tail's hash
// stays in meta so the chain still verifies.
func (j *Journal) Release(journalID string, acks []Ack) (int, error) {
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.db == nil {
		return 0, fmt.Errorf("release: %w", ErrClosed)
	}
	if journalID != j.journalID {
		return 0, fmt.Errorf("release: acknowledged journal %s, this journal is %s: %w", journalID, j.journalID, ErrOtherJournal)
	}
	acked := make(map[uint64]string, len(acks))
	for _, a := range acks {
		acked[a.Seq] = a.Hash
	}
	total := 0
	for {
		n, stopped := 0, false
		err := j.db.Update(func(tx *bolt.Tx) error {
			rb, mb := tx.Bucket(bucketRecords), tx.Bucket(bucketMeta)
			var keys [][]byte
			var lastHash string
			c := rb.Cursor()
			// Collect first, then delete: deleting under a cursor can skip keys.
			for k, v := c.First(); k != nil && len(keys) < ackBatch; k, v = c.Next() {
				var h struct {
					Hash string `json:"hash"`
				}
				if err := json.Unmarshal(v, &h); err != nil {
					return fmt.Errorf("record %d: %w", u64(k), err)
				}
				if want, ok := acked[u64(k)]; !ok || want != h.Hash || h.Hash == "" {
					stopped = true
					break
				}
				keys = append(keys, bytes.Clone(k))
				lastHash = h.Hash
			}
			for _, k := range keys {
				if err := rb.Delete(k); err != nil {
					return err
				}
			}
			if n = len(keys); n == 0 {
				return nil
			}
			if err := mb.Put(metaTailSeq, keys[n-1]); err != nil {
				return err
			}
			return mb.Put(metaTailHash, []byte(lastHash))
		})
		if err != nil {
			return total, j.writeErr("release", err)
		}
		total += n
		if stopped || n < ackBatch {
			return total, nil
		}
	}
}

// SyncState is how the upload is going, kept in the journal so that staff
// see a stuck kiosk in `kioskctl journal status` even with the kiosk stopped.
type SyncState struct {
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"` // "" since the last success; names the full URL
	ErrorSince  time.Time `json:"error_since,omitzero"`
	Failures    int       `json:"failures,omitempty"` // attempts failed in a row
}

// SetSynced records a successful upload at kiosk time at, and the
// collector's clock as it reported it (zero to leave unchanged).
func (j *Journal) SetSynced(at, collectorTime time.Time) error {
	return j.updateMeta("set synced", func(mb *bolt.Bucket) error {
		if err := putTime(mb, metaLastSync, at); err != nil {
			return err
		}
		if err := putSyncState(mb, SyncState{LastAttempt: at.UTC(), LastSuccess: at.UTC()}); err != nil {
			return err
		}
		if collectorTime.IsZero() {
			return nil
		}
		return putTime(mb, metaCollectorTime, collectorTime)
	})
}

// SetSyncFailed records a failed upload attempt and why.
func (j *Journal) SetSyncFailed(at time.Time, why string) error {
	return j.updateMeta("set sync failed", func(mb *bolt.Bucket) error {
		st := getSyncState(mb)
		if st.Failures == 0 {
			st.ErrorSince = at.UTC()
		}
		st.LastAttempt, st.LastError = at.UTC(), why
		st.Failures++
		return putSyncState(mb, st)
	})
}

// SyncState is how the upload went, as last recorded.
func (j *Journal) SyncState() (SyncState, error) {
	var st SyncState
	err := j.view(func(tx *bolt.Tx) error {
		st = getSyncState(tx.Bucket(bucketMeta))
		return nil
	})
	return st, err
}

func (j *Journal) updateMeta(op string, fn func(mb *bolt.Bucket) error) error {
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.db == nil {
		return fmt.Errorf("%s: %w", op, ErrClosed)
	}
	if err := j.db.Update(func(tx *bolt.Tx) error { return fn(tx.Bucket(bucketMeta)) }); err != nil {
		return j.writeErr(op, err)
	}
	return nil
}

func getSyncState(mb *bolt.Bucket) SyncState {
	var st SyncState
	if v := mb.Get(metaSyncState); v != nil {
		_ = json.Unmarshal(v, &st) // unreadable reads as "nothing known"
	}
	if st.LastSuccess.IsZero() {
		st.LastSuccess = getTime(mb, metaLastSync)
	}
	return st
}

func putSyncState(mb *bolt.Bucket, st SyncState) error {
	v, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return mb.Put(metaSyncState, v)
}

// LastTime is the latest time the journal has seen: newest record, last
// sync or the collector's reported clock. A kiosk clock earlier than this
// has gone backwards and must not be trusted.
func (j *Journal) LastTime() (time.Time, error) {
	var t time.Time
	err := j.view(func(tx *bolt.Tx) error {
		mb := tx.Bucket(bucketMeta)
		for _, k := range [][]byte{metaLastTime, metaLastSync, metaCollectorTime} {
			if v := getTime(mb, k); v.After(t) {
				t = v
			}
		}
		return nil
	})
	return t, err
}

func (j *Journal) view(fn func(tx *bolt.Tx) error) error {
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.db == nil {
		return ErrClosed
	}
	return j.db.View(fn)
}

// Status is what staff and the heartbeat need to know about the journal.
type Status struct {
	Path          string
	KioskID       string
	JournalID     string
	Created       time.Time // when this journal file was made (zero for files from before journal IDs)
	CreatedReason string    // DetailJournalNew or DetailReset
	HashAlg       string
	Depth         int       // records not yet acknowledged
	OldestSeq     uint64    // oldest unsent record (0 when empty)
	OldestTime    time.Time // its kiosk time
	HeadSeq       uint64
	HeadHash      string
	AckedSeq      uint64 // last released record
	LastSync      time.Time
	CollectorTime time.Time
	Sync          SyncState
	ChainOK       bool
	ChainBreak    *Break
	FileSize      int64
}

// Status reports depth, times, the chain check and the file size.
func (j *Journal) Status() (Status, error) {
	s := Status{Path: j.path, KioskID: j.kioskID}
	err := j.view(func(tx *bolt.Tx) error {
		s.JournalID = j.journalID
		rb, mb := tx.Bucket(bucketRecords), tx.Bucket(bucketMeta)
		s.HashAlg = string(mb.Get(metaHashAlg))
		s.Created, s.CreatedReason = getTime(mb, metaCreated), string(mb.Get(metaCreatedWhy))
		s.Sync = getSyncState(mb)
		s.HeadSeq, s.HeadHash = u64(mb.Get(metaHeadSeq)), string(mb.Get(metaHeadHash))
		s.AckedSeq = u64(mb.Get(metaTailSeq))
		s.LastSync, s.CollectorTime = getTime(mb, metaLastSync), getTime(mb, metaCollectorTime)
		s.FileSize = tx.Size()
		c := rb.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if s.Depth == 0 {
				var r kiosk.Record
				if err := json.Unmarshal(v, &r); err == nil {
					s.OldestSeq, s.OldestTime = r.Seq, r.Time
				}
			}
			s.Depth++
		}
		return nil
	})
	if err != nil {
		return s, fmt.Errorf("status: %w", err)
	}
	if fi, err := os.Stat(j.path); err == nil {
		s.FileSize = fi.Size()
	}
	b, err := j.Verify()
	if err != nil {
		return s, err
	}
	s.ChainOK, s.ChainBreak = b == nil, b
	return s, nil
}

// Verify walks the stored chain from the last released record to the head
// and returns the first break, or nil when it holds.
func (j *Journal) Verify() (*Break, error) {
	var brk *Break
	err := j.view(func(tx *bolt.Tx) error {
		rb, mb := tx.Bucket(bucketRecords), tx.Bucket(bucketMeta)
		prevSeq, prevHash := u64(mb.Get(metaTailSeq)), string(mb.Get(metaTailHash))
		headSeq, headHash := u64(mb.Get(metaHeadSeq)), string(mb.Get(metaHeadHash))
		c := rb.Cursor()
		i := 0
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var r kiosk.Record
			if err := json.Unmarshal(v, &r); err != nil {
				brk = &Break{Seq: u64(k), Index: i, Reason: "stored record cannot be decoded"}
				return nil
			}
			if r.Seq != u64(k) {
				brk = &Break{Seq: u64(k), Index: i, Reason: fmt.Sprintf("stored under key %d but says seq %d", u64(k), r.Seq)}
				return nil
			}
			if r.KioskID != j.kioskID {
				brk = &Break{Seq: r.Seq, Index: i, Reason: fmt.Sprintf("kiosk ID %q is not this journal's", r.KioskID)}
				return nil
			}
			if r.JournalID != j.journalID && !(r.JournalID == "" && j.journalID == kiosk.LegacyJournalID) {
				brk = &Break{Seq: r.Seq, Index: i, Reason: fmt.Sprintf("journal ID %q is not this journal's", r.JournalID)}
				return nil
			}
			if b := VerifyChain([]kiosk.Record{r}, prevSeq, prevHash); b != nil {
				b.Index = i
				brk = b
				return nil
			}
			prevSeq, prevHash = r.Seq, r.Hash
			i++
		}
		if prevSeq != headSeq || prevHash != headHash {
			brk = &Break{Seq: headSeq, Index: -1, Reason: fmt.Sprintf("newest stored record %d does not match the chain head %d (records lost)", prevSeq, headSeq)}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	return brk, nil
}

// Compact rewrites the file without its free pages when that would give
// back at least half of it (or force is set); bbolt files never shrink on
// their own. The sequence, chain head and meta survive. Appends wait while
// it runs. It reports whether it compacted.
func (j *Journal) Compact(force bool) (bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.db == nil {
		return false, fmt.Errorf("compact: %w", ErrClosed)
	}
	if j.opts.ReadOnly {
		return false, errors.New("compact: journal opened read-only")
	}
	fi, err := os.Stat(j.path)
	if err != nil {
		return false, fmt.Errorf("compact: %w", err)
	}
	freeBytes := int64(j.db.Stats().FreePageN * j.db.Info().PageSize)
	if !force && (fi.Size() < 1<<20 || freeBytes < fi.Size()/2) {
		return false, nil
	}
	tmp := j.path + ".compact"
	_ = os.Remove(tmp) // a leftover from a cut during an earlier compaction
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: j.opts.LockTimeout})
	if err != nil {
		return false, fmt.Errorf("compact: create %s: %w", tmp, err)
	}
	if err := bolt.Compact(dst, j.db, 4<<20); err != nil {
		_ = dst.Close()
		_ = os.Remove(tmp)
		return false, fmt.Errorf("compact: copy: %w", err)
	}
	if err := dst.Close(); err != nil {
		_ = os.Remove(tmp)
		return false, fmt.Errorf("compact: close copy: %w", err)
	}
	if err := j.db.Close(); err != nil {
		return false, fmt.Errorf("compact: close journal: %w", err)
	}
	j.db = nil
	// Rename is atomic: a cut leaves either the old or the compacted file.
	renameErr := os.Rename(tmp, j.path)
	if renameErr == nil {
		renameErr = syncDir(filepath.Dir(j.path))
	}
	db, err := bolt.Open(j.path, 0o600, j.boltOptions())
	if err != nil {
		return false, fmt.Errorf("compact: reopen: %w", err)
	}
	j.db = db
	if renameErr != nil {
		_ = os.Remove(tmp)
		return false, fmt.Errorf("compact: replace file: %w", renameErr)
	}
	j.log.Info("journal compacted", "before_bytes", fi.Size())
	return true, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func u64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func getTime(b *bolt.Bucket, k []byte) time.Time {
	var t time.Time
	if v := b.Get(k); v != nil {
		_ = t.UnmarshalBinary(v) // a bad value reads as "never"
	}
	return t
}

func putTime(b *bolt.Bucket, k []byte, t time.Time) error {
	v, err := t.UTC().MarshalBinary()
	if err != nil {
		return err
	}
	return b.Put(k, v)
}

// Depth is the number of records not yet acknowledged.
func (j *Journal) Depth() (int, error) {
	n := 0
	err := j.view(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketRecords).Stats().KeyN
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("depth: %w", err)
	}
	return n, nil
}
