package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/villagehall/kiosk/drivers/escpos"
	"github.com/villagehall/kiosk/kiosk"
)

const receiptUsage = `usage: kioskctl receipt preview [--width 58|80] [--out FILE.png] [--kind NAME] [--config FILE] [--raster]

Renders a slip exactly as the printer would receive it and writes a PNG.
NAME is one of the slips the kiosk prints (renewal, expired, auth-locked,
sign-locked, no-sign-cert, juki, pin-changed, pin-change-unsure, ...),
worded by the kiosk's own catalogue. --config takes the office from the
kiosk configuration; --raster previews a printer without kanji.
`

// receiptCmd implements `kioskctl receipt preview`.
func receiptCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "preview" {
		fmt.Fprint(stderr, receiptUsage)
		return errUsage
	}
	fl := flag.NewFlagSet("receipt preview", flag.ContinueOnError)
	fl.SetOutput(stderr)
	width := fl.Int("width", 0, "paper width in mm: 58 or 80 (default: config, else 80)")
	out := fl.String("out", "receipt-preview.png", "PNG file to write")
	kind := fl.String("kind", "renewal", "slip name: "+strings.Join(kiosk.SampleSlipNames(), ", "))
	cfgPath := fl.String("config", "", "kiosk configuration file (office name, paper width, kanji)")
	raster := fl.Bool("raster", false, "preview a printer without kanji mode (Japanese as images)")
	if pos, err := parseArgs(fl, args[1:]); err != nil {
		return errUsage
	} else if len(pos) > 0 {
		return fmt.Errorf("receipt preview: unexpected argument %q (it takes flags only)", pos[0])
	}

	m := sampleMunicipality()
	kanji := !*raster
	w := 80
	if *cfgPath != "" {
		cfg, err := kiosk.LoadConfig(*cfgPath)
		if err != nil {
			return fmt.Errorf("receipt preview: %w", err)
		}
		m = cfg.Municipality
		w = cfg.Devices.Printer.WidthMM
		kanji = cfg.Devices.Printer.Kanji && !*raster
	}
	if *width != 0 {
		w = *width
	}
	pw, err := paperWidth(w)
	if err != nil {
		return err
	}
	slip, err := previewSlip(*kind, m, time.Now())
	if err != nil {
		return err
	}
	font := escpos.DefaultFont()
	if font == nil {
		fmt.Fprintln(stderr, "warning: no Japanese font found (install fonts-ipafont-gothic); non-ASCII text will show as boxes")
	}
	data := escpos.Layout{Width: pw, Kanji: kanji, NativeQR: kanji, Font: font}.Render(slip)
	doc, err := escpos.Decode(data, pw)
	if err != nil {
		return fmt.Errorf("receipt preview: decoding our own bytes: %w", err)
	}
	f, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("receipt preview: %w", err)
	}
	if err := doc.WritePNG(f, font); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("receipt preview: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d mm, %d bytes of ESC/POS)\n", *out, w, len(data))
	return ctx.Err()
}

func paperWidth(mm int) (escpos.Width, error) {
	switch mm {
	case 58:
		return escpos.Width58, nil
	case 80:
		return escpos.Width80, nil
	}
	return 0, fmt.Errorf("paper width must be 58 or 80, got %d", mm)
}

// previewSlip is the slip the kiosk prints for kind, for a fictional card.
func previewSlip(kind string, m kiosk.Municipality, now time.Time) (kiosk.Slip, error) {
	s, ok := kiosk.SampleSlips(m, now)[kind]
	if !ok {
		return kiosk.Slip{}, errors.New("unknown --kind " + strconv.Quote(kind) + "; try " + strings.Join(kiosk.SampleSlipNames(), ", "))
	}
	return s, nil
}

// sampleMunicipality is the fictional office used without --config.
func sampleMunicipality() kiosk.Municipality {
	return kiosk.Municipality{
		Name:      "〇〇村",
		NameEN:    "Sample Village",
		Office:    "住民福祉課",
		OfficeEN:  "Resident Welfare Division",
		Counter:   "1番窓口",
		CounterEN: "Counter 1",
		Phone:     "0000-00-0000",
		Hours:     "平日 8:30〜17:15",
		HoursEN:   "Weekdays 8:30-17:15",
		ETax:      true,
	}
}
