package pgstore

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/villagehall/kiosk/cmd/collector/internal/pgtest"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/storetest"
)

var pg *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &pg)) }

// opener gives each directory the suite makes a database of its own,
// named in a file there, so that reopening the directory reopens it.
func opener(t *testing.T) storetest.Opener {
	return func(dir string) (store.Store, error) {
		f := filepath.Join(dir, "dsn")
		dsn, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			dsn = []byte(pg.NewSchema(t))
			err = os.WriteFile(f, dsn, 0o600)
		}
		if err != nil {
			return nil, err
		}
		return Open(context.Background(), string(dsn), nil)
	}
}

func TestStore(t *testing.T) { storetest.Run(t, opener(t)) }

// TestAuditEditedInTable: someone with the database edits an audit row
// (nothing in the collector can); the chain shows it.
func TestAuditEditedInTable(t *testing.T) {
	ctx := context.Background()
	dsn := pg.NewSchema(t)
	s, err := Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, d := range []string{"ref=K01-7Q3F-0001", "ref=K01-7Q3F-0002", "ref=K01-7Q3F-0003"} {
		if _, err := s.AppendAudit(ctx, store.AuditEntry{Time: storetest.T0, Staff: "staff-a", Action: store.ActSearch, Detail: d}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.pool.Exec(ctx, `UPDATE audit SET entry = jsonb_set(entry, '{staff}', '"staff-b"') WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	es, err := s.Audit(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if b := store.VerifyAudit(nil, es); b == nil || b.Seq != 2 {
		t.Fatalf("an edited row: %v, want a break at 2", b)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM audit WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	es, _ = s.Audit(ctx, 0, 0)
	if b := store.VerifyAudit(nil, es); b == nil || b.Seq != 2 {
		t.Fatalf("a deleted row: %v, want a break at 2", b)
	}
}
