package pgstore

import (
	"context"
	"testing"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/storetest"
)

// TestFollowUpBackfill: a database from before the follow-up column (its
// records without one, no mark in meta) is indexed once on open; 2,500
// records make three rounds of the back-fill.
func TestFollowUpBackfill(t *testing.T) {
	ctx := context.Background()
	dsn := pg.NewSchema(t)
	s, err := Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	storetest.FollowUpBackfill(t, s, 2500, func() {
		for _, q := range []string{`UPDATE records SET followup = NULL`, `DELETE FROM meta WHERE key = '` + followUpsIndexed + `'`} {
			if _, err := s.pool.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
	}, func() store.Store {
		s.Close()
		if s, err = Open(ctx, dsn, nil); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
