package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/villagehall/kiosk/cmd/collector/internal/store/boltstore"
)

// backupCmd is collector backup --to FILE: a consistent copy of the bbolt
// store (straight from the file, or through the running collector's
// backup socket while it serves), written beside FILE, synced, checked
// and only then renamed to FILE.
func backupCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "the collector's bbolt store directory")
	config := fs.String("config", "", "or the collector's configuration file (its data directory)")
	to := fs.String("to", "", "the backup file to write (replaced only by a complete, checked copy)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *config != "" && *data == "" {
		c, err := LoadConfig(*config)
		if err != nil {
			return err
		}
		if c.Data == "" {
			return errors.New("backup: the configuration has no data directory: a PostgreSQL store is backed up with pg_dump or a base backup (see the README)")
		}
		*data = c.Data
	}
	if *data == "" || *to == "" {
		return errors.New("usage: collector backup (--data DIR | --config FILE) --to FILE")
	}
	tmp, err := os.CreateTemp(filepath.Dir(*to), filepath.Base(*to)+".partial-*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone once renamed; a cut-off copy never stays
	n, how, err := boltstore.BackupFile(ctx, *data, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = boltstore.CheckFile(tmp.Name())
	}
	if err != nil {
		return fmt.Errorf("backup of %s: %w (nothing written to %s)", *data, err, *to)
	}
	if err := os.Rename(tmp.Name(), *to); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backup %s: %d bytes %s, checked\nto restore: stop the collector, copy it to %s, start the collector\n",
		*to, n, how, filepath.Join("DATA_DIR", boltstore.FileName))
	return nil
}
