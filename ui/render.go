package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/villagehall/kiosk/kiosk"
)

// Palette. Colours are plain blocks: no box-drawing runes, whose width
// differs between terminals.
var (
	stBody     = tcell.StyleDefault.Background(tcell.ColorWhite).Foreground(tcell.ColorBlack)
	stHeader   = tcell.StyleDefault.Background(tcell.ColorNavy).Foreground(tcell.ColorWhite).Bold(true)
	stButton   = tcell.StyleDefault.Background(tcell.ColorSilver).Foreground(tcell.ColorBlack).Bold(true)
	stPrimary  = tcell.StyleDefault.Background(tcell.ColorGreen).Foreground(tcell.ColorWhite).Bold(true)
	stOff      = tcell.StyleDefault.Background(tcell.ColorLightGray).Foreground(tcell.ColorGray)
	stGood     = tcell.StyleDefault.Background(tcell.ColorGreen).Foreground(tcell.ColorWhite).Bold(true)
	stNotice   = tcell.StyleDefault.Background(tcell.ColorYellow).Foreground(tcell.ColorBlack).Bold(true)
	stBad      = tcell.StyleDefault.Background(tcell.ColorMaroon).Foreground(tcell.ColorWhite).Bold(true)
	stNeutral  = tcell.StyleDefault.Background(tcell.ColorTeal).Foreground(tcell.ColorWhite).Bold(true)
	stStrong   = stBody.Bold(true)
	stWarnText = stBody.Foreground(tcell.ColorMaroon).Bold(true)
	stOKText   = stBody.Foreground(tcell.ColorGreen).Bold(true)
	stDim      = stBody.Foreground(tcell.ColorGray)
	stField    = tcell.StyleDefault.Background(tcell.ColorLightYellow).Foreground(tcell.ColorBlack).Bold(true)
	stOverlay  = tcell.StyleDefault.Background(tcell.ColorNavy).Foreground(tcell.ColorWhite).Bold(true)
)

// binding is a keypad key a button answers to.
type binding int

const (
	bindNone binding = iota
	bindEnter
	bindCancel
	bindClear
	bindRune // Button.Rune: a digit or letter
)

type opKind int

const (
	opIntent opKind = iota
	opLang
	opType
	opClear
	opDelete
	opSubmit
)

// Button is a touch target. Keypad keys reach it through Bind, so a tap and
// a key press run the same code.
type Button struct {
	Rect
	Label  string
	Op     opKind
	Intent IntentKind // opIntent
	Action Action     // opIntent with IntentChoose
	Rune   rune       // opType, and the key for bindRune
	Bind   binding
	Off    bool // shown greyed, not active
}

// entryInfo is what the renderer may know about the PIN being typed:
// its length and which rules it meets, never the characters.
type entryInfo struct {
	n         int
	hasLetter bool
	hasDigit  bool
	problem   kiosk.PINProblem // shown after a refused Enter; PINOK hides it
}

// renderInput is everything a frame depends on.
type renderInput struct {
	view  View
	lang  Lang
	w, h  int
	now   time.Time
	muni  kiosk.Municipality
	entry entryInfo
}

type metrics struct {
	hdr, btnH, pad int
}

func metricsFor(w, h int) metrics {
	if h >= 40 && w >= 120 {
		return metrics{hdr: 5, btnH: 5, pad: 4}
	}
	return metrics{hdr: 3, btnH: 3, pad: 2}
}

