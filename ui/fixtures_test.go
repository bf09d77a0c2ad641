package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/villagehall/kiosk/kiosk"
)

var (
	jst     = kiosk.JST()
	testNow = time.Date(2026, 5, 10, 10, 0, 0, 0, jst)
	muni    = kiosk.Municipality{
		Name: "〇〇村", NameEN: "Sample Village", Office: "住民福祉課", OfficeEN: "Resident Welfare Division",
		Counter: "1番窓口", CounterEN: "Counter 1", Phone: "0000-00-0000",
		Hours: "平日 8:30〜17:15", HoursEN: "Weekdays 8:30–17:15", ETax: true,
	}
	keys4x3 = kiosk.KeypadFor(kiosk.KeypadConfig{Mode: kiosk.ModeReal, Layout: kiosk.Layout4x3})
	keys4x4 = kiosk.KeypadFor(kiosk.KeypadConfig{Mode: kiosk.ModeReal, Layout: kiosk.Layout4x4})
)

func cert(v kiosk.Code, notAfter time.Time, days int) kiosk.CertAssessment {
	return kiosk.CertAssessment{
		Verdict:     v,
		NotBefore:   notAfter.AddDate(-5, 0, 1),
		NotAfter:    notAfter,
		RenewalFrom: kiosk.RenewalOpens(notAfter),
		DaysLeft:    days,
	}
}

// myNumber builds the assessment of a My Number card with its conditions
// worked out the way the domain does.
func myNumber(auth kiosk.CertAssessment, authTries, signTries int, hasSign bool) kiosk.Assessment {
	a := kiosk.Assessment{
		Card: kiosk.CardMyNumber, Auth: auth, HasAuth: true, HasSign: hasSign, AuthTries: 3, SignTries: 5,
		ClockTrusted: auth.Verdict != kiosk.CodeDateUnknown, Conditions: []kiosk.Code{kiosk.CodeValid},
	}
	a = a.WithTries(kiosk.PINAuth, authTries)
	if hasSign {
		a = a.WithTries(kiosk.PINSign, signTries)
	}
	return a
}

var (
	expiry      = time.Date(2029, 8, 15, 23, 59, 59, 0, jst)
	soonExpiry  = time.Date(2026, 7, 1, 23, 59, 59, 0, jst)
	pastExpiry  = time.Date(2026, 3, 31, 23, 59, 59, 0, jst)
	futureStart = time.Date(2031, 6, 1, 23, 59, 59, 0, jst)
)

// statusCases covers every verdict the status screen can lead with.
var statusCases = []struct {
	name string
	a    kiosk.Assessment
}{
	{"valid", myNumber(cert(kiosk.CodeValid, expiry, 1193), 3, 5, true)},
	{"valid_last_try_no_sign", myNumber(cert(kiosk.CodeValid, expiry, 1193), 1, 0, false)},
	{"renewal", myNumber(cert(kiosk.CodeRenewal, soonExpiry, 52), 3, 4, true)},
	{"expired", myNumber(cert(kiosk.CodeExpired, pastExpiry, -40), 3, 5, true)},
	{"not_yet_valid", myNumber(cert(kiosk.CodeNotYetValid, futureStart, 0), 3, 5, true)},
	{"date_unknown", myNumber(cert(kiosk.CodeDateUnknown, expiry, 0), 3, 5, true)},
	{"cert_unreadable", myNumber(kiosk.CertAssessment{Verdict: kiosk.CodeCertBad}, 3, 5, true)},
	{"auth_locked", myNumber(cert(kiosk.CodeValid, expiry, 1193), 0, 5, true)},
	{"sign_locked", myNumber(cert(kiosk.CodeValid, expiry, 1193), 3, 0, true)},
	{"both_locked_renewal", myNumber(cert(kiosk.CodeRenewal, soonExpiry, 52), 0, 0, true)},
	{"no_auth_cert", func() kiosk.Assessment {
		a := myNumber(kiosk.CertAssessment{}, 3, 0, false)
		a.HasAuth = false
		return a.WithTries(kiosk.PINAuth, 3)
	}()},
	{"juki", kiosk.Assessment{Card: kiosk.CardJuki, Code: kiosk.CodeJuki, Conditions: []kiosk.Code{kiosk.CodeJuki}}},
	{"not_jpki", kiosk.Assessment{Card: kiosk.CardUnknown, Code: kiosk.CodeNotJPKI, Conditions: []kiosk.Code{kiosk.CodeNotJPKI}}},
	{"unreadable", kiosk.Assessment{Code: kiosk.CodeUnreadable, Conditions: []kiosk.Code{kiosk.CodeUnreadable}}},
	// The first failure: insert it again, no slip yet.
	{"unreadable_first", kiosk.Assessment{Code: kiosk.CodeUnreadable, Conditions: []kiosk.Code{kiosk.CodeUnreadable}, Retry: true}},
	{"not_jpki_first", kiosk.Assessment{Card: kiosk.CardUnknown, Code: kiosk.CodeNotJPKI, Conditions: []kiosk.Code{kiosk.CodeNotJPKI}, Retry: true}},
	{"auth_locked_sign_last_try", myNumber(cert(kiosk.CodeValid, expiry, 1193), 0, 1, true)},
	{"expired_both_locked", myNumber(cert(kiosk.CodeExpired, pastExpiry, -40), 0, 0, true)},
}

