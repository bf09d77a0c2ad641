package journal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/villagehall/kiosk/kiosk"
)

// Records the town hall acknowledged are not deleted at once: Release
// moves them into the retained bucket, where they wait out a retention
// window (like an ATM's audited electronic journal). A collector restored
// from a backup that no longer holds them asks for them again (Retained),
// and the kiosk sends them, hashes and chain unchanged.
var (
	bucketRetained    = []byte("retained")
	metaRetainedBytes = []byte("retained_bytes")
)

// Retention says how long acknowledged records are kept. The zero value
// keeps none (each is deleted once acknowledged, as before retention).
type Retention struct {
	// Days and MaxBytes: the oldest retained record is wiped only when it
	// is older than Days AND the retained records take more than MaxBytes,
	// so both are guarantees: at least Days of records, and at least
	// MaxBytes of them however old.
	Days     int
	MaxBytes int64
	// FreeFloor: while the journal's file system has less free than this,
	// retention may not grow the file: each release wipes at least as much
	// as it keeps, and an append that finds the file full wipes retained
	// records first. New records always come before old copies.
	FreeFloor int64
}

func (r Retention) enabled() bool { return r.Days > 0 || r.MaxBytes > 0 }

// Acked is a journal's acknowledged point: the newest record the town
// hall acknowledged (Seq, Hash; 0 and Genesis before any) and the oldest
// acknowledged record still kept for resending (RetainedFrom; Seq+1 when
// none is kept).
type Acked struct {
	JournalID    string `json:"journal_id"`
	Seq          uint64 `json:"seq"`
	Hash         string `json:"hash"`
	RetainedFrom uint64 `json:"retained_from"`
}

// Retaining reports whether acknowledged records are kept for resending.
func (j *Journal) Retaining() bool { return j.opts.Retention.enabled() }

// Acked reports the acknowledged point.
func (j *Journal) Acked() (Acked, error) {
	var a Acked
	err := j.view(func(tx *bolt.Tx) error {
		mb := tx.Bucket(bucketMeta)
		a = Acked{JournalID: j.journalID, Seq: u64(mb.Get(metaTailSeq)), Hash: string(mb.Get(metaTailHash))}
		a.RetainedFrom = a.Seq + 1
		if b := tx.Bucket(bucketRetained); b != nil {
			if k, _ := b.Cursor().First(); k != nil {
				a.RetainedFrom = u64(k)
			}
		}
		return nil
	})
	if err != nil {
		return a, fmt.Errorf("acknowledged point: %w", err)
	}
	return a, nil
}

// Retained returns up to limit retained records with from <= seq <= to,
// oldest first: what a collector that lost them asks for again.
func (j *Journal) Retained(from, to uint64, limit int) ([]kiosk.Record, error) {
	var out []kiosk.Record
	err := j.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRetained)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(be64(from)); k != nil && u64(k) <= to && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			var r kiosk.Record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("retained record %d: %w", u64(k), err)
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("retained: %w", err)
	}
	return out, nil
}

// RetainedStatus is what the retained bucket holds, for staff.
type RetainedStatus struct {
	Count   int
	FromSeq uint64    // oldest kept (0 when none)
	Oldest  time.Time // its kiosk time
	Bytes   int64
}

func retainedStatus(tx *bolt.Tx) RetainedStatus {
	var s RetainedStatus
	b := tx.Bucket(bucketRetained)
	if b == nil {
		return s
	}
	s.Count = b.Stats().KeyN
	s.Bytes = int64(u64(tx.Bucket(bucketMeta).Get(metaRetainedBytes)))
	if k, v := b.Cursor().First(); k != nil {
		s.FromSeq = u64(k)
		s.Oldest = recordTime(v)
	}
	return s
}

func recordTime(v []byte) time.Time {
	var r struct {
		Time time.Time `json:"time"`
	}
	_ = json.Unmarshal(v, &r) // unreadable reads as "long ago": wiped first
	return r.Time
}

