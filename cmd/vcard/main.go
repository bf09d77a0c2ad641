// Command vcard plugs a virtual My Number Card into pcscd through
// vsmartcard's vpcd driver, so the kiosk, kioskctl and OpenSC can be run
// against any card profile without hardware.
//
//	vcard --profile testdata/cards/fresh.json [--vpcd 127.0.0.1:35963] [--apdu-log FILE] [--apdu-delay 40ms]
//	vcard --profile testdata/cards/fresh.json --qemu-ccid HOST:PORT|unix:PATH
//	vcard gen-pki DIR    # write a new fake JPKI test PKI
//
// The card stays inserted until SIGINT/SIGTERM (card removal). PIN changes
// persist for the process's lifetime, like a real card. If vpcd goes away
// (pcscd restarted) the card is re-inserted when it comes back.
//
// With --qemu-ccid the card goes into qemu's emulated reader (usb-ccid +
// ccid-card-passthru, whose chardev socket qemu listens on) in qemu's
// VSCard protocol, and commands on standard input move it, one a line:
// "remove", "insert [PROFILE]" (the same card again, or a new one from
// PROFILE), "quit". Each done command is logged ("card inserted", "card
// removed"); the end of standard input changes nothing.
package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/villagehall/kiosk/drivers/jpki/virtualcard"
	"github.com/villagehall/kiosk/drivers/pcsc/vpcd"
	"github.com/villagehall/kiosk/drivers/pcsc/vscard"
)

func main() {
	// --help: the usage was asked for, not a failure.
	if err := run(os.Args[1:], os.Stdin, os.Stderr); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "vcard:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "gen-pki" {
		if len(args) == 2 && (args[1] == "-h" || args[1] == "--help") {
			fmt.Fprintln(stderr, "usage: vcard gen-pki DIR")
			return flag.ErrHelp
		}
		if len(args) != 2 {
			return errors.New("usage: vcard gen-pki DIR")
		}
		return virtualcard.GeneratePKI(args[1])
	}
	fs := flag.NewFlagSet("vcard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	profile := fs.String("profile", "", "card profile (JSON), e.g. testdata/cards/fresh.json")
	addr := fs.String("vpcd", "127.0.0.1:35963", "vpcd address (35963 = reader 'Virtual PCD 00 00', 35964 = '... 00 01')")
	apduLog := fs.String("apdu-log", "", "append one line per APDU (command hex, response hex; the data of PIN commands as zeros); test cards only")
	atrHex := fs.String("atr", "", "answer with this ATR (hex) instead of the profile's; with --qemu-ccid the default is "+qemuATR+" (see qemu.go)")
	qemu := fs.String("qemu-ccid", "", "insert into qemu's ccid-card-passthru instead of vpcd: the chardev socket qemu listens on (HOST:PORT or unix:PATH); commands on stdin: remove, insert [PROFILE], quit")
	var delay *time.Duration // nil: the profile's quirk, else at once
	fs.Func("apdu-delay", "answer each APDU of the --profile card after this long, e.g. 40ms for a real card's pace (default: the profile's apdu_delay)", func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return fmt.Errorf("want a duration such as 40ms, got %q", s)
		}
		delay = &d
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *profile == "" {
		fs.Usage()
		return errors.New("--profile is required")
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	p, err := virtualcard.LoadProfile(*profile, time.Now())
	if err != nil {
		return err
	}
	card := virtualcard.New(p)
	if delay != nil {
		card.SetAPDUDelay(*delay)
	}
	var alog io.Writer
	if *apduLog != "" {
		f, err := os.OpenFile(*apduLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("apdu log: %w", err)
		}
		defer f.Close()
		alog = f
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *qemu != "" && *atrHex == "" {
		*atrHex = qemuATR
	}
	var atr []byte
	if *atrHex != "" {
		if atr, err = hex.DecodeString(*atrHex); err != nil || len(atr) < 2 {
			return fmt.Errorf("--atr: want hex bytes, got %q", *atrHex)
		}
	}
	if *qemu != "" {
		opts := []vscard.Option{vscard.WithLogger(log)}
		if alog != nil {
			opts = append(opts, vscard.WithAPDULog(alog))
		}
		return serveQEMU(ctx, log, *qemu, withATR(card, atr), p.Name, atr, stdin, opts)
	}
	if atr != nil {
		return serve(ctx, log, *addr, withATR(card, atr), p.Name, opts(log, alog))
	}
	return serve(ctx, log, *addr, card, p.Name, opts(log, alog))
}

func opts(log *slog.Logger, alog io.Writer) []vpcd.Option {
	o := []vpcd.Option{vpcd.WithLogger(log)}
	if alog != nil {
		o = append(o, vpcd.WithAPDULog(alog))
	}
	return o
}

// atrCard is a card answering with another ATR.
type atrCard struct {
	*virtualcard.Card
	atr []byte
}

func (c atrCard) ATR() []byte { return append([]byte{}, c.atr...) }

// withATR gives card the ATR atr, or leaves it as it is when atr is nil.
func withATR(card *virtualcard.Card, atr []byte) vpcd.Card {
	if atr == nil {
		return card
	}
	return atrCard{card, atr}
}

// serve keeps the card inserted until ctx ends, re-inserting with a
// bounded backoff when vpcd closes the connection.
func serve(ctx context.Context, log *slog.Logger, addr string, card vpcd.Card, name string, opts []vpcd.Option) error {
	backoff := 100 * time.Millisecond
	for {
		slot, err := vpcd.Insert(ctx, addr, card, opts...)
		if err == nil {
			log.Info("card inserted", "profile", name, "vpcd", addr)
			backoff = 100 * time.Millisecond
			select {
			case <-ctx.Done():
				log.Info("card removed", "profile", name)
				return slot.Remove()
			case <-slot.Done():
				log.Warn("vpcd closed the connection; re-inserting", "err", slot.Err())
			}
		} else {
			log.Warn("vpcd not reachable", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}
