package kiosk_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

var vt0 = time.Date(2026, 11, 25, 10, 0, 0, 0, kiosk.JST())

func at(sec int) time.Time { return vt0.Add(time.Duration(sec) * time.Second) }

func goodAssessment() kiosk.Assessment {
	return kiosk.Assessment{Card: kiosk.CardMyNumber, Code: kiosk.CodeValid, Conditions: []kiosk.Code{kiosk.CodeValid},
		Auth: kiosk.CertAssessment{Verdict: kiosk.CodeValid}, HasAuth: true, HasSign: true, AuthTries: 3, SignTries: 5, ClockTrusted: true}
}

// step is one event and what must hold after it. Gen -1 in an answer
// event means "the visit's current session" (filled in when run).
type step struct {
	ev      kiosk.Event
	screen  kiosk.Screen
	effects []string // effect types, e.g. "ReadStatus"
	check   func(t *testing.T, v kiosk.View)
}

func press(sec int, k kiosk.InputKind) kiosk.Event {
	return kiosk.Pressed{At: at(sec), Input: kiosk.Input{Kind: k}}
}

func chooseAt(sec int, a kiosk.Action) kiosk.Event {
	return kiosk.Pressed{At: at(sec), Input: kiosk.Input{Kind: kiosk.InputChoose, Action: a}}
}

// submitAt types pin at the current entry (serial filled in when run).
func submitAt(sec int, pin string) kiosk.Event {
	return kiosk.Pressed{At: at(sec), Input: kiosk.Input{Kind: kiosk.InputSubmit, PIN: []byte(pin), Serial: -1}}
}

func effectNames(eff []kiosk.Effect) []string {
	var out []string
	for _, e := range eff {
		out = append(out, reflect.TypeOf(e).Name())
	}
	return out
}

const (
	W  = kiosk.ScreenWaiting
	R  = kiosk.ScreenReading
	S  = kiosk.ScreenStatus
	G  = kiosk.ScreenGuidance
	M  = kiosk.ScreenMenu
	LT = kiosk.ScreenLastTry
	P  = kiosk.ScreenPIN
	WK = kiosk.ScreenWorking
	RS = kiosk.ScreenResult
	TC = kiosk.ScreenTakeCard
	N  = kiosk.ScreenNotice
	OS = kiosk.ScreenOutOfService
)

func begin(a kiosk.Assessment) []step {
	return []step{
		{kiosk.CardInserted{At: at(0)}, R, []string{"ReadStatus"}, nil},
		{kiosk.StatusRead{At: at(1), Gen: -1, Assessment: a}, S, []string{"RecordStatus"}, nil},
	}
}

func result(k kiosk.PINKind, o kiosk.Outcome, c kiosk.Code, tries int) kiosk.Result {
	return kiosk.Result{PIN: k, Outcome: o, Code: c, TriesLeft: tries, Kept: kiosk.Kept{Reference: "K01-20261125-0002"}}
}

func done(sec int, r kiosk.Result) kiosk.Event {
	return kiosk.FlowDone{At: at(sec), Gen: -1, Result: r}
}

