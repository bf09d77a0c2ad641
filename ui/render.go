package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/mattn/go-runewidth"

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
	stPicked   = tcell.StyleDefault.Background(tcell.ColorNavy).Foreground(tcell.ColorYellow).Bold(true)
	stStrong   = stBody.Bold(true)
	stWarnText = stBody.Foreground(tcell.ColorMaroon).Bold(true)
	stOKText   = stBody.Foreground(tcell.ColorGreen).Bold(true)
	stDim      = stBody.Foreground(tcell.ColorGray)
	stField    = tcell.StyleDefault.Background(tcell.ColorLightYellow).Foreground(tcell.ColorBlack).Bold(true)
	stOverlay  = tcell.StyleDefault.Background(tcell.ColorNavy).Foreground(tcell.ColorWhite).Bold(true)
)

type opKind int

const (
	opInput  opKind = iota // send Input to the visit
	opType                 // type Rune into the entry
	opDelete               // delete the last character typed
	opClear                // empty the entry
	opSubmit               // hand the entry over
	opMove                 // move the alphabet's highlight by DX, DY
	opPick                 // type the highlighted character
)

// Button is a touch target and, through Key, a keypad key: a tap and a
// key press run the same code. A button with no area (W == 0) is a key
// binding only.
type Button struct {
	Rect
	Label  string
	Op     opKind
	Input  kiosk.Input // opInput
	Rune   rune        // opType
	DX, DY int         // opMove
	Key    rune        // the keypad label that presses it (0: none)
	Off    bool        // shown greyed, not active
}

// entryInfo is what the renderer may know about the PIN being typed: its
// length and which rules it meets, never the characters.
type entryInfo struct {
	n         int
	hasLetter bool
	hasDigit  bool
	problem   kiosk.PINProblem // shown after a refused Enter; PINOK hides it
	pick      int              // highlighted key of the on-screen alphabet
}

// renderInput is everything a frame depends on.
type renderInput struct {
	view    kiosk.View
	w, h    int
	now     time.Time
	words   *kiosk.Words
	keypad  kiosk.Keypad
	touch   bool
	voice   bool // a speaker: the もう一度 and 音量 keys are on every screen
	entry   entryInfo
	version string // shown on the waiting screen
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
	r := &renderer{c: c, in: in, l: in.view.Lang, m: metricsFor(in.w, in.h), t: in.words}
	r.header()
	r.body = Rect{X: r.m.pad, Y: r.m.hdr + 1, W: in.w - 2*r.m.pad, H: in.h - r.m.hdr - 1 - r.m.btnH - 1}
	r.y = r.body.Y
	v := in.view
	switch v.Screen {
	case kiosk.ScreenWaiting:
		r.waiting()
	case kiosk.ScreenReading:
		r.band(r.t.Reading.In(r.l), stNeutral)
		r.para(r.t.DontRemove.In(r.l), stStrong)
	case kiosk.ScreenWorking:
		r.band(r.t.Working.In(r.l), stNeutral)
		r.para(r.t.DontRemove.In(r.l), stStrong)
	case kiosk.ScreenStatus:
		r.status()
	case kiosk.ScreenGuidance:
		r.guidance()
	case kiosk.ScreenMenu:
		r.menu()
	case kiosk.ScreenPIN:
		r.pin()
	case kiosk.ScreenLastTry:
		r.band(r.t.LastTryHead.In(r.l), stNotice)
		r.para(r.t.LastTryWhat.F(r.l, kiosk.PINName(v.PIN.Kind).In(r.l)), stBody)
		if v.Page != nil {
			r.gap()
			r.where(v.Page.Where)
		}
		r.footer(r.cancel(r.t.Cancel, kiosk.InputBack), r.primary(r.t.GoOn, kiosk.InputConfirm))
	case kiosk.ScreenDetails:
		r.details()
	case kiosk.ScreenResult:
		r.result()
	case kiosk.ScreenTakeCard:
		r.band(r.t.TakeCard.In(r.l), stGood)
		if v.SlipTaken {
			r.para(r.t.TakeSlip.In(r.l), stStrong)
		}
		r.para(r.t.Thanks.In(r.l), stBody)
	case kiosk.ScreenNotice:
		r.notice()
	case kiosk.ScreenOutOfService:
		r.band(r.t.OutOfService.In(r.l), stBad)
		r.para(r.t.OutOfSvcWhat.In(r.l), stBody)
	case kiosk.ScreenUpdating:
		r.updating()
	}
	if v.IdleLeft > 0 {
		r.idle()
	}
	return c
}

