package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/villagehall/kiosk/drivers/escpos"
	"github.com/villagehall/kiosk/drivers/keypad"
	"github.com/villagehall/kiosk/drivers/touch"
	"github.com/villagehall/kiosk/kiosk"
)

const selftestUsage = `usage: kioskctl selftest [keypad|printer|touch|all] [--config FILE] [flags]

  keypad   shows each key as it is pressed, until Cancel or --timeout
  printer  prints a test slip (--sim writes it as PNG into --out instead)
  touch    prints each tap as a terminal cell, until --timeout

Flags override the configuration file.
`

// selftestCmd implements `kioskctl selftest`.
func selftestCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	which := "all"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		which, args = args[0], args[1:]
	}
	fl := flag.NewFlagSet("selftest", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, selftestUsage); fl.PrintDefaults() }
	cfgPath := fl.String("config", "", "kiosk configuration file")
	timeout := fl.Duration("timeout", 60*time.Second, "how long the keypad and touch tests listen")
	sim := fl.Bool("sim", false, "printer: write the test slip as files instead of printing")
	out := fl.String("out", "selftest-slips", "printer --sim: output directory")
	printerPath := fl.String("printer", "", "printer device node (default from config, else /dev/usb/lp0)")
	width := fl.Int("width", 0, "paper width in mm, 58 or 80")
	kanji := fl.String("kanji", "", "printer has kanji mode: true or false")
	rows := fl.String("rows", "", "keypad row GPIOs, comma-separated (e.g. GPIO5,GPIO6,GPIO13,GPIO19)")
	cols := fl.String("cols", "", "keypad column GPIOs, comma-separated")
	layout := fl.String("layout", "", "keypad labels per row, comma-separated (e.g. 123A,456B,789C,*0#D)")
	touchDev := fl.String("touch", "", "touchscreen evdev node, e.g. /dev/input/event0")
	if err := fl.Parse(args); err != nil {
		return errUsage
	}

	cfg := kiosk.DefaultConfig()
	if *cfgPath != "" {
		var err error
		if cfg, err = kiosk.LoadConfig(*cfgPath); err != nil {
			return fmt.Errorf("selftest: %w", err)
		}
	}
	d := &cfg.Devices
	if *printerPath != "" {
		d.Printer.Path = *printerPath
	}
	if *width != 0 {
		d.Printer.WidthMM = *width
	}
	if *kanji != "" {
		d.Printer.Kanji = *kanji == "true"
	}
	if *rows != "" {
		d.Keypad.RowPins = splitList(*rows)
	}
	if *cols != "" {
		d.Keypad.ColPins = splitList(*cols)
	}
	if *layout != "" {
		d.Keypad.Layout = splitList(*layout)
	}
	if *touchDev != "" {
		d.Touch.Device = *touchDev
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	tests := map[string]func() error{
		"printer": func() error { return selftestPrinter(ctx, cfg, *sim, *out, stdout, log) },
		"keypad":  func() error { return selftestKeypad(ctx, d.Keypad, *timeout, stdout, log) },
		"touch":   func() error { return selftestTouch(ctx, d.Touch, *timeout, stdout, log) },
	}
	var order []string
	switch which {
	case "all":
		order = []string{"printer", "keypad", "touch"}
	case "printer", "keypad", "touch":
		order = []string{which}
	default:
		fl.Usage()
		return errUsage
	}
	var errs []error
	for _, name := range order {
		fmt.Fprintf(stdout, "== %s\n", name)
		if err := tests[name](); err != nil {
			fmt.Fprintf(stdout, "%s: FAIL: %v\n", name, err)
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		fmt.Fprintf(stdout, "%s: ok\n", name)
	}
	return errors.Join(errs...)
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// testSlip carries no personal data, like every slip.
func testSlip(m kiosk.Municipality, now time.Time) kiosk.Slip {
	return kiosk.Slip{
		Time:    now,
		Office:  m.OfficeLine(),
		Counter: m.Counter,
		Phone:   m.Phone,
		Hours:   m.Hours,
		Sections: []kiosk.SlipSection{{
			TitleJA: "印刷テスト",
			TitleEN: "Printer self-test",
			LinesJA: []string{"日本語の表示確認: 〇〇村役場 住民福祉課 暗証番号", "この用紙は点検用です。"},
			LinesEN: []string{"ASCII check: 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ", "This slip is for maintenance only."},
		}},
		Reference: "SELFTEST-0001",
	}
}

func selftestPrinter(ctx context.Context, cfg kiosk.Config, sim bool, outDir string, stdout io.Writer, log *slog.Logger) error {
	pc := cfg.Devices.Printer
	pw, err := paperWidth(pc.WidthMM)
	if err != nil {
		return err
	}
	slip := testSlip(cfg.Municipality, time.Now())
	if sim || pc.Mode == kiosk.ModeSim {
		dir := outDir
		if !sim && pc.Path != "" {
			dir = pc.Path
		}
		p, err := escpos.NewDirPrinter(dir, escpos.Layout{Width: pw, Kanji: pc.Kanji, NativeQR: pc.Kanji})
		if err != nil {
			return err
		}
		png, err := p.PrintFiles(slip)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "test slip written to %s\n", png)
		return nil
	}
	dev, err := escpos.Open(pc.Path, escpos.Options{Width: pw, Kanji: pc.Kanji, NativeQR: pc.Kanji, Logger: log})
	if err != nil {
		return err
	}
	defer dev.Close()
	st, err := dev.Status(ctx)
	if err != nil {
		return err
	}
	if st.Known {
		fmt.Fprintf(stdout, "status: offline=%v cover_open=%v paper_out=%v paper_low=%v error=%v\n", st.Offline, st.CoverOpen, st.PaperOut, st.PaperLow, st.Error)
	} else {
		fmt.Fprintln(stdout, "status: unknown (the printer does not answer DLE EOT; printing anyway)")
	}
	if err := dev.Print(ctx, slip); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "test slip sent to %s (%d mm, kanji=%v)\n", pc.Path, pc.WidthMM, pc.Kanji)
	return nil
}

