package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
)

// The follow-up index: followups/<time><kiosk>0<journal>0<seq> holds
// store.FollowUpOf's kind, written in the transaction that stores the
// record. Its keys sort as the console lists follow-ups (time, kiosk,
// journal, sequence), so a page is a walk backwards from a cursor and the
// counts read the index alone, never the records that need nobody.
var (
	bFollowUps        = []byte("followups")
	kFollowUpsIndexed = []byte("followups_indexed")
)

func followUpKey(t time.Time, id store.RecordID) []byte {
	k := binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano()))
	k = append(append(k, id.KioskID...), 0)
	k = append(append(k, id.JournalID...), 0)
	return binary.BigEndian.AppendUint64(k, id.Seq)
}

func parseFollowUpKey(k []byte) (time.Time, store.RecordID, bool) {
	if len(k) < 8+2+8 {
		return time.Time{}, store.RecordID{}, false
	}
	kid, jid, ok := bytes.Cut(k[8:len(k)-9], []byte{0})
	return time.Unix(0, int64(binary.BigEndian.Uint64(k))),
		store.RecordID{KioskID: string(kid), JournalID: string(jid), Seq: binary.BigEndian.Uint64(k[len(k)-8:])}, ok
}

func putFollowUp(tx *bolt.Tx, journalID string, r kiosk.Record) error {
	kind, ok := store.FollowUpOf(r)
	if !ok {
		return nil
	}
	b, err := tx.CreateBucketIfNotExists(bFollowUps)
	if err != nil {
		return err
	}
	return b.Put(followUpKey(r.Time, store.RecordID{KioskID: r.KioskID, JournalID: journalID, Seq: r.Seq}), []byte(kind))
}

// indexFollowUps fills the index once for a file from before it.
func indexFollowUps(tx *bolt.Tx) error {
	meta := tx.Bucket(bMeta)
	if meta.Get(kFollowUpsIndexed) != nil {
		return nil
	}
	if _, err := tx.CreateBucketIfNotExists(bFollowUps); err != nil {
		return err
	}
	err := tx.Bucket(bKiosks).ForEachBucket(func(kid []byte) error {
		js := tx.Bucket(bKiosks).Bucket(kid).Bucket(bJournals)
		if js == nil {
			return nil
		}
		return js.ForEachBucket(func(jid []byte) error {
			rb := js.Bucket(jid).Bucket(bRecs)
			if rb == nil {
				return nil
			}
			return rb.ForEach(func(_, v []byte) error {
				var r kiosk.Record
				if err := json.Unmarshal(v, &r); err != nil {
					return err
				}
				return putFollowUp(tx, string(jid), r)
			})
		})
	})
	if err != nil {
		return err
	}
	return meta.Put(kFollowUpsIndexed, []byte("1"))
}

// walkFollowUps calls fn for q's follow-ups, newest first, until fn says stop.
func walkFollowUps(tx *bolt.Tx, q store.FollowUpQuery, fn func(t time.Time, id store.RecordID, kind store.FollowUpKind) (bool, error)) error {
	b := tx.Bucket(bFollowUps)
	if b == nil {
		return nil
	}
	marks := tx.Bucket(bMarks)
	var upper []byte // exclusive
	switch {
	case q.After != nil:
		upper = followUpKey(q.After.Time, q.After.ID)
	case !q.To.IsZero():
		upper = binary.BigEndian.AppendUint64(nil, uint64(q.To.UnixNano()))
	}
	c := b.Cursor()
	var k, v []byte
	if upper == nil {
		k, v = c.Last()
	} else if k, v = c.Seek(upper); k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil; k, v = c.Prev() {
		if upper != nil && bytes.Compare(k, upper) >= 0 {
			continue
		}
		t, id, ok := parseFollowUpKey(k)
		if !ok || (!q.From.IsZero() && t.Before(q.From)) {
			if !ok {
				continue
			}
			return nil
		}
		if !q.To.IsZero() && !t.Before(q.To) {
			continue
		}
		kind := store.FollowUpKind(v)
		if q.Kind != "" && kind != q.Kind {
			continue
		}
		if q.Unmarked && marks != nil && marks.Get(markKey(id.KioskID, id.JournalID, id.Seq)) != nil {
			continue
		}
		if more, err := fn(t, id, kind); err != nil || !more {
			return err
		}
	}
	return nil
}

// FollowUps implements store.FollowUpIndex.
func (s *Store) FollowUps(ctx context.Context, q store.FollowUpQuery) ([]store.FollowUpItem, error) {
	var out []store.FollowUpItem
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return walkFollowUps(tx, q, func(_ time.Time, id store.RecordID, kind store.FollowUpKind) (bool, error) {
			it := store.FollowUpItem{Found: store.Found{JournalID: id.JournalID}, Kind: kind}
			rb := tx.Bucket(bKiosks).Bucket([]byte(id.KioskID)).Bucket(bJournals).Bucket([]byte(id.JournalID)).Bucket(bRecs)
			if _, err := getJSON(rb, be64(id.Seq), &it.Record); err != nil {
				return false, err
			}
			out = append(out, it)
			return q.Limit <= 0 || len(out) < q.Limit, nil
		})
	})
	return out, err
}

// FollowUpCounts implements store.FollowUpIndex from the index alone.
func (s *Store) FollowUpCounts(ctx context.Context, q store.FollowUpQuery) (map[store.FollowUpKind]int, error) {
	out := map[store.FollowUpKind]int{}
	q.Limit = 0
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return walkFollowUps(tx, q, func(_ time.Time, _ store.RecordID, kind store.FollowUpKind) (bool, error) {
			out[kind]++
			return true, nil
		})
	})
	return out, err
}
