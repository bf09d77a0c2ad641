package kiosk

import (
	"crypto/subtle"
	"errors"
	"time"
)

// Screen is what the resident sees. The visit decides it; the UI draws it.
type Screen int

const (
	ScreenWaiting      Screen = iota // no card: insert your card
	ScreenReading                    // the card's status is being read
	ScreenStatus                     // the status: View.Pages[0] leads
	ScreenGuidance                   // an office-bound page of the status: View.Page
	ScreenMenu                       // choose an action
	ScreenLastTry                    // one try left: confirm before entry
	ScreenPIN                        // PIN entry: View.PIN
	ScreenWorking                    // the card is working: do not remove it
	ScreenResult                     // how a flow ended: View.Result, View.Page
	ScreenTakeCard                   // the visit is over: take the card (and the slip)
	ScreenNotice                     // the card left mid-visit: View.Page says what became of it
	ScreenOutOfService               // no reader, or nothing could be recorded
	ScreenDetails                    // the exact dates, asked for from the status or a result
	ScreenUpdating                   // the kiosk's software is being updated: View.Update
)

var screenNames = [...]string{"waiting", "reading", "status", "guidance", "menu", "last_try", "pin",
	"working", "result", "take_card", "notice", "out_of_service", "details", "updating"}

func (s Screen) String() string {
	if int(s) < len(screenNames) {
		return screenNames[s]
	}
	return "screen?"
}

// Action is what the resident chose in the menu.
type Action int

const (
	ActionNone Action = iota
	ActionChangeAuth
	ActionChangeSign
	ActionCheckSign
	ActionStatus // see the status again
)

func (a Action) String() string {
	return [...]string{"none", "change_auth", "change_sign", "check_sign", "status"}[a]
}

// PINStep is which PIN an entry screen asks for.
type PINStep int

const (
	StepCurrent PINStep = iota // the PIN on the card now (this one is verified)
	StepNew                    // the new PIN
	StepConfirm                // the new PIN again
)

// PINPrompt describes a PIN entry screen (and the last-try screen before it).
type PINPrompt struct {
	Kind         PINKind
	Step         PINStep
	ForSignCheck bool // the signing PIN, to read the signing certificate
	TriesLeft    int  // shown before every VERIFY (StepCurrent)
	Mismatch     bool // the last new/confirm pair differed
	TriesChanged bool // the card's count had changed since it was shown
	// Serial changes whenever a new entry starts: the UI wipes what was
	// typed, and a PIN submitted for an older serial is refused.
	Serial int
}

// SlipState is what became of the slip for a page.
type SlipState int

const (
	SlipNone        SlipState = iota // no slip for this page
	SlipPending                      // being recorded and printed
	SlipPrinted                      // printed: take it
	SlipNotPrinted                   // recorded, not printed: note the reference
	SlipNotRecorded                  // the journal failed: no reference
)

// SlipNote is the slip as a screen mentions it.
type SlipNote struct {
	State     SlipState
	Reference string
}

// NoteOf says what became of a kept record and its slip.
func NoteOf(k Kept, err error) SlipNote {
	switch {
	case err != nil || k.Reference == "":
		return SlipNote{State: SlipNotRecorded}
	case k.Slip == nil:
		return SlipNote{State: SlipNone, Reference: k.Reference}
	case k.Printed:
		return SlipNote{State: SlipPrinted, Reference: k.Reference}
	}
	return SlipNote{State: SlipNotPrinted, Reference: k.Reference}
}

// Input is what the resident did on a screen (a key or a touch, already
// mapped by the UI to the button it belongs to).
type Input struct {
	Kind   InputKind
	Action Action // InputChoose
	// PIN (InputSubmit) is handed over: the UI keeps no reference to it;
	// the visit wipes it or passes it on to the card call, which wipes it.
	PIN    []byte
	Serial int // InputSubmit: the PINPrompt.Serial it was typed for
	// Lit (an InputActivity from the signing PIN alphabet's arrows) is the
	// key now lit: A-Z, 0-9 or DeleteKey. Only the voice reads it, and
	// says it only into the earphone; it is not typed yet.
	Lit rune
}

// InputKind names an input.
type InputKind int

