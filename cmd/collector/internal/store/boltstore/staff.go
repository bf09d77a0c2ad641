package boltstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// The staff log (store.StaffLog), beside the kiosks' data:
//
//	marks/<kiosk>/<journal>/<seq>      store.Mark
//	markstime/<record time><kiosk>/<journal>/<seq>   index by the record's time
//	audit/<seq>                        store.AuditEntry, sealed in a chain
//
// Nothing here is ever updated or deleted.
var (
	bMarks     = []byte("marks")
	bMarksTime = []byte("markstime")
	bAudit     = []byte("audit")
)

func markKey(kioskID, journalID string, seq uint64) []byte {
	return fmt.Appendf(nil, "%s/%s/%020d", kioskID, journalID, seq)
}

// Mark implements store.StaffLog.
func (s *Store) Mark(ctx context.Context, m store.Mark) (store.Mark, error) {
	if err := ctx.Err(); err != nil {
		return store.Mark{}, err
	}
	var kept store.Mark
	err := s.db.Update(func(tx *bolt.Tx) error {
		mb, err := tx.CreateBucketIfNotExists(bMarks)
		if err != nil {
			return err
		}
		key := markKey(m.KioskID, m.JournalID, m.Seq)
		if found, err := getJSON(mb, key, &kept); err != nil || found {
			if found {
				return store.ErrAlreadyMarked
			}
			return err
		}
		kept = m
		if err := putJSON(mb, key, m); err != nil {
			return err
		}
		idx, err := tx.CreateBucketIfNotExists(bMarksTime)
		if err != nil {
			return err
		}
		return idx.Put(append(binary.BigEndian.AppendUint64(nil, uint64(m.RecordTime.UnixNano())), key...), nil)
	})
	if err != nil && !errors.Is(err, store.ErrAlreadyMarked) {
		return store.Mark{}, fmt.Errorf("mark: %w", err)
	}
	return kept, err
}

// MarkOf implements store.StaffLog.
func (s *Store) MarkOf(ctx context.Context, kioskID, journalID string, seq uint64) (*store.Mark, error) {
	var m store.Mark
	var found bool
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		found, err = getJSON(tx.Bucket(bMarks), markKey(kioskID, journalID, seq), &m)
		return err
	})
	if err != nil || !found {
		return nil, err
	}
	return &m, nil
}

// Marks implements store.StaffLog.
func (s *Store) Marks(ctx context.Context, from, to time.Time) ([]store.Mark, error) {
	var out []store.Mark
	err := s.view(ctx, func(tx *bolt.Tx) error {
		idx, mb := tx.Bucket(bMarksTime), tx.Bucket(bMarks)
		if idx == nil || mb == nil {
			return nil
		}
		c := idx.Cursor()
		for k, _ := c.Seek(binary.BigEndian.AppendUint64(nil, uint64(max(from.UnixNano(), 0)))); k != nil; k, _ = c.Next() {
			if !to.IsZero() && binary.BigEndian.Uint64(k[:8]) >= uint64(to.UnixNano()) {
				break
			}
			var m store.Mark
			if _, err := getJSON(mb, k[8:], &m); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// AppendAudit implements store.StaffLog.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) (store.AuditEntry, error) {
	if err := ctx.Err(); err != nil {
		return store.AuditEntry{}, err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		ab, err := tx.CreateBucketIfNotExists(bAudit)
		if err != nil {
			return err
		}
		var prev *store.AuditEntry
		if k, v := ab.Cursor().Last(); k != nil {
			prev = &store.AuditEntry{}
			if err := json.Unmarshal(v, prev); err != nil {
				return fmt.Errorf("last audit entry: %w", err)
			}
		}
		e.Time = store.AuditTime(s.now(), prev) // under the write lock: in order
		e = store.SealAudit(prev, e)
		return putJSON(ab, be64(e.Seq), e)
	})
	if err != nil {
		return store.AuditEntry{}, fmt.Errorf("append audit: %w", err)
	}
	return e, nil
}

// Audit implements store.StaffLog.
func (s *Store) Audit(ctx context.Context, afterSeq uint64, limit int) ([]store.AuditEntry, error) {
	var out []store.AuditEntry
	err := s.view(ctx, func(tx *bolt.Tx) error {
		ab := tx.Bucket(bAudit)
		if ab == nil {
			return nil
		}
		c := ab.Cursor()
		for k, v := c.Seek(be64(afterSeq + 1)); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			var e store.AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("audit entry %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}
