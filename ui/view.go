package ui

import (
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// Page is which screen the visit is on. The domain decides it; the UI
// only draws it.
type Page int

const (
	PageWaiting      Page = iota // no card: insert your card
	PageReading                  // reading the card: do not remove it
	PageStatus                   // the answer of a status check
	PageGuidance                 // what to do at the office for View.Guidance
	PageMenu                     // what would you like to do
	PagePIN                      // PIN entry for View.PIN
	PageLastTry                  // one try left: confirm before entry
	PageWorking                  // talking to the card: do not remove it
	PageResult                   // the outcome in View.Result
	PageTakeCard                 // the visit is over: please take your card
	PagePaperOut                 // printer out of paper: note the reference
	PageOutOfService             // reader missing or broken
)

var pageNames = [...]string{"waiting", "reading", "status", "guidance", "menu", "pin",
	"last_try", "working", "result", "take_card", "paper_out", "out_of_service"}

func (p Page) String() string {
	if int(p) < len(pageNames) {
		return pageNames[p]
	}
	return "page?"
}

// PINStep is which PIN the entry screen asks for.
type PINStep int

const (
	StepCurrent PINStep = iota // the PIN on the card now (this one is verified)
	StepNew                    // the new PIN
	StepConfirm                // the new PIN again
)

// PINPrompt describes a PIN entry screen.
type PINPrompt struct {
	Kind kiosk.PINKind
	Step PINStep
	// Purpose says why: changing this PIN, or (Kind==PINSign) reading the
	// signing certificate.
	ForSignCheck bool
	// TriesLeft is shown before every VERIFY (StepCurrent).
	TriesLeft int
	// Mismatch: the previous new/confirm pair differed; ask again kindly.
	Mismatch bool
}

// ResultKind is the outcome shown on PageResult.
type ResultKind int

const (
	ResultChanged  ResultKind = iota // the PIN was changed
	ResultWrongPIN                   // VERIFY refused; TriesLeft > 0
	ResultLocked                     // VERIFY refused and the PIN is now locked
	ResultUnknown                    // the card never answered a change
	ResultSignCert                   // signing certificate verdict in Sign
	ResultFailed                     // the card could not be read during the flow
)

// Result is a flow's outcome.
type Result struct {
	Kind      ResultKind
	PIN       kiosk.PINKind
	TriesLeft int
	Sign      kiosk.CertAssessment
}

// View is the read-only snapshot the UI draws. It carries only what the
// screen shows: validity dates, counters and codes, never a PIN or
// anything personal from a certificate.
type View struct {
	Page       Page
	Assessment kiosk.Assessment // PageStatus, PageMenu (what may be offered)
	Guidance   kiosk.Code       // PageGuidance: which office-bound state
	PIN        PINPrompt        // PagePIN, PageLastTry
	Result     Result           // PageResult
	// Reference is the slip's reference number (PageGuidance, PagePaperOut).
	Reference string
	// Maintenance is the next maintenance day when it is close
	// (kiosk.IsMaintenanceSoon); zero hides the notice.
	Maintenance time.Time
	// IdleDeadline, when set, shows the idle warning counting down to it.
	IdleDeadline time.Time
}

// Action is a menu choice.
type Action int

const (
	ActionStatus     Action = iota + 1 // check the status again
	ActionChangeAuth                   // change the 4-digit PIN
	ActionChangeSign                   // change the signing PIN
	ActionCheckSign                    // check the signing certificate
	ActionFinish                       // end the visit
)

// IntentKind is what the resident asked for.
type IntentKind int

const (
	IntentActivity  IntentKind = iota // any touch or key: the resident is still there
	IntentChoose                      // Action chosen on the menu
	IntentNext                        // OK / next on status, guidance, result, paper-out
	IntentCancel                      // back out of a flow
	IntentSubmitPIN                   // PIN entered and well-formed
	IntentConfirm                     // last-try warning accepted
	IntentContinue                    // idle warning answered
	IntentFinish                      // end the visit
)

var intentNames = [...]string{"activity", "choose", "next", "cancel", "submit_pin", "confirm", "continue", "finish"}

func (k IntentKind) String() string {
	if int(k) < len(intentNames) {
		return intentNames[k]
	}
	return "intent?"
}

// Intent is a domain event produced from input.
type Intent struct {
	Kind   IntentKind
	Action Action // IntentChoose
	// PIN (IntentSubmitPIN) is handed over: the UI keeps no reference to
	// it, and the receiver must kiosk.Wipe it after use. Sign PINs are
	// already upper-case and pass kiosk.CheckPIN.
	PIN     []byte
	PINKind kiosk.PINKind // IntentSubmitPIN: which PIN
	Step    PINStep       // IntentSubmitPIN: which step
}