func TestVisit(t *testing.T) {
	good := goodAssessment()
	renewal := good
	renewal.Auth.Verdict = kiosk.CodeRenewal
	renewal = renewal.WithTries(kiosk.PINSign, 0) // and the signing PIN locked: two office pages
	lastTry := good.WithTries(kiosk.PINAuth, 1)
	juki := kiosk.Assessment{Card: kiosk.CardJuki, Code: kiosk.CodeJuki, Conditions: []kiosk.Code{kiosk.CodeJuki}}
	dated := good
	dated.Auth.NotAfter = at(86400 * 900)
	unreadable := kiosk.AssessError(errors.New("no ATR"))
	notJPKI := kiosk.AssessError(kiosk.ErrNotJPKI)
	changed := result(kiosk.PINAuth, kiosk.OutcomeOK, kiosk.CodePINChanged, 3)
	signChecked := result(kiosk.PINSign, kiosk.OutcomeOK, kiosk.CodeValid, 5)
	signChecked.Cert = &kiosk.CertAssessment{Verdict: kiosk.CodeValid, NotAfter: at(86400 * 900)}
	changed.Slip, changed.Printed = &kiosk.Slip{}, true
	locked := result(kiosk.PINAuth, kiosk.OutcomeLocked, kiosk.CodeAuthLocked, 0)
	locked.Slip, locked.Printed = &kiosk.Slip{}, true
	unsure := result(kiosk.PINAuth, kiosk.OutcomeUnknown, kiosk.CodeChangeUnsure, -1)
	unsure.Slip, unsure.Printed = &kiosk.Slip{}, true
	toAuthEntry := func(a kiosk.Assessment) []step {
		return append(begin(a),
			step{press(2, kiosk.InputNext), M, nil, nil},
			step{chooseAt(3, kiosk.ActionChangeAuth), P, nil, nil})
	}
	authChange := append(toAuthEntry(good),
		step{submitAt(4, "1234"), P, nil, func(t *testing.T, v kiosk.View) {
			if v.PIN.Step != kiosk.StepNew {
				t.Errorf("step %d", v.PIN.Step)
			}
		}},
		step{submitAt(5, "5678"), P, nil, nil},
		step{submitAt(6, "5678"), WK, []string{"ChangePIN"}, nil})
	leadsWith := func(c kiosk.Code) func(*testing.T, kiosk.View) {
		return func(t *testing.T, v kiosk.View) {
			if v.Assessment == nil || v.Assessment.Code != c {
				t.Errorf("status leads with %v, want %s", v.Assessment, c)
			}
		}
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"change a PIN, then finish", append(slices.Clone(authChange),
			step{done(7, changed), RS, nil, func(t *testing.T, v kiosk.View) {
				if v.Page.Code != kiosk.CodePINChanged || v.Note.State != kiosk.SlipPrinted {
					t.Errorf("result page %s note %+v", v.Page.Code, v.Note)
				}
			}},
			step{press(8, kiosk.InputNext), M, nil, nil},
			step{press(9, kiosk.InputFinish), TC, nil, func(t *testing.T, v kiosk.View) {
				if !v.SlipTaken || v.Assessment != nil {
					t.Errorf("take card: slip %v, data %v", v.SlipTaken, v.Assessment)
				}
			}},
			step{kiosk.Tick{At: at(500)}, TC, nil, nil}, // no timeout while asking for the card
			step{kiosk.CardRemoved{At: at(501)}, W, nil, nil},
		)},
		{"mismatch asks for the new PIN again, nothing sent", append(toAuthEntry(good),
			step{submitAt(4, "1234"), P, nil, nil},
			step{submitAt(5, "5678"), P, nil, nil},
			step{submitAt(6, "5679"), P, nil, func(t *testing.T, v kiosk.View) {
				if v.PIN.Step != kiosk.StepNew || !v.PIN.Mismatch {
					t.Errorf("after a mismatch: %+v", v.PIN)
				}
			}},
		)},
		{"a stale submission is refused", append(toAuthEntry(good),
			step{kiosk.Pressed{At: at(4), Input: kiosk.Input{Kind: kiosk.InputSubmit, PIN: []byte("1234"), Serial: 999}}, P, nil, func(t *testing.T, v kiosk.View) {
				if v.PIN.Step != kiosk.StepCurrent {
					t.Errorf("took a PIN typed for another screen: %+v", v.PIN)
				}
			}},
		)},
		{"a malformed PIN never reaches the card", append(toAuthEntry(good),
			step{submitAt(4, "12a"), P, nil, nil},
		)},
		{"the last try is confirmed first", append(begin(lastTry),
			step{press(2, kiosk.InputNext), G, nil, func(t *testing.T, v kiosk.View) {
				if v.Page.Code != kiosk.CodeAuthLastTry || v.Page.Where.Phone == "" {
					t.Errorf("the last try's page gives no place: %+v", v.Page)
				}
			}},
			step{press(2, kiosk.InputNext), M, nil, nil},
			step{chooseAt(3, kiosk.ActionChangeAuth), LT, nil, func(t *testing.T, v kiosk.View) {
				if v.Page == nil || v.Page.Where.Hours.JA == "" {
					t.Errorf("the last-try screen gives no place or hours: %+v", v.Page)
				}
			}},
			step{press(4, kiosk.InputBack), M, nil, nil},
			step{chooseAt(5, kiosk.ActionChangeAuth), LT, nil, nil},
			step{press(6, kiosk.InputConfirm), P, nil, nil},
			step{submitAt(7, "1234"), P, nil, nil},
			step{submitAt(8, "5678"), P, nil, nil},
			step{submitAt(9, "5678"), WK, []string{"ChangePIN"}, nil},
		)},
		{"tries changed: the true count, then the last-try question", append(slices.Clone(authChange),
			step{kiosk.FlowDone{At: at(7), Gen: -1, Err: &kiosk.TriesChangedError{PIN: kiosk.PINAuth, Shown: 3, Tries: 1}}, LT, nil, func(t *testing.T, v kiosk.View) {
				if v.PIN.TriesLeft != 1 || !v.PIN.TriesChanged || v.Assessment.AuthTries != 1 {
					t.Errorf("after the count changed: %+v, status tries %d", v.PIN, v.Assessment.AuthTries)
				}
			}},
			step{press(8, kiosk.InputConfirm), P, nil, func(t *testing.T, v kiosk.View) {
				if v.PIN.Step != kiosk.StepCurrent {
					t.Errorf("the entry does not start again: %+v", v.PIN)
				}
			}},
		)},
		{"tries changed to 2: entry again with the true count", append(slices.Clone(authChange),
			step{kiosk.FlowDone{At: at(7), Gen: -1, Err: &kiosk.TriesChangedError{PIN: kiosk.PINAuth, Shown: 3, Tries: 2}}, P, nil, func(t *testing.T, v kiosk.View) {
				if v.PIN.TriesLeft != 2 || v.PIN.Step != kiosk.StepCurrent {
					t.Errorf("%+v", v.PIN)
				}
			}},
		)},
		{"a lock refreshes the status", append(slices.Clone(authChange),
			step{done(7, locked), RS, nil, leadsWith(kiosk.CodeAuthLocked)},
			step{press(8, kiosk.InputNext), M, nil, func(t *testing.T, v kiosk.View) {
				if slices.Contains(v.Actions, kiosk.ActionChangeAuth) {
					t.Error("a locked PIN is offered")
				}
			}},
			step{chooseAt(9, kiosk.ActionStatus), S, nil, func(t *testing.T, v kiosk.View) {
				if v.Pages[0].Code != kiosk.CodeAuthLocked {
					t.Errorf("status page %s", v.Pages[0].Code)
				}
			}},
			step{press(10, kiosk.InputNext), G, nil, func(t *testing.T, v kiosk.View) {
				if v.Page.Code != kiosk.CodeAuthLocked || v.Note.State != kiosk.SlipPrinted {
					t.Errorf("guidance %s note %+v", v.Page.Code, v.Note)
				}
			}},
		)},
		{"an unknown outcome re-reads the status", append(slices.Clone(authChange),
			step{done(7, unsure), RS, []string{"ReadStatus"}, nil},
			step{kiosk.StatusRead{At: at(8), Gen: -1, Refresh: true, Assessment: good.WithTries(kiosk.PINAuth, 0)}, RS, nil, leadsWith(kiosk.CodeAuthLocked)},
		)},
		{"a refresh that removes the page on screen moves on", append(begin(good.WithTries(kiosk.PINSign, 0)),
			step{press(2, kiosk.InputNext), G, nil, nil},
			step{kiosk.StatusRead{At: at(3), Gen: -1, Refresh: true, Assessment: good}, M, nil, nil},
		)},
		{"two office pages, then the menu", append(begin(renewal),
			step{kiosk.StatusKept{At: at(2), Gen: -1, Kept: kiosk.Kept{Reference: "R1", Slip: &kiosk.Slip{}, Printed: true}}, S, nil, nil},
			step{press(3, kiosk.InputNext), G, nil, func(t *testing.T, v kiosk.View) {
				if v.Page.Code != kiosk.CodeSignLocked || v.GuideNo != 1 || v.GuideOf != 2 || v.Note.Reference != "R1" {
					t.Errorf("page %s %d/%d note %+v", v.Page.Code, v.GuideNo, v.GuideOf, v.Note)
				}
			}},
			step{press(4, kiosk.InputNext), G, nil, func(t *testing.T, v kiosk.View) {
				if v.Page.Code != kiosk.CodeRenewal || v.GuideNo != 2 {
					t.Errorf("page %s %d", v.Page.Code, v.GuideNo)
				}
			}},
			step{press(5, kiosk.InputBack), G, nil, nil},
			step{press(6, kiosk.InputNext), G, nil, nil},
			step{press(7, kiosk.InputNext), M, nil, nil},
		)},
		{"juki: the guidance page, then the end", append(begin(juki),
			step{chooseAt(2, kiosk.ActionChangeAuth), S, nil, nil},
			step{press(3, kiosk.InputNext), G, nil, nil},
			step{press(4, kiosk.InputNext), TC, nil, nil},
		)},
		{"removal while reading", []step{
			{kiosk.CardInserted{At: at(0)}, R, []string{"ReadStatus"}, nil},
			{kiosk.CardRemoved{At: at(1)}, W, nil, nil},
		}},
		{"removal mid-entry says nothing changed", append(toAuthEntry(good),
			step{submitAt(4, "1234"), P, nil, nil},
			step{kiosk.CardRemoved{At: at(5)}, N, nil, func(t *testing.T, v kiosk.View) {
				if v.Page.Code != kiosk.CodeRemoved || v.Assessment != nil {
					t.Errorf("notice %v, data kept %v", v.Page, v.Assessment)
				}
			}},
			step{press(6, kiosk.InputNext), W, nil, nil},
		)},
		{"removal during the card call: the outcome outlives the card", append(slices.Clone(authChange),
			step{kiosk.CardRemoved{At: at(7)}, N, nil, func(t *testing.T, v kiosk.View) {
				if !v.Awaiting {
					t.Error("not awaiting the answer")
				}
			}},
			step{press(8, kiosk.InputNext), N, nil, nil}, // nothing to press yet
			step{kiosk.FlowDone{At: at(9), Gen: 1, Result: unsure}, N, nil, func(t *testing.T, v kiosk.View) {
				if v.Awaiting || v.Page.Code != kiosk.CodeChangeUnsure || v.Note.Reference == "" {
					t.Errorf("notice %+v note %+v", v.Page, v.Note)
				}
			}},
			step{kiosk.Tick{At: at(70)}, W, nil, nil}, // nobody reads it: it ends
		)},
		{"a new card drops the old card's answers", append(slices.Clone(authChange),
			step{kiosk.CardRemoved{At: at(7)}, N, nil, nil},
			step{kiosk.CardInserted{At: at(8)}, R, []string{"ReadStatus"}, nil},
			step{kiosk.FlowDone{At: at(9), Gen: 1, Result: unsure}, R, nil, nil},
			step{kiosk.WorkPanicked{At: at(9), Gen: 1, Effect: kiosk.ChangePIN{Gen: 1}}, R, nil, nil},
			step{kiosk.StatusRead{At: at(10), Gen: 1, Assessment: juki}, R, nil, nil},
			step{kiosk.StatusRead{At: at(11), Gen: -1, Assessment: good}, S, []string{"RecordStatus"}, nil},
		)},
		{"a panic in this card's flow ends it, unrecorded", append(slices.Clone(authChange),
			step{kiosk.WorkPanicked{At: at(7), Gen: -1, Effect: kiosk.ChangePIN{}}, RS, []string{"ReadStatus"}, func(t *testing.T, v kiosk.View) {
				if v.Page.Code != kiosk.CodeChangeUnsure || v.Note.State != kiosk.SlipNotRecorded {
					t.Errorf("page %s note %+v", v.Page.Code, v.Note)
				}
			}},
		)},
		{"idle warning, then activity resumes", append(begin(good),
			step{kiosk.Tick{At: at(40)}, S, nil, noWarning},
			step{kiosk.Tick{At: at(41)}, S, nil, warning}, // 60 s timeout, 20 s warning
			step{press(50, kiosk.InputNext), S, nil, noWarning},
			step{kiosk.Tick{At: at(90)}, S, nil, warning},
			step{press(91, kiosk.InputFinish), TC, nil, nil}, // the warning's own Finish acts
		)},
		{"idle timeout with card in asks for it", append(begin(good),
			step{press(2, kiosk.InputNext), M, nil, nil},
			step{kiosk.Tick{At: at(62)}, TC, nil, nil},
			step{press(63, kiosk.InputNext), TC, nil, nil},
			step{kiosk.CardRemoved{At: at(70)}, W, nil, nil},
		)},
		{"no timeout while the card works", append(slices.Clone(authChange),
			step{kiosk.Tick{At: at(300)}, WK, nil, nil},
			step{press(301, kiosk.InputBack), WK, nil, nil}, // nothing to cancel: the call is under way
			step{done(302, changed), RS, nil, nil},
		)},
		{"flow cancelled by the resident", append(toAuthEntry(good),
			step{press(4, kiosk.InputBack), M, nil, nil},
			step{press(5, kiosk.InputBack), TC, nil, nil},
		)},
		{"language: English and back; the next visit starts in Japanese", append(begin(good),
			step{press(2, kiosk.InputLang), S, nil, lang(kiosk.English)},
			step{press(3, kiosk.InputNext), M, nil, lang(kiosk.English)},
			step{press(4, kiosk.InputLang), M, nil, lang(kiosk.Japanese)},
			step{press(5, kiosk.InputLang), M, nil, lang(kiosk.English)},
			step{kiosk.CardRemoved{At: at(6)}, W, nil, lang(kiosk.Japanese)},
		)},
		{"English chosen before the card lasts into the visit, then resets", []step{
			{press(0, kiosk.InputLang), W, nil, lang(kiosk.English)},
			{kiosk.CardInserted{At: at(1)}, R, []string{"ReadStatus"}, lang(kiosk.English)},
			{kiosk.CardRemoved{At: at(2)}, W, nil, lang(kiosk.Japanese)},
			{press(3, kiosk.InputLang), W, nil, lang(kiosk.English)},
			{kiosk.Tick{At: at(100)}, W, nil, lang(kiosk.Japanese)}, // nobody came
		}},
		{"an unreadable card is asked for again, then gets its page and slip", []step{
			{kiosk.CardInserted{At: at(0)}, R, []string{"ReadStatus"}, nil},
			{kiosk.StatusRead{At: at(1), Gen: -1, Assessment: unreadable}, S, []string{"RecordStatus"}, retryAsked(true)},
			{press(2, kiosk.InputNext), TC, nil, nil}, // no guidance page: no slip
			{kiosk.CardRemoved{At: at(3)}, W, nil, nil},
			{kiosk.CardInserted{At: at(10)}, R, []string{"ReadStatus"}, nil},
			{kiosk.StatusRead{At: at(11), Gen: -1, Assessment: notJPKI}, S, []string{"RecordStatus"}, retryAsked(false)},
			{press(12, kiosk.InputNext), G, nil, nil},
			{kiosk.CardRemoved{At: at(13)}, W, nil, nil},
			// The next failure is a first one again.
			{kiosk.CardInserted{At: at(20)}, R, []string{"ReadStatus"}, nil},
			{kiosk.StatusRead{At: at(21), Gen: -1, Assessment: unreadable}, S, []string{"RecordStatus"}, retryAsked(true)},
		}},
		{"a failure long after the last one is a first one", []step{
			{kiosk.CardInserted{At: at(0)}, R, []string{"ReadStatus"}, nil},
			{kiosk.StatusRead{At: at(1), Gen: -1, Assessment: unreadable}, S, []string{"RecordStatus"}, retryAsked(true)},
			{kiosk.CardRemoved{At: at(3)}, W, nil, nil},
			{kiosk.CardInserted{At: at(400)}, R, []string{"ReadStatus"}, nil},
			{kiosk.StatusRead{At: at(401), Gen: -1, Assessment: unreadable}, S, []string{"RecordStatus"}, retryAsked(true)},
		}},
		{"a good card clears an earlier failure", []step{
			{kiosk.CardInserted{At: at(0)}, R, []string{"ReadStatus"}, nil},
			{kiosk.StatusRead{At: at(1), Gen: -1, Assessment: unreadable}, S, []string{"RecordStatus"}, retryAsked(true)},
			{kiosk.CardRemoved{At: at(3)}, W, nil, nil},
			{kiosk.CardInserted{At: at(4)}, R, []string{"ReadStatus"}, nil},
			{kiosk.StatusRead{At: at(5), Gen: -1, Assessment: good}, S, []string{"RecordStatus"}, nil},
			{kiosk.CardRemoved{At: at(6)}, W, nil, nil},
			{kiosk.CardInserted{At: at(7)}, R, []string{"ReadStatus"}, nil},
			{kiosk.StatusRead{At: at(8), Gen: -1, Assessment: unreadable}, S, []string{"RecordStatus"}, retryAsked(true)},
		}},
		{"くわしく: the exact dates, asked for, and back", append(begin(dated),
			step{press(2, kiosk.InputDetails), kiosk.ScreenDetails, nil, func(t *testing.T, v kiosk.View) {
				if v.Assessment == nil || v.Result != nil {
					t.Errorf("details view: %+v", v)
				}
			}},
			step{press(3, kiosk.InputBack), S, nil, nil},
			step{press(4, kiosk.InputDetails), kiosk.ScreenDetails, nil, nil},
			step{press(5, kiosk.InputFinish), TC, nil, nil},
		)},
		{"くわしく from a signing-certificate result shows its dates, and back", append(slices.Clone(authChange),
			step{done(7, signChecked), RS, nil, nil},
			step{press(8, kiosk.InputDetails), kiosk.ScreenDetails, nil, func(t *testing.T, v kiosk.View) {
				if v.Result == nil || v.Result.Cert == nil {
					t.Errorf("details without the result's certificate: %+v", v.Result)
				}
			}},
			step{press(9, kiosk.InputBack), RS, nil, nil},
		)},
		{"くわしく from a result without dates does nothing", append(slices.Clone(authChange),
			step{done(7, changed), RS, nil, nil},
			step{press(8, kiosk.InputDetails), RS, nil, nil},
		)},
		{"くわしく is not offered without dates", append(begin(juki),
			step{press(2, kiosk.InputDetails), S, nil, nil},
		)},
		{"reader lost: out of service, the visit ends", append(begin(good),
			step{kiosk.ReaderLost{At: at(2)}, OS, nil, nil},
			step{kiosk.ReaderBack{At: at(3)}, W, nil, nil},
		)},
		{"refused: nothing can be recorded", []step{
			{kiosk.Refused{At: at(0)}, OS, nil, nil},
			{kiosk.CardRemoved{At: at(1)}, W, nil, nil},
		}},
		{"no keypad or touchscreen works: out of service, a card is not read", []step{
			{kiosk.ControlsLost{At: at(0)}, OS, nil, nil},
			{kiosk.CardInserted{At: at(1)}, OS, nil, nil}, // no ReadStatus: nothing they could not finish
			{press(2, kiosk.InputNext), OS, nil, nil},
			{kiosk.CardRemoved{At: at(3)}, OS, nil, nil},
			{kiosk.ControlsBack{At: at(4)}, W, nil, nil},
			{kiosk.CardInserted{At: at(5)}, R, []string{"ReadStatus"}, nil},
		}},
		{"controls lost mid-visit: the visit goes on (work in flight ends well); out of service once the card leaves", append(begin(good),
			step{press(2, kiosk.InputNext), M, nil, nil},
			step{kiosk.ControlsLost{At: at(3)}, M, nil, nil},
			step{kiosk.CardRemoved{At: at(4)}, OS, nil, nil},
			step{kiosk.ControlsBack{At: at(5)}, W, nil, nil},
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := kiosk.NewVisit(kiosk.VisitConfig{IdleTimeout: 60 * time.Second, IdleWarning: 20 * time.Second, Municipality: testMunicipality()})
			for i, s := range tt.steps {
				ev := withSession(s.ev, v)
				eff := v.Handle(ev)
				vw := v.View()
				if got := effectNames(eff); vw.Screen != s.screen || !slices.Equal(got, s.effects) {
					t.Fatalf("step %d %T: screen %s effects %v, want %s %v", i, s.ev, vw.Screen, got, s.screen, s.effects)
				}
				for _, e := range eff {
					if e.Session() != v.Session() {
						t.Fatalf("step %d: effect %T carries session %d, visit is at %d", i, e, e.Session(), v.Session())
					}
				}
				if s.check != nil {
					t.Run(fmt.Sprintf("step %d", i), func(t *testing.T) { s.check(t, vw) })
				}
				if vw.Screen == kiosk.ScreenWaiting && (vw.Assessment != nil || vw.Result != nil || vw.Page != nil) {
					t.Fatalf("step %d: waiting but data kept: %+v", i, vw)
				}
			}
		})
	}
}

