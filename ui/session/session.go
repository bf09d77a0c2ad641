// Package session runs a resident's visit: it owns the domain's Visit,
// carries out its effects on the card, the journal and the printer, walks
// the PIN entry steps, and turns all of it into ui.Views. It is the one
// place where card events, screen intents and time meet, in one goroutine,
// so the rules in kiosk stay pure and the screens stay dumb.
package session

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/ui"
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
	// Close releases the connection; the session calls it once, when the
	// card leaves or a new one arrives.
	Close func()
	// Seen is when the reader reported the card (zero if unknown); the
	// session logs the time from there to the status on screen.
	Seen time.Time
}

// Config wires a session.
type Config struct {
	IdleTimeout, IdleWarning time.Duration
	Flows                    *kiosk.Flows // journal, printer, municipality, clock
	CertRefKey               []byte
	Clock                    *kiosk.ClockTrust
	Now                      func() time.Time
	Log                      *slog.Logger
	// Ticks drive the idle timer; nil uses a one-second ticker.
	Ticks <-chan time.Time
	// CanRecord says whether a transaction can be journaled now (disk
	// space, journal health). A visit is refused rather than left
	// unrecorded. nil means always.
	CanRecord func() error
}

// Session is one kiosk's visit loop. Create with New, then Run.
type Session struct {
	cfg   Config
	log   *slog.Logger
	visit *kiosk.Visit

	card      kiosk.Card
	closeCard func()
	gen       int // bumped on every insertion and removal: stale work is recognised
	readerOK  bool
	refused   error // CanRecord said no for this card

	// status part of the visit
	showGuide bool
	statusRef string
	printFail bool

	// flow part
	flow flowState

	// notice outlives the visit: an unknown PIN-change outcome after the
	// card was pulled must still be said.
	notice   *ui.View
	noticeAt time.Time

	results chan func()
	wg      sync.WaitGroup
	workCtx context.Context
}

type flowPage int

const (
	flowNone flowPage = iota
	flowWorking
	flowLastTry
	flowPIN
)

type flowState struct {
	page      flowPage
	action    kiosk.Action
	kind      kiosk.PINKind
	step      ui.PINStep
	tries     kiosk.Tries
	confirmed bool
	mismatch  bool
	old, new  []byte
	id        int // which flow a worker result belongs to
}

func (f *flowState) wipe() {
	kiosk.Wipe(f.old)
	kiosk.Wipe(f.new)
	id := f.id
	*f = flowState{id: id + 1}
}

// New makes a session.
func New(cfg Config) *Session {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 60 * time.Second
	}
	if cfg.IdleWarning == 0 {
		cfg.IdleWarning = 20 * time.Second
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Session{cfg: cfg, log: log, visit: kiosk.NewVisit(cfg.IdleTimeout, cfg.IdleWarning), readerOK: true, results: make(chan func(), 8)}
}

// Run handles events until ctx ends. It waits for card work in flight
// before returning, so a PIN change is journaled even at shutdown.
func (s *Session) Run(ctx context.Context, cards <-chan CardEvent, intents <-chan ui.Intent, views chan ui.View) error {
	ticks := s.cfg.Ticks
	if ticks == nil {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		ticks = t.C
	}
	// Work on the card and the journal must finish even when the kiosk
	// is asked to stop: a cut-off journal append would lose an outcome.
	s.workCtx = context.WithoutCancel(ctx)
	defer func() {
		s.wg.Wait()
		s.flow.wipe()
		s.releaseCard()
	}()
	s.publish(views)
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-cards:
			if !ok {
				cards = nil
				continue
			}
			s.onCard(ev)
		case in := <-intents:
			s.onIntent(in)
		case t := <-ticks:
			s.handle(kiosk.Tick{At: t})
			if s.notice != nil && s.cfg.Now().Sub(s.noticeAt) > s.cfg.IdleTimeout {
				s.notice = nil
			}
		case apply := <-s.results:
			apply()
		}
		s.publish(views)
	}
}

// publish sends the current view, replacing one the UI has not taken yet
// (views must be buffered; the session is its only sender).
func (s *Session) publish(views chan ui.View) {
	v := s.View()
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

// go runs card or journal work off the loop; apply runs back on the loop.
func (s *Session) work(fn func() func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		var apply func()
		defer func() {
			if r := recover(); r != nil {
				// Never let a panic carry a PIN buffer into a crash log:
				// the value is reported by type only.
				s.log.Error("card work panicked", "type", fmt.Sprintf("%T", r))
				apply = func() {
					s.handle(kiosk.FlowDone{At: s.cfg.Now(), Result: kiosk.Result{Outcome: kiosk.OutcomeError, TriesLeft: -1}})
				}
			}
			s.results <- apply
		}()
		apply = fn()
	}()
}

