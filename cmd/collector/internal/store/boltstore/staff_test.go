package boltstore

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/storetest"
)

// TestAuditEditedInFile: someone with the file edits an audit entry with
// bbolt directly (nothing in the collector can); the chain shows it.
func TestAuditEditedInFile(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"ref=K01-7Q3F-0001", "ref=K01-7Q3F-0002", "ref=K01-7Q3F-0003"} {
		if _, err := s.AppendAudit(context.Background(), store.AuditEntry{Time: storetest.T0, Staff: "staff-a", Action: store.ActSearch, Detail: d}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bAudit)
		v := bytes.Replace(b.Get(be64(2)), []byte("K01-7Q3F-0002"), []byte("K09-7Q3F-0002"), 1)
		return b.Put(be64(2), v)
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err = Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	es, err := s.Audit(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if b := store.VerifyAudit(nil, es); b == nil || b.Seq != 2 {
		t.Fatalf("an edited entry: %v, want a break at 2", b)
	}
}
