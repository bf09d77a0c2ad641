package ui

import (
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// FlowScreen is where a running flow stands. kiosk.Visit only knows
// StateFlow; the integrator, which drives kiosk.Flows, knows which PIN it
// is collecting, whether the last-try confirmation is due and whether the
// card is busy.
type FlowScreen struct {
	Prompt  PINPrompt
	LastTry bool // kiosk.Tries.LastTry and not yet confirmed
	Working bool // a card call is running
}

// FromVisit turns the domain's snapshot into the View the screen draws.
// now is the clock the Visit was last fed, for the idle countdown.
func FromVisit(v kiosk.View, flow FlowScreen, now time.Time) View {
	state := v.State
	var out View
	if state == kiosk.StateIdleWarning {
		state = v.Paused
		out.IdleDeadline = now.Add(v.WarningLeft)
	}
	if v.Assessment != nil {
		out.Assessment = *v.Assessment
	}
	switch state {
	case kiosk.StateWaiting:
		out.Page = PageWaiting
	case kiosk.StateReading:
		out.Page = PageReading
	case kiosk.StateStatus:
		out.Page = PageStatus
	case kiosk.StateMenu:
		out.Page = PageMenu
	case kiosk.StateFlow:
		switch {
		case flow.Working:
			out.Page = PageWorking
		case flow.LastTry:
			out.Page, out.PIN = PageLastTry, flow.Prompt
		default:
			out.Page, out.PIN = PagePIN, flow.Prompt
		}
	case kiosk.StateFinished:
		out.Page = PageResult
		if v.Result != nil {
			out.Result = FromResult(*v.Result)
			if v.Result.PrinterDetail != "" && v.Result.Reference != "" {
				// The slip could not be printed: the number must reach the
				// resident some other way.
				out.Page, out.Reference = PagePaperOut, v.Result.Reference
			}
		}
	case kiosk.StateRemoveCard:
		out.Page = PageTakeCard
	}
	return out
}

// FromResult maps a flow's journaled outcome onto a result screen.
func FromResult(r kiosk.Result) Result {
	res := Result{PIN: r.PIN, TriesLeft: r.TriesLeft}
	switch {
	case r.Outcome == kiosk.OutcomeLocked:
		res.Kind = ResultLocked
	case r.Outcome == kiosk.OutcomeWrongPIN:
		res.Kind = ResultWrongPIN
	case r.Outcome == kiosk.OutcomeUnknown:
		res.Kind = ResultUnknown
	case r.Outcome == kiosk.OutcomeOK && r.Kind == kiosk.TxSignCheck && r.Cert != nil:
		res.Kind, res.Sign = ResultSignCert, *r.Cert
	case r.Outcome == kiosk.OutcomeOK:
		res.Kind = ResultChanged
	default:
		res.Kind = ResultFailed
	}
	return res
}

// VisitEvent is the kiosk.Visit event for an intent on page, or nil when
// the intent belongs to the flow (PIN submitted, last try confirmed; the
// integrator then sends kiosk.Activity itself) or has no visit meaning.
func VisitEvent(in Intent, page Page, at time.Time) kiosk.Event {
	switch in.Kind {
	case IntentActivity, IntentContinue, IntentSubmitPIN, IntentConfirm:
		return kiosk.Activity{At: at}
	case IntentNext:
		return kiosk.Continue{At: at}
	case IntentCancel:
		return kiosk.Back{At: at}
	case IntentFinish:
		// The Visit finishes on Continue from the menu and the result
		// screen; elsewhere there is no finish event yet (proposed:
		// kiosk.Finish), so Continue moves on the nearest way.
		return kiosk.Continue{At: at}
	case IntentChoose:
		switch in.Action {
		case ActionStatus:
			return kiosk.Back{At: at} // the menu's Back shows the status again
		case ActionFinish:
			return kiosk.Continue{At: at}
		case ActionChangeAuth:
			return kiosk.Choose{At: at, Action: kiosk.ActionChangeAuth}
		case ActionChangeSign:
			return kiosk.Choose{At: at, Action: kiosk.ActionChangeSign}
		case ActionCheckSign:
			return kiosk.Choose{At: at, Action: kiosk.ActionCheckSign}
		}
	}
	return nil
}
