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
	"github.com/villagehall/kiosk/ui"
	"github.com/villagehall/kiosk/ui/session"
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

func runKiosk(ctx context.Context, cfg kiosk.Config, log *slog.Logger) error {
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
		if syncer, err = newSyncer(cfg, j, clock, printerState, log); err != nil {
			return err
		}
	}
	g.Go(func() { compactWhenDrained(ctx, j, log) })

	var kj kiosk.Journal = j
	if syncer != nil {
		kj = kickingJournal{j, syncer}
	}
	flows := &kiosk.Flows{Journal: kj, Printer: printer, Municipality: cfg.Municipality, KioskID: cfg.KioskID,
		CertRefKey: certRefKey, Clock: clock, Log: log}
	sess := session.New(session.Config{
		IdleTimeout: cfg.IdleTimeout, IdleWarning: cfg.IdleWarning, Flows: flows, CertRefKey: certRefKey,
		Clock: clock, Log: log,
		CanRecord: func() error { return canRecord(cfg.Journal.Path) },
	})

	cards := make(chan session.CardEvent, 4)
	intents := make(chan ui.Intent, 16)
	views := make(chan ui.View, 1)

	var sim *simCards
	switch cfg.Devices.Reader.Mode {
	case kiosk.ModeReal:
		g.Go(func() { pcscCards(ctx, cfg.Devices.Reader.NamePrefix, log, cards) })
	case kiosk.ModeSim:
		if sim, err = newSimCards(filepath.Join(repoRoot(), "testdata", "cards"), cards, cancel, log); err != nil {
			return err
		}
		readerPresent.Store(true)
	default:
		cards <- session.CardEvent{Kind: session.ReaderLost}
	}

	if syncer != nil { // after the card source: the first heartbeat reports the reader truly
		g.Go(func() { _ = syncer.Run(ctx) })
	}
	g.Go(func() {
		if err := sess.Run(ctx, cards, intents, views); err != nil {
			log.Error("session", "err", err)
		}
		cancel()
	})

	onIntent := func(in ui.Intent) {
		select {
		case intents <- in:
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
	opts := ui.Options{Lang: ui.ParseLang(cfg.Language), Municipality: cfg.Municipality, OnIntent: onIntent, Logger: log}
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

// newSyncer uploads j with the kiosk's certificate, which also signs every batch.
func newSyncer(cfg kiosk.Config, j *journal.Journal, clock *kiosk.ClockTrust, printerState func() string, log *slog.Logger) (*ksync.Syncer, error) {
	pool, err := ksync.LoadCAPool(cfg.Sync.CA)
	if err != nil {
		return nil, fmt.Errorf("sync.ca: %w", err)
	}
	id, err := ksync.LoadIdentity(cfg.Sync.Cert, cfg.Sync.Key)
	if err != nil {
		return nil, fmt.Errorf("sync.cert, sync.key: %w", err)
	}
	if cn := id.Cert.Subject.CommonName; cn != cfg.KioskID {
		return nil, fmt.Errorf("sync.cert: the certificate is kiosk %q's, this kiosk is %q: the collector would refuse every batch", cn, cfg.KioskID)
	}
	s, err := ksync.New(ksync.Config{
		BaseURL: cfg.Sync.CollectorURL, Client: ksync.NewHTTPClient(id.ClientTLS(pool), 30*time.Second), KioskID: cfg.KioskID,
		Signer: id.Signer, Outbox: j, Idle: cfg.Sync.Interval, Logger: log,
		OnServerTime: clock.Observe,
		Health:       func() ksync.Health { return health(cfg.Devices, printerState()) },
	})
	if err != nil {
		return nil, fmt.Errorf("sync: %w", err)
	}
	log.Info("sync on", "collector", cfg.Sync.CollectorURL, "journal_id", j.JournalID())
	return s, nil
}

// health is what the heartbeat says of the devices. The reader and the
// printer report their state; the keypad and the touchscreen are not
// watched yet (issue 12) and say so.
func health(d kiosk.Devices, printer string) ksync.Health {
	h := ksync.Health{ReaderPresent: readerPresent.Load(), PrinterState: printer, Version: version}
	dev := func(name, mode, state, detail string) {
		switch mode {
		case kiosk.ModeNone:
			return
		case kiosk.ModeSim:
			state, detail = ksync.StateOK, "simulated"
		}
		h.Devices = append(h.Devices, ksync.DeviceHealth{Name: name, State: state, Detail: detail})
	}
	reader := ksync.StateAbsent
	if h.ReaderPresent {
		reader = ksync.StateOK
	}
	dev(ksync.DeviceReader, d.Reader.Mode, reader, "")
	dev(ksync.DevicePrinter, d.Printer.Mode, printer, "")
	dev(ksync.DeviceKeypad, d.Keypad.Mode, ksync.StateUnknown, "not watched")
	dev(ksync.DeviceTouch, d.Touch.Mode, ksync.StateUnknown, "not watched")
	return h
}

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
		keys := keypad.DefaultMap()
		for label, fn := range kc.Keys { // validated by kiosk.LoadConfig
			keys[[]rune(label)[0]] = map[string]keypad.Key{"enter": keypad.KeyEnter, "cancel": keypad.KeyCancel, "clear": keypad.KeyClear}[fn]
		}
		sc, err := keypad.Open(kc.RowPins, kc.ColPins, keypad.Config{Layout: kc.Layout, Map: keys}, log)
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
				if k, r, ok := uiKey(ev.Key); ok {
					_ = app.Press(k, r)
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

func uiKey(k keypad.Key) (ui.Key, rune, bool) {
	switch k {
	case keypad.KeyEnter:
		return ui.KeyEnter, 0, true
	case keypad.KeyCancel:
		return ui.KeyCancel, 0, true
	case keypad.KeyClear:
		return ui.KeyClear, 0, true
	}
	if len(k) == 1 && k[0] >= '0' && k[0] <= '9' {
		return ui.KeyDigit, rune(k[0]), true
	}
	return 0, 0, false
}

// headless runs without a display (screen mode none, e.g. the qemu smoke
// test): pages are logged so the visit can still be followed.
func headless(ctx context.Context, views <-chan ui.View, log *slog.Logger) error {
	log.Info("kiosk ready (no screen)")
	for {
		select {
		case <-ctx.Done():
			return nil
		case v := <-views:
			log.Debug("page", "page", v.Page.String())
		}
	}
}
