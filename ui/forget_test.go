package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/mattn/go-runewidth"
	"github.com/rivo/uniseg"
	"github.com/villagehall/kiosk/kiosk"
)

// TestVisitLeavesNoTrace walks a visit (status with a distinctive days-left
// count, English chosen, PIN half typed), ends it the ways a visit ends,
// and checks that neither the glass nor the App remembers any of it.
func TestVisitLeavesNoTrace(t *testing.T) {
	const days = 4817 // appears nowhere but in this resident's status
	a := myNumber([]kiosk.Code{kiosk.CodeValid}, cert(kiosk.CodeValid, expiry, days), 2, 4, true)
	ends := []struct {
		name string
		end  func(h *harness)
	}{
		{"card removed", func(h *harness) { h.show(View{Page: PageWaiting}) }},
		{"idle timeout", func(h *harness) {
			h.show(View{Page: PagePIN, PIN: PINPrompt{Kind: kiosk.PINSign, TriesLeft: 4}, IdleDeadline: testNow.Add(20 * time.Second)})
			h.now = h.now.Add(21 * time.Second)
			h.app.draw()
			h.show(View{Page: PageWaiting})
		}},
		{"take card then removed", func(h *harness) {
			h.show(View{Page: PageTakeCard})
			h.show(View{Page: PageWaiting})
		}},
	}
	for _, tc := range ends {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, 80, 24, Japanese)
			h.show(View{Page: PageStatus, Assessment: a})
			if !strings.Contains(h.dump(), fmt.Sprint(days)) {
				t.Fatal("days left not shown during the visit: the test would prove nothing")
			}
			h.click(h.findExact("English"))
			h.show(View{Page: PagePIN, PIN: PINPrompt{Kind: kiosk.PINSign, TriesLeft: 4}})
			h.typeString("QW12E")
			buf := h.app.entry[:cap(h.app.entry)]
			if n := strings.Count(h.dump(), "●"); n != 5 {
				t.Fatalf("%d dots during the visit, want 5", n)
			}
			tc.end(h)

			cells, _, _ := h.scr.GetContents()
			var all strings.Builder
			for _, c := range cells { // every cell, wide-rune halves included
				all.WriteString(string(c.Runes))
			}
			for _, trace := range []string{fmt.Sprint(days), "●", "2029", "Valid", "tries", "日本語"} {
				if strings.Contains(all.String(), trace) {
					t.Errorf("screen still holds %q after the visit:\n%s", trace, h.dump())
				}
			}
			for i, b := range buf {
				if b != 0 {
					t.Errorf("entry byte %d not wiped", i)
				}
			}
			st := fmt.Sprintf("%+v %+v %v %v", h.app.view, h.app.entry, h.app.lang, h.app.prob)
			for _, trace := range []string{fmt.Sprint(days), "2029"} {
				if strings.Contains(st, trace) {
					t.Errorf("App state still holds %q: %s", trace, st)
				}
			}
			if h.app.lang != Japanese || len(h.app.entry) != 0 || h.app.prob != kiosk.PINOK {
				t.Errorf("UI state not reset: lang %v entry %d prob %v", h.app.lang, len(h.app.entry), h.app.prob)
			}
			if !strings.Contains(h.dump(), "マイナンバーカードを差しこんでください") {
				t.Errorf("not back on the waiting screen:\n%s", h.dump())
			}
		})
	}
}

