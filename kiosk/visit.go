package kiosk

import "time"

// State is where a visit is; the UI draws one screen per state.
type State int

const (
	StateWaiting     State = iota // no card: "please insert your card"
	StateReading                  // card inserted, status being read
	StateStatus                   // status shown (Assessment)
	StateMenu                     // choose an action
	StateFlow                     // a PIN change or signing-cert check is running (Action)
	StateFinished                 // the flow's Result is shown
	StateRemoveCard               // "please take your card"
	StateIdleWarning              // "are you still there?" countdown over Paused
)

func (s State) String() string {
	return [...]string{"waiting", "reading", "status", "menu", "flow", "finished", "remove_card", "idle_warning"}[s]
}

// Action is what the resident chose in the menu.
type Action int

const (
	ActionNone Action = iota
	ActionChangeAuth
	ActionChangeSign
	ActionCheckSign
)

func (a Action) String() string {
	return [...]string{"none", "change_auth", "change_sign", "check_sign"}[a]
}

// Event is something that happened; each carries the time it happened
// (from the caller's clock), which is the visit's only clock.
type Event interface{ at() time.Time }

type (
	// CardInserted: the reader saw a card.
	CardInserted struct{ At time.Time }
	// CardRemoved: the card left the reader (at any moment).
	CardRemoved struct{ At time.Time }
	// StatusRead: the card's status was read and assessed (use
	// AssessError for a failed read).
	StatusRead struct {
		At         time.Time
		Assessment Assessment
	}
	// Tick: time passed (the UI sends it about once a second).
	Tick struct{ At time.Time }
	// Activity: any key or touch; it keeps the visit alive.
	Activity struct{ At time.Time }
	// Continue: "next" / "OK" / "done" on the current screen.
	Continue struct{ At time.Time }
	// Back: "back" / "cancel".
	Back struct{ At time.Time }
	// Choose: an action picked in the menu.
	Choose struct {
		At     time.Time
		Action Action
	}
	// FlowBusy: a card call started (true) or ended (false); no idle
	// timeout while the card is working.
	FlowBusy struct {
		At   time.Time
		Busy bool
	}
	// FlowDone: the flow returned a journaled Result.
	FlowDone struct {
		At     time.Time
		Result Result
	}
)

func (e CardInserted) at() time.Time { return e.At }
func (e CardRemoved) at() time.Time  { return e.At }
func (e StatusRead) at() time.Time   { return e.At }
func (e Tick) at() time.Time         { return e.At }
func (e Activity) at() time.Time     { return e.At }
func (e Continue) at() time.Time     { return e.At }
func (e Back) at() time.Time         { return e.At }
func (e Choose) at() time.Time       { return e.At }
func (e FlowBusy) at() time.Time     { return e.At }
func (e FlowDone) at() time.Time     { return e.At }

// Effect is work the visit asks its owner to do.
type Effect int

const (
	EffectReadCard     Effect = iota + 1 // read and assess the card, then send StatusRead
	EffectRecordStatus                   // journal StatusRecord(View().Assessment, …)
	EffectStartFlow                      // start View().Action (collect PINs, call Flows)
	EffectCancelFlow                     // abandon the flow: wipe any PIN typed so far
	EffectForget                         // the visit's data is gone: clear screens and buffers
)

func (e Effect) String() string {
	return [...]string{"?", "read_card", "record_status", "start_flow", "cancel_flow", "forget"}[e]
}

// Visit is one resident's visit as a pure state machine: events in, state
// and effects out, no goroutines and no clock of its own. Not safe for
// concurrent use: the UI loop owns it.
type Visit struct {
	timeout, warning time.Duration

	state    State
	paused   State // the state under StateIdleWarning
	cardIn   bool
	busy     bool
	timedOut bool
	last     time.Time // last activity
	now      time.Time

	a      *Assessment
	action Action
	result *Result
}

// NewVisit makes a visit in StateWaiting. After idleTimeout without
// activity the visit is forgotten; for the last idleWarning of it the
// idle warning is shown.
func NewVisit(idleTimeout, idleWarning time.Duration) *Visit {
	return &Visit{timeout: idleTimeout, warning: idleWarning}
}

// View is a read-only snapshot for drawing a screen.
type View struct {
	State  State
	Paused State // meaningful in StateIdleWarning: the screen under the warning
	CardIn bool
	// Assessment is the card's status (nil before it is read).
	Assessment *Assessment
	// Actions are what the menu may offer for this card.
	Actions []Action
	Action  Action  // the running or last flow
	Result  *Result // the last flow's result (StateFinished)
	// WarningLeft is the countdown in StateIdleWarning.
	WarningLeft time.Duration
	// TimedOut: the visit ended because nobody was there (StateRemoveCard
	// or StateWaiting after a timeout).
	TimedOut bool
}