type renderer struct {
	c    *Canvas
	in   renderInput
	l    kiosk.Lang
	m    metrics
	t    *kiosk.Words
	body Rect
	y    int // next free row in body
}

// fn is the label of the keypad key doing f (0: no such key).
func (r *renderer) fn(f kiosk.KeyFunc) rune {
	k, _ := r.in.keypad.Label(f)
	return k
}

// langKey switches the language: the English key, or 0 on screens where
// the digits do not type a PIN.
func (r *renderer) langKey() rune {
	if k := r.fn(kiosk.KeyEnglish); k != 0 {
		return k
	}
	if r.in.view.Screen != kiosk.ScreenPIN && r.in.keypad.Has('0') && r.in.keypad.Func('0') == kiosk.KeyNone {
		return '0'
	}
	return 0
}

func (r *renderer) header() {
	c, w := r.c, r.in.w
	c.Fill(Rect{0, 0, w, r.m.hdr}, stHeader)
	bw := r.langW()
	vw := r.voiceKeys(w - bw)
	c.Text(r.m.pad, r.m.hdr/2, r.t.Title.In(r.l), stHeader, w-bw-vw-r.m.pad-1)
	if s := r.in.view.Screen; s == kiosk.ScreenOutOfService || s == kiosk.ScreenUpdating {
		return
	}
	key := r.langKey()
	label := r.t.LangSwitch.In(r.l)
	if key != 0 {
		label += " [" + string(key) + "]"
	}
	r.add(Button{Rect: Rect{w - bw, 0, bw, r.m.hdr}, Label: label, Op: opInput,
		Input: kiosk.Input{Kind: kiosk.InputLang}, Key: key}, stButton)
}

// langW is the width of the language button at the header's right.
func (r *renderer) langW() int {
	if r.m.hdr > 3 {
		return 20
	}
	return 14
}

// voiceKeys draws the voice's Repeat and Volume buttons in the header,
// ending at column right, and returns the width they take. They are on
// every screen (the PIN screen too: their keys only click there, Repeat
// says the entry prompt again) so a resident finds them by the same key.
func (r *renderer) voiceKeys(right int) int {
	if !r.in.voice {
		return 0
	}
	repeat, volume := kiosk.VoiceWords()
	x := right
	for _, k := range []struct {
		t    kiosk.Text
		fn   kiosk.KeyFunc
		kind kiosk.InputKind
	}{{volume, kiosk.KeyVolume, kiosk.InputVolume}, {repeat, kiosk.KeyRepeat, kiosk.InputRepeat}} {
		key := r.fn(k.fn)
		label := k.t.In(r.l)
		if key != 0 {
			label += " [" + string(key) + "]"
		}
		bw := runewidth.StringWidth(label) + 2
		if !r.in.touch && key == 0 {
			continue
		}
		x -= bw + 1
		r.add(Button{Rect: Rect{x, 0, bw, r.m.hdr}, Label: label, Op: opInput,
			Input: kiosk.Input{Kind: k.kind}, Key: key}, stButton)
	}
	return right - x
}

// add draws b and, unless it is off, registers it. Without a touchscreen
// a button no key presses is not drawn: nothing could use it.
func (r *renderer) add(b Button, st tcell.Style) {
	if !r.in.touch && b.Key == 0 && !b.Off {
		return
	}
	if b.Off {
		st = stOff
	}
	r.c.Fill(b.Rect, st)
	ls := strings.Split(b.Label, "\n")
	if b.H < len(ls) {
		ls = ls[:max(b.H, 1)]
	}
	top := b.Y + (b.H-len(ls))/2
	for i, ln := range ls {
		s := st
		if i > 0 {
			s = st.Bold(false)
		}
		if b.W >= 20 && strings.HasPrefix(ln, " ") {
			r.c.Text(b.X+1, top+i, ln, s, b.W-1) // a menu item: left-aligned
		} else {
			r.c.Center(b.Rect, top+i, ln, s)
		}
	}
	if !b.Off {
		r.c.Buttons = append(r.c.Buttons, b)
	}
}

// bind registers a key that presses b without drawing anything.
func (r *renderer) bind(b Button) {
	if b.Key != 0 {
		b.Rect = Rect{}
		r.c.Buttons = append(r.c.Buttons, b)
	}
}

// label is a button's text: Japanese with the English beneath it (one
// touch or key away, never hidden), and the key that presses it.
func (r *renderer) label(t kiosk.Text, key rune) string {
	k := ""
	if key != 0 {
		k = " [" + string(key) + "]"
	}
	if r.l == kiosk.Japanese {
		return t.JA + k + "\n" + t.EN
	}
	return t.EN + k
}