// TestTextWidths checks every message in the catalogue: no ambiguous-width
// rune (they shift rows on CJK terminals), and go-runewidth (our layout)
// agrees with uniseg (tcell's placement) on every string.
func TestTextWidths(t *testing.T) {
	var all []tr
	all = append(all, tTitle, tLangSwitch, tInsert, tInsertHow, tInsertFree, tMaint, tReading, tWorking, tDontRemove,
		tTakeCard, tTakeCardSub, tOOS, tOOSSub, tNext, tBack, tFinish, tCancel, tDecide, tClear, tDelete, tContinue,
		tGoOn, tMenuHead, tNotNow, tMenuStatus, tMenuChangeAuth, tMenuChangeSign, tMenuCheckSign, tValidUntil,
		tValidFrom, tDaysLeft, tLastDay, tRenewFrom, tTriesHead, tTriesAuth, tTriesSign, tTimes, tLockedShort, tNone,
		tSignYes, tSignNo, tPINNow, tPINNew, tPINAgain, tPINSignChk, tAuthPIN, tSignPIN, tTriesNow, tTriesOne,
		tMismatch, tRuleAuth, tRuleLen, tRuleLetter, tRuleDigit, tRuleCase, tProbShort, tProbLong, tProbChar,
		tProbLetter, tProbDigit, tLastTryHead, tLastTryBody, tResChanged, tResChgSub, tResWrong, tResWrongSub,
		tResLocked, tResUnknown, tResFailed, tResSignHead, tSignUntil, tOffice, tPhone, tHours, tBring, tBringCard,
		tBringMemo, tReference, tPaperOut, tPaperOutSub, tIdleHead, tIdleBody)
	for _, m := range []map[kiosk.Code]tr{headline, nextStep} {
		for _, v := range m {
			all = append(all, v)
		}
	}
	for _, g := range guidance {
		all = append(all, g.body)
		all = append(all, g.bring...)
	}
	for _, m := range all {
		for _, s := range []string{m.ja, m.en} {
			if s == "" {
				t.Errorf("empty message in %+v", m)
			}
			for _, r := range s {
				if runewidth.IsAmbiguousWidth(r) {
					t.Errorf("%q holds ambiguous-width rune %q", s, r)
				}
			}
			if rw, uw := textWidth(s), uniseg.StringWidth(s); rw != uw {
				t.Errorf("%q: go-runewidth %d cells, uniseg %d", s, rw, uw)
			}
		}
	}
	for _, c := range guidanceCodes {
		if _, ok := guidance[c]; !ok {
			t.Errorf("no guidance for %s", c)
		}
		if _, ok := headline[c]; !ok {
			t.Errorf("no headline for %s", c)
		}
		if _, ok := nextStep[c]; !ok {
			t.Errorf("no next step for %s", c)
		}
	}
}

// TestAmbiguousWidthBothWays renders the PIN screen with ambiguous runes
// one and two cells wide (RUNEWIDTH_EASTASIAN unset / set): rows must stay
// exactly the screen width either way.
func TestAmbiguousWidthBothWays(t *testing.T) {
	saved := uniseg.EastAsianAmbiguousWidth
	t.Cleanup(func() { uniseg.EastAsianAmbiguousWidth = saved })
	for _, w := range []int{1, 2} {
		uniseg.EastAsianAmbiguousWidth = w
		h := newHarness(t, 80, 24, Japanese)
		h.show(View{Page: PagePIN, PIN: PINPrompt{Kind: kiosk.PINSign, Step: StepNew}})
		h.typeString("ABCDEFGH12345678")
		got := h.dump()
		if n := strings.Count(got, "●"); n != 16 {
			t.Errorf("width %d: %d dots, want 16", w, n)
		}
		for i, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
			if lw := textWidth(line); lw != 80 {
				t.Errorf("width %d: row %d is %d cells: %q", w, i, lw, line)
			}
		}
		h.key(tcell.KeyEnter, 0)
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		s    string
		w    int
		want []string
	}{
		{"hello world again", 11, []string{"hello world", "again"}},
		{"あいうえお", 4, []string{"あい", "うえ", "お"}},
		{"あいう。えお", 6, []string{"あい", "う。え", "お"}},
		{"ab", 0, nil},
		{"", 5, []string{""}},
	}
	for _, tc := range tests {
		got := Wrap(tc.s, tc.w)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("Wrap(%q,%d) = %q, want %q", tc.s, tc.w, got, tc.want)
		}
	}
}