func selftestKeypad(ctx context.Context, kc kiosk.KeypadConfig, timeout time.Duration, stdout io.Writer, log *slog.Logger) error {
	if len(kc.RowPins) == 0 || len(kc.ColPins) == 0 {
		return errors.New("no keypad pins: set devices.keypad in --config or pass --rows and --cols")
	}
	sc, err := keypad.Open(kc.RowPins, kc.ColPins, keypad.Config{Layout: kc.Layout}, log)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	events := make(chan keypad.Event, 8)
	done := make(chan error, 1)
	go func() { done <- sc.Run(ctx, events) }()
	fmt.Fprintf(stdout, "press keys (Cancel or %v ends the test)\n", timeout)
	seen := 0
	for {
		select {
		case ev := <-events:
			fmt.Fprintf(stdout, "%-6s %-7s label %q row %d col %d\n", ev.Kind, ev.Key, ev.Label, ev.Row, ev.Col)
			seen++
			if ev.Kind == keypad.Press && ev.Key == keypad.KeyCancel {
				cancel()
				return <-done
			}
		case err := <-done:
			if err != nil {
				return err
			}
			if seen == 0 {
				return errors.New("no key pressed before the timeout")
			}
			return nil
		}
	}
}

func selftestTouch(ctx context.Context, tc kiosk.TouchConfig, timeout time.Duration, stdout io.Writer, log *slog.Logger) error {
	if tc.Device == "" {
		return errors.New("no touchscreen: set devices.touch.device in --config or pass --touch")
	}
	c := tc.Calibration
	r := touch.New(touch.Config{
		Path: tc.Device,
		Cal: touch.Calibration{
			SwapXY: c.SwapXY, InvertX: c.InvertX, InvertY: c.InvertY,
			OffsetX: int32(c.OffsetX), OffsetY: int32(c.OffsetY),
		},
	}, log)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	taps := make(chan touch.Tap, 8)
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, taps) }()
	fmt.Fprintf(stdout, "tap the screen (for %v; cells on an 80x24 grid)\n", timeout)
	seen := 0
	for {
		select {
		case t := <-taps:
			seen++
			fmt.Fprintf(stdout, "tap col %2d row %2d  (x %.3f y %.3f)\n", t.Col, t.Row, t.X, t.Y)
		case err := <-done:
			if err != nil {
				return err
			}
			if seen == 0 {
				return errors.New("no tap before the timeout")
			}
			return nil
		}
	}
}