const (
	InputActivity InputKind = iota // any key or touch: the resident is there
	InputNext                      // つぎへ / OK
	InputBack                      // もどる / やめる
	InputFinish                    // おわる
	InputChoose                    // a menu choice (Action)
	InputConfirm                   // the last try is accepted
	InputLang                      // English / 日本語
	InputSubmit                    // a PIN, well-formed
	InputDetails                   // くわしく: the exact dates
	InputRepeat                    // the voice's もう一度 key: say the last prompt again
	InputVolume                    // the voice's 音量 key: the next of three levels
)

var inputNames = [...]string{"activity", "next", "back", "finish", "choose", "confirm", "lang", "submit", "details", "repeat", "volume"}

// retryWindow is how long a card that could not be read counts as the
// one to insert again: a second failure within it gets the slip.
const retryWindow = 5 * time.Minute

func (k InputKind) String() string {
	if int(k) < len(inputNames) {
		return inputNames[k]
	}
	return "input?"
}

// Event is something that happened; each carries the time it happened
// (from the caller's clock), which is the visit's only clock.
type Event interface{ at() time.Time }

type (
	// CardInserted: the reader saw a card.
	CardInserted struct{ At time.Time }
	// CardRemoved: the card left the reader (at any moment).
	CardRemoved struct{ At time.Time }
	// ReaderLost: the reader or pcscd went away: out of service.
	ReaderLost struct{ At time.Time }
	// ReaderBack: the reader is there again.
	ReaderBack struct{ At time.Time }
	// ControlsLost: no keypad or touchscreen a resident could answer with
	// works (a keypad-only kiosk whose keypad failed): out of service
	// from the moment no card is in, and a card inserted meanwhile is
	// refused, so nobody starts what they could not finish.
	ControlsLost struct{ At time.Time }
	// ControlsBack: a resident can answer again.
	ControlsBack struct{ At time.Time }
	// Refused: the inserted card cannot be served because nothing could
	// be recorded (disk full, journal broken). Out of service until the
	// card is taken out.
	Refused struct{ At time.Time }
	// Tick: time passed (about once a second).
	Tick struct{ At time.Time }
	// Pressed: the resident's input.
	Pressed struct {
		At    time.Time
		Input Input
	}
	// StatusRead answers ReadStatus.
	StatusRead struct {
		At         time.Time
		Gen        int
		Assessment Assessment
		Refresh    bool
		Removed    bool // the card left during the read: its removal follows
	}
	// StatusKept answers RecordStatus.
	StatusKept struct {
		At   time.Time
		Gen  int
		Kept Kept
		Err  error
	}
	// FlowDone answers ChangePIN and CheckSign. A zero Result.Outcome
	// means nothing reached the card: Err says why.
	FlowDone struct {
		At     time.Time
		Gen    int
		Result Result
		Err    error
	}
	// WorkPanicked: the work for Effect panicked (the value is not kept:
	// it could hold a PIN).
	WorkPanicked struct {
		At     time.Time
		Gen    int
		Effect Effect
	}
)

func (e CardInserted) at() time.Time { return e.At }
func (e CardRemoved) at() time.Time  { return e.At }
func (e ReaderLost) at() time.Time   { return e.At }
func (e ReaderBack) at() time.Time   { return e.At }
func (e ControlsLost) at() time.Time { return e.At }
func (e ControlsBack) at() time.Time { return e.At }
func (e Refused) at() time.Time      { return e.At }
func (e Tick) at() time.Time         { return e.At }
func (e Pressed) at() time.Time      { return e.At }
func (e StatusRead) at() time.Time   { return e.At }
func (e StatusKept) at() time.Time   { return e.At }
func (e FlowDone) at() time.Time     { return e.At }
func (e WorkPanicked) at() time.Time { return e.At }

// workDone is an answer to an effect, tagged with the card session that
// asked for it.
type workDone interface{ Session() int }

func (e StatusRead) Session() int   { return e.Gen }
func (e StatusKept) Session() int   { return e.Gen }
func (e FlowDone) Session() int     { return e.Gen }
func (e WorkPanicked) Session() int { return e.Gen }

// Effect is work the visit asks its runner to do off the screen loop.
// Each carries Gen, the card session it belongs to (Session returns it);
// the answer event must carry it back.
type Effect interface{ Session() int }