func (r *renderer) button(t kiosk.Text, kind kiosk.InputKind, key rune) Button {
	return Button{Label: r.label(t, key), Op: opInput, Input: kiosk.Input{Kind: kind}, Key: key}
}

// primary is the step forward, on the Enter key.
func (r *renderer) primary(t kiosk.Text, kind kiosk.InputKind) Button {
	return r.button(t, kind, r.fn(kiosk.KeyEnter))
}

// cancel is the step back or out, on the Cancel key.
func (r *renderer) cancel(t kiosk.Text, kind kiosk.InputKind) Button {
	return r.button(t, kind, r.fn(kiosk.KeyCancel))
}

// footer lays buttons across the bottom, right-aligned; the last one, on
// the Enter key, is the primary.
func (r *renderer) footer(bs ...Button) {
	var shown []Button
	for _, b := range bs {
		if b.Label != "" && (r.in.touch || b.Key != 0) { // no label: not on this screen
			shown = append(shown, b)
		}
	}
	if len(shown) == 0 {
		return
	}
	y := r.in.h - r.m.btnH - 1
	area := Rect{r.m.pad, y, r.in.w - 2*r.m.pad, r.m.btnH}
	const gap = 2
	bw := min((area.W-gap*(len(shown)-1))/len(shown), 36)
	x := area.X + area.W - (bw*len(shown) + gap*(len(shown)-1))
	enter := r.fn(kiosk.KeyEnter)
	for i, b := range shown {
		b.Rect = Rect{x, y, bw, r.m.btnH}
		st := stButton
		if i == len(shown)-1 && (b.Key == enter || r.in.touch) {
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
	ls := lines(s, r.body.W-4)
	if len(ls) > h {
		h = len(ls)
	}
	r.c.Fill(Rect{r.body.X, r.y, r.body.W, h}, st)
	top := r.y + (h-len(ls))/2
	for i, ln := range ls {
		r.c.Center(r.body, top+i, ln, st)
	}
	r.y += h + 1
}

// para writes wrapped text; text that does not fit is recorded as
// overflow (the tests hold every screen to none).
func (r *renderer) para(s string, st tcell.Style) {
	r.paraAt(r.body.X, s, st)
}

func (r *renderer) paraAt(x int, s string, st tcell.Style) {
	w := r.body.X + r.body.W - x
	for _, ln := range lines(s, w) {
		if r.y >= r.body.Y+r.body.H {
			r.c.Overflow = append(r.c.Overflow, ln)
			continue
		}
		r.c.Text(x, r.y, ln, st, w)
		r.y++
	}
}

func (r *renderer) gap() {
	if r.y < r.body.Y+r.body.H {
		r.y++
	}
}

func (r *renderer) waiting() {
	if r.m.btnH > 3 {
		r.gap()
	}
	r.band(r.t.Insert.In(r.l), stPrimary)
	r.para(r.t.InsertHow.In(r.l), stStrong)
	r.gap()
	r.para(r.t.InsertWhat.In(r.l), stBody)
	r.gap()
	switch {
	case r.in.touch && len(r.in.keypad.Layout) > 0:
		r.para(r.t.HowTouchAndKeys.In(r.l), stBody)
	case r.in.touch:
		r.para(r.t.HowTouch.In(r.l), stBody)
	default:
		r.para(r.t.HowKeys.In(r.l), stBody)
	}
	if d := r.in.view.Maintenance; !d.IsZero() {
		r.gap()
		r.para(r.t.Maintenance.F(r.l, kiosk.DateText(r.l, d)), stWarnText)
	}
	if v := r.in.version; v != "" && len(v) < r.in.w/2 {
		r.c.Text(r.in.w-len(v)-1, r.in.h-1, v, stDim, len(v))
	}
}

func verdictStyle(c kiosk.Code) tcell.Style {
	switch c {
	case kiosk.CodeValid, kiosk.CodePINChanged:
		return stGood
	case kiosk.CodeRenewal, kiosk.CodeDateUnknown, kiosk.CodeNoSignCert, kiosk.CodeAuthLastTry, kiosk.CodeSignLastTry,
		kiosk.CodeNotYetValid, kiosk.CodeWrongPIN, kiosk.CodeRemoved:
		return stNotice
	case kiosk.CodeExpired, kiosk.CodeAuthLocked, kiosk.CodeSignLocked, kiosk.CodeChangeUnsure, kiosk.CodeUnreadable, kiosk.CodeCertBad:
		return stBad
	}
	return stNeutral
}

func (r *renderer) status() {
	v := r.in.view
	a, pages := *v.Assessment, v.Pages
	lead := pages[0]
	r.band(lead.Title.In(r.l), verdictStyle(lead.Code))
	if a.Card == kiosk.CardMyNumber {
		if a.HasAuth {
			r.certLines(a.Auth, kiosk.PINAuth)
		}
		r.triesLines(a)
		switch {
		case a.HasSign && a.SignLocked:
			// A locked PIN cannot be entered: its dates cannot be checked.
			r.para(r.t.SignOnCardLocked.In(r.l), stBody)
		case a.HasSign:
			r.para(r.t.SignOnCard.In(r.l), stBody)
		default:
			r.para(r.t.SignNotOnCard.In(r.l), stBody)
		}
		// The other conditions, by their headlines: a lock beside a valid
		// certificate, one try left, …
		for _, p := range pages[1:] {
			if p.Code == kiosk.CodeNoSignCert {
				continue // said by the line above
			}
			st := stWarnText
			if p.Code == kiosk.CodeValid {
				st = stBody // within its dates: not a warning, not a promise
			}
			r.para(p.Title.In(r.l), st)
		}
	}
	if !lead.Office && !lead.Retry && len(lead.What) > 0 {
		// Within its dates: what the kiosk could not check.
		r.para(joinText(r.l, lead.What), stBody)
	}
	r.gap()
	r.para(lead.Next.In(r.l), stStrong)
	r.footer(r.detailsButton(v), r.cancel(r.t.Finish, kiosk.InputFinish), r.primary(r.t.Next, kiosk.InputNext))
}

// detailsButton opens the exact dates (くわしく) where there are some; its
// key is the first digit the keypad has free on this screen.
func (r *renderer) detailsButton(v kiosk.View) Button {
	if !kiosk.HasDetails(v.Assessment, v.Result) {
		return Button{}
	}
	var key rune
	if r.in.keypad.Has('1') && r.in.keypad.Func('1') == kiosk.KeyNone {
		key = '1'
	}
	return r.button(r.t.Details, kiosk.InputDetails, key)
}

// details is the くわしく screen: the exact dates, the one place the
// expiry day (the holder's birthday) is shown, asked for by the resident.
func (r *renderer) details() {
	v := r.in.view
	r.para(r.t.DetailsHead.In(r.l), stStrong)
	r.para(r.t.DetailsWhy.In(r.l), stDim)
	r.gap()
	if a := v.Assessment; a != nil && a.HasAuth && !a.Auth.NotAfter.IsZero() && v.Result == nil {
		for _, ln := range kiosk.DetailLines(r.l, kiosk.CertName(kiosk.PINAuth), a.Auth) {
			r.para(ln, stStrong)
		}
	}
	if v.Result != nil && v.Result.Cert != nil {
		for _, ln := range kiosk.DetailLines(r.l, kiosk.CertName(kiosk.PINSign), *v.Result.Cert) {
			r.para(ln, stStrong)
		}
	}
	r.footer(r.cancel(r.t.Finish, kiosk.InputFinish), r.primary(r.t.Back, kiosk.InputBack))
}

// certLines shows a certificate's dates as the first screen may: the
// expiry's year and month and roughly how long is left, never its day
// (the holder's birthday, readable by anyone behind): that is on the
// くわしく screen the resident asks for.
func (r *renderer) certLines(ca kiosk.CertAssessment, k kiosk.PINKind) {
	if ca.NotAfter.IsZero() {
		return
	}
	if ca.Verdict == kiosk.CodeNotYetValid {
		r.para(r.t.ValidFrom.F(r.l, kiosk.DateText(r.l, ca.NotBefore)), stBody)
	}
	r.para(kiosk.ExpiryLine(r.l, kiosk.CertName(k), ca, true), stStrong)
	if line := kiosk.RenewalLine(r.l, ca, true); line != "" {
		r.para(line, stBody)
	}
}

func (r *renderer) triesLines(a kiosk.Assessment) {
	line := func(k kiosk.PINKind, has, locked bool, n int) {
		name := kiosk.PINName(k).In(r.l)
		switch {
		case !has && k == kiosk.PINSign:
			r.para(r.t.TriesNone.F(r.l, name), stBody)
		case !has:
		case locked:
			r.para(r.t.TriesLocked.F(r.l, name), stWarnText)
		default:
			st := stStrong
			if n == 1 {
				st = stWarnText
			}
			r.para(name+": "+kiosk.TriesLeft(r.l, n), st)
		}
	}
	line(kiosk.PINAuth, a.HasAuth, a.AuthLocked, a.AuthTries)
	line(kiosk.PINSign, a.HasSign, a.SignLocked, a.SignTries)
}

// page writes a page's body: what it means, what to bring and where.
func (r *renderer) page(p kiosk.Page) {
	r.para(joinText(r.l, p.What), stBody)
	if p.Office {
		if len(p.Bring) > 0 {
			items := make([]string, len(p.Bring))
			for i, b := range p.Bring {
				items[i] = b.In(r.l)
			}
			sep := "、"
			if r.l == kiosk.English {
				sep = "; "
			}
			r.para(r.t.Bring.In(r.l)+": "+strings.Join(items, sep), stStrong)
		}
		r.where(p.Where)
	}
}

// joinText makes one paragraph of sentences: rows are scarce at 80×24.
func joinText(l kiosk.Lang, ts []kiosk.Text) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.In(l)
	}
	if l == kiosk.English {
		return strings.Join(parts, " ")
	}
	return strings.Join(parts, "")
}

