package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/villagehall/kiosk/drivers/escpos"
	"github.com/villagehall/kiosk/drivers/keypad"
	"github.com/villagehall/kiosk/drivers/speaker"
	"github.com/villagehall/kiosk/drivers/touch"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/ui"
)

// devices is every configured device's health, for the log and the
// heartbeat: reader, printer, keypad, touch (those not set to none).
type devices struct {
	mu      sync.Mutex
	sources []func() kiosk.DeviceHealth
	last    map[string]kiosk.DeviceHealth // as last logged
}

func (d *devices) add(src func() kiosk.DeviceHealth) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sources = append(d.sources, src)
}

// List is each device's health now.
func (d *devices) List() []kiosk.DeviceHealth {
	d.mu.Lock()
	srcs := append([]func() kiosk.DeviceHealth(nil), d.sources...)
	d.mu.Unlock()
	out := make([]kiosk.DeviceHealth, 0, len(srcs))
	for _, s := range srcs {
		out = append(out, s())
	}
	return out
}

// state is one device's state word, "none" when it is not configured.
func (d *devices) state(name string) string {
	for _, h := range d.List() {
		if h.Name == name {
			return h.State
		}
	}
	return "none"
}

// logChanges writes a line for each device whose state changed since the
// last call: the log says when the printer stalled or the keypad stuck
// even while no heartbeat goes out.
func (d *devices) logChanges(log *slog.Logger) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last == nil {
		d.last = map[string]kiosk.DeviceHealth{}
	}
	for _, s := range d.sources {
		h := s()
		if old, ok := d.last[h.Name]; ok && old.State == h.State && old.Detail == h.Detail {
			continue
		}
		d.last[h.Name] = h
		level := slog.LevelInfo
		if h.State != "ok" {
			level = slog.LevelWarn
		}
		log.Log(context.Background(), level, "device health", "device", h.Name, "state", h.State, "detail", h.Detail, "since", h.Since)
	}
}

// healthProbe asks the printer how it is now and then, so paper out shows
// in the log and the heartbeat before a resident needs a slip, and logs
// every device's changes. A stalled printer costs the probe its own
// bounded timeout, on this goroutine only.
func healthProbe(ctx context.Context, devs *devices, status func(context.Context) error, log *slog.Logger) {
	check := func() {
		if status != nil {
			_ = status(ctx) // the outcome is in the printer's health
		}
		devs.logChanges(log)
	}
	check()
	every(ctx, time.Minute, check)
}

// openPrinter builds the configured printer. A real printer is opened on
// first use and reopened after it goes away, so one switched on after the
// kiosk works; until then slips are shown on screen.
func openPrinter(pc kiosk.PrinterConfig, devs *devices, log *slog.Logger) (kiosk.Printer, func(context.Context) error, error) {
	width := escpos.Width80
	if pc.WidthMM == 58 {
		width = escpos.Width58
	}
	switch pc.Mode {
	case kiosk.ModeReal:
		p := escpos.NewPathPrinter(pc.Path, escpos.Options{Width: width, Kanji: pc.Kanji, NativeQR: pc.Kanji, Logger: log})
		devs.add(p.Health)
		return p, func(ctx context.Context) error { _, err := p.Probe(ctx); return err }, nil
	case kiosk.ModeSim:
		p, err := escpos.NewDirPrinter(pc.Path, escpos.Layout{Width: width, Kanji: pc.Kanji, NativeQR: pc.Kanji, Font: escpos.DefaultFont()})
		if err != nil {
			return nil, nil, fmt.Errorf("devices.printer: %w", err)
		}
		devs.add(p.Health)
		return p, nil, nil
	}
	return nil, nil, nil
}

// canAnswer says whether a resident has a keypad or touchscreen that
// works; the error names what does not. A stuck key leaves the rest of
// the keypad usable; the simulator's keyboard and mouse always work.
func canAnswer(dc kiosk.Devices, devs *devices) error {
	kp, tc := dc.Keypad.Mode, dc.Touch.Mode
	if kp == kiosk.ModeSim || tc == kiosk.ModeSim {
		return nil
	}
	var why []string
	if kp == kiosk.ModeReal {
		st := devs.state("keypad")
		if st == "ok" || st == "stuck" {
			return nil
		}
		why = append(why, "keypad "+st)
	}
	if tc == kiosk.ModeReal {
		st := devs.state("touch")
		if st == "ok" {
			return nil
		}
		why = append(why, "touchscreen "+st)
	}
	if len(why) == 0 {
		return nil // no input device configured: config validation refuses that
	}
	return errors.New(strings.Join(why, ", "))
}