// render draws one frame. It is a pure function of its input.
func render(in renderInput) *Canvas {
	c := newCanvas(in.w, in.h, stBody)
	if in.w < 20 || in.h < 10 {
		c.Text(0, 0, "screen too small", stBody, 0)
		return c
	}
	r := &renderer{c: c, in: in, l: in.lang, m: metricsFor(in.w, in.h)}
	r.header()
	r.body = Rect{X: r.m.pad, Y: r.m.hdr + 1, W: in.w - 2*r.m.pad, H: in.h - r.m.hdr - 1 - r.m.btnH - 1}
	r.y = r.body.Y
	switch in.view.Page {
	case PageWaiting:
		r.waiting()
	case PageReading:
		r.band(tReading.in(r.l), stNeutral)
		r.para(tDontRemove.in(r.l), stStrong)
	case PageWorking:
		r.band(tWorking.in(r.l), stNeutral)
		r.para(tDontRemove.in(r.l), stStrong)
	case PageStatus:
		r.status()
	case PageGuidance:
		r.guidance(in.view.Guidance)
		r.footer(r.btn(tFinish, opIntent, IntentFinish, bindCancel), r.primary(tNext, IntentNext))
	case PageMenu:
		r.menu()
	case PagePIN:
		r.pin()
	case PageLastTry:
		r.band(tLastTryHead.in(r.l), stNotice)
		r.para(tLastTryBody.f(r.l, pinName(r.l, in.view.PIN.Kind)), stBody)
		r.footer(r.btn(tCancel, opIntent, IntentCancel, bindCancel), r.primary(tGoOn, IntentConfirm))
	case PageResult:
		r.result()
	case PageTakeCard:
		r.band(tTakeCard.in(r.l), stGood)
		r.para(tTakeCardSub.in(r.l), stBody)
	case PagePaperOut:
		r.band(tPaperOut.in(r.l), stNotice)
		r.para(tPaperOutSub.in(r.l), stBody)
		r.gap()
		r.band(tReference.f(r.l, plain(in.view.Reference)), stField)
		r.footer(r.primary(tNext, IntentNext))
	case PageOutOfService:
		r.band(tOOS.in(r.l), stBad)
		r.para(tOOSSub.in(r.l), stBody)
	}
	if !in.view.IdleDeadline.IsZero() && in.view.Page != PageWaiting && in.view.Page != PageTakeCard {
		r.idle()
	}
	return c
}

type renderer struct {
	c    *Canvas
	in   renderInput
	l    Lang
	m    metrics
	body Rect
	y    int // next free row in body
}

func (r *renderer) header() {
	c, w := r.c, r.in.w
	c.Fill(Rect{0, 0, w, r.m.hdr}, stHeader)
	title := tTitle.in(r.l)
	if n := plain(r.in.muni.Name); n != "" && r.l == Japanese {
		title = n + "  " + title
	} else if n := plain(r.in.muni.NameEN); n != "" && r.l == English {
		title = n + "  " + title
	}
	bw := 12
	if r.m.hdr > 3 {
		bw = 18
	}
	c.Text(r.m.pad, r.m.hdr/2, title, stHeader, w-bw-r.m.pad-1)
	r.add(Button{Rect: Rect{w - bw, 0, bw, r.m.hdr}, Label: tLangSwitch.in(r.l), Op: opLang}, stButton)
}

// add draws b and, unless it is off, registers it as a touch target.
func (r *renderer) add(b Button, st tcell.Style) {
	if b.Off {
		st = stOff
	}
	r.c.Fill(b.Rect, st)
	mid := b.Y + b.H/2
	if r.l == Japanese && b.H >= 3 && strings.Contains(b.Label, "\n") {
		// Japanese label, English beneath it: one touch away, not hidden.
		ja, en, _ := strings.Cut(b.Label, "\n")
		r.c.Center(b.Rect, mid, ja, st)
		r.c.Center(b.Rect, mid+1, en, st.Bold(false))
	} else {
		label, _, _ := strings.Cut(b.Label, "\n")
		r.c.Center(b.Rect, mid, label, st)
	}
	if !b.Off {
		r.c.Buttons = append(r.c.Buttons, b)
	}
}

// label gives a button text: in Japanese with the English below.
func (r *renderer) label(t tr) string {
	if r.l == Japanese {
		return t.ja + "\n" + t.en
	}
	return t.en
}

func (r *renderer) btn(t tr, op opKind, ik IntentKind, bind binding) Button {
	return Button{Label: r.label(t), Op: op, Intent: ik, Bind: bind}
}

func (r *renderer) primary(t tr, ik IntentKind) Button {
	return Button{Label: r.label(t), Op: opIntent, Intent: ik, Bind: bindEnter}
}

