package ui

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/mattn/go-runewidth"
	"github.com/rivo/uniseg"

	"github.com/villagehall/kiosk/kiosk"
)

func TestMenuKeypadAndTouch(t *testing.T) {
	valid := statusOf("valid")
	noSign := statusOf("valid_last_try_no_sign")
	choose := func(a kiosk.Action) kiosk.Input { return kiosk.Input{Kind: kiosk.InputChoose, Action: a} }
	tests := []struct {
		name  string
		a     kiosk.Assessment
		opts  []harnessOpt
		input func(h *harness)
		want  []kiosk.Input
	}{
		{"touch change auth", valid, nil, func(h *harness) { h.click(h.find("4けたの暗証番号（利用者証明用）を変える")) },
			[]kiosk.Input{choose(kiosk.ActionChangeAuth)}},
		{"key 3 changes the signing PIN", valid, nil, func(h *harness) { h.key("3") }, []kiosk.Input{choose(kiosk.ActionChangeSign)}},
		// One key per item: おわる is labelled and pressed with Cancel only,
		// so 「5  おわる [*]」 no longer asks which of the two to press.
		{"key 5 does nothing: おわる is on Cancel", valid, nil, func(h *harness) { h.key("5") }, nil},
		{"4x3 Cancel (*) finishes", valid, nil, func(h *harness) { h.key("*") }, []kiosk.Input{{Kind: kiosk.InputFinish}}},
		{"4x4 Cancel (A) finishes", valid, []harnessOpt{withKeypad(keys4x4)}, func(h *harness) { h.key("A") }, []kiosk.Input{{Kind: kiosk.InputFinish}}},
		{"4x4 * (Clear) does nothing here", valid, []harnessOpt{withKeypad(keys4x4)}, func(h *harness) { h.key("*") }, nil},
		{"0 is English on a 4x3 pad", valid, nil, func(h *harness) { h.key("0") }, []kiosk.Input{{Kind: kiosk.InputLang}}},
		{"D is English on a 4x4 pad", valid, []harnessOpt{withKeypad(keys4x4)}, func(h *harness) { h.key("D") }, []kiosk.Input{{Kind: kiosk.InputLang}}},
		{"touch driver tap", valid, nil, func(h *harness) {
			x, y := h.find("カードの状態を見る")
			if err := h.app.Tap(x, y); err != nil {
				t.Fatal(err)
			}
			h.pump()
		}, []kiosk.Input{choose(kiosk.ActionStatus)}},
		{"no signing cert: 3 and 4 do nothing", noSign, nil, func(h *harness) { h.key("34") }, nil},
		{"no touchscreen: taps are ignored", valid, []harnessOpt{noTouch()}, func(h *harness) {
			if err := h.app.Tap(10, 6); err != nil {
				t.Fatal(err)
			}
			h.pump()
			h.click(10, 6)
		}, nil},
		{"evdev touchscreen: its tap counts once, the terminal's click not", valid, []harnessOpt{evdevTouch()}, func(h *harness) {
			// cage gives foot the same press as a pointer click: only the
			// driver's tap may act, or every tap would act twice.
			x, y := h.find("カードの状態を見る")
			h.click(x, y)
			if err := h.app.Tap(x, y); err != nil {
				t.Fatal(err)
			}
			h.pump()
		}, []kiosk.Input{choose(kiosk.ActionStatus)}},
		{"tap on empty space", valid, nil, func(h *harness) { h.click(0, 23) }, nil},
		{"mouse release alone is no tap", valid, nil, func(h *harness) {
			x, y := h.find("カードの状態を見る")
			h.scr.InjectMouse(x, y, tcell.ButtonNone, tcell.ModNone)
			h.pump()
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, 80, 24, tc.opts...)
			h.show(menuView(tc.a))
			tc.input(h)
			var got []kiosk.Input
			for _, in := range h.inputs {
				if in.Kind != kiosk.InputActivity {
					got = append(got, in)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("inputs %+v, want %+v", got, tc.want)
			}
		})
	}
}