// retryAsked: the status asks to insert the card again (first failure:
// no office page, no slip) or gives the office page (second).
func retryAsked(want bool) func(*testing.T, kiosk.View) {
	return func(t *testing.T, v kiosk.View) {
		t.Helper()
		if v.Assessment.Retry != want || v.Pages[0].Office == want || v.Pages[0].Retry != want {
			t.Errorf("retry = %v, page %+v; want retry %v", v.Assessment.Retry, v.Pages[0], want)
		}
	}
}

func warning(t *testing.T, v kiosk.View) {
	if v.IdleLeft <= 0 {
		t.Error("no idle warning")
	}
}

func noWarning(t *testing.T, v kiosk.View) {
	if v.IdleLeft != 0 {
		t.Errorf("idle warning %v", v.IdleLeft)
	}
}

func lang(l kiosk.Lang) func(*testing.T, kiosk.View) {
	return func(t *testing.T, v kiosk.View) {
		if v.Lang != l {
			t.Errorf("language %s, want %s", v.Lang, l)
		}
	}
}

// withSession fills in Gen -1 (the current session) and Serial -1 (the
// current entry).
func withSession(ev kiosk.Event, v *kiosk.Visit) kiosk.Event {
	switch e := ev.(type) {
	case kiosk.StatusRead:
		if e.Gen < 0 {
			e.Gen = v.Session()
		}
		return e
	case kiosk.StatusKept:
		if e.Gen < 0 {
			e.Gen = v.Session()
		}
		return e
	case kiosk.FlowDone:
		if e.Gen < 0 {
			e.Gen = v.Session()
		}
		return e
	case kiosk.WorkPanicked:
		if e.Gen < 0 {
			e.Gen = v.Session()
		}
		return e
	case kiosk.Pressed:
		if e.Input.Serial < 0 {
			e.Input.Serial = v.View().PIN.Serial
		}
		return e
	}
	return ev
}