func statusOf(name string) kiosk.Assessment {
	for _, s := range statusCases {
		if s.name == name {
			return s.a
		}
	}
	panic("no status case " + name)
}

// officeCodes are the states that need the office: each has a guidance
// page and a slip.
var officeCodes = []kiosk.Code{
	kiosk.CodeRenewal, kiosk.CodeExpired, kiosk.CodeNotYetValid, kiosk.CodeDateUnknown, kiosk.CodeCertBad,
	kiosk.CodeAuthLocked, kiosk.CodeSignLocked, kiosk.CodeNoAuthCert, kiosk.CodeNoSignCert, kiosk.CodeJuki,
	kiosk.CodeNotJPKI, kiosk.CodeUnreadable, kiosk.CodeChangeUnsure, kiosk.CodeAuthLastTry, kiosk.CodeSignLastTry,
}

const testRef = "K01-20260510-0042"

func statusView(a kiosk.Assessment) kiosk.View {
	return kiosk.View{Screen: kiosk.ScreenStatus, Assessment: &a, Pages: kiosk.StatusPages(a, muni), CardIn: true}
}

func menuView(a kiosk.Assessment) kiosk.View {
	var acts []kiosk.Action
	if a.CanChange(kiosk.PINAuth) {
		acts = append(acts, kiosk.ActionChangeAuth)
	}
	if a.CanChange(kiosk.PINSign) {
		acts = append(acts, kiosk.ActionChangeSign, kiosk.ActionCheckSign)
	}
	return kiosk.View{Screen: kiosk.ScreenMenu, Assessment: &a, Actions: acts, CardIn: true}
}

func guideView(c kiosk.Code, k kiosk.PINKind, note kiosk.SlipNote) kiosk.View {
	p := kiosk.Guide(c, k, muni)
	return kiosk.View{Screen: kiosk.ScreenGuidance, Page: &p, Note: note, GuideNo: 1, GuideOf: 1, CardIn: true}
}

func pinView(p kiosk.PINPrompt) kiosk.View {
	if p.Serial == 0 {
		p.Serial = 1
	}
	return kiosk.View{Screen: kiosk.ScreenPIN, PIN: p, CardIn: true}
}

func lastTryView(k kiosk.PINKind) kiosk.View {
	code := kiosk.CodeAuthLastTry
	if k == kiosk.PINSign {
		code = kiosk.CodeSignLastTry
	}
	p := kiosk.Guide(code, k, muni)
	return kiosk.View{Screen: kiosk.ScreenLastTry, PIN: kiosk.PINPrompt{Kind: k, Step: kiosk.StepCurrent, TriesLeft: 1}, Page: &p, CardIn: true}
}

func resultView(res kiosk.Result, note kiosk.SlipNote) kiosk.View {
	p := kiosk.Guide(res.Code, res.PIN, muni)
	return kiosk.View{Screen: kiosk.ScreenResult, Result: &res, Page: &p, Note: note, CardIn: true}
}

func noticeView(code kiosk.Code, k kiosk.PINKind, res *kiosk.Result, note kiosk.SlipNote, awaiting bool) kiosk.View {
	p := kiosk.Guide(code, k, muni)
	if awaiting {
		w := kiosk.Catalogue()
		p = kiosk.Page{Code: kiosk.CodeRemoved, Title: w.RemovedHead, What: []kiosk.Text{w.RemovedMidChange}}
	}
	return kiosk.View{Screen: kiosk.ScreenNotice, Page: &p, Result: res, Note: note, Awaiting: awaiting}
}

var (
	printed    = kiosk.SlipNote{State: kiosk.SlipPrinted, Reference: testRef}
	notPrinted = kiosk.SlipNote{State: kiosk.SlipNotPrinted, Reference: testRef}
)