// typeSign types s on the signing PIN screen with the keypad alone: the
// highlight is walked with 8 (down) and 4/6 (left/right), and each
// character typed with 5.
func typeSign(h *harness, s string) {
	h.t.Helper()
	rowCol := func(i int) (int, int) {
		r := 0
		for i >= len(signRows[r]) {
			i -= len(signRows[r])
			r++
		}
		return r, i
	}
	for _, want := range s {
		target := strings.IndexRune(signKeys, want)
		for n := 0; h.app.pick != target; n++ {
			if n > 40 {
				h.t.Fatalf("the highlight never reached %q", want)
			}
			cr, cc := rowCol(h.app.pick)
			tr, tc := rowCol(target)
			switch {
			case cr != tr:
				h.key("8")
			case cc < tc:
				h.key("6")
			default:
				h.key("4")
			}
		}
		h.key("5")
	}
}

func TestPINEntry(t *testing.T) {
	tests := []struct {
		name     string
		opts     []harnessOpt
		prompt   kiosk.PINPrompt
		input    func(h *harness)
		wantPIN  string // "" : nothing submitted
		wantDots int    // dots on screen at the end
		wantText string // must appear on screen
		wantBack bool   // the flow was left
	}{
		{"auth by keypad", nil, kiosk.PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 3}, func(h *harness) { h.key("1234#") },
			"1234", 0, "あと3回まちがえるとロックされます", false},
		{"auth fifth digit ignored", nil, kiosk.PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 3}, func(h *harness) { h.key("12345") },
			"", 4, "✓ 数字4けた", false},
		{"auth too short is refused on screen", nil, kiosk.PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 3}, func(h *harness) { h.key("123#") },
			"", 3, "けた数がたりません", false},
		{"4x3: * clears a started entry", nil, kiosk.PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 3}, func(h *harness) { h.key("98*4321#") },
			"4321", 0, "", false},
		{"4x3: * on an empty entry leaves", nil, kiosk.PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 3}, func(h *harness) { h.key("98**") },
			"", 0, "", true},
		{"4x4: * clears, A leaves", []harnessOpt{withKeypad(keys4x4)}, kiosk.PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 3}, func(h *harness) { h.key("98*98A") },
			"", 2, "", true},
		{"auth by touch digits", nil, kiosk.PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 3}, func(h *harness) {
			for _, d := range []string{"5", "0", "0", "9"} {
				h.click(h.findExact(d))
			}
			h.click(h.find("決定"))
		}, "5009", 0, "", false},
		{"sign by the keypad highlight, 4x3, no touch", []harnessOpt{noTouch()}, kiosk.PINPrompt{Kind: kiosk.PINSign, Step: kiosk.StepNew},
			func(h *harness) { typeSign(h, "ZQ7WA0"); h.key("#") }, "ZQ7WA0", 0, "", false},
		{"sign: the 1字けす cell takes back one character, 4x3, no touch", []harnessOpt{noTouch()}, kiosk.PINPrompt{Kind: kiosk.PINSign, Step: kiosk.StepNew},
			func(h *harness) { typeSign(h, "ZQ7WAX"+string(delCell)+"0"); h.key("#") }, "ZQ7WA0", 0, "", false},
		{"sign: 1字けす on an empty entry does nothing", []harnessOpt{noTouch()}, kiosk.PINPrompt{Kind: kiosk.PINSign, Step: kiosk.StepNew},
			func(h *harness) { typeSign(h, string(delCell)+"A") }, "", 1, "", false},
		{"sign by the keypad highlight, 4x4, no touch", []harnessOpt{withKeypad(keys4x4), noTouch()}, kiosk.PINPrompt{Kind: kiosk.PINSign, Step: kiosk.StepNew},
			func(h *harness) { typeSign(h, "M1N2O3"); h.key("#") }, "M1N2O3", 0, "", false},
		{"sign digits are not typed directly", nil, kiosk.PINPrompt{Kind: kiosk.PINSign, TriesLeft: 5}, func(h *harness) { h.key("1379") },
			"", 0, "- 6〜16けた", false},
		{"sign on-screen keyboard and delete", nil, kiosk.PINPrompt{Kind: kiosk.PINSign, TriesLeft: 5}, func(h *harness) {
			for _, k := range []string{"Z", "Q", "Z", "9", "9", "9", "9"} {
				h.click(h.findExact(k))
			}
			h.click(h.find("1字けす"))
			h.click(h.find("決定"))
		}, "ZQZ999", 0, "", false},
		{"sign needs a digit", nil, kiosk.PINPrompt{Kind: kiosk.PINSign, TriesLeft: 5}, func(h *harness) { typeSign(h, "ABCDEFG"); h.key("#") },
			"", 7, "数字（0〜9）を入れてください", false},
		{"sign seventeenth ignored", nil, kiosk.PINPrompt{Kind: kiosk.PINSign, Step: kiosk.StepNew}, func(h *harness) {
			typeSign(h, "ABCDEFGH12345678X")
			h.key("#")
		}, "ABCDEFGH12345678", 0, "", false},
		{"the laptop keyboard has only the keypad's keys", nil, kiosk.PINPrompt{Kind: kiosk.PINSign, Step: kiosk.StepNew}, func(h *harness) {
			h.typeKeys("abc123")
			h.scr.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
			h.pump()
		}, "", 0, "", false},
		{"with the development flag letters type", []harnessOpt{func(o *Options) { o.TypeLetters = true }}, kiosk.PINPrompt{Kind: kiosk.PINSign, Step: kiosk.StepNew},
			func(h *harness) { h.typeKeys("abcxyz"); typeSign(h, "1"); h.key("#") }, "ABCXYZ1", 0, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, 80, 24, tc.opts...)
			h.show(pinView(tc.prompt))
			tc.input(h)
			var sub []kiosk.Input
			back := false
			for _, in := range h.inputs {
				switch in.Kind {
				case kiosk.InputSubmit:
					sub = append(sub, in)
				case kiosk.InputBack:
					back = true
				}
			}
			switch {
			case tc.wantPIN == "" && len(sub) > 0:
				t.Fatalf("submitted %q, want nothing", sub[0].PIN)
			case tc.wantPIN != "" && len(sub) != 1:
				t.Fatalf("%d submissions, want 1", len(sub))
			case tc.wantPIN != "":
				if string(sub[0].PIN) != tc.wantPIN || sub[0].Serial != 1 {
					t.Errorf("submitted %q serial %d, want %q", sub[0].PIN, sub[0].Serial, tc.wantPIN)
				}
				if len(h.app.entry) != 0 {
					t.Errorf("entry still holds %d bytes after hand-over", len(h.app.entry))
				}
				if cap(h.app.entry) > 0 && &h.app.entry[:1][0] == &sub[0].PIN[0] {
					t.Error("UI still shares the handed-over PIN's memory")
				}
			}
			if back != tc.wantBack {
				t.Errorf("left the flow: %v, want %v", back, tc.wantBack)
			}
			screen := h.dump()
			if n := strings.Count(screen, "●"); n != tc.wantDots {
				t.Errorf("%d dots on screen, want %d", n, tc.wantDots)
			}
			if tc.wantText != "" && !strings.Contains(screen, tc.wantText) {
				t.Errorf("screen lacks %q:\n%s", tc.wantText, screen)
			}
			for _, d := range []string{"1234", "4321", "5009", "ZQ7", "ZQZ", "M1N", "ABCX"} {
				if strings.Contains(screen, d) {
					t.Errorf("screen shows typed characters %q", d)
				}
			}
		})
	}
}