type (
	// ReadStatus: read and assess the card, answer StatusRead.
	ReadStatus struct {
		Gen     int
		Refresh bool // after a PIN outcome whose tries are not known
	}
	// RecordStatus: journal the status (and print its slip), answer StatusKept.
	RecordStatus struct {
		Gen        int
		Assessment Assessment
	}
	// ChangePIN: Flows.ChangePIN, answer FlowDone.
	ChangePIN struct {
		Gen     int
		Request ChangeRequest
	}
	// CheckSign: Flows.CheckSignCert, answer FlowDone. PIN passes to it.
	CheckSign struct {
		Gen       int
		PIN       []byte
		Shown     int
		Confirmed bool
	}
)

func (e ReadStatus) Session() int   { return e.Gen }
func (e RecordStatus) Session() int { return e.Gen }
func (e ChangePIN) Session() int    { return e.Gen }
func (e CheckSign) Session() int    { return e.Gen }

// VisitConfig sets up a Visit.
type VisitConfig struct {
	// After IdleTimeout without input the visit ends; for its last
	// IdleWarning the warning is shown.
	IdleTimeout, IdleWarning time.Duration
	Lang                     Lang // every visit starts in it
	Municipality             Municipality
}

// Visit is one kiosk's resident visits as a pure state machine: events
// in, screens and effects out, no goroutines and no clock of its own. It
// owns every step — status, guidance, menu, PIN entry, last-try
// confirmation, results, the slips' notes, the language and the idle
// warning — and the PINs typed until they go to the card. Not safe for
// concurrent use: one loop owns it.
type Visit struct {
	cfg VisitConfig

	// gen numbers card sessions: bumped on every insertion and removal.
	// Every effect carries it; answers from an older session are stale.
	gen      int
	screen   Screen
	lang     Lang
	cardIn   bool
	readerOK bool
	inputOK  bool // a keypad or touchscreen works
	refused  bool
	warning  bool
	update   *UpdateProgress // an update wants the kiosk (nil: none)
	heldOut  bool            // a card went in during the update and was not read
	last     time.Time       // last input
	now      time.Time

	a        *Assessment
	office   []Code            // the status's office-bound codes when it was recorded
	notes    map[Code]SlipNote // the slip each office page is on
	guideAt  int               // ScreenGuidance: which office page
	printed  bool              // a slip was printed for this card
	flow     flowState
	result   *Result
	notice   *Page   // ScreenNotice: what to tell
	noticeOf *Result // ScreenNotice: the flow it is about (nil: none)
	awaiting int     // ScreenNotice: the session whose flow answer is awaited (0: none)
	serial   int
	// failedAt: when a card last could not be read and the resident was
	// asked to insert it again (zero: no such card). It outlives the card.
	failedAt    time.Time
	detailsFrom Screen // ScreenDetails: the screen it was opened from
}

type flowState struct {
	action       Action
	kind         PINKind
	step         PINStep
	tries        int // the count the resident is shown, from the status read
	confirmed    bool
	mismatch     bool
	triesChanged bool
	busy         bool // the card call is running
	old, new     []byte
	serial       int
}

// NewVisit makes a visit on the waiting screen.
func NewVisit(cfg VisitConfig) *Visit {
	return &Visit{cfg: cfg, lang: cfg.Lang, readerOK: true, inputOK: true}
}

// Session is the current card session's number: effects carry it, and an
// answer carrying another is stale.
func (v *Visit) Session() int { return v.gen }

// View is a read-only snapshot for drawing a screen. It shares nothing
// mutable with the visit and never holds a PIN.
type View struct {
	Screen Screen
	Lang   Lang
	// Maintenance is the next maintenance day when it is close; zero hides it.
	Maintenance time.Time
	// IdleLeft > 0: the idle warning covers the screen, counting down.
	IdleLeft time.Duration
	CardIn   bool

	Assessment *Assessment // Status, Guidance, Menu, PIN, Result
	Pages      []Page      // Status: one page per condition, the leading one first
	Actions    []Action    // Menu: what may be offered
	Page       *Page       // Guidance, Result, Notice: the page to show
	Note       SlipNote    // the slip for Page
	GuideNo    int         // Guidance: this is office page GuideNo of GuideOf (from 1)
	GuideOf    int
	PIN        PINPrompt // PIN, LastTry
	Result     *Result   // Result, Notice, Details (opened from a result)
	// SlipTaken: ScreenTakeCard, a slip was printed for this card.
	SlipTaken bool
	// Awaiting: ScreenNotice, the card left during a card call whose
	// answer is still to come; nothing to press until it does.
	Awaiting bool
	// Update: ScreenUpdating, how far the update has come.
	Update *UpdateProgress
}

