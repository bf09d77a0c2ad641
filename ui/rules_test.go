package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gdamore/tcell/v2"
	"github.com/mattn/go-runewidth"

	"github.com/villagehall/kiosk/drivers/escpos"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/linebreak"
)

// combos is every combination of what a status can hold: each verdict of
// the authentication certificate (or none), the authentication PIN with
// 3, 1 and 0 tries, the signing certificate absent or its PIN with 5, 1 and
// 0 tries — and the cards that are no My Number Card, read once and twice.
func combos() map[string]kiosk.Assessment {
	out := map[string]kiosk.Assessment{}
	verdicts := map[string]kiosk.CertAssessment{
		"valid":         cert(kiosk.CodeValid, expiry, 1193),
		"renewal":       cert(kiosk.CodeRenewal, soonExpiry, 52),
		"last_day":      cert(kiosk.CodeRenewal, time.Date(2026, 5, 10, 23, 59, 59, 0, jst), 0),
		"expired":       cert(kiosk.CodeExpired, pastExpiry, -40),
		"not_yet_valid": cert(kiosk.CodeNotYetValid, futureStart, 0),
		"date_unknown":  cert(kiosk.CodeDateUnknown, expiry, 0),
		"cert_bad":      {Verdict: kiosk.CodeCertBad},
		"no_auth_cert":  {},
	}
	for vn, c := range verdicts {
		for _, at := range []int{3, 1, 0} {
			for _, st := range []int{-1, 5, 1, 0} { // -1: no signing certificate
				a := myNumber(c, at, max(st, 0), st >= 0)
				if vn == "no_auth_cert" {
					a.HasAuth, a.AuthLocked = false, false
					a = a.WithTries(kiosk.PINSign, a.SignTries)
				}
				out[fmt.Sprintf("%s/auth%d/sign%d", vn, at, st)] = a
			}
		}
	}
	for _, s := range statusCases {
		out[s.name] = s.a
	}
	return out
}

// The marks no line may start with (JIS X 4051's line-start rule, the
// part the kiosk's text can hold) and the particles that may not start a
// line after a noun.
const (
	noLineStart = "、。，．・：；？！ー〜）」』】〕ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ"
	particleSet = "はがをにでとへもやの"
)

// lineRules holds lines (one block of text, in order) to the line-start
// rules; what names the block in a failure.
func lineRules(t *testing.T, what string, lines []string) {
	t.Helper()
	prevEnd := rune(0)
	for i, raw := range lines {
		l := strings.TrimLeft(raw, " 　・")
		l = strings.TrimRight(l, " ")
		if l == "" {
			prevEnd = 0
			continue
		}
		first, _ := utf8.DecodeRuneInString(l)
		if strings.ContainsRune(noLineStart, first) {
			t.Errorf("%s: line %d starts with %q: %q", what, i, first, l)
		}
		if strings.ContainsRune(particleSet, first) && prevEnd != 0 && afterNoun(prevEnd) {
			t.Errorf("%s: line %d starts with the particle %q after %q: %q", what, i, first, prevEnd, l)
		}
		prevEnd, _ = utf8.DecodeLastRuneInString(l)
	}
}

// afterNoun: a line ending in r leaves a particle on the next line cut off
// from its word (a kanji, katakana, a digit, a Latin letter, a closing
// bracket).
func afterNoun(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Katakana, r) || unicode.IsDigit(r) ||
		(r < 0x80 && unicode.IsLetter(r)) || strings.ContainsRune("）」』】", r)
}

// claims are the words that say more than dates: the kiosk cannot see a
// revocation, so nothing may call a certificate valid or usable.
var claims = []string{"は有効です", "有効な電子証明書", "そのまま使えます", "is valid", "still works", "can still be used"}

func noClaims(t *testing.T, what, text string) {
	t.Helper()
	for _, c := range claims {
		if strings.Contains(text, c) {
			t.Errorf("%s claims %q:\n%s", what, c, text)
		}
	}
}