// View returns a snapshot; it shares nothing mutable with the visit.
func (v *Visit) View() View {
	vw := View{State: v.state, Paused: v.paused, CardIn: v.cardIn, Action: v.action, TimedOut: v.timedOut}
	if v.a != nil {
		a := *v.a
		a.Conditions = append([]Code(nil), v.a.Conditions...)
		vw.Assessment = &a
		vw.Actions = actionsFor(a)
	}
	if v.result != nil {
		r := *v.result
		vw.Result = &r
	}
	if v.state == StateIdleWarning {
		vw.WarningLeft = max(v.timeout-v.now.Sub(v.last), 0)
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

// interactive states count idle time.
func (v *Visit) interactive() bool {
	switch v.state {
	case StateStatus, StateMenu, StateFinished, StateIdleWarning:
		return true
	case StateFlow:
		return !v.busy
	}
	return false
}

// forget drops everything the visit learned about the card.
func (v *Visit) forget() {
	v.a, v.result, v.action, v.busy = nil, nil, ActionNone, false
}

// Handle applies one event and returns the effects to carry out, in order.
func (v *Visit) Handle(ev Event) []Effect {
	at := ev.at()
	if at.After(v.now) {
		v.now = at
	}
	switch e := ev.(type) {
	case CardRemoved:
		var eff []Effect
		if v.state == StateFlow || (v.state == StateIdleWarning && v.paused == StateFlow) {
			eff = append(eff, EffectCancelFlow)
		}
		v.cardIn, v.timedOut = false, false
		v.forget()
		v.state = StateWaiting
		return append(eff, EffectForget)
	case CardInserted:
		var eff []Effect
		if v.a != nil || v.state != StateWaiting {
			// A removal we never heard of: start clean.
			v.forget()
			eff = append(eff, EffectForget)
		}
		v.cardIn, v.timedOut = true, false
		v.state, v.last = StateReading, at
		return append(eff, EffectReadCard)
	case Tick:
		return v.tick()
	case FlowBusy:
		if v.state == StateFlow || v.state == StateIdleWarning {
			v.busy = e.Busy
			v.last = at
			if e.Busy && v.state == StateIdleWarning {
				v.state = v.paused
			}
		}
		return nil
	case FlowDone:
		if v.state != StateFlow && !(v.state == StateIdleWarning && v.paused == StateFlow) {
			return nil // the visit ended meanwhile; the flow journaled its own outcome
		}
		r := e.Result
		v.result, v.busy, v.last = &r, false, at
		v.applyTries(r)
		v.state = StateFinished
		return nil
	}

	// The rest is the resident acting on a screen: it is activity.
	v.last = at
	if v.state == StateIdleWarning {
		// The warning covers the screen: the first touch only dismisses it,
		// so a resident returning does not press a button unseen.
		v.state = v.paused
		return nil
	}
	switch e := ev.(type) {
	case StatusRead:
		if v.state != StateReading {
			return nil
		}
		a := e.Assessment
		v.a = &a
		v.state = StateStatus
		return []Effect{EffectRecordStatus}
	case Continue:
		switch v.state {
		case StateStatus:
			if len(actionsFor(*v.a)) > 0 {
				v.state = StateMenu
				return nil
			}
			return v.finish()
		case StateMenu, StateFinished:
			return v.finish()
		}
	case Back:
		switch v.state {
		case StateMenu:
			v.state = StateStatus
		case StateFlow:
			v.state, v.action, v.busy = StateMenu, ActionNone, false
			return []Effect{EffectCancelFlow}
		case StateFinished:
			v.state = StateMenu
		}
	case Choose:
		if v.state != StateMenu || v.a == nil {
			return nil
		}
		for _, ok := range actionsFor(*v.a) {
			if ok == e.Action {
				v.state, v.action, v.result = StateFlow, e.Action, nil
				return []Effect{EffectStartFlow}
			}
		}
	}
	return nil
}

// finish ends the interactive part: the card is still in, ask for it.
// Nothing on that screen needs the card's data, so it is forgotten now
// rather than when the resident gets round to taking the card.
func (v *Visit) finish() []Effect {
	v.forget()
	v.state = StateRemoveCard
	return []Effect{EffectForget}
}

func (v *Visit) tick() []Effect {
	if !v.interactive() {
		return nil
	}
	idle := v.now.Sub(v.last)
	switch {
	case idle >= v.timeout:
		var eff []Effect
		if v.state == StateFlow || (v.state == StateIdleWarning && v.paused == StateFlow) {
			eff = append(eff, EffectCancelFlow)
		}
		v.forget()
		v.timedOut = true
		v.state = StateWaiting
		if v.cardIn {
			v.state = StateRemoveCard
		}
		return append(eff, EffectForget)
	case idle >= v.timeout-v.warning && v.state != StateIdleWarning:
		v.paused, v.state = v.state, StateIdleWarning
	}
	return nil
}

// applyTries keeps the menu honest after a flow: a wrong PIN or a lock
// changes what may be offered.
func (v *Visit) applyTries(r Result) {
	if v.a == nil || r.TriesLeft < 0 {
		return
	}
	a := *v.a
	a.Conditions = append([]Code(nil), v.a.Conditions...)
	if r.PIN == PINSign {
		a.SignTries, a.SignLocked = r.TriesLeft, r.TriesLeft == 0
	} else {
		a.AuthTries, a.AuthLocked = r.TriesLeft, r.TriesLeft == 0
	}
	v.a = &a
}
