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
		Hours: "平日 8:30〜17:15", HoursEN: "Weekdays 8:30–17:15",
	}
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

// myNumber builds the assessment of a My Number card: days is the number
// of days left, which the tests look for after a visit ends.
func myNumber(conds []kiosk.Code, auth kiosk.CertAssessment, authTries, signTries int, hasSign bool) kiosk.Assessment {
	return kiosk.Assessment{
		Card: kiosk.CardMyNumber, Code: conds[0], Conditions: conds, Auth: auth,
		HasAuth: true, HasSign: hasSign, AuthTries: authTries, SignTries: signTries,
		AuthLocked: authTries == 0, SignLocked: hasSign && signTries == 0, ClockTrusted: auth.Verdict != kiosk.CodeDateUnknown,
	}
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
	{"valid", myNumber([]kiosk.Code{kiosk.CodeValid}, cert(kiosk.CodeValid, expiry, 1193), 3, 5, true)},
	{"valid_last_try_no_sign", myNumber([]kiosk.Code{kiosk.CodeValid, kiosk.CodeAuthLastTry, kiosk.CodeNoSignCert}, cert(kiosk.CodeValid, expiry, 1193), 1, 0, false)},
	{"renewal", myNumber([]kiosk.Code{kiosk.CodeRenewal}, cert(kiosk.CodeRenewal, soonExpiry, 52), 3, 4, true)},
	{"expired", myNumber([]kiosk.Code{kiosk.CodeExpired}, cert(kiosk.CodeExpired, pastExpiry, -40), 3, 5, true)},
	{"not_yet_valid", myNumber([]kiosk.Code{kiosk.CodeNotYetValid}, cert(kiosk.CodeNotYetValid, futureStart, 0), 3, 5, true)},
	{"date_unknown", myNumber([]kiosk.Code{kiosk.CodeDateUnknown}, cert(kiosk.CodeDateUnknown, expiry, 0), 3, 5, true)},
	{"cert_unreadable", myNumber([]kiosk.Code{kiosk.CodeCertBad}, kiosk.CertAssessment{}, 3, 5, true)},
	{"auth_locked", myNumber([]kiosk.Code{kiosk.CodeAuthLocked, kiosk.CodeValid}, cert(kiosk.CodeValid, expiry, 1193), 0, 5, true)},
	{"sign_locked", myNumber([]kiosk.Code{kiosk.CodeSignLocked, kiosk.CodeValid}, cert(kiosk.CodeValid, expiry, 1193), 3, 0, true)},
	{"no_auth_cert", func() kiosk.Assessment {
		a := myNumber([]kiosk.Code{kiosk.CodeNoAuthCert, kiosk.CodeNoSignCert}, kiosk.CertAssessment{}, 0, 0, false)
		a.HasAuth, a.AuthLocked = false, false
		return a
	}()},
	{"juki", kiosk.Assessment{Card: kiosk.CardJuki, Code: kiosk.CodeJuki, Conditions: []kiosk.Code{kiosk.CodeJuki}}},
	{"not_jpki", kiosk.Assessment{Card: kiosk.CardUnknown, Code: kiosk.CodeNotJPKI, Conditions: []kiosk.Code{kiosk.CodeNotJPKI}}},
	{"unreadable", kiosk.Assessment{Code: kiosk.CodeUnreadable, Conditions: []kiosk.Code{kiosk.CodeUnreadable}}},
}

var guidanceCodes = []kiosk.Code{
	kiosk.CodeRenewal, kiosk.CodeExpired, kiosk.CodeAuthLocked, kiosk.CodeSignLocked, kiosk.CodeNoSignCert,
	kiosk.CodeNoAuthCert, kiosk.CodeJuki, kiosk.CodeNotJPKI, kiosk.CodeUnreadable, kiosk.CodeChangeUnsure,
	kiosk.CodeDateUnknown, kiosk.CodeCertBad, kiosk.CodeNotYetValid,
}

type screenCase struct {
	name string
	v    View
	// entry is typed before the dump (PIN screens).
	entry string
	// submit presses Enter after typing (to show a refused entry).
	submit bool
}

