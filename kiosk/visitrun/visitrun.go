// Package visitrun runs residents' visits: it feeds card events, the
// resident's input and time into the kiosk.Visit state machine, carries
// out the work the visit asks for (card calls, journal appends, printing)
// off its loop, and publishes every screen the visit decides. It decides
// nothing itself: every answer goes back into the visit, tagged with the
// card session that asked for it, and the visit drops stale ones.
package visitrun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// CardEventKind is what the reader side saw.
type CardEventKind int

const (
	CardInserted CardEventKind = iota // Card is connected and ready
	CardRemoved
	ReaderLost // the reader (or pcscd) went away: out of service until ReaderBack
	ReaderBack
)

// CardEvent comes from the card source (PC/SC watcher or the simulator).
type CardEvent struct {
	Kind CardEventKind
	Card kiosk.Card // CardInserted
	// Close releases the connection; the runner calls it once, when the
	// card leaves or another one arrives.
	Close func()
	// Seen is when the reader reported the card (zero if unknown); the
	// runner logs the time from there to the status on screen.
	Seen time.Time
}

// Config wires a runner.
type Config struct {
	Visit kiosk.VisitConfig
	Flows *kiosk.Flows // journal, printer, municipality, clock
	Clock *kiosk.ClockTrust
	Now   func() time.Time
	Log   *slog.Logger
	// Ticks drive the idle timer; nil uses a one-second ticker.
	Ticks <-chan time.Time
	// CanRecord says whether a transaction can be journaled now (disk
	// space, journal health). A visit is refused rather than left
	// unrecorded. nil means always.
	CanRecord func() error
	// CanAnswer says whether a resident could answer the kiosk now (a
	// working keypad or touchscreen); asked on every tick, and the visit
	// is told when that changes. nil means always.
	CanAnswer func() error
	// Update says whether a software update wants the kiosk and how far it
	// has come (nil: none); asked on every tick. UpdateIdle is told, on
	// every tick while one is asked for, whether the update screen is up
	// (no visit under way), which lets the updater go ahead. Both optional.
	Update     func() *kiosk.UpdateProgress
	UpdateIdle func(idle bool)
	// Speaker plays the voice (nil: silent); Voice says how.
	Speaker kiosk.Speaker
	Voice   kiosk.VoiceConfig
	// Earphone is the earphone jack (nil: none), read on every tick: the
	// voice says where it now speaks and, with a plug in, the signing
	// PIN's lit key. (The speaker's Router mutes a pulled plug at once
	// by itself.)
	Earphone interface{ Plugged() bool }
}

// Runner is one kiosk's visit loop. Create with New, then Run once.
type Runner struct {
	cfg   Config
	log   *slog.Logger
	visit *kiosk.Visit

	card      kiosk.Card
	closeCard func()
	seen      time.Time // when the current card was reported
	noControl string    // why no resident could answer, "" when one can
	update    *kiosk.UpdateProgress

	done    chan kiosk.Event // answers of work, applied on the loop
	stopped chan struct{}    // closed when Run stops applying answers
	wg      sync.WaitGroup
	workCtx context.Context
	screen  kiosk.Screen
	lang    kiosk.Lang

	voice  *kiosk.Voice
	player *player // nil: no speaker
}

// New makes a runner.
func New(cfg Config) *Runner {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Visit.IdleTimeout == 0 {
		cfg.Visit.IdleTimeout = kiosk.DefaultIdleTimeout
	}
	if cfg.Visit.IdleWarning == 0 {
		cfg.Visit.IdleWarning = kiosk.DefaultIdleWarning
	}
	if cfg.Flows != nil && cfg.Visit.Municipality == (kiosk.Municipality{}) {
		cfg.Visit.Municipality = cfg.Flows.Municipality
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Runner{cfg: cfg, log: log, visit: kiosk.NewVisit(cfg.Visit),
		done: make(chan kiosk.Event, 8), stopped: make(chan struct{})}
	if cfg.Speaker != nil && cfg.Voice.Enabled {
		r.voice, r.player = kiosk.NewVoice(cfg.Voice), newPlayer(cfg.Speaker, log)
	}
	return r
}

// Run handles events until ctx ends. views must be buffered (one is
// enough): the runner is its only sender and replaces a view the screen
// has not taken yet. Run waits for work in flight before returning, so a
// PIN change is journaled even at shutdown.
func (r *Runner) Run(ctx context.Context, cards <-chan CardEvent, input <-chan kiosk.Input, views chan kiosk.View) error {
	ticks := r.cfg.Ticks
	if ticks == nil {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		ticks = t.C
	}
	// Work on the card and the journal must finish even when the kiosk
	// is asked to stop: a cut-off journal append would lose an outcome.
	r.workCtx = context.WithoutCancel(ctx)
	if r.player != nil {
		pctx, stop := context.WithCancel(ctx)
		pdone := make(chan struct{})
		go func() { defer close(pdone); r.player.run(pctx) }()
		defer func() { stop(); <-pdone }()
	}
	defer func() {
		close(r.stopped)
		r.wg.Wait()
		r.releaseCard()
		// No PIN outlives the runner: the visit's, and any typed but
		// not yet taken from input.
		r.visit.Close()
		for drained := false; !drained; {
			select {
			case in, ok := <-input:
				kiosk.Wipe(in.PIN)
				drained = !ok
			default:
				drained = true
			}
		}
	}()
	r.publish(views) // devices open meanwhile: the first tick asks CanAnswer
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-cards:
			if !ok {
				cards = nil
				continue
			}
			r.onCard(ev)
		case in := <-input:
			r.heard(in)
			r.handle(kiosk.Pressed{At: r.cfg.Now(), Input: in})
		case t := <-ticks:
			r.checkControls(t)
			r.checkEarphone()
			r.checkUpdate(t)
			r.handle(kiosk.Tick{At: t})
			r.tellUpdateIdle()
		case ev := <-r.done:
			r.handle(ev)
		}
		r.publish(views)
	}
}

