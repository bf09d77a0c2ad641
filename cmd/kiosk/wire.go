package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gdamore/tcell/v2"
	"golang.org/x/sys/unix"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/update"
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
	if err := checkUnsentBeside(cfg.Journal.Path); err != nil {
		return err
	}
	j, err := journal.Open(cfg.Journal.Path, journal.Options{KioskID: cfg.KioskID, MaxSize: journalMaxSize, Logger: log,
		Retention: journal.Retention{Days: cfg.Journal.RetainDays, MaxBytes: int64(cfg.Journal.RetainMaxMB) << 20,
			FreeFloor: int64(cfg.Journal.FreeFloorMB) << 20}})
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

	devs := &devices{}
	reader := kiosk.NewHealthCell("reader", "absent", "not seen yet", time.Now())
	if cfg.Devices.Reader.Mode != kiosk.ModeNone {
		devs.add(reader.Get)
	}
	printer, printerStatus, err := openPrinter(cfg.Devices.Printer, devs, log)
	if err != nil {
		return err
	}
	var syncer *ksync.Syncer
	if cfg.Sync.Enabled() {
		if syncer, err = newSyncer(cfg, j, clock, devs, log); err != nil {
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
	voice := openVoice(cfg.Devices.Speaker, devs, log)
	if voice.run != nil {
		g.Go(func() { voice.run(ctx) })
	}
	ups := &updateScreen{sig: update.DefaultSignal, log: log}
	runner := visitrun.New(visitrun.Config{
		Speaker: voice.speaker, Earphone: voice.jack,
		Voice: kiosk.VoiceConfig{Enabled: voice.speaker != nil, Volume: cfg.Devices.Speaker.Volume, Jack: voice.jack != nil},
		Visit: kiosk.VisitConfig{IdleTimeout: cfg.IdleTimeout, IdleWarning: cfg.IdleWarning,
			Lang: kiosk.ParseLang(cfg.Language), Municipality: cfg.Municipality},
		Flows: flows, Clock: clock, Log: log,
		CanRecord:  func() error { return canRecord(cfg.Journal.Path) },
		CanAnswer:  func() error { return canAnswer(cfg.Devices, devs) },
		Update:     ups.progress,
		UpdateIdle: ups.idle,
	})

	cards := make(chan visitrun.CardEvent, 4)
	input := make(chan kiosk.Input, 16)
	views := make(chan kiosk.View, 1)
	keys := kiosk.KeypadFor(cfg.Devices.Keypad)

	var sim *simCards
	switch cfg.Devices.Reader.Mode {
	case kiosk.ModeReal:
		g.Go(func() { pcscCards(ctx, cfg.Devices.Reader.NamePrefix, reader, log, cards) })
	case kiosk.ModeSim:
		if sim, err = newSimCards(cards, keys, cancel, log); err != nil {
			return err
		}
		reader.Set("ok", "simulated", time.Now())
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
	g.Go(func() { healthProbe(ctx, devs, printerStatus, log) })

	// READY=1 after the first frame; the watchdog fed by the screen loop.
	notify := notifierFromEnv()
	ready := &readiness{notify: notify, log: log}
	wd := &watchdog{notify: notify, log: log}
	ping := watchdogInterval()
	if ping > 0 {
		g.Go(func() { wd.Run(ctx, ping) })
	}
	loopTicks := time.NewTicker(loopTick(ping))
	defer loopTicks.Stop()

	if cfg.Devices.Screen.Mode == kiosk.ModeNone {
		return headless(ctx, views, loopTicks.C, ready, wd, log)
	}
	scr, err := tcell.NewScreen()
	if err != nil {
		return fmt.Errorf("screen: %w", err)
	}
	if err := scr.Init(); err != nil {
		return fmt.Errorf("screen: %w", err)
	}
	defer scr.Fini()
	opts := ui.Options{Keypad: keys, Touch: cfg.Devices.Touch.Mode != kiosk.ModeNone, Voice: voice.speaker != nil,
		Mouse: cfg.Devices.Touch.Mode == kiosk.ModeSim, TypeLetters: o.typeLetters,
		OnInput: onInput, Logger: log, Ticks: loopTicks.C, OnTick: wd.Beat, OnFrame: func(kiosk.View) { ready.Ready() }, Version: version}
	if sim != nil {
		opts.Hotkey = sim.hotkey
		opts.Banner = func() string { w, _ := scr.Size(); return sim.banner(w) }
	}
	app := ui.New(scr, opts)
	if err := startInputDevices(ctx, &g, cfg, app, scr, devs, log); err != nil {
		return err
	}
	return app.Run(ctx, views)
}

// newSyncer uploads j with the kiosk's certificate, which also signs every batch.
func newSyncer(cfg kiosk.Config, j *journal.Journal, clock *kiosk.ClockTrust, devs *devices, log *slog.Logger) (*ksync.Syncer, error) {
	id, client, err := syncClient(cfg.KioskID, cfg.Sync)
	if err != nil {
		return nil, err
	}
	s, err := ksync.New(ksync.Config{
		BaseURL: cfg.Sync.URLs()[0], MoreURLs: cfg.Sync.URLs()[1:], Client: client, KioskID: cfg.KioskID,
		Signer: id.Signer, Outbox: j, Idle: cfg.Sync.Interval, Logger: log,
		OnServerTime: clock.Observe,
		Health:       func() ksync.Health { return health(devs) },
	})
	if err != nil {
		return nil, fmt.Errorf("sync: %w", err)
	}
	log.Info("sync on", "collector", strings.Join(cfg.Sync.URLs(), " then "), "journal_id", j.JournalID())
	return s, nil
}

// syncClient is the kiosk's identity and the HTTP client that presents it
// to the collectors (trusting only the village CA).
func syncClient(kioskID string, sc kiosk.SyncConfig) (*ksync.Identity, *http.Client, error) {
	pool, err := ksync.LoadCAPool(sc.CA)
	if err != nil {
		return nil, nil, fmt.Errorf("sync.ca: %w", err)
	}
	id, err := ksync.LoadIdentity(sc.Cert, sc.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("sync.cert, sync.key: %w", err)
	}
	if cn := id.Cert.Subject.CommonName; cn != kioskID {
		return nil, nil, fmt.Errorf("sync.cert: the certificate is kiosk %q's, this kiosk is %q: the collector would refuse every batch", cn, kioskID)
	}
	return id, ksync.NewHTTPClient(id.ClientTLS(pool), 30*time.Second), nil
}

// health is what the heartbeat says of the devices: each one's state as
// its driver reports it, and the two fields older collectors read.
func health(devs *devices) ksync.Health {
	h := ksync.Health{ReaderPresent: devs.state("reader") == "ok", PrinterState: devs.state("printer"), Version: version,
		Update: updateStatus(update.DefaultStateDir)}
	for _, d := range devs.List() {
		h.Devices = append(h.Devices, ksync.DeviceHealth{Name: d.Name, State: d.State, Detail: d.Detail, Since: d.Since})
	}
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

// headless runs without a display (screen mode none): pages are logged
// so the visit can still be followed. This loop stands for the screen
// loop: it feeds the watchdog, and READY=1 waits for the first page.
func headless(ctx context.Context, views <-chan kiosk.View, ticks <-chan time.Time, ready *readiness, wd *watchdog, log *slog.Logger) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case v := <-views:
			log.Debug("screen", "screen", v.Screen.String())
			ready.Ready()
		case <-ticks:
			wd.Beat()
		}
	}
}