// TestKeysPrintedOnScreen: every function key a screen answers to is
// printed beside the button it presses, in the keypad's own label, and
// without a touchscreen nothing is drawn that no key could press.
func TestKeysPrintedOnScreen(t *testing.T) {
	for _, kp := range []struct {
		name string
		keys kiosk.Keypad
	}{{"4x3", keys4x3}, {"4x4", keys4x4}} {
		for _, sc := range screenCases() {
			t.Run(kp.name+"/"+sc.name, func(t *testing.T) {
				h := newHarness(t, 80, 24, withKeypad(kp.keys), noTouch())
				h.show(sc.v)
				for _, b := range h.app.frame.Buttons {
					if b.W == 0 {
						continue
					}
					if b.Key == 0 {
						t.Errorf("button %q drawn without touch and without a key", b.Label)
					} else if !strings.Contains(b.Label, "["+string(b.Key)+"]") && !strings.HasPrefix(strings.TrimSpace(b.Label), string(b.Key)) {
						t.Errorf("button %q answers to %c but does not say so", b.Label, b.Key)
					}
				}
				if strings.Contains(h.dump(), "さわ") || strings.Contains(h.dump(), "Touch") {
					t.Errorf("a kiosk without touch asks for a touch:\n%s", h.dump())
				}
			})
		}
	}
}

