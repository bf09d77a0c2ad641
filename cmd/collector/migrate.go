package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/villagehall/kiosk/cmd/collector/internal/migrate"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/boltstore"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/pgstore"
)

// migrateCmd moves the bbolt store in --data into the PostgreSQL database
// --to names, then checks the copy (the collector stopped).
func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "the collector's bbolt store directory (the collector stopped)")
	to := fs.String("to", "", "the PostgreSQL database to move it into (postgres://…; empty)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" || !isPostgres(*to) {
		return errors.New("usage: collector migrate --data DIR --to postgres://…")
	}
	src, err := boltstore.Open(*data, nil)
	if err != nil {
		return fmt.Errorf("%w (is the collector running? stop it first)", err)
	}
	defer src.Close()
	dst, err := pgstore.Open(ctx, *to, nil)
	if err != nil {
		return err
	}
	defer dst.Close()
	rep, err := migrate.Run(ctx, src, dst, stdout)
	if err != nil {
		if m, _ := dst.UnfinishedMigration(context.WithoutCancel(ctx)); m != "" {
			return fmt.Errorf("%w\nthe PostgreSQL database is marked as a migration that did not finish: no collector serves it; run this command again to start over", err)
		}
		return err
	}
	fmt.Fprintf(stdout, "migrated and checked: %d kiosks, %d journals, %d records, %d flags, %d events, %d marks, %d audit entries (head %.16s…)\n"+
		"start the collector with --store %s\n", rep.Kiosks, rep.Journals, rep.Records, rep.Flags, rep.Events, rep.Marks, rep.AuditEntries, rep.AuditHead, "<that postgres:// URL>")
	return nil
}