func screenCases() []screenCase {
	valid := statusCases[0].a
	var cs []screenCase
	for _, s := range statusCases {
		cs = append(cs, screenCase{name: "status_" + s.name, v: View{Page: PageStatus, Assessment: s.a}})
	}
	for _, c := range guidanceCodes {
		cs = append(cs, screenCase{name: "guidance_" + string(c), v: View{Page: PageGuidance, Guidance: c, Reference: "K01-20260510-0042"}})
	}
	cs = append(cs,
		screenCase{name: "waiting", v: View{Page: PageWaiting}},
		screenCase{name: "waiting_maintenance", v: View{Page: PageWaiting, Maintenance: kiosk.NextMaintenanceDay(testNow)}},
		screenCase{name: "reading", v: View{Page: PageReading}},
		screenCase{name: "working", v: View{Page: PageWorking}},
		screenCase{name: "menu", v: View{Page: PageMenu, Assessment: valid}},
		screenCase{name: "menu_no_sign", v: View{Page: PageMenu, Assessment: statusCases[1].a}},
		screenCase{name: "pin_auth_current", v: View{Page: PagePIN, PIN: PINPrompt{Kind: kiosk.PINAuth, Step: StepCurrent, TriesLeft: 3}}, entry: "12"},
		screenCase{name: "pin_auth_current_short", v: View{Page: PagePIN, PIN: PINPrompt{Kind: kiosk.PINAuth, Step: StepCurrent, TriesLeft: 1}}, entry: "12", submit: true},
		screenCase{name: "pin_auth_confirm_mismatch", v: View{Page: PagePIN, PIN: PINPrompt{Kind: kiosk.PINAuth, Step: StepConfirm, Mismatch: true}}},
		screenCase{name: "pin_sign_new", v: View{Page: PagePIN, PIN: PINPrompt{Kind: kiosk.PINSign, Step: StepNew}}, entry: "abc12"},
		screenCase{name: "pin_sign_check", v: View{Page: PagePIN, PIN: PINPrompt{Kind: kiosk.PINSign, Step: StepCurrent, ForSignCheck: true, TriesLeft: 5}}, entry: "ABCDEFG", submit: true},
		screenCase{name: "last_try", v: View{Page: PageLastTry, PIN: PINPrompt{Kind: kiosk.PINSign, Step: StepCurrent, TriesLeft: 1}}},
		screenCase{name: "result_changed", v: View{Page: PageResult, Result: Result{Kind: ResultChanged, PIN: kiosk.PINAuth}}},
		screenCase{name: "result_wrong", v: View{Page: PageResult, Result: Result{Kind: ResultWrongPIN, PIN: kiosk.PINAuth, TriesLeft: 2}}},
		screenCase{name: "result_wrong_last", v: View{Page: PageResult, Result: Result{Kind: ResultWrongPIN, PIN: kiosk.PINSign, TriesLeft: 1}}},
		screenCase{name: "result_locked", v: View{Page: PageResult, Result: Result{Kind: ResultLocked, PIN: kiosk.PINSign}}},
		screenCase{name: "result_unknown", v: View{Page: PageResult, Result: Result{Kind: ResultUnknown, PIN: kiosk.PINAuth}}},
		screenCase{name: "result_failed", v: View{Page: PageResult, Result: Result{Kind: ResultFailed}}},
		screenCase{name: "result_sign_valid", v: View{Page: PageResult, Result: Result{Kind: ResultSignCert, PIN: kiosk.PINSign, Sign: cert(kiosk.CodeValid, expiry, 1193)}}},
		screenCase{name: "result_sign_expired", v: View{Page: PageResult, Result: Result{Kind: ResultSignCert, PIN: kiosk.PINSign, Sign: cert(kiosk.CodeExpired, pastExpiry, -40)}}},
		screenCase{name: "take_card", v: View{Page: PageTakeCard}},
		screenCase{name: "paper_out", v: View{Page: PagePaperOut, Reference: "K01-20260510-0042"}},
		screenCase{name: "out_of_service", v: View{Page: PageOutOfService}},
		screenCase{name: "idle_warning", v: View{Page: PageMenu, Assessment: valid, IdleDeadline: testNow.Add(20 * time.Second)}},
	)
	return cs
}

// harness drives an App over a SimulationScreen synchronously: input is
// injected into the screen's queue and handled here, one event at a time.
type harness struct {
	t       *testing.T
	scr     tcell.SimulationScreen
	app     *App
	now     time.Time
	intents []Intent
}

func newHarness(t *testing.T, w, h int, lang Lang) *harness {
	t.Helper()
	scr := tcell.NewSimulationScreen("UTF-8")
	if err := scr.Init(); err != nil {
		t.Fatalf("init screen: %v", err)
	}
	t.Cleanup(scr.Fini)
	scr.SetSize(w, h)
	hs := &harness{t: t, scr: scr, now: testNow}
	hs.app = New(scr, Options{
		Lang: lang, Municipality: muni,
		Now:      func() time.Time { return hs.now },
		OnIntent: func(in Intent) { hs.intents = append(hs.intents, in) },
	})
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

func (h *harness) show(v View) { h.app.apply(v); h.pump() }

func (h *harness) key(k tcell.Key, r rune) {
	h.scr.InjectKey(k, r, tcell.ModNone)
	h.pump()
}

func (h *harness) typeString(s string) {
	for _, r := range s {
		h.key(tcell.KeyRune, r)
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

// find returns the centre of the first button whose label contains s.
func (h *harness) find(s string) (int, int) {
	h.t.Helper()
	for _, b := range h.app.frame.Buttons {
		if strings.Contains(b.Label, s) {
			return b.X + b.W/2, b.Y + b.H/2
		}
	}
	h.t.Fatalf("no button labelled %q on %s", s, h.app.view.Page)
	return 0, 0
}

func (h *harness) kinds() []IntentKind {
	var ks []IntentKind
	for _, in := range h.intents {
		if in.Kind != IntentActivity {
			ks = append(ks, in.Kind)
		}
	}
	return ks
}