func (r *renderer) where(p kiosk.Place) {
	if p.Office.JA == "" && p.Phone == "" {
		return
	}
	if p.Name.JA != "" {
		r.para(plain(r.t.Office.F(r.l, p.Name.In(r.l), p.Office.In(r.l), p.Counter.In(r.l))), stBody)
	} else {
		r.para(plain(r.t.OfficeAny.F(r.l, p.Office.In(r.l), p.Counter.In(r.l))), stBody)
	}
	// Everyone else's office (OtherTown) is on the slip: the sentences
	// above already send them to the municipality they are registered in.
	r.para(plain(r.t.Phone.F(r.l, p.Phone)+"   "+r.t.Hours.F(r.l, p.Hours.In(r.l))), stBody)
}

// note says what became of the page's slip.
func (r *renderer) note(n kiosk.SlipNote) {
	ref := r.t.Reference.F(r.l, plain(n.Reference))
	switch n.State {
	case kiosk.SlipPending:
		r.para(r.t.SlipPrinting.In(r.l), stDim)
	case kiosk.SlipPrinted:
		r.para(r.t.SlipPrinted.In(r.l), stStrong)
		r.para(ref, stStrong)
	case kiosk.SlipNotPrinted:
		r.para(r.t.SlipNotPrinted.In(r.l), stWarnText)
		r.field(ref)
	case kiosk.SlipNotRecorded:
		r.para(r.t.SlipNotRecorded.In(r.l), stWarnText)
	}
}