func (s *Session) releaseCard() {
	if s.closeCard != nil {
		s.closeCard()
	}
	s.card, s.closeCard = nil, nil
}

func (s *Session) onCard(ev CardEvent) {
	now := s.cfg.Now()
	switch ev.Kind {
	case ReaderLost:
		s.readerOK = false
		s.releaseCard()
		s.gen++
		s.handle(kiosk.CardRemoved{At: now})
		s.log.Warn("card reader lost")
	case ReaderBack:
		s.readerOK = true
		s.log.Info("card reader back")
	case CardRemoved:
		s.releaseCard()
		s.gen++
		s.handle(kiosk.CardRemoved{At: now})
	case CardInserted:
		s.releaseCard()
		s.card, s.closeCard = ev.Card, ev.Close
		s.gen++
		s.notice = nil
		s.refused = nil
		if s.cfg.CanRecord != nil {
			if err := s.cfg.CanRecord(); err != nil {
				// Nothing may happen that cannot be recorded.
				s.refused = err
				s.log.Error("visit refused: journal cannot record", "err", err)
				return
			}
		}
		s.handle(kiosk.CardInserted{At: now})
	}
}

// handle feeds the visit and carries out its effects.
func (s *Session) handle(ev kiosk.Event) {
	for _, eff := range s.visit.Handle(ev) {
		switch eff {
		case kiosk.EffectReadCard:
			s.readStatus()
		case kiosk.EffectRecordStatus:
			s.recordStatus()
		case kiosk.EffectStartFlow:
			s.startFlow()
		case kiosk.EffectCancelFlow:
			s.flow.wipe()
		case kiosk.EffectForget:
			s.flow.wipe()
			s.showGuide, s.statusRef, s.printFail = false, "", false
		}
	}
}

func (s *Session) readStatus() {
	card, gen := s.card, s.gen
	if card == nil {
		return
	}
	s.work(func() func() {
		start := time.Now()
		st, err := card.ReadStatus()
		now := s.cfg.Now()
		var a kiosk.Assessment
		if err != nil {
			a = kiosk.AssessError(err)
			s.log.Warn("card status read failed", "code", a.Code, "err", err)
		} else {
			a = kiosk.Assess(st, now, s.cfg.Clock)
			s.log.Info("card status read", "code", a.Code, "card", a.Card, "apdus", st.APDUs, "ms", time.Since(start).Milliseconds())
		}
		return func() {
			if gen != s.gen {
				return // the card left meanwhile
			}
			if err != nil && (errors.Is(err, kiosk.ErrCardRemoved) || errors.Is(err, kiosk.ErrReaderGone)) {
				return // the removal event follows and ends the visit
			}
			s.handle(kiosk.StatusRead{At: now, Assessment: a})
		}
	})
}

// guideKind says which PIN a status code is about.
func guideKind(c kiosk.Code) kiosk.PINKind {
	switch c {
	case kiosk.CodeSignLocked, kiosk.CodeSignLastTry, kiosk.CodeNoSignCert:
		return kiosk.PINSign
	}
	return kiosk.PINAuth
}

// recordStatus journals the status check and, when the office is needed,
// prints a slip whose reference is the record's.
func (s *Session) recordStatus() {
	vw := s.visit.View()
	if vw.Assessment == nil {
		return
	}
	a := *vw.Assessment
	gen := s.gen
	s.work(func() func() {
		now := s.cfg.Now()
		rec := kiosk.StatusRecord(a, now, s.cfg.CertRefKey)
		stored, err := s.cfg.Flows.Journal.Append(s.workCtx, rec)
		if err != nil {
			s.log.Error("journal append failed for status check", "err", err)
			return func() {}
		}
		ref := kiosk.FormatReference(stored.KioskID, stored.Time, stored.Seq)
		g := kiosk.Guide(a.Code, guideKind(a.Code), s.cfg.Flows.Municipality)
		printFail := false
		if g.NeedsOffice && s.cfg.Flows.Printer != nil {
			cert := &a.Auth
			if !a.HasAuth {
				cert = nil
			}
			slip := kiosk.SlipFor(a.Code, guideKind(a.Code), s.cfg.Flows.Municipality, ref, now, cert)
			if err := s.cfg.Flows.Printer.Print(s.workCtx, slip); err != nil {
				printFail = true
				s.log.Warn("slip not printed", "ref", ref, "err", err)
				detail := kiosk.PrinterDetail(err)
				if _, err := s.cfg.Flows.Journal.Append(s.workCtx, kiosk.Record{Time: now, ClockTrusted: a.ClockTrusted, Kind: kiosk.TxSystem, Outcome: kiosk.OutcomeError, Reference: ref, Detail: detail}); err != nil {
					s.log.Error("journal append failed for printer record", "err", err)
				}
			}
		}
		return func() {
			if gen == s.gen {
				s.statusRef, s.printFail = ref, printFail
			}
		}
	})
}

