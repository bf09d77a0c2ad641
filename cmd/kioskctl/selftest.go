//go:build linux

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/villagehall/kiosk/drivers/escpos"
	"github.com/villagehall/kiosk/drivers/keypad"
	"github.com/villagehall/kiosk/drivers/speaker"
	"github.com/villagehall/kiosk/drivers/touch"
	"github.com/villagehall/kiosk/kiosk"
)

const selftestUsage = `usage: kioskctl selftest [keypad|printer|touch|speaker|all] [--config FILE] [flags]

  printer  says what the device node is, asks the printer its status
           (DLE EOT) and prints a test slip; --sim writes it as files.
           Fails on anything that cannot be a printer (a regular file, a
           FIFO, /dev/null), on a printer that reports paper out, cover
           open or offline, and on one that takes no data (stalled).
  keypad   shows each key as it is pressed, with the config's key map
           (devices.keypad.keys), until Cancel or --timeout
  touch    shows where each tap lands, until --timeout; --calibrate asks
           for three taps on targets first and prints the calibration to
           put in the config
  speaker  finds the USB speaker by its ALSA card ID (--card, never a
           number), checks the rendered prompts are installed and plays
           the waiting prompt at volume 1, 2 and 3 (all: when
           devices.speaker.mode is alsa)

Every step has a deadline; SIGTERM or Ctrl-C ends the test at once.
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
	calibrate := fl.Bool("calibrate", false, "touch: measure the calibration from three taps first")
	card := fl.String("card", "", "speaker: the ALSA card ID (aplay -l), default from config")
	prompts := fl.String("prompts", "", "speaker: the rendered prompts' directory, default from config")
	pcm := fl.String("pcm", "", "speaker: play to this ALSA PCM instead of plughw:CARD=<card> (tests: a file sink)")
	grid := fl.String("grid", "", "touch: the screen's size in cells, e.g. 80x24 (default: this terminal's, else 80x24)")
	if which == "help" {
		fl.SetOutput(stdout)
		fl.Usage()
		return nil
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // asked for: not a failure
		}
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
	if *card != "" {
		d.Speaker.Card = *card
	}
	if *prompts != "" {
		d.Speaker.Prompts = *prompts
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	tests := map[string]func() error{
		"printer": func() error { return selftestPrinter(ctx, cfg, *sim, *out, stdout, log) },
		"keypad":  func() error { return selftestKeypad(ctx, d.Keypad, *timeout, stdout, log) },
		"speaker": func() error { return selftestSpeaker(ctx, d.Speaker, *pcm, stdout, log) },
		"touch": func() error {
			tt := touchTest{dev: d.Touch, timeout: *timeout, calibrate: *calibrate, out: stdout, log: log}
			if err := tt.setGrid(*grid, stdout); err != nil {
				return err
			}
			return tt.run(ctx)
		},
	}
	var order []string
	switch which {
	case "all":
		order = []string{"printer", "keypad", "touch"}
		if d.Speaker.Mode == kiosk.ModeALSA {
			order = append(order, "speaker")
		}
	case "printer", "keypad", "touch", "speaker":
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
			LinesJA: []string{"日本語の表示確認: 〇〇村役場 住民福祉課 暗証番号", "記号の確認: 8:30〜17:15 6–16けた", "この用紙は点検用です。"},
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
	// Look before opening: a FIFO nobody reads must not hang the test.
	node, err := escpos.Inspect(pc.Path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "device: %s\n", node)
	if !node.CanPrint() {
		return errors.New(node.String())
	}
	dev, err := escpos.Open(pc.Path, escpos.Options{Width: pw, Kanji: pc.Kanji, NativeQR: pc.Kanji, Logger: log})
	if err != nil {
		return err
	}
	defer dev.Close()
	st, err := dev.Status(ctx)
	if err != nil {
		return explainPrinter(err)
	}
	fmt.Fprintf(stdout, "status: %s\n", st)
	if !st.Ready() {
		return fmt.Errorf("the printer reports %s", st)
	}
	data := escpos.Layout{Width: pw, Kanji: pc.Kanji, NativeQR: pc.Kanji, Font: escpos.DefaultFont()}.Render(slip)
	if err := dev.Write(ctx, data); err != nil {
		return explainPrinter(err)
	}
	fmt.Fprintf(stdout, "test slip sent: %d bytes, %d mm, kanji=%v; check the paper\n", len(data), pc.WidthMM, pc.Kanji)
	if !st.Known {
		fmt.Fprintf(stdout, "note: %s: status unknown. The kiosk prints on this printer but cannot see it run out of paper.\n", st.Note)
	}
	return nil
}

// explainPrinter turns a printer error into what a technician checks.
func explainPrinter(err error) error {
	switch kiosk.PrinterStateOf(err) {
	case kiosk.PrinterStalled:
		return fmt.Errorf("stalled: the device takes no data (printer off, paper jam, or nothing reading the node): %w", err)
	case kiosk.PrinterAbsent:
		return fmt.Errorf("gone: the device went away (unplugged?): %w", err)
	}
	return err
}

func selftestKeypad(ctx context.Context, kc kiosk.KeypadConfig, timeout time.Duration, stdout io.Writer, log *slog.Logger) error {
	if len(kc.RowPins) == 0 || len(kc.ColPins) == 0 {
		return errors.New("no keypad pins: set devices.keypad in --config or pass --rows and --cols")
	}
	keys := driverKeys(kc)
	sc, err := keypad.Open(kc.RowPins, kc.ColPins, keypad.Config{Layout: kc.Layout, Map: keys}, log)
	if err != nil {
		return err
	}
	return listenKeypad(ctx, sc, cancelLabels(kc.Layout, keys), timeout, stdout)
}

// driverKeys is what each printed key does, as the kiosk's screens take it
// (kiosk.KeypadFor: the layout's defaults, then devices.keypad.keys), so
// the self-test's Cancel is the kiosk's. English and the plain keys report
// their label.
func driverKeys(kc kiosk.KeypadConfig) map[rune]keypad.Key {
	kc.Mode = kiosk.ModeReal // the layout and keys count, whatever the mode
	kp := kiosk.KeypadFor(kc)
	m := map[rune]keypad.Key{}
	for _, row := range kp.Layout {
		for _, r := range row {
			switch kp.Func(r) {
			case kiosk.KeyEnter:
				m[r] = keypad.KeyEnter
			case kiosk.KeyCancel:
				m[r] = keypad.KeyCancel
			case kiosk.KeyClear:
				m[r] = keypad.KeyClear
			default:
				m[r] = keypad.Key(string(r))
			}
		}
	}
	return m
}

// cancelLabels are the printed labels that mean Cancel on this layout.
func cancelLabels(layout []string, keys map[rune]keypad.Key) []string {
	var out []string
	for _, row := range layout {
		for _, r := range row {
			if keys[r] == keypad.KeyCancel {
				out = append(out, strconv.QuoteRune(r))
			}
		}
	}
	return out
}

// listenKeypad shows every key until Cancel, the timeout or ctx.
func listenKeypad(ctx context.Context, sc *keypad.Scanner, cancelKeys []string, timeout time.Duration, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	events := make(chan keypad.Event, 8)
	done := make(chan error, 1)
	go func() { done <- sc.Run(ctx, events) }()
	if len(cancelKeys) > 0 {
		fmt.Fprintf(stdout, "press keys (Cancel, the %s key, or %v ends the test)\n", strings.Join(cancelKeys, " or "), timeout)
	} else {
		fmt.Fprintf(stdout, "press keys (no key of this layout is Cancel: the test ends after %v)\n", timeout)
	}
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
			switch {
			case err != nil:
				return err
			case seen == 0:
				return errors.New("no key pressed before the timeout")
			}
			return nil
		}
	}
}

// touchTest shows where taps land, after an optional calibration.
type touchTest struct {
	dev        kiosk.TouchConfig
	timeout    time.Duration
	calibrate  bool
	cols, rows int
	tty        bool         // draw targets and taps on this terminal
	open       touch.Opener // nil: the device node
	out        io.Writer
	log        *slog.Logger
}

// setGrid takes --grid, else this terminal's size, else 80×24.
func (tt *touchTest) setGrid(grid string, stdout io.Writer) error {
	tt.cols, tt.rows = 80, 24
	if f, ok := stdout.(*os.File); ok {
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 0 && ws.Row > 0 {
			tt.cols, tt.rows, tt.tty = int(ws.Col), int(ws.Row), true
		}
	}
	if grid == "" {
		return nil
	}
	var c, r int
	if n, err := fmt.Sscanf(grid, "%dx%d", &c, &r); err != nil || n != 2 || c < 10 || r < 5 {
		return fmt.Errorf("--grid %q: want COLSxROWS, e.g. 80x24", grid)
	}
	tt.cols, tt.rows = c, r
	return nil
}

func (tt *touchTest) reader(cal touch.Calibration) *touch.Reader {
	cfg := touch.Config{Path: tt.dev.Device, Cal: cal, Grid: func() (int, int) { return tt.cols, tt.rows }}
	if tt.open != nil {
		return touch.NewWithOpener(tt.open, cfg, tt.log, nil)
	}
	return touch.New(cfg, tt.log)
}

// mark draws s at a cell when the output is a terminal.
func (tt *touchTest) mark(col, row int, s string) {
	if tt.tty {
		fmt.Fprintf(tt.out, "\x1b[%d;%dH%s\x1b[%d;1H", row+1, col+1, s, tt.rows)
	}
}

func (tt *touchTest) run(ctx context.Context) error {
	if tt.dev.Device == "" && tt.open == nil {
		return errors.New("no touchscreen: set devices.touch.device in --config or pass --touch")
	}
	ctx, cancel := context.WithTimeout(ctx, tt.timeout)
	defer cancel()
	cal := touch.FromConfig(tt.dev.Calibration)
	if tt.calibrate {
		c, err := tt.measure(ctx)
		if err != nil {
			return err
		}
		cal = c
	}
	return tt.show(ctx, cal)
}

// measure asks for taps on three targets and fits the calibration.
func (tt *touchTest) measure(ctx context.Context) (touch.Calibration, error) {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	taps := make(chan touch.Tap, 8)
	done := make(chan error, 1)
	r := tt.reader(touch.Calibration{}) // raw points: the calibration is what is measured
	go func() { done <- r.Run(ctx, taps) }()
	defer func() { stop(); <-done }()
	if tt.tty {
		fmt.Fprint(tt.out, "\x1b[2J")
	}
	targets := []struct {
		col, row int
		where    string
	}{{2, 1, "top-left"}, {tt.cols - 3, 1, "top-right"}, {2, tt.rows - 2, "bottom-left"}}
	var samples [3]touch.Sample
	for i, tg := range targets {
		tt.mark(tg.col, tg.row, "+")
		fmt.Fprintf(tt.out, "%d/3: touch the + %s (column %d, row %d of %dx%d)\n", i+1, tg.where, tg.col+1, tg.row+1, tt.cols, tt.rows)
		select {
		case tap := <-taps:
			samples[i] = touch.Sample{TargetX: (float64(tg.col) + 0.5) / float64(tt.cols), TargetY: (float64(tg.row) + 0.5) / float64(tt.rows), X: tap.RawX, Y: tap.RawY}
			fmt.Fprintf(tt.out, "     raw %d,%d\n", tap.RawX, tap.RawY)
			tt.mark(tg.col, tg.row, " ")
		case <-ctx.Done():
			h := r.Health()
			return touch.Calibration{}, fmt.Errorf("calibration: no tap on target %d/3 (%s); touchscreen %s: %s", i+1, tg.where, h.State, h.Detail)
		}
	}
	c, err := touch.Calibrate(samples)
	if err != nil {
		return touch.Calibration{}, err
	}
	fmt.Fprintf(tt.out, "calibration for the configuration file:\n[devices.touch.calibration]\nswap_xy = %v\ninvert_x = %v\ninvert_y = %v\nmin_x = %d\nmax_x = %d\nmin_y = %d\nmax_y = %d\noffset_x = 0\noffset_y = 0\n",
		c.SwapXY, c.InvertX, c.InvertY, c.X.Min, c.X.Max, c.Y.Min, c.Y.Max)
	return c, nil
}

// show prints where each tap lands until the timeout.
func (tt *touchTest) show(ctx context.Context, cal touch.Calibration) error {
	taps := make(chan touch.Tap, 8)
	done := make(chan error, 1)
	r := tt.reader(cal)
	go func() { done <- r.Run(ctx, taps) }()
	fmt.Fprintf(tt.out, "tap the screen: each tap is shown on the %dx%d grid (until %v)\n", tt.cols, tt.rows, tt.timeout)
	seen := 0
	for {
		select {
		case t := <-taps:
			seen++
			tt.mark(t.Col, t.Row, "x")
			fmt.Fprintf(tt.out, "tap col %2d row %2d  (x %.3f y %.3f; raw %d,%d)\n", t.Col+1, t.Row+1, t.X, t.Y, t.RawX, t.RawY)
		case err := <-done:
			if err != nil {
				return err
			}
			if seen == 0 {
				return fmt.Errorf("no tap before the timeout (touchscreen %s: %s)", r.Health().State, r.Health().Detail)
			}
			return nil
		}
	}
}

// selftestSpeaker finds the card by its ID, checks every prompt is
// installed and plays the waiting prompt at the three volume steps, each
// bounded by its length: a technician hears it get louder.
func selftestSpeaker(ctx context.Context, sc kiosk.SpeakerConfig, pcm string, stdout io.Writer, log *slog.Logger) error {
	out := speaker.ALSA{Card: sc.Card, PCM: pcm}
	fmt.Fprintf(stdout, "device: %s\n", out.Device())
	if err := out.Present(); err != nil {
		return fmt.Errorf("%w (is the USB speaker plugged in? aplay -l lists the cards)", err)
	}
	p := &speaker.Prompts{Dir: sc.Prompts}
	missing := p.Missing()
	fmt.Fprintf(stdout, "prompts: %s, %d of %d missing\n", sc.Prompts, len(missing), 2*len(kiosk.PromptIDs()))
	h := kiosk.NewHealthCell("speaker", "ok", "", time.Now())
	d := &speaker.Device{Prompts: p, Sink: out, Health: h, Log: log}
	for v := kiosk.VolumeLow; v <= kiosk.VolumeHigh; v++ {
		u := kiosk.Utterance{Lang: kiosk.Japanese, Prompts: []kiosk.PromptID{"w.Insert"}, Volume: v}
		if len(missing) > 0 {
			u = kiosk.Utterance{Click: true, Volume: v} // no prompts: the click still proves the path
		}
		fmt.Fprintf(stdout, "playing %s\n", u)
		if err := d.Play(ctx, u); err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%d prompts missing under %s (e.g. %s): the image ships them from make voice", len(missing), sc.Prompts, missing[0])
	}
	return nil
}
