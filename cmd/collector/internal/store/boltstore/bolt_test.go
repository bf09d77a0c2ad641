package boltstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/storetest"
	"github.com/villagehall/kiosk/kiosk"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(dir string) (store.Store, error) { return Open(dir, nil) })
}

// TestMigrateOldLayout: a store written by the collector before journal
// IDs (records under kiosks/<id>/records by seq) opens with every record
// in the kiosk's legacy journal, found by its old dated reference.
func TestMigrateOldLayout(t *testing.T) {
	dir := t.TempDir()
	recs := storetest.Chain("K01", "", "", 4)
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		kb, _ := tx.CreateBucket([]byte("kiosks"))
		k, _ := kb.CreateBucket([]byte("K01"))
		rb, _ := k.CreateBucket([]byte("records"))
		if _, err := k.CreateBucket([]byte("flags")); err != nil {
			return err
		}
		for _, r := range recs {
			v, _ := json.Marshal(r)
			if err := rb.Put(binary.BigEndian.AppendUint64(nil, r.Seq), v); err != nil {
				return err
			}
		}
		if err := k.Put([]byte("heartbeat"), []byte(`{"hb":{"kiosk_id":"K01","version":"old"},"received_at":"2026-01-01T00:00:00Z"}`)); err != nil {
			return err
		}
		return k.Put([]byte("head_seq"), binary.BigEndian.AppendUint64(nil, 4))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, func() time.Time { return storetest.T0 })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	k, err := s.Kiosk(context.Background(), "K01")
	if err != nil || k.Records != 4 || len(k.Journals) != 1 || k.Journals[0].JournalID != kiosk.LegacyJournalID ||
		!k.Journals[0].Complete() || k.LastHeartbeat == nil || k.LastHeartbeat.Version != "old" {
		t.Fatalf("migrated kiosk %+v %v", k, err)
	}
	ref, _ := kiosk.ParseReference(kiosk.ReferenceOf(recs[2]))
	if found, err := s.Lookup(context.Background(), ref); err != nil || len(found) != 1 {
		t.Fatalf("lookup %s after migration: %+v %v", ref, found, err)
	}
	// The kiosk, updated, goes on in its legacy journal where it left off.
	more := storetest.Chain("K01", "", "", 6)
	more[4].JournalID, more[5].JournalID = kiosk.LegacyJournalID, kiosk.LegacyJournalID
	for i := 4; i < 6; i++ {
		more[i].PrevHash = more[i-1].Hash
		more[i].Hash = ""
		more[i].Hash = hashOf(more[i])
	}
	res, err := s.Ingest(context.Background(), store.Ingest{KioskID: "K01", JournalID: kiosk.LegacyJournalID, Records: more})
	if err != nil || res.Stored != 2 || res.Duplicates != 4 || !res.Journal.Complete() {
		t.Fatalf("ingest after migration %+v %v", res, err)
	}
}

func hashOf(r kiosk.Record) string { return journalHash(r) }