func TestCancelWipesEntry(t *testing.T) {
	h := newHarness(t, 80, 24, withKeypad(keys4x4))
	h.show(pinView(kiosk.PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 3}))
	h.key("73")
	buf := h.app.entry[:cap(h.app.entry)]
	h.key("A")
	if got := h.kinds(); !slices.Equal(got, []kiosk.InputKind{kiosk.InputBack}) {
		t.Fatalf("inputs %v, want back", got)
	}
	// The visit answers with the menu: the entry must be gone.
	h.show(menuView(statusOf("valid")))
	for i, b := range buf {
		if b != 0 {
			t.Fatalf("entry byte %d not wiped: %q", i, b)
		}
	}
	if len(h.app.entry) != 0 {
		t.Errorf("entry length %d after cancel", len(h.app.entry))
	}
}

func TestNewEntryClearsEntry(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.show(pinView(kiosk.PINPrompt{Kind: kiosk.PINAuth, Step: kiosk.StepNew, Serial: 4}))
	h.key("55")
	h.show(pinView(kiosk.PINPrompt{Kind: kiosk.PINAuth, Step: kiosk.StepNew, Serial: 5, Mismatch: true}))
	if n := strings.Count(h.dump(), "●"); n != 0 {
		t.Errorf("%d dots carried into the next entry", n)
	}
}

func TestPagesKeypad(t *testing.T) {
	tests := []struct {
		v    kiosk.View
		key  string
		want kiosk.InputKind
	}{
		{statusView(statusOf("valid")), "#", kiosk.InputNext},
		{statusView(statusOf("valid")), "*", kiosk.InputFinish},
		{guideView(kiosk.CodeExpired, kiosk.PINAuth, printed), "#", kiosk.InputNext},
		{kiosk.View{Screen: kiosk.ScreenLastTry, PIN: kiosk.PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 1}}, "#", kiosk.InputConfirm},
		{kiosk.View{Screen: kiosk.ScreenLastTry, PIN: kiosk.PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 1}}, "*", kiosk.InputBack},
		{resultView(kiosk.Result{PIN: kiosk.PINAuth, Outcome: kiosk.OutcomeOK, Code: kiosk.CodePINChanged}, printed), "#", kiosk.InputNext},
		{noticeView(kiosk.CodeRemoved, kiosk.PINAuth, nil, kiosk.SlipNote{}, false), "#", kiosk.InputNext},
		{pinView(kiosk.PINPrompt{Kind: kiosk.PINSign}), "*", kiosk.InputBack},
		{kiosk.View{Screen: kiosk.ScreenWaiting}, "0", kiosk.InputLang},
	}
	for _, tc := range tests {
		t.Run(tc.v.Screen.String()+"_"+tc.key, func(t *testing.T) {
			h := newHarness(t, 80, 24, noTouch())
			h.show(tc.v)
			h.key(tc.key)
			if got := h.kinds(); !slices.Equal(got, []kiosk.InputKind{tc.want}) {
				t.Errorf("inputs %v, want %v", got, tc.want)
			}
		})
	}
}