func toKioskAction(a ui.Action) kiosk.Action {
	switch a {
	case ui.ActionChangeAuth:
		return kiosk.ActionChangeAuth
	case ui.ActionChangeSign:
		return kiosk.ActionChangeSign
	case ui.ActionCheckSign:
		return kiosk.ActionCheckSign
	}
	return kiosk.ActionNone
}

func (s *Session) startFlow() {
	act := s.visit.View().Action
	s.flow.wipe()
	s.flow.action = act
	s.flow.kind = kiosk.PINAuth
	if act != kiosk.ActionChangeAuth {
		s.flow.kind = kiosk.PINSign
	}
	s.flow.page = flowWorking
	s.prepare()
}

// prepare reads the tries left before the resident types the PIN that
// will be verified: the count on screen is never stale by a whole flow.
func (s *Session) prepare() {
	card, gen, id, k := s.card, s.gen, s.flow.id, s.flow.kind
	if card == nil {
		return
	}
	s.handle(kiosk.FlowBusy{At: s.cfg.Now(), Busy: true})
	s.work(func() func() {
		tries, err := s.cfg.Flows.Prepare(card, k)
		return func() {
			if gen != s.gen || id != s.flow.id {
				return
			}
			s.handle(kiosk.FlowBusy{At: s.cfg.Now(), Busy: false})
			if err != nil {
				s.log.Warn("tries left read failed", "pin", k, "err", err)
				if errors.Is(err, kiosk.ErrCardRemoved) || errors.Is(err, kiosk.ErrReaderGone) {
					return
				}
				s.handle(kiosk.FlowDone{At: s.cfg.Now(), Result: kiosk.Result{PIN: k, Outcome: kiosk.OutcomeError, Code: kiosk.CodeUnreadable, TriesLeft: -1}})
				return
			}
			s.flow.tries = tries
			switch {
			case tries.Locked:
				code := kiosk.CodeAuthLocked
				if k == kiosk.PINSign {
					code = kiosk.CodeSignLocked
				}
				s.handle(kiosk.FlowDone{At: s.cfg.Now(), Result: kiosk.Result{PIN: k, Outcome: kiosk.OutcomeLocked, Code: code, TriesLeft: 0, Guidance: kiosk.Guide(code, k, s.cfg.Flows.Municipality)}})
			case tries.LastTry && !s.flow.confirmed:
				s.flow.page = flowLastTry
			default:
				s.flow.page, s.flow.step = flowPIN, ui.StepCurrent
			}
		}
	})
}

func (s *Session) onIntent(in ui.Intent) {
	now := s.cfg.Now()
	defer func() {
		// A PIN handed over but not taken into the flow is wiped here.
		if in.PIN != nil {
			kiosk.Wipe(in.PIN)
		}
	}()
	if s.notice != nil && s.visit.View().State == kiosk.StateWaiting {
		if in.Kind == ui.IntentNext || in.Kind == ui.IntentFinish || in.Kind == ui.IntentCancel {
			s.notice = nil
		}
		return
	}
	st := s.visit.View().State
	if st == kiosk.StateIdleWarning {
		s.handle(kiosk.Continue{At: now}) // the first touch only dismisses the warning
		return
	}
	switch in.Kind {
	case ui.IntentActivity:
		s.handle(kiosk.Activity{At: now})
	case ui.IntentContinue:
		s.handle(kiosk.Activity{At: now})
	case ui.IntentChoose:
		switch in.Action {
		case ui.ActionStatus:
			if st == kiosk.StateMenu {
				s.handle(kiosk.Back{At: now})
			}
		case ui.ActionFinish:
			s.finish(now)
		default:
			s.handle(kiosk.Choose{At: now, Action: toKioskAction(in.Action)})
		}
	case ui.IntentNext:
		switch st {
		case kiosk.StateStatus:
			vw := s.visit.View()
			if !s.showGuide && vw.Assessment != nil && kiosk.Guide(vw.Assessment.Code, guideKind(vw.Assessment.Code), s.cfg.Flows.Municipality).NeedsOffice {
				s.showGuide = true
				s.handle(kiosk.Activity{At: now})
				return
			}
			s.showGuide = false
			s.handle(kiosk.Continue{At: now})
		case kiosk.StateFinished:
			s.handle(kiosk.Back{At: now}) // back to the menu: a resident may change both PINs
		default:
			s.handle(kiosk.Continue{At: now})
		}
	case ui.IntentCancel:
		if st == kiosk.StateStatus && s.showGuide {
			s.showGuide = false
			s.handle(kiosk.Activity{At: now})
			return
		}
		s.handle(kiosk.Back{At: now})
	case ui.IntentFinish:
		s.finish(now)
	case ui.IntentConfirm:
		if st == kiosk.StateFlow && s.flow.page == flowLastTry {
			s.flow.confirmed = true
			s.flow.page, s.flow.step = flowPIN, ui.StepCurrent
			s.handle(kiosk.Activity{At: now})
		}
	case ui.IntentSubmitPIN:
		s.handle(kiosk.Activity{At: now})
		if st != kiosk.StateFlow || s.flow.page != flowPIN || in.PINKind != s.flow.kind || in.Step != s.flow.step {
			return // a stale screen: the PIN is wiped by the deferred call
		}
		s.submit(in.PIN)
		in.PIN = nil // taken
	}
}