type screenCase struct {
	name string
	v    kiosk.View
	// keypad and touch the kiosk has (zero keypad: keys4x3; noTouch: none)
	keypad  kiosk.Keypad
	noTouch bool
	// entry is typed before the dump (PIN screens) as keypad keys; picks
	// moves the highlight of the alphabet.
	entry string
	// submit presses Enter after typing (to show a refused entry).
	submit bool
}

func screenCases() []screenCase {
	valid := statusOf("valid")
	var cs []screenCase
	for _, s := range statusCases {
		cs = append(cs, screenCase{name: "status_" + s.name, v: statusView(s.a)})
	}
	for _, c := range officeCodes {
		k := kiosk.PINAuth
		if c == kiosk.CodeChangeUnsure {
			k = kiosk.PINSign
		}
		cs = append(cs, screenCase{name: "guidance_" + string(c), v: guideView(c, k, printed)})
	}
	locked := myNumber(cert(kiosk.CodeValid, expiry, 1193), 0, 5, true)
	changed := kiosk.Result{Kind: kiosk.TxChangeAuth, PIN: kiosk.PINAuth, Outcome: kiosk.OutcomeOK, Code: kiosk.CodePINChanged, TriesLeft: 3}
	signValid := cert(kiosk.CodeValid, expiry, 1193)
	signExpired := cert(kiosk.CodeExpired, pastExpiry, -40)
	unsure := kiosk.Result{Kind: kiosk.TxChangeSign, PIN: kiosk.PINSign, Outcome: kiosk.OutcomeUnknown, Code: kiosk.CodeChangeUnsure, TriesLeft: -1}
	cs = append(cs,
		screenCase{name: "guidance_expired_not_printed", v: guideView(kiosk.CodeExpired, kiosk.PINAuth, notPrinted)},
		screenCase{name: "guidance_renewal_printing", v: guideView(kiosk.CodeRenewal, kiosk.PINAuth, kiosk.SlipNote{State: kiosk.SlipPending})},
		screenCase{name: "guidance_juki_not_recorded", v: guideView(kiosk.CodeJuki, kiosk.PINAuth, kiosk.SlipNote{State: kiosk.SlipNotRecorded})},
		screenCase{name: "waiting", v: kiosk.View{Screen: kiosk.ScreenWaiting}},
		screenCase{name: "waiting_keys_only", v: kiosk.View{Screen: kiosk.ScreenWaiting}, noTouch: true},
		screenCase{name: "waiting_maintenance", v: kiosk.View{Screen: kiosk.ScreenWaiting, Maintenance: kiosk.NextMaintenanceDay(testNow)}},
		screenCase{name: "reading", v: kiosk.View{Screen: kiosk.ScreenReading, CardIn: true}},
		screenCase{name: "working", v: kiosk.View{Screen: kiosk.ScreenWorking, CardIn: true}},
		screenCase{name: "menu", v: menuView(valid)},
		screenCase{name: "menu_keys_only_4x4", v: menuView(valid), keypad: keys4x4, noTouch: true},
		screenCase{name: "menu_no_sign", v: menuView(statusOf("valid_last_try_no_sign"))},
		screenCase{name: "menu_auth_locked", v: menuView(locked)},
		screenCase{name: "pin_auth_current", v: pinView(kiosk.PINPrompt{Kind: kiosk.PINAuth, Step: kiosk.StepCurrent, TriesLeft: 3}), entry: "12"},
		screenCase{name: "pin_auth_current_keys_only", v: pinView(kiosk.PINPrompt{Kind: kiosk.PINAuth, Step: kiosk.StepCurrent, TriesLeft: 3}), entry: "12", noTouch: true},
		screenCase{name: "pin_auth_current_short", v: pinView(kiosk.PINPrompt{Kind: kiosk.PINAuth, Step: kiosk.StepCurrent, TriesLeft: 1}), entry: "12", submit: true},
		screenCase{name: "pin_auth_confirm_mismatch", v: pinView(kiosk.PINPrompt{Kind: kiosk.PINAuth, Step: kiosk.StepNew, Mismatch: true})},
		screenCase{name: "pin_auth_tries_changed", v: pinView(kiosk.PINPrompt{Kind: kiosk.PINAuth, Step: kiosk.StepCurrent, TriesLeft: 2, TriesChanged: true})},
		screenCase{name: "pin_sign_new", v: pinView(kiosk.PINPrompt{Kind: kiosk.PINSign, Step: kiosk.StepNew}), entry: "5665"},
		screenCase{name: "pin_sign_new_keys_only", v: pinView(kiosk.PINPrompt{Kind: kiosk.PINSign, Step: kiosk.StepNew}), entry: "5685", noTouch: true},
		screenCase{name: "pin_sign_new_keys_only_4x4", v: pinView(kiosk.PINPrompt{Kind: kiosk.PINSign, Step: kiosk.StepNew}), entry: "5685", keypad: keys4x4, noTouch: true},
		screenCase{name: "pin_sign_check", v: pinView(kiosk.PINPrompt{Kind: kiosk.PINSign, Step: kiosk.StepCurrent, ForSignCheck: true, TriesLeft: 5}), entry: "5656", submit: true},
		screenCase{name: "last_try", v: lastTryView(kiosk.PINSign)},
		screenCase{name: "last_try_auth", v: lastTryView(kiosk.PINAuth)},
		screenCase{name: "details", v: func() kiosk.View { v := statusView(valid); v.Screen = kiosk.ScreenDetails; return v }()},
		screenCase{name: "details_sign", v: func() kiosk.View {
			v := resultView(kiosk.Result{PIN: kiosk.PINSign, Outcome: kiosk.OutcomeOK, Code: kiosk.CodeValid, TriesLeft: 5, Cert: &signValid}, kiosk.SlipNote{})
			v.Screen, v.Assessment = kiosk.ScreenDetails, &valid
			return v
		}()},
		screenCase{name: "result_changed", v: resultView(changed, printed)},
		screenCase{name: "result_changed_not_printed", v: resultView(changed, notPrinted)},
		screenCase{name: "result_wrong", v: resultView(kiosk.Result{PIN: kiosk.PINAuth, Outcome: kiosk.OutcomeWrongPIN, Code: kiosk.CodeWrongPIN, TriesLeft: 2}, kiosk.SlipNote{Reference: testRef})},
		screenCase{name: "result_wrong_last", v: resultView(kiosk.Result{PIN: kiosk.PINSign, Outcome: kiosk.OutcomeWrongPIN, Code: kiosk.CodeWrongPIN, TriesLeft: 1}, kiosk.SlipNote{Reference: testRef})},
		screenCase{name: "result_locked", v: resultView(kiosk.Result{PIN: kiosk.PINSign, Outcome: kiosk.OutcomeLocked, Code: kiosk.CodeSignLocked, TriesLeft: 0}, printed)},
		screenCase{name: "result_unknown", v: resultView(unsure, printed)},
		screenCase{name: "result_failed", v: resultView(kiosk.Result{PIN: kiosk.PINAuth, Outcome: kiosk.OutcomeError, Code: kiosk.CodeUnreadable, TriesLeft: -1}, printed)},
		screenCase{name: "result_sign_valid", v: resultView(kiosk.Result{PIN: kiosk.PINSign, Outcome: kiosk.OutcomeOK, Code: kiosk.CodeValid, TriesLeft: 5, Cert: &signValid}, kiosk.SlipNote{Reference: testRef})},
		screenCase{name: "result_sign_expired", v: resultView(kiosk.Result{PIN: kiosk.PINSign, Outcome: kiosk.OutcomeOK, Code: kiosk.CodeExpired, TriesLeft: 5, Cert: &signExpired}, printed)},
		screenCase{name: "take_card", v: kiosk.View{Screen: kiosk.ScreenTakeCard, CardIn: true}},
		screenCase{name: "take_card_slip", v: kiosk.View{Screen: kiosk.ScreenTakeCard, CardIn: true, SlipTaken: true}},
		screenCase{name: "notice_removed", v: noticeView(kiosk.CodeRemoved, kiosk.PINAuth, nil, kiosk.SlipNote{}, false)},
		screenCase{name: "notice_awaiting", v: noticeView(kiosk.CodeRemoved, kiosk.PINAuth, nil, kiosk.SlipNote{}, true)},
		screenCase{name: "notice_unknown", v: noticeView(kiosk.CodeChangeUnsure, kiosk.PINSign, &unsure, printed, false)},
		screenCase{name: "out_of_service", v: kiosk.View{Screen: kiosk.ScreenOutOfService}},
		screenCase{name: "updating", v: kiosk.View{Screen: kiosk.ScreenUpdating, Update: &kiosk.UpdateProgress{Version: "v2.0.1", Step: kiosk.UpdateWrite, Percent: 42}}},
		screenCase{name: "updating_refused", v: kiosk.View{Screen: kiosk.ScreenUpdating, Update: &kiosk.UpdateProgress{Version: "v2.0.1", Step: kiosk.UpdateRefused,
			Refused: kiosk.Text{JA: "この更新ファイルは正しい署名がないため、使いませんでした。", EN: "This update file is not signed by the town's release key. It was not installed."}}}},
		screenCase{name: "idle_warning", v: func() kiosk.View { v := menuView(valid); v.IdleLeft = 20 * time.Second; return v }()},
	)
	return cs
}