// retainTx keeps the released records (key, value pairs, oldest first)
// when retention is on, then wipes what the policy allows. floorLow says
// the file system is below FreeFloor.
func (j *Journal) retainTx(tx *bolt.Tx, keys, vals [][]byte, floorLow bool) error {
	if !j.opts.Retention.enabled() {
		return nil
	}
	b, err := tx.CreateBucketIfNotExists(bucketRetained)
	if err != nil {
		return err
	}
	mb := tx.Bucket(bucketMeta)
	size := int64(u64(mb.Get(metaRetainedBytes)))
	var added int64
	for i, k := range keys {
		if err := b.Put(k, vals[i]); err != nil {
			return err
		}
		added += int64(len(vals[i]))
	}
	size += added
	wipe := int64(0)
	if floorLow {
		wipe = added // keep the file from growing: new records first
	}
	size, err = j.wipeTx(b, size, wipe, 0)
	if err != nil {
		return err
	}
	return mb.Put(metaRetainedBytes, be64(uint64(size)))
}

// wipeTx deletes the oldest retained records: at least atLeastBytes or
// atLeastN of them, and beyond that every one older than Days while the
// retained records take more than MaxBytes. It returns the new size.
func (j *Journal) wipeTx(b *bolt.Bucket, size, atLeastBytes int64, atLeastN int) (int64, error) {
	ret := j.opts.Retention
	cutoff := j.now().AddDate(0, 0, -ret.Days)
	var keys [][]byte
	var wiped int64
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		must := wiped < atLeastBytes || len(keys) < atLeastN
		if !must && !(size-wiped > ret.MaxBytes && recordTime(v).Before(cutoff)) {
			break
		}
		keys = append(keys, bytes.Clone(k))
		wiped += int64(len(v))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return size, err
		}
	}
	if len(keys) > 0 {
		j.log.Info("journal: wiped the oldest acknowledged records kept for resending", "records", len(keys),
			"from_seq", u64(keys[0]), "to_seq", u64(keys[len(keys)-1]), "bytes", wiped)
	}
	return max(size-wiped, 0), nil
}

// wipeOldest deletes up to n of the oldest retained records in their own
// transaction (their pages are free for the next one). It reports whether
// any was there.
func (j *Journal) wipeOldest(n int) (bool, error) {
	any := false
	err := j.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRetained)
		if b == nil {
			return nil
		}
		if k, _ := b.Cursor().First(); k == nil {
			return nil
		}
		any = true
		mb := tx.Bucket(bucketMeta)
		size, err := j.wipeTx(b, int64(u64(mb.Get(metaRetainedBytes))), 0, n)
		if err != nil {
			return err
		}
		return mb.Put(metaRetainedBytes, be64(uint64(size)))
	})
	return any, err
}

// floorLow reports whether the journal's file system has less free space
// than Retention.FreeFloor (false when unknown).
func (j *Journal) floorLow() bool {
	if j.opts.Retention.FreeFloor <= 0 {
		return false
	}
	free, ok := j.free(j.path)
	return ok && free < j.opts.Retention.FreeFloor
}

// verifyRetainedTx checks the retained records are an unbroken chain
// ending exactly at the acknowledged point (the newest released record).
func (j *Journal) verifyRetainedTx(tx *bolt.Tx) *Break {
	b := tx.Bucket(bucketRetained)
	if b == nil {
		return nil
	}
	mb := tx.Bucket(bucketMeta)
	var prevSeq uint64
	prevHash := ""
	i := 0
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var r kiosk.Record
		if err := json.Unmarshal(v, &r); err != nil || r.Seq != u64(k) {
			return &Break{Seq: u64(k), Index: i, Reason: "retained record cannot be decoded or is stored under another key"}
		}
		if brk := VerifyChain([]kiosk.Record{r}, prevSeq, prevHash); brk != nil {
			brk.Index, brk.Reason = i, "retained: "+brk.Reason
			return brk
		}
		prevSeq, prevHash = r.Seq, r.Hash
		i++
	}
	if i > 0 && (prevSeq != u64(mb.Get(metaTailSeq)) || prevHash != string(mb.Get(metaTailHash))) {
		return &Break{Seq: prevSeq, Index: -1, Reason: "the newest retained record is not the acknowledged point"}
	}
	return nil
}

// dropRetainedTx empties the retained bucket (Diverge: those records are
// another journal's; the copy Diverge saves still has them).
func dropRetainedTx(tx *bolt.Tx) error {
	if tx.Bucket(bucketRetained) != nil {
		if err := tx.DeleteBucket(bucketRetained); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketMeta).Put(metaRetainedBytes, be64(0))
}