// footer lays buttons across the bottom; the last one is the primary.
func (r *renderer) footer(bs ...Button) {
	y := r.in.h - r.m.btnH - 1
	area := Rect{r.m.pad, y, r.in.w - 2*r.m.pad, r.m.btnH}
	const gap = 2
	bw := (area.W - gap*(len(bs)-1)) / len(bs)
	if bw > 36 {
		bw = 36
	}
	x := area.X + area.W - (bw*len(bs) + gap*(len(bs)-1)) // right-aligned: primary at the right
	for i, b := range bs {
		b.Rect = Rect{x, y, bw, r.m.btnH}
		st := stButton
		if i == len(bs)-1 && b.Bind == bindEnter {
			st = stPrimary
		}
		r.add(b, st)
		x += bw + gap
	}
}

// band is the big answer: a coloured block several rows tall.
func (r *renderer) band(s string, st tcell.Style) {
	h := 3
	if r.m.btnH > 3 {
		h = 5
	}
	lines := Wrap(s, r.body.W-4)
	if len(lines) > h {
		lines = lines[:h]
	}
	r.c.Fill(Rect{r.body.X, r.y, r.body.W, h}, st)
	top := r.y + (h-len(lines))/2
	for i, ln := range lines {
		r.c.Center(r.body, top+i, ln, st)
	}
	r.y += h + 1
}

// para writes wrapped text and returns the rows used.
func (r *renderer) para(s string, st tcell.Style) int {
	n := 0
	for _, ln := range Wrap(s, r.body.W) {
		if r.y >= r.body.Y+r.body.H {
			break
		}
		r.c.Text(r.body.X, r.y, ln, st, r.body.W)
		r.y++
		n++
	}
	return n
}

func (r *renderer) gap() {
	if r.m.btnH > 3 {
		r.y++
	}
}

func (r *renderer) waiting() {
	r.gap()
	r.band(tInsert.in(r.l), stPrimary)
	r.para(tInsertHow.in(r.l), stStrong)
	r.y++
	r.para(tInsertFree.in(r.l), stBody)
	if d := r.in.view.Maintenance; !d.IsZero() {
		r.y++
		r.para(tMaint.f(r.l, dateText(r.l, d)), stWarnText)
	}
}

func verdictStyle(c kiosk.Code) tcell.Style {
	switch c {
	case kiosk.CodeValid:
		return stGood
	case kiosk.CodeRenewal, kiosk.CodeDateUnknown, kiosk.CodeNoSignCert, kiosk.CodeAuthLastTry, kiosk.CodeSignLastTry, kiosk.CodeNotYetValid:
		return stNotice
	case kiosk.CodeExpired, kiosk.CodeAuthLocked, kiosk.CodeSignLocked, kiosk.CodeChangeUnsure:
		return stBad
	}
	return stNeutral
}

func (r *renderer) status() {
	a := r.in.view.Assessment
	r.band(headline[a.Code].in(r.l), verdictStyle(a.Code))
	if a.Card == kiosk.CardMyNumber {
		r.certLines(a.Auth, tValidUntil)
		r.triesLines(a)
		if a.HasSign {
			r.para(tSignYes.in(r.l), stBody)
		} else {
			r.para(tSignNo.in(r.l), stBody)
		}
		// Other conditions, briefly, after the main one (e.g. the signing
		// PIN locked while the certificate is valid).
		for _, c := range a.Conditions {
			if c == a.Code || c == a.Auth.Verdict || c == kiosk.CodeNoSignCert {
				continue
			}
			if h, ok := headline[c]; ok {
				r.para(h.in(r.l), stWarnText)
			}
		}
		r.y++
	}
	r.para(nextStep[a.Code].in(r.l), stStrong)
	r.footer(r.btn(tFinish, opIntent, IntentFinish, bindCancel), r.primary(tNext, IntentNext))
}

