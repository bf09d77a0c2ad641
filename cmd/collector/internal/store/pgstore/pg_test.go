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