// View returns a snapshot.
func (v *Visit) View() View {
	vw := View{Screen: v.screen, Lang: v.lang, CardIn: v.cardIn, SlipTaken: v.printed}
	if day, soon := IsMaintenanceSoon(v.now); soon {
		vw.Maintenance = day
	}
	if v.updateShown() {
		p := *v.update
		vw.Screen, vw.Update = ScreenUpdating, &p
		return vw
	}
	if !v.readerOK || v.refused || (!v.inputOK && !v.cardIn) {
		vw.Screen = ScreenOutOfService
		return vw
	}
	if v.warning {
		vw.IdleLeft = max(v.cfg.IdleTimeout-v.now.Sub(v.last), time.Nanosecond)
	}
	if v.a != nil {
		a := *v.a
		a.Conditions = append([]Code(nil), v.a.Conditions...)
		vw.Assessment = &a
		vw.Actions = actionsFor(a)
	}
	switch v.screen {
	case ScreenStatus:
		vw.Pages = StatusPages(*vw.Assessment, v.cfg.Municipality)
	case ScreenGuidance:
		pages := v.officePages()
		p := pages[v.guideAt]
		vw.Page, vw.Note = &p, v.notes[p.Code]
		vw.GuideNo, vw.GuideOf = v.guideAt+1, len(pages)
	case ScreenPIN, ScreenLastTry:
		f := v.flow
		vw.PIN = PINPrompt{Kind: f.kind, Step: f.step, ForSignCheck: f.action == ActionCheckSign,
			TriesLeft: f.tries, Mismatch: f.mismatch, TriesChanged: f.triesChanged, Serial: f.serial}
		if v.screen == ScreenLastTry {
			// Where to go instead, with the hours: the last-try page.
			p := Guide(pick(f.kind, CodeAuthLastTry, CodeSignLastTry), f.kind, v.cfg.Municipality)
			vw.Page = &p
		}
	case ScreenDetails:
		if v.detailsFrom == ScreenResult && v.result != nil {
			r := *v.result
			vw.Result = &r
		}
	case ScreenResult:
		r := *v.result
		vw.Result = &r
		p := Guide(r.Code, r.PIN, v.cfg.Municipality)
		vw.Page, vw.Note = &p, NoteOf(r.Kept, nil)
		if r.Reference == "" {
			vw.Note = SlipNote{State: SlipNotRecorded}
		}
	case ScreenNotice:
		vw.Awaiting = v.awaiting != 0
		if v.notice != nil {
			p := *v.notice
			vw.Page = &p
		}
		if v.noticeOf != nil {
			r := *v.noticeOf
			vw.Result = &r
			vw.Note = NoteOf(r.Kept, nil)
		}
	}
	return vw
}

func actionsFor(a Assessment) []Action {
	var out []Action
	if a.CanChange(PINAuth) {
		out = append(out, ActionChangeAuth)
	}
	if a.CanChange(PINSign) {
		out = append(out, ActionChangeSign)
	}
	if a.CanCheckSign() {
		out = append(out, ActionCheckSign)
	}
	return out
}

// officePages are the status's pages that need the office, in order.
func (v *Visit) officePages() []Page {
	var out []Page
	for _, p := range StatusPages(*v.a, v.cfg.Municipality) {
		if p.Office {
			out = append(out, p)
		}
	}
	return out
}

// Handle applies one event and returns the effects to carry out, in order.
func (v *Visit) Handle(ev Event) []Effect {
	if at := ev.at(); at.After(v.now) {
		v.now = at
	}
	// The one stale-work guard: an answer from an earlier card session
	// never touches this one.
	if w, ok := ev.(workDone); ok && w.Session() != v.gen {
		v.stale(ev)
		return nil
	}
	switch e := ev.(type) {
	case ReaderLost:
		v.readerOK = false
		v.cardIn = false
		v.gen++
		v.toWaiting()
	case ReaderBack:
		v.readerOK = true
	case ControlsLost:
		v.inputOK = false
	case ControlsBack:
		v.inputOK = true
	case Refused:
		v.refused = true
	case Updating:
		v.updating(e.Progress)
	case CardInserted:
		if v.update != nil {
			v.cardIn, v.heldOut = true, true
			return nil
		}
		if !v.inputOK {
			v.cardIn, v.refused = true, true
			return nil
		}
		v.wipeFlow()
		v.forget()
		v.gen++
		v.cardIn, v.refused, v.warning = true, false, false
		v.screen, v.last = ScreenReading, e.At
		return []Effect{ReadStatus{Gen: v.gen}}
	case CardRemoved:
		if v.heldOut {
			v.cardIn, v.heldOut = false, false
			return nil
		}
		v.removed()
	case Tick:
		v.tick()
	case Pressed:
		return v.pressed(e)
	case StatusRead:
		return v.statusRead(e)
	case StatusKept:
		note := NoteOf(e.Kept, e.Err)
		for _, c := range v.office {
			v.setNote(c, note)
		}
	case FlowDone:
		return v.flowDone(e.Result, e.Err)
	case WorkPanicked:
		return v.panicked(e.Effect)
	}
	return nil
}

