package boltstore

import (
	"context"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/storetest"
)

// TestFollowUpBackfill: a file from before the follow-up index (no bucket,
// no mark in meta) is indexed once on open and lists what a fresh ingest would.
func TestFollowUpBackfill(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Every fifth record is a locked PIN.
	recs := storetest.Chain("K01", "J1", "new_file", 500)
	if _, err := s.Ingest(ctx, store.Ingest{KioskID: "K01", JournalID: "J1", Records: recs, Source: store.SourceSync}); err != nil {
		t.Fatal(err)
	}
	want, err := s.FollowUps(ctx, store.FollowUpQuery{})
	if err != nil || len(want) != 100 {
		t.Fatalf("%d follow-ups before, %v", len(want), err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bFollowUps); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Delete(kFollowUpsIndexed)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FollowUps(ctx, store.FollowUpQuery{}); len(got) != 0 {
		t.Fatalf("without the index still %d", len(got))
	}
	s.Close()
	if s, err = Open(dir, nil); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.FollowUps(ctx, store.FollowUpQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(got, want, func(a, b store.FollowUpItem) bool { return a.ID() == b.ID() && a.Kind == b.Kind }) {
		t.Fatalf("back-filled %d follow-ups, want %d", len(got), len(want))
	}
}
