package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/boltstore"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/pgstore"
)

// openStore opens the store the flags name: --store postgres://… puts the
// collector on PostgreSQL; without it, one bbolt file in --data.
func openStore(ctx context.Context, storeURL, data string) (store.Store, string, error) {
	if isPostgres(storeURL) {
		st, err := pgstore.Open(ctx, storeURL, nil)
		if err == nil {
			if err = st.CheckWhole(ctx); err != nil {
				st.Close()
				return nil, "", err
			}
		}
		return st, "postgres", err
	}
	if storeURL != "" {
		return nil, "", fmt.Errorf("--store %q: want postgres://… (or no --store for the bbolt file in --data)", storeURL)
	}
	if data == "" {
		return nil, "", errors.New("--data DIR is required (or --store postgres://…)")
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, "", fmt.Errorf("data dir: %w", err)
	}
	st, err := boltstore.Open(data, nil)
	return st, "bbolt " + data, err
}

func isPostgres(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}