// stale handles an answer from an earlier card session: only a flow's
// outcome for the card that just left is told (the notice outlives the
// card); everything else is dropped.
func (v *Visit) stale(ev Event) {
	if v.screen != ScreenNotice || v.awaiting == 0 || ev.(workDone).Session() != v.awaiting {
		return
	}
	switch e := ev.(type) {
	case FlowDone:
		if e.Result.Outcome == "" {
			// Nothing reached the card: nothing was changed.
			p := Guide(CodeRemoved, v.flow.kind, v.cfg.Municipality)
			v.notice, v.awaiting = &p, 0
			return
		}
		r := e.Result
		if e.Err != nil && r.Reference == "" {
			r.Kept = Kept{}
		}
		p := Guide(r.Code, r.PIN, v.cfg.Municipality)
		v.notice, v.noticeOf, v.awaiting = &p, &r, 0
		if r.Printed {
			v.printed = true
		}
	case WorkPanicked:
		if _, ok := e.Effect.(ChangePIN); ok {
			p := Guide(CodeChangeUnsure, v.flow.kind, v.cfg.Municipality)
			v.notice, v.noticeOf, v.awaiting = &p, &Result{PIN: v.flow.kind, Code: CodeChangeUnsure, TriesLeft: -1}, 0
		}
	}
}

func (v *Visit) setNote(c Code, n SlipNote) {
	if v.notes == nil {
		v.notes = map[Code]SlipNote{}
	}
	v.notes[c] = n
	if n.State == SlipPrinted {
		v.printed = true
	}
}

// removed: the card left. What the resident was doing decides what the
// screen says now.
func (v *Visit) removed() {
	screen, busy, awaited := v.screen, v.flow.busy, v.gen
	res := v.result
	kind := v.flow.kind
	v.gen++
	v.cardIn, v.refused = false, false
	v.wipeFlow()
	if v.warning {
		v.warning = false
	}
	switch {
	case screen == ScreenWorking && busy:
		// The card call will answer: say what became of it then.
		p := Page{Code: CodeRemoved, Title: Catalogue().RemovedHead, What: []Text{Catalogue().RemovedMidChange}}
		v.forgetCard()
		v.notice, v.noticeOf, v.awaiting = &p, nil, awaited
		v.flow.kind = kind
		v.screen, v.last = ScreenNotice, v.now
	case screen == ScreenPIN || screen == ScreenLastTry:
		p := Guide(CodeRemoved, kind, v.cfg.Municipality)
		v.forgetCard()
		v.notice, v.noticeOf = &p, nil
		v.screen, v.last = ScreenNotice, v.now
	case screen == ScreenResult && res != nil && (res.Outcome == OutcomeUnknown || res.Outcome == OutcomeRemoved):
		p := Guide(res.Code, res.PIN, v.cfg.Municipality)
		r := *res
		v.forgetCard()
		v.notice, v.noticeOf = &p, &r
		v.screen, v.last = ScreenNotice, v.now
	case screen == ScreenNotice:
		// Already telling the resident something.
	default:
		v.toWaiting()
	}
}

// toWaiting ends the visit: everything about the resident is forgotten,
// and the next one starts in the configured language.
func (v *Visit) toWaiting() {
	v.wipeFlow()
	v.forget()
	v.screen, v.lang, v.warning = ScreenWaiting, v.cfg.Lang, false
}

// forgetCard drops what the visit learned from the card.
func (v *Visit) forgetCard() {
	v.a, v.office, v.notes, v.result, v.guideAt = nil, nil, nil, nil, 0
}