// startInputDevices connects the GPIO keypad and the evdev touchscreen
// to the screen; sim mode uses the terminal's keyboard and mouse.
func startInputDevices(ctx context.Context, g *group, cfg kiosk.Config, app *ui.App, scr tcell.Screen, devs *devices, log *slog.Logger) error {
	if kc := cfg.Devices.Keypad; kc.Mode == kiosk.ModeReal {
		// The driver reports printed labels; what each does is the
		// screen's kiosk.Keypad (devices.keypad.keys), so the label on
		// the screen and on the key agree.
		labels := map[rune]keypad.Key{}
		for _, row := range kc.Layout {
			for _, r := range row {
				labels[r] = keypad.Key(string(r))
			}
		}
		health := kiosk.NewHealthCell("keypad", "error", "not opened yet", time.Now())
		devs.add(health.Get)
		events := make(chan keypad.Event, 8)
		g.Go(func() {
			runKeypad(ctx, kc, keypad.Config{Layout: kc.Layout, Map: labels}, health, events, log)
		})
		g.Go(func() {
			forward(ctx, events, func(ev keypad.Event) {
				if ev.Kind == keypad.Stuck {
					return // the scanner logged it and the health says so
				}
				if r := []rune(string(ev.Key)); len(r) == 1 {
					if err := app.Press(r[0]); err != nil {
						log.Warn("keypad key lost: screen queue full", "key", string(ev.Key), "err", err)
					}
				}
			})
		})
	}
	if tc := cfg.Devices.Touch; tc.Mode == kiosk.ModeReal {
		r := touch.New(touch.Config{Path: tc.Device, Grid: scr.Size, Cal: touch.FromConfig(tc.Calibration)}, log)
		devs.add(r.Health)
		taps := make(chan touch.Tap, 8)
		g.Go(func() {
			if err := r.Run(ctx, taps); err != nil {
				log.Error("touchscreen stopped", "path", tc.Device, "err", err)
			}
		})
		g.Go(func() {
			forward(ctx, taps, func(t touch.Tap) {
				if err := app.Tap(t.Col, t.Row); err != nil {
					log.Warn("tap lost: screen queue full", "col", t.Col, "row", t.Row, "err", err)
				}
			})
		})
	}
	return nil
}

// runKeypad opens the keypad and scans it until ctx ends. A GPIO failure,
// at open or while scanning, is logged when it first appears or changes,
// kept in the keypad's health, and retried with a backoff up to 30 s: a
// keypad connector reseated by a technician comes back by itself.
func runKeypad(ctx context.Context, kc kiosk.KeypadConfig, cfg keypad.Config, health *kiosk.HealthCell, out chan<- keypad.Event, log *slog.Logger) {
	const minBackoff, maxBackoff = time.Second, 30 * time.Second
	backoff := minBackoff
	lastErr := ""
	fail := func(what string, err error) bool {
		health.Set("error", err.Error(), time.Now())
		if err.Error() != lastErr {
			log.Error("keypad "+what+" failed; retrying", "err", err, "retry_in", backoff)
			lastErr = err.Error()
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
		return true
	}
	for ctx.Err() == nil {
		sc, err := keypad.Open(kc.RowPins, kc.ColPins, cfg, log, keypad.WithHealth(health))
		if err != nil {
			if !fail("open", err) {
				return
			}
			continue
		}
		if lastErr != "" {
			log.Info("keypad working again")
			lastErr = ""
		}
		backoff = minBackoff
		err = sc.Run(ctx, out)
		if err == nil || errors.Is(err, context.Canceled) {
			return
		}
		if !fail("scan", err) {
			return
		}
	}
}

// openSpeaker builds the configured speaker (nil: none). Its health is in
// the heartbeat and the log like every device's: absent (no such ALSA
// card), error (playback failed or timed out), prompts_missing.
func openSpeaker(sc kiosk.SpeakerConfig, devs *devices, log *slog.Logger) kiosk.Speaker {
	prompts := &speaker.Prompts{Dir: sc.Prompts}
	switch sc.Mode {
	case kiosk.ModeSim:
		h := kiosk.NewHealthCell("speaker", "ok", "simulated", time.Now())
		devs.add(h.Get)
		return &speaker.SimDevice{Sim: &speaker.Sim{Dir: sc.Path}, Prompts: prompts, Health: h}
	case kiosk.ModeALSA:
		out := speaker.ALSA{Card: sc.Card}
		h := kiosk.NewHealthCell("speaker", "ok", out.Device(), time.Now())
		if err := out.Present(); err != nil {
			h.Set(speaker.StateAbsent, err.Error(), time.Now())
		}
		if missing := prompts.Missing(); len(missing) > 0 {
			h.Set(speaker.StateNoVoices, fmt.Sprintf("%d prompts missing under %s, e.g. %s", len(missing), sc.Prompts, missing[0]), time.Now())
		}
		devs.add(h.Get)
		return &speaker.Device{Prompts: prompts, Sink: out, Health: h, Log: log, Check: out.Present}
	}
	return nil
}
