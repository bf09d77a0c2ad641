package pgstore

import (
	"context"
	"slices"
	"testing"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/storetest"
)

// TestFollowUpBackfill: a database from before the follow-up column (its
// records without one, no mark in meta) is indexed once on open, and
// lists what a fresh ingest would.
func TestFollowUpBackfill(t *testing.T) {
	ctx := context.Background()
	dsn := pg.NewSchema(t)
	s, err := Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Every fifth record is a locked PIN: 500 follow-ups over three batches of the back-fill.
	recs := storetest.Chain("K01", "J1", "new_file", 2500)
	if _, err := s.Ingest(ctx, store.Ingest{KioskID: "K01", JournalID: "J1", Records: recs, Source: store.SourceSync}); err != nil {
		t.Fatal(err)
	}
	want, err := s.FollowUps(ctx, store.FollowUpQuery{})
	if err != nil || len(want) != 500 {
		t.Fatalf("%d follow-ups before, %v", len(want), err)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE records SET followup = NULL`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM meta WHERE key = $1`, followUpsIndexed); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FollowUps(ctx, store.FollowUpQuery{}); len(got) != 0 {
		t.Fatalf("the column emptied still lists %d", len(got))
	}
	s.Close()
	if s, err = Open(ctx, dsn, nil); err != nil {
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