// TestVisitPINs: the PINs typed go to the card call and nowhere else, and
// every PIN the visit does not pass on is wiped.
func TestVisitPINs(t *testing.T) {
	v := kiosk.NewVisit(kiosk.VisitConfig{IdleTimeout: time.Minute, IdleWarning: 20 * time.Second})
	v.Handle(kiosk.CardInserted{At: at(0)})
	v.Handle(kiosk.StatusRead{At: at(1), Gen: v.Session(), Assessment: goodAssessment()})
	v.Handle(press(2, kiosk.InputNext))
	v.Handle(chooseAt(3, kiosk.ActionChangeAuth))
	send := func(pin []byte) []kiosk.Effect {
		return v.Handle(kiosk.Pressed{At: at(4), Input: kiosk.Input{Kind: kiosk.InputSubmit, PIN: pin, Serial: v.View().PIN.Serial}})
	}
	old, new1, bad, new2, again := []byte("1234"), []byte("5678"), []byte("5679"), []byte("8765"), []byte("8765")
	stale := []byte("4444")
	v.Handle(kiosk.Pressed{At: at(4), Input: kiosk.Input{Kind: kiosk.InputSubmit, PIN: stale, Serial: 12345}})
	send(old)
	send(new1)
	send(bad) // mismatch: new1 and bad are wiped
	send(new2)
	if containsPIN(fmt.Sprintf("%+v", v.View()), "1234", "8765") {
		t.Fatal("a PIN is in the view")
	}
	eff := send(again)
	if len(eff) != 1 {
		t.Fatalf("effects %v", eff)
	}
	req := eff[0].(kiosk.ChangePIN).Request
	if string(req.Old) != "1234" || string(req.New) != "8765" || string(req.Repeat) != "8765" || req.Shown != 3 {
		t.Fatalf("request old %q new %q repeat %q shown %d", req.Old, req.New, req.Repeat, req.Shown)
	}
	for name, b := range map[string][]byte{"stale": stale, "first new": new1, "mismatched": bad} {
		for _, c := range b {
			if c != 0 {
				t.Errorf("%s PIN not wiped: %q", name, b)
				break
			}
		}
	}
	// Pulled mid-entry: what was typed is wiped.
	v2 := kiosk.NewVisit(kiosk.VisitConfig{IdleTimeout: time.Minute, IdleWarning: 20 * time.Second})
	v2.Handle(kiosk.CardInserted{At: at(0)})
	v2.Handle(kiosk.StatusRead{At: at(1), Gen: v2.Session(), Assessment: goodAssessment()})
	v2.Handle(press(2, kiosk.InputNext))
	v2.Handle(chooseAt(3, kiosk.ActionChangeSign))
	typed := []byte("ABC123")
	v2.Handle(kiosk.Pressed{At: at(4), Input: kiosk.Input{Kind: kiosk.InputSubmit, PIN: typed, Serial: v2.View().PIN.Serial}})
	v2.Handle(kiosk.CardRemoved{At: at(5)})
	if string(typed) != "\x00\x00\x00\x00\x00\x00" {
		t.Errorf("the current PIN survived the removal: %q", typed)
	}
}