// certLines shows a certificate's dates. Days left only when the clock is
// trusted and the verdict depends on it.
func (r *renderer) certLines(ca kiosk.CertAssessment, until tr) {
	if ca.NotAfter.IsZero() {
		return
	}
	line := until.f(r.l, dateText(r.l, ca.NotAfter))
	switch ca.Verdict {
	case kiosk.CodeValid, kiosk.CodeRenewal:
		if ca.DaysLeft == 0 {
			line += "  " + tLastDay.in(r.l)
		} else {
			line += "  " + tDaysLeft.f(r.l, ca.DaysLeft)
		}
	case kiosk.CodeNotYetValid:
		r.para(tValidFrom.f(r.l, dateText(r.l, ca.NotBefore)), stBody)
	}
	r.para(line, stStrong)
	if ca.Verdict == kiosk.CodeValid || ca.Verdict == kiosk.CodeRenewal || ca.Verdict == kiosk.CodeDateUnknown {
		r.para(tRenewFrom.f(r.l, dateText(r.l, ca.RenewalFrom)), stBody)
	}
}

func (r *renderer) triesLines(a kiosk.Assessment) {
	tries := func(has, locked bool, n int) string {
		switch {
		case !has:
			return tNone.in(r.l)
		case locked:
			return tLockedShort.in(r.l)
		}
		return tTimes.f(r.l, n)
	}
	r.para(tTriesHead.in(r.l), stBody)
	r.para("    "+tTriesAuth.f(r.l, tries(a.HasAuth, a.AuthLocked, a.AuthTries))+
		"    "+tTriesSign.f(r.l, tries(a.HasSign, a.SignLocked, a.SignTries)), stStrong)
}

func (r *renderer) guidance(code kiosk.Code) {
	g, ok := guidance[code]
	h, okh := headline[code]
	if !ok || !okh {
		g, h = guidance[kiosk.CodeUnreadable], headline[kiosk.CodeUnreadable]
	}
	r.band(h.in(r.l), verdictStyle(code))
	r.para(g.body.in(r.l), stBody)
	if len(g.bring) > 0 {
		items := make([]string, len(g.bring))
		for i, b := range g.bring {
			items[i] = b.in(r.l)
		}
		r.para(tBring.in(r.l)+":  "+strings.Join(items, " / "), stStrong)
	}
	r.office()
	if ref := r.in.view.Reference; ref != "" {
		r.para(tReference.f(r.l, plain(ref)), stStrong)
	}
}

func (r *renderer) office() {
	m := r.in.muni
	if m.Office == "" && m.Phone == "" {
		return
	}
	if r.l == English {
		r.para(plain(fmt.Sprintf("Office: %s, %s", m.OfficeLineEN(), m.CounterEN)), stBody)
		r.para(plain(tPhone.f(r.l, m.Phone)+"   "+tHours.f(r.l, m.HoursEN)), stBody)
		return
	}
	r.para(plain(tOffice.f(r.l, m.OfficeLine(), m.Counter)), stBody)
	r.para(plain(tPhone.f(r.l, m.Phone)+"   "+tHours.f(r.l, m.Hours)), stBody)
}

var menuItems = []struct {
	t tr
	a Action
}{
	{tMenuStatus, ActionStatus},
	{tMenuChangeAuth, ActionChangeAuth},
	{tMenuChangeSign, ActionChangeSign},
	{tMenuCheckSign, ActionCheckSign},
	{tFinish, ActionFinish},
}

func (r *renderer) menu() {
	a := r.in.view.Assessment
	r.para(tMenuHead.in(r.l), stStrong)
	r.y++
	cols := 2
	const gap = 1
	bw := (r.body.W - gap*(cols-1)) / cols
	bh := r.m.btnH
	for i, it := range menuItems {
		off := false
		switch it.a {
		case ActionChangeAuth:
			off = !a.CanChange(kiosk.PINAuth)
		case ActionChangeSign:
			off = !a.CanChange(kiosk.PINSign)
		case ActionCheckSign:
			off = !a.CanCheckSign()
		}
		t := it.t
		if off {
			t = tr{t.ja + tNotNow.ja, t.en + " " + tNotNow.en}
		}
		digit := rune('1' + i)
		label := fmt.Sprintf("%c  %s", digit, t.ja)
		if r.l == Japanese {
			label += "\n" + t.en
		} else {
			label = fmt.Sprintf("%c  %s", digit, t.en)
		}
		b := Button{
			Rect:  Rect{r.body.X + (i%cols)*(bw+gap), r.y + (i/cols)*(bh+gap), bw, bh},
			Label: label, Op: opIntent, Intent: IntentChoose, Action: it.a,
			Bind: bindRune, Rune: digit, Off: off,
		}
		st := stButton
		if it.a == ActionFinish {
			b.Intent, b.Action = IntentFinish, 0
		}
		r.add(b, st)
	}
	// Cancel on the menu ends the visit, like "5".
	r.c.Buttons = append(r.c.Buttons, Button{Rect: Rect{-1, -1, 0, 0}, Op: opIntent, Intent: IntentFinish, Bind: bindCancel})
}

