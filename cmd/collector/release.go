package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/release"
	"github.com/villagehall/kiosk/kiosk/update"
)

const releaseUsage = `usage:
  collector release --releases DIR --keys DIR [--window HH:MM-HH:MM] [--kiosks K01,K02] BUNDLE.kup
  collector release --releases DIR [--withdraw]
Publishes a signed update bundle to the kiosks of a collector run with --releases DIR (the collector may be
running). The bundle is checked with the release public keys (--keys: *.pub, the same the kiosks hold) first:
a bundle kiosks would refuse is not published. Kiosks fetch it over their mutual-TLS connection, only within
the window (kiosk local time), and report how it went in their heartbeat. Without a BUNDLE: the current offer.
`

func releaseCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("releases", "", "the releases directory the collector serves (serve --releases)")
	keys := fs.String("keys", "", "directory of the release public keys (*.pub)")
	window := fs.String("window", "", "daily window in kiosk local time, e.g. 02:00-05:00 (default: any time)")
	kiosks := fs.String("kiosks", "", "comma-separated kiosk IDs (default: every kiosk)")
	withdraw := fs.Bool("withdraw", false, "withdraw the current offer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		fmt.Fprint(stderr, releaseUsage)
		return errors.New("release: --releases DIR required")
	}
	d := release.Dir(*dir)
	switch {
	case *withdraw:
		if err := d.Withdraw(); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "release withdrawn: kiosks are offered nothing")
		return nil
	case fs.NArg() == 0:
		o, ok, err := d.Current()
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(stdout, "no release published")
			return nil
		}
		fmt.Fprintf(stdout, "published: %s serial %d for %s, window %s, kiosks %s, at %s\n", o.Version, o.Serial, o.Board, o.Window, orAll(o.Kiosks), o.PublishedAt.Format(time.RFC3339))
		return nil
	}
	if *keys == "" || fs.NArg() != 1 {
		fmt.Fprint(stderr, releaseUsage)
		return errors.New("release: --keys DIR and one BUNDLE required")
	}
	pub, err := update.LoadPublicKeys(*keys)
	if err != nil {
		return err
	}
	w, err := update.ParseWindow(*window)
	if err != nil {
		return err
	}
	var ids []string
	if *kiosks != "" {
		ids = strings.Split(*kiosks, ",")
	}
	o, err := d.Publish(fs.Arg(0), update.Policy{Keys: pub}, w, ids, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "published: %s serial %d (%d bytes, sha256 %s) for kiosks %s, window %s\n", o.Version, o.Serial, o.Size, o.SHA256[:16], orAll(o.Kiosks), o.Window)
	return nil
}

func orAll(ids []string) string {
	if len(ids) == 0 {
		return "all"
	}
	return strings.Join(ids, ",")
}