func TestIdleCountdown(t *testing.T) {
	h := newHarness(t, 80, 24)
	v := menuView(statusOf("valid"))
	v.IdleLeft = 20 * time.Second
	h.show(v)
	if s := h.dump(); !strings.Contains(s, "あと20秒") {
		t.Fatalf("no countdown:\n%s", s)
	}
	// Only the overlay's buttons answer: "1" (a menu choice behind) must not.
	h.key("1")
	h.click(h.find("つづける"))
	h.key("#")
	if got := h.kinds(); len(got) != 0 {
		t.Fatalf("inputs %v, want only activity", got)
	}
	h.key("*")
	if got := h.kinds(); !slices.Equal(got, []kiosk.InputKind{kiosk.InputFinish}) {
		t.Fatalf("inputs %v, want finish", got)
	}
	// The visit clears the warning: the overlay goes.
	h.show(menuView(statusOf("valid")))
	if strings.Contains(h.dump(), "秒") {
		t.Error("countdown still shown")
	}
}

func TestResize(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.show(menuView(statusOf("valid")))
	h.scr.SetSize(160, 50)
	// A terminal reports a resize as an event; the simulation does not.
	if err := h.scr.PostEvent(tcell.NewEventResize(160, 50)); err != nil {
		t.Fatal(err)
	}
	h.pump()
	if h.app.frame.W != 160 || h.app.frame.H != 50 {
		t.Fatalf("frame %dx%d after resize", h.app.frame.W, h.app.frame.H)
	}
	x, y := h.find("カードの状態を見る")
	h.click(x, y)
	if got := h.kinds(); !slices.Equal(got, []kiosk.InputKind{kiosk.InputChoose}) {
		t.Errorf("inputs %v after resize, want choose", got)
	}
}

// TestVisitLeavesNoTrace walks a visit (status with a distinctive days-left
// count, PIN half typed), ends it, and checks that neither the glass nor
// the App remembers any of it.
func TestVisitLeavesNoTrace(t *testing.T) {
	const days = 4817 // appears nowhere but in this resident's status
	a := myNumber(cert(kiosk.CodeValid, expiry, days), 2, 4, true)
	h := newHarness(t, 80, 24)
	v := statusView(a)
	v.Screen = kiosk.ScreenDetails // the one screen with a count of days
	v.Lang = kiosk.English
	h.show(v)
	if !strings.Contains(h.dump(), fmt.Sprint(days)) {
		t.Fatal("days left not shown during the visit: the test would prove nothing")
	}
	h.show(pinView(kiosk.PINPrompt{Kind: kiosk.PINSign, TriesLeft: 4}))
	typeSign(h, "QW12E")
	buf := h.app.entry[:cap(h.app.entry)]
	h.show(kiosk.View{Screen: kiosk.ScreenWaiting})

	cells, _, _ := h.scr.GetContents()
	var all strings.Builder
	for _, c := range cells { // every cell, wide-rune halves included
		all.WriteString(string(c.Runes))
	}
	for _, trace := range []string{fmt.Sprint(days), "●", "2029", "Valid", "[E]"} {
		if strings.Contains(all.String(), trace) {
			t.Errorf("screen still holds %q after the visit:\n%s", trace, h.dump())
		}
	}
	for i, b := range buf {
		if b != 0 {
			t.Errorf("entry byte %d not wiped", i)
		}
	}
	if h.app.pick != 0 || len(h.app.entry) != 0 || h.app.prob != kiosk.PINOK {
		t.Errorf("UI state not reset: pick %d entry %d prob %v", h.app.pick, len(h.app.entry), h.app.prob)
	}
	if !strings.Contains(h.dump(), "マイナンバーカードを差しこんでください") {
		t.Errorf("not back on the waiting screen in Japanese:\n%s", h.dump())
	}
}