// field is one line on a highlighted block: the reference to note down.
func (r *renderer) field(s string) {
	if r.y >= r.body.Y+r.body.H {
		r.c.Overflow = append(r.c.Overflow, s)
		return
	}
	w := min(textWidth(s)+4, r.body.W)
	r.c.Fill(Rect{r.body.X, r.y, w, 1}, stField)
	r.c.Text(r.body.X+2, r.y, s, stField, w-2)
	r.y++
}

func (r *renderer) guidance() {
	v := r.in.view
	p := *v.Page
	r.band(p.Title.In(r.l), verdictStyle(p.Code))
	r.page(p)
	r.note(v.Note)
	r.footer(
		Button{Label: r.label(r.t.Back, 0), Op: opInput, Input: kiosk.Input{Kind: kiosk.InputBack}},
		r.cancel(r.t.Finish, kiosk.InputFinish),
		r.primary(r.t.Next, kiosk.InputNext))
}

var menuItems = []struct {
	t func(*kiosk.Words) kiosk.Text
	a kiosk.Action
}{
	{func(w *kiosk.Words) kiosk.Text { return w.MenuStatus }, kiosk.ActionStatus},
	{func(w *kiosk.Words) kiosk.Text { return w.MenuChangeAuth }, kiosk.ActionChangeAuth},
	{func(w *kiosk.Words) kiosk.Text { return w.MenuChangeSign }, kiosk.ActionChangeSign},
	{func(w *kiosk.Words) kiosk.Text { return w.MenuSign }, kiosk.ActionCheckSign},
	{func(w *kiosk.Words) kiosk.Text { return w.Finish }, kiosk.ActionNone},
}