// dayOf are the ways a screen or slip could give away the expiry's day
// (the holder's birthday): the day itself, the day renewal opens when it is
// not the first of a ten-day part of the month, and a count of days left.
func dayOf(ca kiosk.CertAssessment) []string {
	if ca.NotAfter.IsZero() {
		return nil
	}
	var out []string
	for _, t := range []time.Time{ca.NotAfter, ca.RenewalFrom} {
		if t.Equal(kiosk.CertainlyOpen(t)) && !t.Equal(ca.NotAfter) {
			continue // the 1st, 11th or 21st: says no more than the ten days
		}
		t = t.In(jst)
		out = append(out, fmt.Sprintf("%d月%d日", t.Month(), t.Day()), t.Format("2 Jan"))
	}
	if ca.Verdict == kiosk.CodeValid || ca.Verdict == kiosk.CodeRenewal {
		out = append(out, fmt.Sprintf("あと%d日", ca.DaysLeft), fmt.Sprintf("%d days left", ca.DaysLeft), "今日が最後の日", "last day")
	}
	return out
}

func noDay(t *testing.T, what, text string, ca kiosk.CertAssessment) {
	t.Helper()
	for _, d := range dayOf(ca) {
		if strings.Contains(text, d) {
			t.Errorf("%s shows the expiry's day (%q):\n%s", what, d, text)
		}
	}
}

func screenLines(dump string) []string { return strings.Split(strings.TrimSuffix(dump, "\n"), "\n") }

// TestEveryStateTellsOnlyWhatWasChecked renders the status, its guidance
// pages and the menu of every combination in both languages, and prints
// its slip at 58 and 80 mm, and holds each to the rules: nothing claims
// more than the dates, no first-view screen and no slip gives the
// expiry's day, nothing is cut, no line starts with a small kana, a closing
// bracket, 、。 or a particle cut from its noun, and every line is true for
// the whole card.
func TestEveryStateTellsOnlyWhatWasChecked(t *testing.T) {
	for name, a := range combos() {
		t.Run(name, func(t *testing.T) {
			for _, l := range []kiosk.Lang{kiosk.Japanese, kiosk.English} {
				views := []kiosk.View{statusView(a), menuView(a)}
				for _, p := range kiosk.StatusPages(a, muni) {
					if p.Office {
						p := p
						views = append(views, kiosk.View{Screen: kiosk.ScreenGuidance, Page: &p, Note: printed, GuideNo: 1, GuideOf: 1, CardIn: true})
					}
				}
				for _, v := range views {
					v.Lang = l
					h := newHarness(t, 80, 24)
					h.show(v)
					what := fmt.Sprintf("%s %s", v.Screen, l)
					if len(h.app.frame.Overflow) > 0 {
						t.Errorf("%s: text cut: %q", what, h.app.frame.Overflow)
					}
					dump := h.dump()
					noClaims(t, what, dump)
					noDay(t, what, dump, a.Auth)
					lineRules(t, what, screenLines(dump)[:20]) // the rows above the buttons
					trueForTheCard(t, what, a, dump)
				}
			}
			slipRules(t, a)
		})
	}
}

// trueForTheCard: lines that depend on more than one state agree with all
// of them.
func trueForTheCard(t *testing.T, what string, a kiosk.Assessment, dump string) {
	t.Helper()
	flat := strings.ReplaceAll(strings.Join(strings.Fields(dump), ""), "\n", "")
	if a.SignLocked && (strings.Contains(flat, "暗証番号を入力すると確かめられます") || strings.Contains(flat, "canbecheckedwithitsPIN")) {
		t.Errorf("%s: a locked signing PIN is offered to check the dates:\n%s", what, dump)
	}
	if a.AuthLocked && strings.Contains(flat, "利用者証明用電子証明書は、有効期限内です") {
		t.Errorf("%s: a certificate under a locked PIN reads as usable:\n%s", what, dump)
	}
	if (a.Has(kiosk.CodeAuthLastTry) || a.Has(kiosk.CodeSignLastTry)) && strings.Contains(flat, "暗証番号の変更などは") {
		t.Errorf("%s: one try left, and the status invites a change:\n%s", what, dump)
	}
	if !a.HasSign && a.Card == kiosk.CardMyNumber && strings.Contains(dump, "（署名用）: ありません") {
		t.Errorf("%s: 「ありません」 reads as no tries or no PIN:\n%s", what, dump)
	}
}