// TestTextWidths checks every word of the catalogue and every page: no
// ambiguous-width rune (they shift rows on CJK terminals), and
// go-runewidth (our layout) agrees with uniseg (tcell's placement).
func TestTextWidths(t *testing.T) {
	var all []kiosk.Text
	w := reflect.ValueOf(kiosk.Catalogue())
	for i := 0; i < w.NumField(); i++ {
		all = append(all, w.Field(i).Interface().(kiosk.Text))
	}
	codes := append(slices.Clone(officeCodes), kiosk.CodeValid, kiosk.CodePINChanged, kiosk.CodeWrongPIN, kiosk.CodeRemoved, kiosk.CodeAuthLastTry, kiosk.CodeSignLastTry)
	for _, c := range codes {
		for _, k := range []kiosk.PINKind{kiosk.PINAuth, kiosk.PINSign} {
			p := kiosk.Guide(c, k, muni)
			all = append(all, p.Title, p.Next)
			all = append(all, p.What...)
			all = append(all, p.Bring...)
			if p.Title.JA == "" || p.Next.JA == "" {
				t.Errorf("%s/%s: a page without a headline or a next step", c, k)
			}
			if p.Office && (p.Where.Phone == "" || p.Where.Office.JA == "") {
				t.Errorf("%s: office-bound without where to go", c)
			}
		}
	}
	for _, m := range all {
		for _, s := range []string{m.JA, m.EN} {
			if s == "" && m.JA != "" {
				t.Errorf("a message without English: %q", m.JA)
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
}

// TestAmbiguousWidthBothWays renders the PIN screen with ambiguous runes
// one and two cells wide (RUNEWIDTH_EASTASIAN unset / set): rows must stay
// exactly the screen width either way.
func TestAmbiguousWidthBothWays(t *testing.T) {
	saved := uniseg.EastAsianAmbiguousWidth
	t.Cleanup(func() { uniseg.EastAsianAmbiguousWidth = saved })
	for _, w := range []int{1, 2} {
		uniseg.EastAsianAmbiguousWidth = w
		h := newHarness(t, 80, 24)
		h.show(pinView(kiosk.PINPrompt{Kind: kiosk.PINSign, Step: kiosk.StepNew}))
		for range 16 {
			h.key("5")
		}
		got := h.dump()
		if n := strings.Count(got, "●"); n != 16 {
			t.Errorf("width %d: %d dots, want 16", w, n)
		}
		for i, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
			if lw := textWidth(line); lw != 80 {
				t.Errorf("width %d: row %d is %d cells: %q", w, i, lw, line)
			}
		}
	}
}

// TestRun drives the real event loop: views in, input through the
// screen's queue, inputs out, and a clean stop.
func TestRun(t *testing.T) {
	scr := tcell.NewSimulationScreen("UTF-8")
	if err := scr.Init(); err != nil {
		t.Fatal(err)
	}
	defer scr.Fini()
	scr.SetSize(80, 24)
	inputs := make(chan kiosk.Input, 16)
	ticks := make(chan time.Time)
	app := New(scr, Options{Keypad: keys4x3, Touch: true, Mouse: true, Now: func() time.Time { return testNow }, Ticks: ticks,
		OnInput: func(in kiosk.Input) {
			if in.Kind != kiosk.InputActivity {
				inputs <- in
			}
		}})
	views := make(chan kiosk.View)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, views) }()

	views <- pinView(kiosk.PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 3})
	for _, d := range "2468#" {
		if err := app.Press(d); err != nil {
			t.Fatal(err)
		}
	}
	in := recv(t, inputs)
	if in.Kind != kiosk.InputSubmit || string(in.PIN) != "2468" {
		t.Fatalf("got %+v", in)
	}
	kiosk.Wipe(in.PIN)
	v := menuView(statusOf("valid"))
	v.IdleLeft = 20 * time.Second
	views <- v
	ticks <- testNow // handled in the loop: proves ticks do not block
	if err := app.Press('*'); err != nil {
		t.Fatal(err)
	}
	if in := recv(t, inputs); in.Kind != kiosk.InputFinish {
		t.Fatalf("Cancel on the overlay: %+v", in)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}

// recv waits for an input; the timeout only turns a hang into a failure.
func recv(t *testing.T, ch <-chan kiosk.Input) kiosk.Input {
	t.Helper()
	select {
	case in := <-ch:
		return in
	case <-time.After(5 * time.Second):
		t.Fatal("no input arrived")
		return kiosk.Input{}
	}
}