// publish sends the current view, replacing one the screen has not taken.
func (r *Runner) publish(views chan kiosk.View) {
	v := r.visit.View()
	if v.Screen != r.screen {
		r.log.Debug("screen", "screen", v.Screen.String(), "lang", v.Lang.String())
		if v.Screen == kiosk.ScreenStatus && !r.seen.IsZero() {
			r.log.Info("status on screen", "ms", time.Since(r.seen).Milliseconds())
			r.seen = time.Time{}
		}
		r.screen = v.Screen
	}
	r.lang = v.Lang
	if r.voice != nil {
		for _, u := range r.voice.Observe(v) {
			r.player.say(u)
		}
	}
	for {
		select {
		case views <- v:
			return
		default:
		}
		select {
		case <-views: // drop the stale one; we are its only sender
		default:
		}
	}
}

// heard lets the voice answer a key on the screen it was pressed on: the
// click during PIN entry, Repeat, Volume, and the signing PIN alphabet's
// lit key (into an earphone only). The PIN itself is not passed on.
func (r *Runner) heard(in kiosk.Input) {
	if r.voice == nil {
		return
	}
	us := r.voice.Input(in.Kind, r.screen, r.lang)
	if in.Lit != 0 {
		us = append(us, r.voice.Lit(in.Lit, r.screen, r.lang)...)
	}
	for _, u := range us {
		r.player.say(u)
	}
}

// checkEarphone tells the voice when a plug goes in or out.
func (r *Runner) checkEarphone() {
	if r.voice == nil || r.cfg.Earphone == nil {
		return
	}
	for _, u := range r.voice.Earphone(r.cfg.Earphone.Plugged()) {
		r.player.say(u)
	}
}

// checkControls tells the visit when residents lose or regain every way to
// answer it, and says so in the log once per change.
func (r *Runner) checkControls(now time.Time) {
	if r.cfg.CanAnswer == nil {
		return
	}
	why := ""
	if err := r.cfg.CanAnswer(); err != nil {
		why = err.Error()
	}
	switch {
	case why == r.noControl:
		return
	case why == "":
		r.log.Info("keypad or touchscreen works again: in service")
		r.handle(kiosk.ControlsBack{At: now})
	case r.noControl == "":
		r.log.Error("out of service: no keypad or touchscreen works", "why", why)
		r.handle(kiosk.ControlsLost{At: now})
	}
	r.noControl = why
}

func (r *Runner) releaseCard() {
	if r.closeCard != nil {
		r.closeCard()
	}
	r.card, r.closeCard = nil, nil
}

func (r *Runner) onCard(ev CardEvent) {
	now := r.cfg.Now()
	switch ev.Kind {
	case ReaderLost:
		r.releaseCard()
		r.handle(kiosk.ReaderLost{At: now})
		r.log.Warn("card reader lost")
	case ReaderBack:
		r.handle(kiosk.ReaderBack{At: now})
		r.log.Info("card reader back")
	case CardRemoved:
		r.releaseCard()
		r.handle(kiosk.CardRemoved{At: now})
	case CardInserted:
		r.releaseCard()
		r.card, r.closeCard, r.seen = ev.Card, ev.Close, ev.Seen
		if r.cfg.CanRecord != nil {
			if err := r.cfg.CanRecord(); err != nil {
				// Nothing may happen that cannot be recorded.
				r.log.Error("visit refused: journal cannot record", "err", err)
				r.handle(kiosk.Refused{At: now})
				return
			}
		}
		r.handle(kiosk.CardInserted{At: now})
	}
}

