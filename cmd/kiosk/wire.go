package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gdamore/tcell/v2"
	"golang.org/x/sys/unix"

	"github.com/villagehall/kiosk/drivers/escpos"
	"github.com/villagehall/kiosk/drivers/keypad"
	"github.com/villagehall/kiosk/drivers/touch"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/visitrun"
	"github.com/villagehall/kiosk/ui"
)

// journalMaxSize guards the data partition: bbolt files never shrink.
const journalMaxSize = 256 << 20

// minFreeBytes below which no visit starts: its record could not be kept.
const minFreeBytes = 4 << 20

// group runs owned goroutines and waits for all of them.
type group struct{ wg sync.WaitGroup }

func (g *group) Go(fn func()) {
	g.wg.Add(1)
	go func() { defer g.wg.Done(); fn() }()
}

func runKiosk(ctx context.Context, cfg kiosk.Config, o options, log *slog.Logger) error {
	j, err := journal.Open(cfg.Journal.Path, journal.Options{KioskID: cfg.KioskID, MaxSize: journalMaxSize, Logger: log})
	if err != nil {
		return fmt.Errorf("journal %s: %w", cfg.Journal.Path, err)
	}
	// Closed last: after every goroutine that may append has stopped.
	defer j.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var g group
	defer g.wg.Wait()
	defer cancel() // runs first: stop every goroutine, then wait

	if r := j.Reset(); r != nil {
		log.Error("journal was unusable and was moved aside; a new one was started", "info", fmt.Sprintf("%+v", *r))
	}
	// Staff tools reach the journal through the kiosk while it runs.
	if ln, err := journal.Listen(cfg.Journal.Path); err != nil {
		log.Warn("journal control socket not available; kioskctl journal needs the kiosk stopped", "err", err)
	} else {
		g.Go(func() {
			if err := journal.Serve(ctx, ln, j, log); err != nil {
				log.Warn("journal control socket", "err", err)
			}
		})
	}
	clock := kiosk.NewClockTrust(buildStamp())
	if t, err := j.LastTime(); err == nil {
		clock.Observe(t)
	}
	var certRefKey []byte
	if cfg.Journal.CertRefKey != "" {
		if certRefKey, err = os.ReadFile(cfg.Journal.CertRefKey); err != nil {
			return fmt.Errorf("journal.cert_ref_key: %w", err)
		}
	}

	printer, printerState, err := openPrinter(cfg.Devices.Printer, log)
	if err != nil {
		return err
	}
	var syncer *ksync.Syncer
	if cfg.Sync.Enabled() {
		tc, err := ksync.ClientTLS(cfg.Sync.CA, cfg.Sync.Cert, cfg.Sync.Key)
		if err != nil {
			return fmt.Errorf("sync: %w", err)
		}
		syncer, err = ksync.New(ksync.Config{
			BaseURL: cfg.Sync.CollectorURL, Client: ksync.NewHTTPClient(tc, 30*time.Second), KioskID: cfg.KioskID, Outbox: j,
			Idle: cfg.Sync.Interval, Logger: log,
			OnServerTime: clock.Observe,
			Health: func() ksync.Health {
				return ksync.Health{ReaderPresent: readerPresent.Load(), PrinterState: printerState(), Version: version}
			},
		})
		if err != nil {
			return fmt.Errorf("sync: %w", err)
		}
	}
	g.Go(func() { compactWhenDrained(ctx, j, log) })

	var kj kiosk.Journal = j
	if syncer != nil {
		kj = kickingJournal{j, syncer}
	}
	flows := &kiosk.Flows{Journal: kj, Printer: printer, Municipality: cfg.Municipality, KioskID: cfg.KioskID,
		CertRefKey: certRefKey, Clock: clock, Log: log}
	runner := visitrun.New(visitrun.Config{
		Visit: kiosk.VisitConfig{IdleTimeout: cfg.IdleTimeout, IdleWarning: cfg.IdleWarning,
			Lang: kiosk.ParseLang(cfg.Language), Municipality: cfg.Municipality},
		Flows: flows, Clock: clock, Log: log,
		CanRecord: func() error { return canRecord(cfg.Journal.Path) },
	})

	cards := make(chan visitrun.CardEvent, 4)
	input := make(chan kiosk.Input, 16)
	views := make(chan kiosk.View, 1)
	keys := kiosk.KeypadFor(cfg.Devices.Keypad)

	var sim *simCards
	switch cfg.Devices.Reader.Mode {
	case kiosk.ModeReal:
		g.Go(func() { pcscCards(ctx, cfg.Devices.Reader.NamePrefix, log, cards) })
	case kiosk.ModeSim:
		if sim, err = newSimCards(filepath.Join(repoRoot(), "testdata", "cards"), cards, keys, cancel, log); err != nil {
			return err
		}
		readerPresent.Store(true)
	default:
		cards <- visitrun.CardEvent{Kind: visitrun.ReaderLost}
	}

	if syncer != nil { // after the card source: the first heartbeat reports the reader truly
		g.Go(func() { _ = syncer.Run(ctx) })
	}
	g.Go(func() {
		if err := runner.Run(ctx, cards, input, views); err != nil {
			log.Error("visits", "err", err)
		}
		cancel()
	})

	onInput := func(in kiosk.Input) {
		select {
		case input <- in:
		case <-ctx.Done():
			kiosk.Wipe(in.PIN)
		}
	}
	notifyReady(log)
	g.Go(func() { watchdog(ctx) })

	if cfg.Devices.Screen.Mode == kiosk.ModeNone {
		return headless(ctx, views, log)
	}
	scr, err := tcell.NewScreen()
	if err != nil {
		return fmt.Errorf("screen: %w", err)
	}
	if err := scr.Init(); err != nil {
		return fmt.Errorf("screen: %w", err)
	}
	defer scr.Fini()
	opts := ui.Options{Keypad: keys, Touch: cfg.Devices.Touch.Mode != kiosk.ModeNone, TypeLetters: o.typeLetters,
		OnInput: onInput, Logger: log}
	if sim != nil {
		opts.Hotkey = sim.hotkey
		opts.Banner = func() string { w, _ := scr.Size(); return sim.banner(w) }
	}
	app := ui.New(scr, opts)
	if err := startInputDevices(ctx, &g, cfg, app, scr, log); err != nil {
		return err
	}
	log.Info("kiosk ready")
	return app.Run(ctx, views)
}