// forget drops everything about the visit, notices included.
func (v *Visit) forget() {
	v.forgetCard()
	v.notice, v.noticeOf, v.awaiting, v.printed = nil, nil, 0, false
}

// wipeFlow abandons the PIN flow and wipes what was typed.
// Close wipes every PIN the visit holds (a PIN step's current and new
// PIN): for shutdown, when no later event would.
func (v *Visit) Close() { v.wipeFlow() }

func (v *Visit) wipeFlow() {
	Wipe(v.flow.old)
	Wipe(v.flow.new)
	v.flow = flowState{}
}

// interactive screens count idle time.
func (v *Visit) interactive() bool {
	switch v.screen {
	case ScreenStatus, ScreenGuidance, ScreenMenu, ScreenLastTry, ScreenPIN, ScreenResult, ScreenNotice, ScreenDetails:
		return true
	}
	return false
}

func (v *Visit) tick() {
	idle := v.now.Sub(v.last)
	if v.screen == ScreenWaiting && v.lang != v.cfg.Lang && idle >= v.cfg.IdleTimeout {
		v.lang = v.cfg.Lang // a language chosen before any card was inserted
		return
	}
	if !v.interactive() || !v.readerOK || v.refused {
		return
	}
	switch {
	case idle >= v.cfg.IdleTimeout:
		if v.cardIn {
			v.finish()
		} else {
			v.toWaiting()
		}
	case idle >= v.cfg.IdleTimeout-v.cfg.IdleWarning:
		v.warning = true
	}
}

// finish ends the interactive part with the card still in: ask for it.
// Nothing on that screen needs the card's data, so it is forgotten now.
func (v *Visit) finish() {
	v.wipeFlow()
	v.forgetCard()
	v.screen, v.warning = ScreenTakeCard, false
}

func (v *Visit) pressed(e Pressed) []Effect {
	in := e.Input
	taken := false
	defer func() {
		if !taken {
			Wipe(in.PIN) // a PIN not taken into the flow is wiped here
		}
	}()
	if !v.readerOK || v.refused {
		return nil
	}
	v.last = e.At
	if v.warning {
		// The warning covers the screen: the first input only dismisses
		// it, so a resident returning does not press a button unseen;
		// only the warning's own Finish acts.
		v.warning = false
		if in.Kind == InputFinish && v.screen != ScreenNotice {
			v.finish()
		} else if in.Kind == InputFinish {
			v.toWaiting()
		}
		return nil
	}
	if in.Kind == InputLang {
		v.lang = 1 - v.lang
		return nil
	}
	switch v.screen {
	case ScreenStatus, ScreenDetails:
		v.statusPressed(in.Kind)
	case ScreenGuidance:
		switch in.Kind {
		case InputNext:
			v.afterStatus(v.guideAt + 1)
		case InputBack:
			if v.guideAt > 0 {
				v.guideAt--
			} else {
				v.screen = ScreenStatus
			}
		case InputFinish:
			v.finish()
		}
	case ScreenMenu:
		switch in.Kind {
		case InputChoose:
			return v.choose(in.Action)
		case InputBack, InputFinish:
			v.finish()
		}
	case ScreenLastTry:
		switch in.Kind {
		case InputConfirm, InputNext:
			v.flow.confirmed = true
			v.enter(StepCurrent)
		case InputBack:
			v.wipeFlow()
			v.screen = ScreenMenu
		case InputFinish:
			v.finish()
		}
	case ScreenPIN:
		switch in.Kind {
		case InputSubmit:
			eff, took := v.submit(in.PIN, in.Serial)
			taken = took
			return eff
		case InputBack:
			v.wipeFlow()
			v.screen = ScreenMenu
		case InputFinish:
			v.finish()
		}
	case ScreenResult:
		switch in.Kind {
		case InputDetails:
			v.details()
		case InputNext, InputBack:
			v.result = nil
			if v.a != nil && len(actionsFor(*v.a)) > 0 {
				v.screen = ScreenMenu
			} else {
				v.finish()
			}
		case InputFinish:
			v.finish()
		}
	case ScreenNotice:
		switch in.Kind {
		case InputNext, InputBack, InputFinish:
			if v.awaiting == 0 {
				v.toWaiting()
			}
		}
	}
	return nil
}