// harness drives an App over a SimulationScreen synchronously: input is
// injected into the screen's queue and handled here, one event at a time.
type harness struct {
	t      *testing.T
	scr    tcell.SimulationScreen
	app    *App
	now    time.Time
	inputs []kiosk.Input
}

type harnessOpt func(*Options)

func withKeypad(k kiosk.Keypad) harnessOpt { return func(o *Options) { o.Keypad = k } }
func noTouch() harnessOpt                  { return func(o *Options) { o.Touch = false } }

// evdevTouch is the kiosk's real touchscreen: taps come from its driver
// (App.Tap) and the terminal's mouse reports are not taps.
func evdevTouch() harnessOpt { return func(o *Options) { o.Mouse = false } }

func newHarness(t *testing.T, w, h int, opts ...harnessOpt) *harness {
	t.Helper()
	scr := tcell.NewSimulationScreen("UTF-8")
	if err := scr.Init(); err != nil {
		t.Fatalf("init screen: %v", err)
	}
	t.Cleanup(scr.Fini)
	scr.SetSize(w, h)
	hs := &harness{t: t, scr: scr, now: testNow}
	o := Options{
		Keypad: keys4x3, Touch: true, Mouse: true,
		Now:     func() time.Time { return hs.now },
		OnInput: func(in kiosk.Input) { hs.inputs = append(hs.inputs, in) },
	}
	for _, f := range opts {
		f(&o)
	}
	hs.app = New(scr, o)
	hs.app.draw()
	hs.pump()
	return hs
}