func containsPIN(s string, pins ...string) bool {
	for _, p := range pins {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// TestVisitAnyOrder feeds the visit random events — answers from this and
// earlier card sessions, inputs on any screen, time — and checks that it
// never panics, never offers what the card does not allow, and forgets
// everything on the waiting screen.
func TestVisitAnyOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 25))
	good := goodAssessment()
	assessments := []kiosk.Assessment{good, good.WithTries(kiosk.PINAuth, 1), good.WithTries(kiosk.PINSign, 0),
		{Card: kiosk.CardJuki, Code: kiosk.CodeJuki, Conditions: []kiosk.Code{kiosk.CodeJuki}}, kiosk.AssessError(kiosk.ErrBadResponse)}
	results := []kiosk.Result{
		result(kiosk.PINAuth, kiosk.OutcomeOK, kiosk.CodePINChanged, 3), result(kiosk.PINSign, kiosk.OutcomeWrongPIN, kiosk.CodeWrongPIN, 2),
		result(kiosk.PINAuth, kiosk.OutcomeLocked, kiosk.CodeAuthLocked, 0), result(kiosk.PINSign, kiosk.OutcomeUnknown, kiosk.CodeChangeUnsure, -1),
		result(kiosk.PINAuth, kiosk.OutcomeRemoved, kiosk.CodeRemoved, -1),
	}
	inputs := []kiosk.InputKind{kiosk.InputActivity, kiosk.InputNext, kiosk.InputBack, kiosk.InputFinish, kiosk.InputChoose, kiosk.InputConfirm, kiosk.InputLang, kiosk.InputSubmit}
	for run := 0; run < 200; run++ {
		v := kiosk.NewVisit(kiosk.VisitConfig{IdleTimeout: 60 * time.Second, IdleWarning: 20 * time.Second, Municipality: testMunicipality()})
		sec := 0
		for i := 0; i < 200; i++ {
			sec += r.IntN(30)
			gen := v.Session() - r.IntN(2) // now and then an earlier card's answer
			var ev kiosk.Event
			switch r.IntN(10) {
			case 0:
				ev = kiosk.CardInserted{At: at(sec)}
			case 1:
				ev = kiosk.CardRemoved{At: at(sec)}
			case 2:
				ev = kiosk.Tick{At: at(sec)}
			case 3:
				ev = kiosk.StatusRead{At: at(sec), Gen: gen, Assessment: assessments[r.IntN(len(assessments))], Refresh: r.IntN(3) == 0}
			case 4:
				ev = kiosk.FlowDone{At: at(sec), Gen: gen, Result: results[r.IntN(len(results))]}
			case 5:
				ev = kiosk.WorkPanicked{At: at(sec), Gen: gen, Effect: []kiosk.Effect{kiosk.ChangePIN{}, kiosk.ReadStatus{}, kiosk.RecordStatus{}, kiosk.CheckSign{}}[r.IntN(4)]}
			case 7:
				ev = []kiosk.Event{kiosk.ControlsLost{At: at(sec)}, kiosk.ControlsBack{At: at(sec)}}[r.IntN(2)]
			case 6:
				ev = kiosk.StatusKept{At: at(sec), Gen: gen, Kept: kiosk.Kept{Reference: "R", Slip: &kiosk.Slip{}, Printed: r.IntN(2) == 0}}
			default:
				in := kiosk.Input{Kind: inputs[r.IntN(len(inputs))], Action: kiosk.Action(r.IntN(5))}
				if in.Kind == kiosk.InputSubmit {
					in.PIN, in.Serial = []byte([]string{"1234", "ABC123", "12"}[r.IntN(3)]), v.View().PIN.Serial
				}
				ev = kiosk.Pressed{At: at(sec), Input: in}
			}
			v.Handle(ev)
			vw := v.View()
			if vw.Screen == kiosk.ScreenWaiting && (vw.Assessment != nil || vw.Result != nil || vw.Page != nil) {
				t.Fatalf("run %d step %d: waiting but data kept: %+v", run, i, vw)
			}
			if vw.Assessment != nil {
				for _, a := range vw.Actions {
					k := kiosk.PINAuth
					if a != kiosk.ActionChangeAuth {
						k = kiosk.PINSign
					}
					if !vw.Assessment.CanChange(k) {
						t.Fatalf("run %d step %d: %s offered for %+v", run, i, a, vw.Assessment)
					}
				}
			}
		}
	}
}