// finish ends the interactive part from wherever the resident is.
func (s *Session) finish(now time.Time) {
	switch s.visit.View().State {
	case kiosk.StateFlow:
		s.handle(kiosk.Back{At: now})
		s.handle(kiosk.Continue{At: now})
	case kiosk.StateStatus:
		s.handle(kiosk.Continue{At: now})
		if s.visit.View().State == kiosk.StateMenu {
			s.handle(kiosk.Continue{At: now})
		}
	default:
		s.handle(kiosk.Continue{At: now})
	}
}

// submit takes one PIN from the entry screen; it owns pin from here on.
func (s *Session) submit(pin []byte) {
	f := &s.flow
	if f.kind == kiosk.PINSign {
		// The screen upper-cases already; a second guard costs nothing
		// and a lowercase PIN would cost a try.
		kiosk.NormalizeSignPIN(pin)
	}
	if f.action == kiosk.ActionCheckSign {
		s.run(func(card kiosk.Card) (kiosk.Result, error) {
			return s.cfg.Flows.CheckSignCert(s.workCtx, card, pin, f.tries.Left, f.confirmed)
		})
		return
	}
	switch f.step {
	case ui.StepCurrent:
		f.old, f.step = pin, ui.StepNew
	case ui.StepNew:
		f.new, f.step, f.mismatch = pin, ui.StepConfirm, false
	case ui.StepConfirm:
		if subtle.ConstantTimeCompare(f.new, pin) != 1 {
			// Nothing goes to the card: ask for the new PIN again.
			kiosk.Wipe(f.new)
			kiosk.Wipe(pin)
			f.new, f.step, f.mismatch = nil, ui.StepNew, true
			return
		}
		req := kiosk.ChangeRequest{PIN: f.kind, Old: f.old, New: f.new, Repeat: pin, Shown: f.tries.Left, ConfirmedLastTry: f.confirmed}
		if vw := s.visit.View(); vw.Assessment != nil && vw.Assessment.HasAuth {
			req.CertRef = vw.Assessment.Auth.Ref(s.cfg.CertRefKey)
		}
		f.old, f.new = nil, nil // ChangePIN wipes them in every path
		s.run(func(card kiosk.Card) (kiosk.Result, error) {
			return s.cfg.Flows.ChangePIN(s.workCtx, card, req)
		})
	}
}

// run starts a flow call on the card and reports its result to the visit.
func (s *Session) run(call func(kiosk.Card) (kiosk.Result, error)) {
	card, gen, id := s.card, s.gen, s.flow.id
	s.flow.page = flowWorking
	s.handle(kiosk.FlowBusy{At: s.cfg.Now(), Busy: true})
	s.work(func() func() {
		res, err := call(card)
		return func() {
			if err != nil && !errors.Is(err, kiosk.ErrJournal) {
				s.log.Warn("flow refused before the card", "err", err)
			}
			if res.Outcome == "" { // nothing reached the card (format, mismatch, confirmation)
				if gen == s.gen && id == s.flow.id {
					s.handle(kiosk.FlowBusy{At: s.cfg.Now(), Busy: false})
					var changed *kiosk.TriesChangedError
					if errors.As(err, &changed) {
						// Another program used the card: show the true count first.
						s.flow.tries = kiosk.Tries{PIN: changed.PIN, Left: changed.Tries, LastTry: changed.Tries == 1}
						s.flow.confirmed = false
					}
					if errors.Is(err, kiosk.ErrConfirmLastTry) || (changed != nil && changed.Tries == 1) {
						s.flow.page = flowLastTry
					} else {
						s.flow.page, s.flow.step = flowPIN, ui.StepCurrent
					}
				}
				return
			}
			s.log.Info("flow finished", "kind", res.Kind, "outcome", res.Outcome, "ref", res.Reference, "printed", res.Printed)
			if gen != s.gen || id != s.flow.id {
				if res.Outcome == kiosk.OutcomeUnknown {
					// The card is gone but the resident must learn the truth.
					v := s.resultView(res)
					s.notice, s.noticeAt = &v, s.cfg.Now()
				}
				return
			}
			s.handle(kiosk.FlowDone{At: s.cfg.Now(), Result: res})
		}
	})
}