// statusPressed handles the status and the くわしく screen opened from it
// (or from a result).
func (v *Visit) statusPressed(k InputKind) {
	switch {
	case v.screen == ScreenDetails && (k == InputNext || k == InputBack):
		v.screen = v.detailsFrom
	case k == InputNext:
		v.afterStatus(0)
	case k == InputDetails && v.screen == ScreenStatus:
		v.details()
	case k == InputBack, k == InputFinish:
		v.finish()
	}
}

// details opens the exact dates from the status or a result, when there
// are dates to show.
func (v *Visit) details() {
	if v.screen == ScreenResult && !HasDetails(nil, v.result) {
		return // a result shows its own certificate's dates, if any
	}
	if !HasDetails(v.a, v.result) {
		return
	}
	v.detailsFrom, v.screen = v.screen, ScreenDetails
}

// HasDetails reports whether a くわしく screen has dates to show: the
// authentication certificate's, or a checked signing certificate's.
func HasDetails(a *Assessment, r *Result) bool {
	return (a != nil && a.HasAuth && !a.Auth.NotAfter.IsZero()) || (r != nil && r.Cert != nil && !r.Cert.NotAfter.IsZero())
}

// afterStatus shows office page i of the status, or what comes after them.
func (v *Visit) afterStatus(i int) {
	if pages := v.officePages(); i < len(pages) {
		v.screen, v.guideAt = ScreenGuidance, i
		return
	}
	if len(actionsFor(*v.a)) > 0 {
		v.screen = ScreenMenu
		return
	}
	v.finish()
}

func (v *Visit) choose(act Action) []Effect {
	if act == ActionStatus {
		v.screen = ScreenStatus
		return nil
	}
	offered := false
	for _, ok := range actionsFor(*v.a) {
		offered = offered || ok == act
	}
	if !offered {
		return nil
	}
	v.wipeFlow()
	k := PINAuth
	if act != ActionChangeAuth {
		k = PINSign
	}
	tries := v.a.AuthTries
	if k == PINSign {
		tries = v.a.SignTries
	}
	v.flow = flowState{action: act, kind: k, tries: tries}
	v.askTries()
	return nil
}

// askTries starts the entry: the last-try confirmation first when one try
// is left and it has not been confirmed.
func (v *Visit) askTries() {
	if v.flow.tries == 1 && !v.flow.confirmed {
		v.flow.serial = v.nextSerial()
		v.screen = ScreenLastTry
		return
	}
	v.enter(StepCurrent)
}

func (v *Visit) nextSerial() int {
	v.serial++
	return v.serial
}

func (v *Visit) enter(step PINStep) {
	v.flow.step, v.flow.serial = step, v.nextSerial()
	v.screen = ScreenPIN
}

// submit takes one PIN from the entry screen. It returns whether it took
// pin (kept it or passed it on); if not, the caller wipes it.
func (v *Visit) submit(pin []byte, serial int) ([]Effect, bool) {
	f := &v.flow
	if serial != f.serial || f.busy {
		return nil, false // typed for a screen that is gone
	}
	if ValidatePIN(f.kind, pin) != nil {
		return nil, false // the UI refuses these; a malformed PIN never reaches the card
	}
	f.triesChanged = false
	if f.action == ActionCheckSign {
		f.busy = true
		v.screen = ScreenWorking
		return []Effect{CheckSign{Gen: v.gen, PIN: pin, Shown: f.tries, Confirmed: f.confirmed}}, true
	}
	switch f.step {
	case StepCurrent:
		f.old = pin
		v.enter(StepNew)
		f.mismatch = false
	case StepNew:
		f.new = pin
		v.enter(StepConfirm)
	case StepConfirm:
		if subtle.ConstantTimeCompare(f.new, pin) != 1 {
			// Nothing goes to the card: ask for the new PIN again.
			Wipe(f.new)
			f.new = nil
			v.enter(StepNew)
			f.mismatch = true
			return nil, false
		}
		req := ChangeRequest{PIN: f.kind, Old: f.old, New: f.new, Repeat: pin, Shown: f.tries, ConfirmedLastTry: f.confirmed}
		if v.a != nil && v.a.HasAuth {
			c := v.a.Auth
			req.Auth = &c
		}
		f.old, f.new, f.busy, f.mismatch = nil, nil, true, false // the card call wipes them
		v.screen = ScreenWorking
		return []Effect{ChangePIN{Gen: v.gen, Request: req}}, true
	}
	return nil, true
}