var readerPresent atomic.Bool

// kickingJournal wakes the syncer after each durable append.
type kickingJournal struct {
	*journal.Journal
	s *ksync.Syncer
}

func (k kickingJournal) Append(ctx context.Context, r kiosk.Record) (kiosk.Record, error) {
	out, err := k.Journal.Append(ctx, r)
	if err == nil {
		k.s.Kick()
	}
	return out, err
}

// canRecord refuses a visit when the data partition cannot take its record.
func canRecord(path string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(filepath.Dir(path), &st); err != nil {
		return fmt.Errorf("check free space: %w", err)
	}
	if free := st.Bavail * uint64(st.Bsize); free < minFreeBytes {
		return fmt.Errorf("data partition has %d bytes free: %w", free, journal.ErrFull)
	}
	return nil
}

// compactWhenDrained gives space back once the town hall has everything.
func compactWhenDrained(ctx context.Context, j *journal.Journal, log *slog.Logger) {
	every(ctx, time.Hour, func() {
		if n, err := j.Depth(); err != nil || n > 0 {
			return
		}
		if done, err := j.Compact(false); err != nil {
			log.Warn("journal compaction failed", "err", err)
		} else if done {
			log.Info("journal compacted")
		}
	})
}

// every runs fn every d until ctx ends.
func every(ctx context.Context, d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// forward hands each value from ch to fn until ctx ends.
func forward[T any](ctx context.Context, ch <-chan T, fn func(T)) {
	for {
		select {
		case <-ctx.Done():
			return
		case v := <-ch:
			fn(v)
		}
	}
}

func openPrinter(pc kiosk.PrinterConfig, log *slog.Logger) (kiosk.Printer, func() string, error) {
	width := escpos.Width80
	if pc.WidthMM == 58 {
		width = escpos.Width58
	}
	switch pc.Mode {
	case kiosk.ModeReal:
		d, err := escpos.Open(pc.Path, escpos.Options{Width: width, Kanji: pc.Kanji, NativeQR: pc.Kanji, Logger: log})
		if err != nil {
			// A missing printer must not stop the kiosk: residents see the
			// reference number on screen instead.
			log.Error("printer not available; slips will be shown on screen", "path", pc.Path, "err", err)
			return nil, func() string { return "absent" }, nil
		}
		return d, func() string {
			st, err := d.Status(context.Background())
			switch {
			case err != nil:
				return "absent"
			case !st.Known:
				return "unknown"
			case st.PaperOut:
				return "paper_out"
			}
			return "ok"
		}, nil
	case kiosk.ModeSim:
		p, err := escpos.NewDirPrinter(pc.Path, escpos.Layout{Width: width, Kanji: pc.Kanji, NativeQR: pc.Kanji, Font: escpos.DefaultFont()})
		if err != nil {
			return nil, nil, fmt.Errorf("devices.printer: %w", err)
		}
		return p, func() string { return "sim" }, nil
	}
	return nil, func() string { return "none" }, nil
}

// startInputDevices connects the GPIO keypad and the evdev touchscreen
// to the screen; sim mode uses the terminal's keyboard and mouse.
func startInputDevices(ctx context.Context, g *group, cfg kiosk.Config, app *ui.App, scr tcell.Screen, log *slog.Logger) error {
	if kc := cfg.Devices.Keypad; kc.Mode == kiosk.ModeReal {
		// The driver reports printed labels; what each does is the
		// screen's kiosk.Keypad, so labels on screen and on the keys agree.
		labels := map[rune]keypad.Key{}
		for _, row := range kc.Layout {
			for _, r := range row {
				labels[r] = keypad.Key(string(r))
			}
		}
		sc, err := keypad.Open(kc.RowPins, kc.ColPins, keypad.Config{Layout: kc.Layout, Map: labels}, log)
		if err != nil {
			return fmt.Errorf("devices.keypad: %w", err)
		}
		events := make(chan keypad.Event, 8)
		g.Go(func() { _ = sc.Run(ctx, events) })
		g.Go(func() {
			forward(ctx, events, func(ev keypad.Event) {
				if ev.Kind == keypad.Stuck {
					log.Warn("keypad key stuck", "key", string(ev.Key))
					return
				}
				if r := []rune(string(ev.Key)); len(r) == 1 {
					_ = app.Press(r[0])
				}
			})
		})
	}
	if tc := cfg.Devices.Touch; tc.Mode == kiosk.ModeReal {
		cal := touch.Calibration{OffsetX: int32(tc.Calibration.OffsetX), OffsetY: int32(tc.Calibration.OffsetY),
			SwapXY: tc.Calibration.SwapXY, InvertX: tc.Calibration.InvertX, InvertY: tc.Calibration.InvertY}
		r := touch.New(touch.Config{Path: tc.Device, Grid: scr.Size, Cal: cal}, log)
		taps := make(chan touch.Tap, 8)
		g.Go(func() { _ = r.Run(ctx, taps) })
		g.Go(func() { forward(ctx, taps, func(t touch.Tap) { _ = app.Tap(t.Col, t.Row) }) })
	}
	return nil
}

// headless runs without a display (screen mode none, e.g. the qemu smoke
// test): pages are logged so the visit can still be followed.
func headless(ctx context.Context, views <-chan kiosk.View, log *slog.Logger) error {
	log.Info("kiosk ready (no screen)")
	for {
		select {
		case <-ctx.Done():
			return nil
		case v := <-views:
			log.Debug("screen", "screen", v.Screen.String())
		}
	}
}
