package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

const kiosksUsage = "usage: collector kiosks (list | add [--place P] [--note N] KIOSK_ID... | remove KIOSK_ID...) (--config FILE | --data DIR | --store postgres://…)"

// kiosksCmd keeps the list of kiosks the town hall installed: collector
// kiosks add K03 --place 北分館. A bbolt store is locked while the
// collector serves: then use the console's page (or stop it first).
func kiosksCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(kiosksUsage)
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("kiosks "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "the collector's configuration file (its store)")
	data := fs.String("data", "", "or the collector's bbolt store directory")
	storeURL := fs.String("store", "", "or its PostgreSQL store (postgres://…)")
	place := fs.String("place", "", "add: where the kiosk stands (本庁舎1階ロビー)")
	note := fs.String("note", "", "add: a note for staff")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *config != "" {
		c, err := LoadConfig(*config)
		if err == nil {
			err = c.resolve()
		}
		if err != nil {
			return err
		}
		*data, *storeURL = c.Data, c.Store
	}
	ids := fs.Args()
	switch {
	case sub == "list" && len(ids) > 0, sub != "list" && sub != "add" && sub != "remove", sub != "list" && len(ids) == 0:
		return errors.New(kiosksUsage)
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, _, err := openStore(sctx, *storeURL, *data)
	if err != nil {
		return fmt.Errorf("kiosks: %w (while the collector serves a bbolt store, use the console's 設置した端末 page)", err)
	}
	defer st.Close()
	switch sub {
	case "add":
		by := "collector kiosks"
		if u, err := user.Current(); err == nil {
			by += " (" + u.Username + ")"
		}
		for _, id := range ids {
			k := store.Installed{KioskID: strings.ToUpper(id), Place: *place, Note: *note, Since: time.Now().UTC(), By: by}
			if err := st.Install(sctx, k); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "kiosk %s: on the installed list\n", k.KioskID)
		}
	case "remove":
		for _, id := range ids {
			if err := st.Uninstall(sctx, strings.ToUpper(id)); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("kiosk %s is not on the installed list (collector kiosks list shows it)", strings.ToUpper(id))
			} else if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "kiosk %s: off the installed list (its records stay)\n", strings.ToUpper(id))
		}
	case "list":
		return listInstalled(sctx, st, stdout)
	}
	return nil
}

// listInstalled prints the list with what the collector last heard.
func listInstalled(ctx context.Context, st store.Store, w io.Writer) error {
	ins, err := st.Installed(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIOSK\tPLACE\tLAST HEARTBEAT\tADDED\tBY")
	for _, k := range ins {
		last := "never"
		if ks, err := st.Kiosk(ctx, k.KioskID); err == nil && !ks.HeartbeatAt.IsZero() {
			last = ks.HeartbeatAt.Local().Format("2006-01-02 15:04")
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.KioskID, k.Place, last, k.Since.Local().Format("2006-01-02"), k.By)
	}
	return tw.Flush()
}