func (v *Visit) statusRead(e StatusRead) []Effect {
	if e.Refresh {
		if v.a != nil && !e.Removed && e.Assessment.Card == CardMyNumber {
			a := e.Assessment
			v.a = &a
			if n := len(v.officePages()); v.screen == ScreenGuidance && v.guideAt >= n {
				// The page on screen went away with the news: go on.
				v.afterStatus(n)
			}
		}
		return nil
	}
	if v.screen != ScreenReading || e.Removed {
		return nil // the removal event follows and ends the visit
	}
	a := e.Assessment
	v.retry(&a, e.At)
	v.a = &a
	v.screen, v.last = ScreenStatus, e.At // the resident's time starts when the answer shows
	v.office = nil
	for _, p := range v.officePages() {
		v.office = append(v.office, p.Code)
		v.setNote(p.Code, SlipNote{State: SlipPending})
	}
	return []Effect{RecordStatus{Gen: v.gen, Assessment: a}}
}

// retry: a card that could not be read may only be upside down or not
// all the way in, so the first failure asks for it again (no slip); a
// second within retryWindow gets the office page and its slip.
func (v *Visit) retry(a *Assessment, at time.Time) {
	if a.Code != CodeUnreadable && a.Code != CodeNotJPKI {
		v.failedAt = time.Time{}
		return
	}
	if !v.failedAt.IsZero() && at.Sub(v.failedAt) <= retryWindow {
		v.failedAt = time.Time{}
		return
	}
	a.Retry, v.failedAt = true, at
}

// flowDone takes the card call's answer for this card.
func (v *Visit) flowDone(res Result, err error) []Effect {
	f := &v.flow
	if !f.busy {
		return nil
	}
	f.busy = false
	v.last = v.now // the resident's time starts again when the answer shows
	if res.Outcome == "" {
		// Nothing reached the card.
		var changed *TriesChangedError
		switch {
		case errors.As(err, &changed):
			// Another program used the card, or the count was stale:
			// show the true count (and ask again at the last try).
			if v.a != nil {
				a := v.a.WithTries(changed.PIN, changed.Tries)
				v.a = &a
			}
			f.tries, f.confirmed, f.triesChanged = changed.Tries, false, true
			v.askTries()
		case errors.Is(err, ErrConfirmLastTry):
			f.confirmed = false
			v.askTries()
		default:
			v.enter(StepCurrent)
		}
		return nil
	}
	return v.showResult(res, err)
}

func (v *Visit) showResult(res Result, err error) []Effect {
	if err != nil && res.Reference == "" {
		res.Kept = Kept{Record: res.Record} // not durable: no reference to show
	}
	if v.a != nil {
		k, n := res.PIN, res.TriesLeft
		a := v.a.WithTries(k, n)
		v.a = &a
	}
	if res.Printed {
		v.printed = true
	}
	if OfficeBound(res.Code) {
		v.setNote(res.Code, NoteOf(res.Kept, err))
	}
	action := v.flow.action
	v.wipeFlow()
	v.flow.action, v.flow.kind = action, res.PIN
	v.result = &res
	v.screen = ScreenResult
	if res.TriesLeft < 0 && res.Outcome != OutcomeRemoved {
		// The card's count is not known after this outcome: read it again
		// so the menu and the status stay true.
		return []Effect{ReadStatus{Gen: v.gen, Refresh: true}}
	}
	return nil
}

// panicked: the work for eff panicked in this card session.
func (v *Visit) panicked(eff Effect) []Effect {
	switch e := eff.(type) {
	case ReadStatus:
		if e.Refresh {
			return nil
		}
		return v.statusRead(StatusRead{Gen: v.gen, Assessment: AssessError(errors.New("status read panicked"))})
	case RecordStatus:
		for _, c := range v.office {
			v.setNote(c, SlipNote{State: SlipNotRecorded})
		}
	case ChangePIN, CheckSign:
		if !v.flow.busy {
			return nil
		}
		v.flow.busy = false
		code := CodeUnreadable
		if _, ok := eff.(ChangePIN); ok {
			code = CodeChangeUnsure // the CHANGE may have been sent
		}
		return v.showResult(Result{PIN: v.flow.kind, Outcome: OutcomeError, Code: code, TriesLeft: -1}, errors.New("card work panicked"))
	}
	return nil
}