func (r *renderer) menu() {
	v := r.in.view
	r.para(r.t.MenuHead.In(r.l), stStrong)
	r.gap()
	bh := 2
	if r.l == kiosk.English {
		bh = 1
	}
	gap := 1
	if r.m.btnH > 3 {
		bh, gap = r.m.btnH, 1
	}
	offered := map[kiosk.Action]bool{kiosk.ActionStatus: true, kiosk.ActionNone: true}
	for _, a := range v.Actions {
		offered[a] = true
	}
	for i, it := range menuItems {
		t := it.t(r.t)
		off := !offered[it.a]
		if off {
			t = kiosk.Text{JA: t.JA + r.t.NotNow.JA, EN: t.EN + " " + r.t.NotNow.EN}
		}
		digit := rune('1' + i)
		in := kiosk.Input{Kind: kiosk.InputChoose, Action: it.a}
		if it.a == kiosk.ActionNone {
			in = kiosk.Input{Kind: kiosk.InputFinish}
			if k := r.fn(kiosk.KeyCancel); k != 0 {
				digit = k // one key per item: おわる is Cancel's
			}
		}
		var key rune
		if r.in.keypad.Has(digit) && !off {
			key = digit
		}
		// The key first, in [ ] as everywhere: 「[2]  4けたの…」 cannot
		// read as 「24けた」.
		label := fmt.Sprintf(" [%c]  %s", digit, t.In(r.l))
		if !r.in.keypad.Has(digit) || off {
			label = fmt.Sprintf("      %s", t.In(r.l))
		}
		if r.l == kiosk.Japanese {
			label += "\n      " + t.EN
		}
		b := Button{Rect: Rect{r.body.X, r.y, r.body.W, bh}, Label: label, Op: opInput, Input: in, Key: key, Off: off}
		if !r.in.touch && off {
			b.Key = 0
		}
		r.add(b, stButton)
		r.y += bh + gap
	}
	// Cancel on the menu ends the visit, like the last item.
	r.bind(Button{Op: opInput, Input: kiosk.Input{Kind: kiosk.InputFinish}, Key: r.fn(kiosk.KeyCancel)})
}

// signRows is the on-screen alphabet of the signing PIN, row by row: the
// letters in two rows, the digits in a third, then delCell, 1字けす: with
// the keypad's highlight it is how a resident takes back one character
// (without it, a 4×3 pad could only clear the whole entry with *).
var signRows = []string{"ABCDEFGHIJKLM", "NOPQRSTUVWXYZ", "1234567890" + string(delCell)}

// delCell stands for 1字けす in signRows; it is no PIN character.
const delCell = kiosk.DeleteKey

var signKeys = strings.Join(signRows, "")

// movePick moves the highlight: left and right run through the keys in
// reading order (past the end of a row to the next), up and down change
// row in the same column, clamped to the row's length.
func movePick(i, dx, dy int) int {
	n := len(signKeys)
	if dx != 0 {
		return ((i+dx)%n + n) % n
	}
	row, col := 0, i
	for col >= len(signRows[row]) {
		col -= len(signRows[row])
		row++
	}
	row = ((row+dy)%len(signRows) + len(signRows)) % len(signRows)
	col = min(col, len(signRows[row])-1)
	for _, rw := range signRows[:row] {
		col += len(rw)
	}
	return col
}

func (r *renderer) pin() {
	p, e := r.in.view.PIN, r.in.entry
	name := kiosk.PINName(p.Kind).In(r.l)
	var head string
	switch {
	case p.ForSignCheck:
		head = r.t.PINForSign.F(r.l, name)
	case p.Step == kiosk.StepNew:
		head = r.t.PINNew.F(r.l, name)
	case p.Step == kiosk.StepConfirm:
		head = r.t.PINAgain.F(r.l, name)
	default:
		head = r.t.PINNow.F(r.l, name)
	}
	r.para(head, stStrong)
	if p.TriesChanged {
		r.para(r.t.TriesChanged.In(r.l), stWarnText)
	}
	if p.Mismatch {
		r.para(r.t.Mismatch.In(r.l), stWarnText)
	}
	if p.Step == kiosk.StepCurrent {
		st := stStrong
		if p.TriesLeft == 1 {
			st = stWarnText
		}
		r.para(r.t.TriesNow.F(r.l, kiosk.TriesLeft(r.l, p.TriesLeft)), st)
	}
	// Rules, each marked as it is met while typing: ✓ met, - not yet.
	// [ ] is kept for keys only.
	mark := func(ok bool, t kiosk.Text) (string, tcell.Style) {
		if ok {
			return "✓ " + t.In(r.l), stOKText
		}
		return "- " + t.In(r.l), stBody
	}
	x := r.body.X
	put := func(s string, st tcell.Style) {
		x += r.c.Text(x, r.y, s, st, r.body.X+r.body.W-x) + 3
	}
	if p.Kind == kiosk.PINSign {
		put(mark(e.n >= 6 && e.n <= 16, r.t.RuleLen))
		put(mark(e.hasLetter, r.t.RuleLetter))
		put(mark(e.hasDigit, r.t.RuleDigit))
	} else {
		put(mark(e.n == 4, r.t.RuleAuth))
	}
	r.y++
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
		r.c.Text(field.X+field.W+2, r.y, problemText(r.t, r.l, e.problem), stWarnText, r.body.X+r.body.W-field.X-field.W-2)
	}
	r.y += 2
	if p.Kind == kiosk.PINSign {
		r.alphabet(e.pick)
	} else {
		r.digits()
	}
	// Without a Clear key, Cancel empties a started entry first, then
	// leaves: the label moves with what the key will do.
	cancelKey, clearKey := r.fn(kiosk.KeyCancel), r.fn(kiosk.KeyClear)
	leaveKey := cancelKey
	if clearKey == 0 && e.n > 0 {
		clearKey, leaveKey = cancelKey, 0
	}
	del := Button{Label: r.label(r.t.Delete, 0), Op: opDelete}
	if p.Kind == kiosk.PINSign && r.highlight() {
		del = Button{} // it is a cell of the alphabet: one 1字けす on the screen
	}
	r.footer(
		r.button(r.t.Cancel, kiosk.InputBack, leaveKey),
		del,
		Button{Label: r.label(r.t.Clear, clearKey), Op: opClear, Key: clearKey},
		Button{Label: r.label(r.t.Enter, r.fn(kiosk.KeyEnter)), Op: opSubmit, Key: r.fn(kiosk.KeyEnter)},
	)
}