// pump handles every queued event (the queue holds only 10: never let it fill).
func (h *harness) pump() {
	for h.scr.HasPendingEvent() {
		h.app.handle(h.scr.PollEvent())
	}
}

func (h *harness) show(v kiosk.View) { h.app.apply(v); h.pump() }

// key presses keypad keys by their printed labels, as the driver does.
func (h *harness) key(labels string) {
	for _, r := range labels {
		if err := h.app.Press(r); err != nil {
			h.t.Fatal(err)
		}
		h.pump()
	}
}

// typeKeys presses terminal keys (the simulator's keyboard).
func (h *harness) typeKeys(s string) {
	for _, r := range s {
		h.scr.InjectKey(tcell.KeyRune, r, tcell.ModNone)
		h.pump()
	}
}

// click presses and releases the primary button at (x,y), like a touch.
func (h *harness) click(x, y int) {
	h.scr.InjectMouse(x, y, tcell.ButtonPrimary, tcell.ModNone)
	h.scr.InjectMouse(x, y, tcell.ButtonNone, tcell.ModNone)
	h.pump()
}

// dump is the screen as text, from the simulated terminal's cells. A wide
// rune's right half is skipped, so each line is exactly the screen width.
func (h *harness) dump() string {
	cells, w, ht := h.scr.GetContents()
	var b strings.Builder
	for y := 0; y < ht; y++ {
		for x := 0; x < w; {
			str := string(cells[y*w+x].Runes)
			if str == "" {
				str = " "
			}
			b.WriteString(str)
			x += max(textWidth(str), 1)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// find returns the centre of the first drawn button whose label contains s.
func (h *harness) find(s string) (int, int) {
	h.t.Helper()
	for _, b := range h.app.frame.Buttons {
		if b.W > 0 && strings.Contains(b.Label, s) {
			return b.X + b.W/2, b.Y + b.H/2
		}
	}
	h.t.Fatalf("no button labelled %q on %s", s, h.app.view.Screen)
	return 0, 0
}

// findExact returns the centre of the drawn button whose label is exactly s.
func (h *harness) findExact(s string) (int, int) {
	h.t.Helper()
	for _, b := range h.app.frame.Buttons {
		if b.W > 0 && b.Label == s {
			return b.X + b.W/2, b.Y + b.H/2
		}
	}
	h.t.Fatalf("no button %q", s)
	return 0, 0
}

func (h *harness) kinds() []kiosk.InputKind {
	var ks []kiosk.InputKind
	for _, in := range h.inputs {
		if in.Kind != kiosk.InputActivity {
			ks = append(ks, in.Kind)
		}
	}
	return ks
}