func (r *renderer) pin() {
	p, e := r.in.view.PIN, r.in.entry
	name := pinName(r.l, p.Kind)
	var head string
	switch {
	case p.ForSignCheck:
		head = tPINSignChk.f(r.l, name)
	case p.Step == StepNew:
		head = tPINNew.f(r.l, name)
	case p.Step == StepConfirm:
		head = tPINAgain.f(r.l, name)
	default:
		head = tPINNow.f(r.l, name)
	}
	r.para(head, stStrong)
	if p.Mismatch {
		r.para(tMismatch.in(r.l), stWarnText)
	}
	// Rules, each marked as it is met while typing.
	mark := func(ok bool, t string) (string, tcell.Style) {
		if ok {
			return "[OK] " + t, stOKText
		}
		return "[  ] " + t, stBody
	}
	x := r.body.X
	put := func(s string, st tcell.Style) {
		x += r.c.Text(x, r.y, s, st, r.body.X+r.body.W-x) + 3
	}
	if p.Kind == kiosk.PINSign {
		put(mark(e.n >= 6 && e.n <= 16, tRuleLen.in(r.l)))
		put(mark(e.hasLetter, tRuleLetter.in(r.l)))
		put(mark(e.hasDigit, tRuleDigit.in(r.l)))
	} else {
		put(mark(e.n == 4, tRuleAuth.in(r.l)))
	}
	r.y++
	if p.Step == StepCurrent {
		if p.TriesLeft == 1 {
			r.para(tTriesOne.in(r.l), stWarnText)
		} else {
			r.para(tTriesNow.f(r.l, p.TriesLeft), stStrong)
		}
	} else if p.Kind == kiosk.PINSign {
		r.para(tRuleCase.in(r.l), stDim)
	}
	// The entry field: one ● per character typed and nothing else. ● is
	// an ambiguous-width rune, so each takes its measured width plus a
	// blank, which keeps the row aligned whichever width the terminal uses.
	slots := 4
	if p.Kind == kiosk.PINSign {
		slots = 16
	}
	fw := slots*(textWidth("●")+1) + 3
	field := Rect{r.body.X, r.y, min(fw, r.body.W), 1}
	r.c.Fill(field, stField)
	fx := field.X + 2
	for i := 0; i < e.n; i++ {
		fx += r.c.Text(fx, r.y, "●", stField, 0) + 1
	}
	if e.n < slots {
		r.c.Text(fx, r.y, "_", stField, 0)
	}
	if e.problem != kiosk.PINOK {
		r.c.Text(field.X+field.W+2, r.y, problemText(r.l, e.problem), stWarnText, r.body.X+r.body.W-field.X-field.W-2)
	}
	r.y += 2
	r.keyboard(p.Kind)
	r.footer(
		r.btn(tCancel, opIntent, IntentCancel, bindCancel),
		Button{Label: r.label(tDelete), Op: opDelete},
		Button{Label: r.label(tClear), Op: opClear, Bind: bindClear},
		Button{Label: r.label(tDecide), Op: opSubmit, Bind: bindEnter},
	)
}