func sentenceEnd(l kiosk.Lang) string {
	if l == kiosk.English {
		return "."
	}
	return "。"
}

// digits draws the touch digits of the 4-digit PIN and binds the keypad's
// digits to them.
func (r *renderer) digits() {
	const keys = "1234567890"
	avail := r.in.h - r.m.btnH - 2 - r.y
	kh := min(r.m.btnH, avail)
	kw := min(r.body.W/len(keys), 10)
	for i, ch := range keys {
		b := Button{Label: string(ch), Op: opType, Rune: ch}
		if r.in.keypad.Has(ch) && r.in.keypad.Func(ch) == kiosk.KeyNone {
			b.Key = ch
		}
		if !r.in.touch || kh < 1 {
			r.bind(b)
			continue
		}
		b.Rect = Rect{r.body.X + i*kw, r.y, kw - 1, kh}
		r.add(b, stButton)
	}
	if r.in.touch && kh >= 1 {
		r.y += kh
	}
}

// highlight: the keypad can walk the alphabet (2 4 6 8 and 5).
func (r *renderer) highlight() bool { return r.in.keypad.Has('5') }

// alphabet draws the signing PIN's characters with the highlight, binds
// the keypad's 2 4 6 8 to moving it and 5 to typing the highlighted one,
// and, with touch, makes every character a key of its own.
//
// Why a highlight rather than phone-style multi-tap: the entry is masked,
// so with multi-tap a resident could not see which letter a third press of
// 2 has reached; here the character about to be typed is always lit on
// the screen, a wrong key only moves the light (it never types something
// unseen, which would cost a try), no timing is involved, and 2 4 6 8
// around 5 is the arrow-and-決定 pattern of a television remote.
func (r *renderer) alphabet(pick int) {
	if r.highlight() {
		r.para(r.t.PickHelp.In(r.l), stBody)
		for _, mv := range []struct {
			key    rune
			dx, dy int
		}{{'2', 0, -1}, {'8', 0, 1}, {'4', -1, 0}, {'6', 1, 0}} {
			r.bind(Button{Op: opMove, DX: mv.dx, DY: mv.dy, Key: mv.key})
		}
		r.bind(Button{Op: opPick, Key: '5'})
	}
	if r.in.touch {
		r.para(r.t.PickTouch.In(r.l), stDim)
	}
	avail := r.in.h - r.m.btnH - 2 - r.y
	kh := max(min(r.m.btnH, avail/len(signRows)), 1)
	kw := min(r.body.W/len(signRows[0]), 10)
	i := 0
	for row, keys := range signRows {
		for col, ch := range keys {
			rect := Rect{r.body.X + col*kw, r.y + row*kh, kw - 1, kh}
			st, label := stButton, string(ch)
			op := opType
			if ch == delCell {
				if !r.highlight() {
					continue // touch alone: the footer has 1字けす
				}
				// The rest of the row: the label is wider than a letter.
				rect.W = (len(signRows[0])-col)*kw - 1
				label, op = r.t.Delete.In(r.l), opDelete
			}
			if i == pick {
				// Lit in reverse video: seen without colour too, and no
				// brackets, which on this screen mean a key to press.
				st = stPicked.Reverse(true)
			}
			b := Button{Rect: rect, Label: label, Op: op, Rune: ch}
			if r.in.touch {
				r.add(b, st)
			} else {
				r.c.Fill(rect, st)
				r.c.Center(rect, rect.Y+rect.H/2, label, st)
			}
			i++
		}
	}
	r.y += len(signRows) * kh
}