// slipRules records a's status as the kiosk does and holds its slip, at
// both widths, to the rules.
func slipRules(t *testing.T, a kiosk.Assessment) {
	t.Helper()
	p := &capturePrinter{}
	f := &kiosk.Flows{Journal: &captureJournal{}, Printer: p, Municipality: muni, KioskID: "K01", Now: func() time.Time { return testNow }}
	if _, err := f.RecordStatus(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	for _, s := range p.slips {
		for _, w := range []escpos.Width{escpos.Width58, escpos.Width80} {
			doc, err := escpos.Decode(escpos.RenderSlip(s, w, true), w)
			if err != nil {
				t.Fatal(err)
			}
			// The time of printing is the visit's, not the expiry's.
			text := strings.Replace(doc.Text(), escpos.FormatTimeJA(s.Time), "", 1)
			what := fmt.Sprintf("slip at %d dots", w)
			noClaims(t, what, text)
			noDay(t, what, text, a.Auth)
			lineRules(t, what, strings.Split(text, "\n"))
			if a.HasAuth && a.Auth.Verdict == kiosk.CodeExpired && !strings.Contains(squash(text), squash(kiosk.ExpiryLine(kiosk.Japanese, kiosk.CertName(kiosk.PINAuth), a.Auth, false))) {
				t.Errorf("%s: an expired certificate's month does not say it has expired:\n%s", what, text)
			}
			if n := strings.Count(text, "持ち物 / Please bring"); n > 1 {
				t.Errorf("%s: what to bring is listed %d times:\n%s", what, n, text)
			}
		}
	}
}

// TestDetailsShowTheDay: the くわしく screen, asked for, is where the day
// is (else the rule above would prove nothing).
func TestDetailsShowTheDay(t *testing.T) {
	v := statusView(statusOf("valid"))
	v.Screen = kiosk.ScreenDetails
	h := newHarness(t, 80, 24)
	h.show(v)
	dump := h.dump()
	for _, want := range []string{"2029年8月15日", "あと1193日", "2029年5月15日", "誕生日"} {
		if !strings.Contains(dump, want) {
			t.Errorf("the details screen lacks %q:\n%s", want, dump)
		}
	}
	h.show(statusView(statusOf("valid")))
	x, y := h.find("くわしく [1]")
	if x < 0 || y < 0 {
		t.Fatal("no くわしく button on the status")
	}
	h.inputs = nil
	h.key("1")
	if got := h.kinds(); len(got) != 1 || got[0] != kiosk.InputDetails {
		t.Errorf("key 1 on the status: %v, want details", got)
	}
}

// TestLitLetterIsReverseVideo: the letter about to be typed is marked by
// reverse video, not by brackets, which mean a key everywhere else.
func TestLitLetterIsReverseVideo(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.show(pinView(kiosk.PINPrompt{Kind: kiosk.PINSign, Step: kiosk.StepNew}))
	dump := h.dump()
	if strings.Contains(dump, "[A]") || strings.Contains(dump, "[OK]") {
		t.Errorf("brackets that are not keys:\n%s", dump)
	}
	cells, _, _ := h.scr.GetContents()
	lit := map[rune]bool{}
	for _, c := range cells {
		if _, _, attr := c.Style.Decompose(); attr&tcell.AttrReverse != 0 && len(c.Runes) > 0 && c.Runes[0] != ' ' {
			lit[c.Runes[0]] = true
		}
	}
	if len(lit) != 1 || !lit['A'] {
		t.Errorf("reverse video on %v, want the lit A alone", lit)
	}
}

// TestCatalogueBreaksAtPhrases lays out every sentence of the catalogue
// and of every page at the widths of the screens (80 and 160 columns) and
// the slips (58 and 80 mm), and checks that every line break in Japanese
// falls between two of BudouX's phrases, unless a phrase is wider than the
// line.
func TestCatalogueBreaksAtPhrases(t *testing.T) {
	term := &runewidth.Condition{EastAsianWidth: false}
	prn := &runewidth.Condition{EastAsianWidth: true}
	widths := []struct {
		w int
		m linebreak.Measure
	}{{76, term.StringWidth}, {156, term.StringWidth}, {escpos.Width58.Cols(), prn.StringWidth}, {escpos.Width80.Cols(), prn.StringWidth}}
	for _, s := range catalogueSentences() {
		phrases := linebreak.Phrases(s)
		starts := map[int]int{} // rune offset of a phrase start → its width-to-come index
		off := 0
		for i, p := range phrases {
			starts[off] = i
			off += utf8.RuneCountInString(p)
		}
		for _, wd := range widths {
			lines := linebreak.Lines(s, wd.w, wd.m)
			pos := 0
			rs := []rune(s)
			for k, ln := range lines {
				pos += utf8.RuneCountInString(ln)
				for pos < len(rs) && rs[pos] == ' ' {
					pos++ // spaces dropped at the break
				}
				if k == len(lines)-1 || pos >= len(rs) {
					break
				}
				if _, ok := starts[pos]; ok || rs[pos-1] == ' ' || (rs[pos-1] < 0x80 && rs[pos] < 0x80) {
					continue
				}
				// Inside a phrase: only when the phrase does not fit a line.
				if wide := phraseAt(phrases, pos); linebreak.Width(wide, wd.m) <= wd.w {
					t.Errorf("width %d: %q splits the phrase %q:\n%s", wd.w, s, wide, strings.Join(lines, "\n"))
				}
			}
		}
	}
}

func phraseAt(phrases []string, pos int) string {
	off := 0
	for _, p := range phrases {
		n := utf8.RuneCountInString(p)
		if pos < off+n {
			return p
		}
		off += n
	}
	return ""
}

// catalogueSentences is every Japanese sentence a resident can read: the
// catalogue's words (formats filled with the longest names) and every
// page of every code, for both PINs, with the retry pages.
func catalogueSentences() []string {
	fill := strings.NewReplacer("%[1]s", "署名用電子証明書", "%[2]s", "2029年8月", "%s", kiosk.PINName(kiosk.PINSign).JA, "%d", "12")
	var out []string
	w := reflect.ValueOf(kiosk.Catalogue())
	for i := 0; i < w.NumField(); i++ {
		out = append(out, fill.Replace(w.Field(i).Interface().(kiosk.Text).JA))
	}
	codes := []kiosk.Code{kiosk.CodeValid, kiosk.CodeRenewal, kiosk.CodeExpired, kiosk.CodeNotYetValid, kiosk.CodeDateUnknown,
		kiosk.CodeCertBad, kiosk.CodeAuthLocked, kiosk.CodeSignLocked, kiosk.CodeAuthLastTry, kiosk.CodeSignLastTry,
		kiosk.CodeNoAuthCert, kiosk.CodeNoSignCert, kiosk.CodeJuki, kiosk.CodeNotJPKI, kiosk.CodeUnreadable,
		kiosk.CodeChangeUnsure, kiosk.CodePINChanged, kiosk.CodeWrongPIN, kiosk.CodeRemoved}
	var pages []kiosk.Page
	for _, c := range codes {
		for _, k := range []kiosk.PINKind{kiosk.PINAuth, kiosk.PINSign} {
			pages = append(pages, kiosk.Guide(c, k, muni))
		}
	}
	pages = append(pages, kiosk.RetryPage(kiosk.CodeUnreadable, muni), kiosk.RetryPage(kiosk.CodeNotJPKI, muni))
	for _, p := range pages {
		out = append(out, p.Title.JA, p.Next.JA, joinText(kiosk.Japanese, p.What))
		for _, b := range p.Bring {
			out = append(out, b.JA)
		}
	}
	return out
}

// TestSlipGoldensKeepLineRules: every golden slip, as printed at 58 and
// 80 mm, keeps the line-start rules too.
func TestSlipGoldensKeepLineRules(t *testing.T) {
	files, _ := filepath.Glob("../testdata/slips/*.txt")
	if len(files) == 0 {
		t.Fatal("no golden slips")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lineRules(t, filepath.Base(f), strings.Split(string(b), "\n"))
	}
}