// handle feeds the visit and starts the work it asks for.
func (r *Runner) handle(ev kiosk.Event) {
	if w, ok := ev.(interface{ Session() int }); ok && w.Session() != r.visit.Session() {
		// The visit drops it (or tells it, for a flow on a card just
		// pulled); this only says so in the log.
		r.log.Debug("answer for an earlier card", "answer", fmt.Sprintf("%T", ev))
	}
	for _, eff := range r.visit.Handle(ev) {
		r.start(eff)
	}
}

// start runs one effect's work off the loop, with the card of the session
// that asked for it.
func (r *Runner) start(eff kiosk.Effect) {
	card, gen, f := r.card, eff.Session(), r.cfg.Flows
	switch e := eff.(type) {
	case kiosk.ReadStatus:
		r.work(eff, func() kiosk.Event {
			ev := kiosk.StatusRead{Gen: gen, Refresh: e.Refresh}
			if card == nil {
				ev.Removed = true
				return ev
			}
			start := time.Now()
			st, err := card.ReadStatus()
			now := r.cfg.Now()
			ev.At = now
			switch {
			case err != nil:
				ev.Assessment = kiosk.AssessError(err)
				ev.Removed = errors.Is(err, kiosk.ErrCardRemoved) || errors.Is(err, kiosk.ErrReaderGone)
				r.log.Warn("card status read failed", "code", ev.Assessment.Code, "err", err)
			default:
				ev.Assessment = kiosk.Assess(st, now, r.cfg.Clock)
				r.log.Info("card status read", "code", ev.Assessment.Code, "card", ev.Assessment.Card,
					"apdus", st.APDUs, "ms", time.Since(start).Milliseconds(), "refresh", e.Refresh)
			}
			return ev
		})
	case kiosk.RecordStatus:
		r.work(eff, func() kiosk.Event {
			kept, err := f.RecordStatus(r.workCtx, e.Assessment)
			return kiosk.StatusKept{At: r.cfg.Now(), Gen: gen, Kept: kept, Err: err}
		})
	case kiosk.ChangePIN:
		r.work(eff, func() kiosk.Event {
			res, err := f.ChangePIN(r.workCtx, card, e.Request)
			r.logFlow(res, err)
			return kiosk.FlowDone{At: r.cfg.Now(), Gen: gen, Result: res, Err: err}
		})
	case kiosk.CheckSign:
		r.work(eff, func() kiosk.Event {
			res, err := f.CheckSignCert(r.workCtx, card, e.PIN, e.Shown, e.Confirmed)
			r.logFlow(res, err)
			return kiosk.FlowDone{At: r.cfg.Now(), Gen: gen, Result: res, Err: err}
		})
	default:
		r.log.Error("unknown effect", "type", fmt.Sprintf("%T", eff))
	}
}

func (r *Runner) logFlow(res kiosk.Result, err error) {
	if res.Outcome == "" {
		r.log.Warn("flow stopped before the card", "err", err)
		return
	}
	r.log.Info("flow finished", "kind", res.Kind, "outcome", res.Outcome, "ref", res.Reference, "printed", res.Printed)
}

// work runs fn off the loop and hands its answer back to the loop. A
// panic becomes a WorkPanicked answer for the same session: the visit
// decides whether it still matters.
func (r *Runner) work(eff kiosk.Effect, fn func() kiosk.Event) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		var ev kiosk.Event
		defer func() {
			if p := recover(); p != nil {
				// Never let a panic carry a PIN buffer into a crash log:
				// the value is reported by type only.
				r.log.Error("card work panicked", "work", fmt.Sprintf("%T", eff), "type", fmt.Sprintf("%T", p))
				ev = kiosk.WorkPanicked{At: r.cfg.Now(), Gen: eff.Session(), Effect: withoutPIN(eff)}
			}
			select {
			case r.done <- ev:
			case <-r.stopped:
			}
		}()
		ev = fn()
	}()
}

// withoutPIN is eff with any PIN it carried dropped (the card call has
// wiped it): the answer travels through the loop and its logs.
func withoutPIN(eff kiosk.Effect) kiosk.Effect {
	switch e := eff.(type) {
	case kiosk.CheckSign:
		e.PIN = nil
		return e
	case kiosk.ChangePIN:
		e.Request.Old, e.Request.New, e.Request.Repeat = nil, nil, nil
		return e
	}
	return eff
}