// keyboard draws touch keys: digits for either PIN, and A–Z for the
// signing PIN. Keys are bound to their rune so the keypad and a laptop
// keyboard type through the same buttons.
func (r *renderer) keyboard(k kiosk.PINKind) {
	keys := "1234567890"
	perRow := 10
	if k == kiosk.PINSign {
		keys = "ABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890"
		perRow = 12
	}
	rows := (len(keys) + perRow - 1) / perRow
	avail := r.in.h - r.m.btnH - 2 - r.y
	kh := min(r.m.btnH, avail/rows)
	if kh < 1 {
		return
	}
	kw := min(r.body.W/perRow, 10)
	for i, ch := range keys {
		b := Button{
			Rect:  Rect{r.body.X + (i%perRow)*kw, r.y + (i/perRow)*kh, kw - 1, kh},
			Label: string(ch), Op: opType, Rune: ch, Bind: bindRune,
		}
		r.add(b, stButton)
	}
	r.y += rows * kh
}

func (r *renderer) result() {
	res := r.in.view.Result
	name := pinName(r.l, res.PIN)
	switch res.Kind {
	case ResultChanged:
		r.band(tResChanged.in(r.l), stGood)
		r.para(tResChgSub.f(r.l, name), stStrong)
	case ResultWrongPIN:
		r.band(tResWrong.in(r.l), stNotice)
		r.para(tResWrongSub.f(r.l, name, res.TriesLeft), stStrong)
		if res.TriesLeft == 1 {
			r.para(nextStep[kiosk.CodeAuthLastTry].in(r.l), stBody)
		}
	case ResultLocked:
		r.band(tResLocked.in(r.l), stBad)
		code := kiosk.CodeAuthLocked
		if res.PIN == kiosk.PINSign {
			code = kiosk.CodeSignLocked
		}
		r.para(guidance[code].body.in(r.l), stBody)
		r.office()
	case ResultUnknown:
		r.band(tResUnknown.in(r.l), stBad)
		r.para(guidance[kiosk.CodeChangeUnsure].body.in(r.l), stBody)
		r.office()
	case ResultSignCert:
		s := res.Sign
		h := headline[s.Verdict]
		r.band(tResSignHead.in(r.l)+": "+h.in(r.l), verdictStyle(s.Verdict))
		r.certLines(s, tSignUntil)
		r.y++
		r.para(nextStep[s.Verdict].in(r.l), stStrong)
	case ResultFailed:
		r.band(tResFailed.in(r.l), stBad)
		r.para(nextStep[kiosk.CodeUnreadable].in(r.l), stBody)
	}
	r.footer(r.btn(tFinish, opIntent, IntentFinish, bindCancel), r.primary(tNext, IntentNext))
}

// idle overlays the countdown. Only its buttons stay touchable, so a tap
// elsewhere cannot act on the page behind it.
func (r *renderer) idle() {
	left := r.in.view.IdleDeadline.Sub(r.in.now)
	secs := int((left + time.Second - 1) / time.Second)
	if secs < 0 {
		secs = 0
	}
	keep := r.c.Buttons[:0]
	for _, b := range r.c.Buttons {
		if b.Op == opLang {
			keep = append(keep, b)
		}
	}
	r.c.Buttons = keep
	bh := r.m.btnH
	h := 2 + 1 + 1 + 1 + bh + 1
	w := min(r.in.w-4, 64)
	box := Rect{(r.in.w - w) / 2, (r.in.h - h) / 2, w, h}
	// Blank the page behind: the warning must be the only thing to read.
	r.c.Fill(Rect{0, r.m.hdr, r.in.w, r.in.h - r.m.hdr}, stBody)
	r.c.Fill(box, stOverlay)
	r.c.Center(box, box.Y+1, tIdleHead.in(r.l), stOverlay)
	r.c.Center(box, box.Y+3, tIdleBody.f(r.l, secs), stOverlay)
	bw := (w - 6) / 2
	y := box.Y + 5
	r.add(Button{Rect: Rect{box.X + 2, y, bw, bh}, Label: r.label(tFinish), Op: opIntent, Intent: IntentFinish, Bind: bindCancel}, stButton)
	r.add(Button{Rect: Rect{box.X + 4 + bw, y, bw, bh}, Label: r.label(tContinue), Op: opIntent, Intent: IntentContinue, Bind: bindEnter}, stPrimary)
}