func problemText(t *kiosk.Words, l kiosk.Lang, p kiosk.PINProblem) string {
	switch p {
	case kiosk.PINTooShort:
		return t.ProbShort.In(l)
	case kiosk.PINTooLong:
		return t.ProbLong.In(l)
	case kiosk.PINBadChar:
		return t.ProbChar.In(l)
	case kiosk.PINNeedLetter:
		return t.ProbLetter.In(l)
	case kiosk.PINNeedDigit:
		return t.ProbDigit.In(l)
	}
	return ""
}

func (r *renderer) result() {
	v := r.in.view
	res, p := *v.Result, *v.Page
	r.band(p.Title.In(r.l), verdictStyle(p.Code))
	switch {
	case res.Outcome == kiosk.OutcomeWrongPIN:
		st := stStrong
		if res.TriesLeft == 1 {
			st = stWarnText
		}
		r.para(kiosk.PINName(res.PIN).In(r.l)+": "+kiosk.TriesLeft(r.l, res.TriesLeft)+sentenceEnd(r.l), st)
	case res.Cert != nil:
		r.certLines(*res.Cert, kiosk.PINSign)
	}
	r.page(p)
	// What to do next: an office page says it by what to bring and where.
	if next := p.Next; !p.Office && next.JA != "" && !slices.Contains(p.What, next) {
		r.para(next.In(r.l), stStrong)
	}
	r.note(v.Note)
	r.footer(r.detailsButton(kiosk.View{Result: v.Result}), r.cancel(r.t.Finish, kiosk.InputFinish), r.primary(r.t.Next, kiosk.InputNext))
}

func (r *renderer) notice() {
	v := r.in.view
	if v.Page == nil {
		return
	}
	p := *v.Page
	r.band(p.Title.In(r.l), verdictStyle(p.Code))
	r.page(p)
	if v.Result != nil {
		r.note(v.Note)
	}
	if !v.Awaiting {
		r.footer(r.primary(r.t.Next, kiosk.InputNext))
	}
}

// idle overlays the countdown. Only its buttons stay live, so a key or a
// tap elsewhere cannot act on the page behind it.
func (r *renderer) idle() {
	secs := int((r.in.view.IdleLeft + time.Second - 1) / time.Second)
	r.c.Buttons = r.c.Buttons[:0]
	r.voiceKeys(r.in.w - r.langW()) // the voice's keys stay live under the warning
	bh := r.m.btnH
	h := 2 + 1 + 1 + 1 + bh + 1
	w := min(r.in.w-4, 64)
	box := Rect{(r.in.w - w) / 2, (r.in.h - h) / 2, w, h}
	// Blank the page behind: the warning must be the only thing to read.
	r.c.Fill(Rect{0, r.m.hdr, r.in.w, r.in.h - r.m.hdr}, stBody)
	r.c.Fill(box, stOverlay)
	r.c.Center(box, box.Y+1, r.t.IdleHead.In(r.l), stOverlay)
	r.c.Center(box, box.Y+3, r.t.IdleLeft.F(r.l, secs), stOverlay)
	bw := (w - 6) / 2
	y := box.Y + 5
	fin := r.cancel(r.t.Finish, kiosk.InputFinish)
	fin.Rect = Rect{box.X + 2, y, bw, bh}
	r.add(fin, stButton)
	cont := r.primary(r.t.Continue, kiosk.InputActivity)
	cont.Rect = Rect{box.X + 4 + bw, y, bw, bh}
	r.add(cont, stPrimary)
}

// plain replaces ambiguous-width punctuation that configuration text may
// carry (en dash in "8:30–17:15", arrows) by ASCII, so it measures the
// same on every terminal.
func plain(s string) string {
	return ambiguousReplacer.Replace(s)
}

var ambiguousReplacer = strings.NewReplacer(
	"–", "-", "—", "-", "‐", "-", "→", "->", "←", "<-", "…", "...",
	"○", "o", "●", "*", "※", "*", "×", "x", "“", "\"", "”", "\"", "‘", "'", "’", "'",
	"°", " deg", "±", "+/-", "§", "S",
)
