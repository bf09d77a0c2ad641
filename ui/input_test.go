package ui

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/villagehall/kiosk/kiosk"
)

func TestMenuTouchAndKeypad(t *testing.T) {
	valid := statusCases[0].a
	noSign := statusCases[1].a
	tests := []struct {
		name  string
		a     kiosk.Assessment
		input func(h *harness)
		want  []Intent
	}{
		{"touch change auth", valid, func(h *harness) { h.click(h.find("4けたの暗証番号を変える")) },
			[]Intent{{Kind: IntentChoose, Action: ActionChangeAuth}}},
		{"touch corner of a button", valid, func(h *harness) {
			x, y := h.find("署名用電子証明書を確かめる")
			b := h.app.frame.Buttons[slices.IndexFunc(h.app.frame.Buttons, func(b Button) bool { return b.Contains(x, y) })]
			h.click(b.X, b.Y+b.H-1)
		}, []Intent{{Kind: IntentChoose, Action: ActionCheckSign}}},
		{"digit 3 chooses sign change", valid, func(h *harness) { h.key(tcell.KeyRune, '3') },
			[]Intent{{Kind: IntentChoose, Action: ActionChangeSign}}},
		{"digit 5 finishes", valid, func(h *harness) { h.key(tcell.KeyRune, '5') }, []Intent{{Kind: IntentFinish}}},
		{"Esc finishes", valid, func(h *harness) { h.key(tcell.KeyEsc, 0) }, []Intent{{Kind: IntentFinish}}},
		{"keypad driver digit", valid, func(h *harness) {
			if err := h.app.Press(KeyDigit, '1'); err != nil {
				t.Fatal(err)
			}
			h.pump()
		}, []Intent{{Kind: IntentChoose, Action: ActionStatus}}},
		{"touch driver tap", valid, func(h *harness) {
			x, y := h.find("カードの状態を見る")
			if err := h.app.Tap(x, y); err != nil {
				t.Fatal(err)
			}
			h.pump()
		}, []Intent{{Kind: IntentChoose, Action: ActionStatus}}},
		{"no signing cert: 3 and 4 do nothing", noSign, func(h *harness) {
			h.key(tcell.KeyRune, '3')
			h.key(tcell.KeyRune, '4')
		}, nil},
		{"tap on empty space", valid, func(h *harness) { h.click(0, 23) }, nil},
		{"mouse release alone is no tap", valid, func(h *harness) {
			x, y := h.find("カードの状態を見る")
			h.scr.InjectMouse(x, y, tcell.ButtonNone, tcell.ModNone)
			h.pump()
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, 80, 24, Japanese)
			h.show(View{Page: PageMenu, Assessment: tc.a})
			tc.input(h)
			var got []Intent
			for _, in := range h.intents {
				if in.Kind != IntentActivity {
					got = append(got, in)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("intents %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i].Kind != tc.want[i].Kind || got[i].Action != tc.want[i].Action {
					t.Errorf("intent %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
			if len(h.intents) == 0 && !strings.Contains(tc.name, "release") {
				t.Error("no activity reported for input")
			}
		})
	}
}

func TestPINEntry(t *testing.T) {
	tests := []struct {
		name     string
		prompt   PINPrompt
		input    func(h *harness)
		wantPIN  string // "" : nothing submitted
		wantDots int    // dots on screen at the end
		wantText string // must appear on screen
	}{
		{"auth by keypad", PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 3}, func(h *harness) {
			h.typeString("1234")
			h.key(tcell.KeyEnter, 0)
		}, "1234", 0, "あと 3 回"},
		{"auth fifth digit ignored", PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 3}, func(h *harness) {
			h.typeString("12345")
		}, "", 4, "[OK] 数字 4 けた"},
		{"auth letters ignored", PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 2}, func(h *harness) {
			h.typeString("1a2")
		}, "", 2, "あと 2 回"},
		{"auth too short is refused on screen", PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 3}, func(h *harness) {
			h.typeString("123")
			h.key(tcell.KeyEnter, 0)
		}, "", 3, "文字数がたりません"},
		{"clear by Backspace", PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 3}, func(h *harness) {
			h.typeString("987")
			h.key(tcell.KeyBackspace2, 0)
			h.typeString("4321")
			h.key(tcell.KeyEnter, 0)
		}, "4321", 0, ""},
		{"clear by keypad driver", PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 3}, func(h *harness) {
			h.typeString("98")
			_ = h.app.Press(KeyClear, 0)
			h.pump()
		}, "", 0, "[  ] 数字 4 けた"},
		{"auth by touch digits", PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 3}, func(h *harness) {
			for _, d := range []string{"5", "0", "0", "9"} {
				h.click(h.findExact(d))
			}
			h.click(h.find("決定"))
		}, "5009", 0, ""},
		{"sign lowercase sent upper", PINPrompt{Kind: kiosk.PINSign, Step: StepNew}, func(h *harness) {
			h.typeString("abc123")
			h.key(tcell.KeyEnter, 0)
		}, "ABC123", 0, ""},
		{"sign on-screen keyboard and delete", PINPrompt{Kind: kiosk.PINSign, TriesLeft: 5}, func(h *harness) {
			for _, k := range []string{"Z", "Q", "Z", "9", "9", "9", "9"} {
				h.click(h.findExact(k))
			}
			h.click(h.find("1字けす"))
			h.click(h.find("決定"))
		}, "ZQZ999", 0, ""},
		{"sign needs a digit", PINPrompt{Kind: kiosk.PINSign, TriesLeft: 5}, func(h *harness) {
			h.typeString("ABCDEFG")
			h.key(tcell.KeyEnter, 0)
		}, "", 7, "数字（0〜9）を入れてください"},
		{"sign seventeenth ignored", PINPrompt{Kind: kiosk.PINSign, Step: StepNew}, func(h *harness) {
			h.typeString("ABCDEFGH12345678X")
			h.key(tcell.KeyEnter, 0)
		}, "ABCDEFGH12345678", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, 80, 24, Japanese)
			h.show(View{Page: PagePIN, PIN: tc.prompt})
			tc.input(h)
			var sub []Intent
			for _, in := range h.intents {
				if in.Kind == IntentSubmitPIN {
					sub = append(sub, in)
				}
			}
			switch {
			case tc.wantPIN == "" && len(sub) > 0:
				t.Fatalf("submitted %q, want nothing", sub[0].PIN)
			case tc.wantPIN != "" && len(sub) != 1:
				t.Fatalf("%d submissions, want 1", len(sub))
			case tc.wantPIN != "":
				if string(sub[0].PIN) != tc.wantPIN || sub[0].PINKind != tc.prompt.Kind || sub[0].Step != tc.prompt.Step {
					t.Errorf("submitted %q %v %v, want %q", sub[0].PIN, sub[0].PINKind, sub[0].Step, tc.wantPIN)
				}
				if len(h.app.entry) != 0 {
					t.Errorf("entry still holds %d bytes after hand-over", len(h.app.entry))
				}
				if &h.app.entry == &sub[0].PIN || (cap(h.app.entry) > 0 && &h.app.entry[:1][0] == &sub[0].PIN[0]) {
					t.Error("UI still shares the handed-over PIN's memory")
				}
			}
			screen := h.dump()
			if n := strings.Count(screen, "●"); n != tc.wantDots {
				t.Errorf("%d dots on screen, want %d", n, tc.wantDots)
			}
			if tc.wantText != "" && !strings.Contains(screen, tc.wantText) {
				t.Errorf("screen lacks %q:\n%s", tc.wantText, screen)
			}
			for _, d := range []string{"1234", "4321", "5009", "ABC123", "ZQZ", "ABCDEFG"} {
				if strings.Contains(screen, d) {
					t.Errorf("screen shows typed characters %q", d)
				}
			}
		})
	}
}

// findExact returns the centre of the button whose label is exactly s.
func (h *harness) findExact(s string) (int, int) {
	h.t.Helper()
	for _, b := range h.app.frame.Buttons {
		if b.Label == s {
			return b.X + b.W/2, b.Y + b.H/2
		}
	}
	h.t.Fatalf("no button %q", s)
	return 0, 0
}

func TestCancelWipesEntry(t *testing.T) {
	h := newHarness(t, 80, 24, Japanese)
	h.show(View{Page: PagePIN, PIN: PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 3}})
	h.typeString("73")
	buf := h.app.entry[:cap(h.app.entry)]
	h.key(tcell.KeyEsc, 0)
	if got := h.kinds(); !slices.Equal(got, []IntentKind{IntentCancel}) {
		t.Fatalf("intents %v, want cancel", got)
	}
	// The domain answers a cancel with the menu: the entry must be gone.
	h.show(View{Page: PageMenu, Assessment: statusCases[0].a})
	for i, b := range buf {
		if b != 0 {
			t.Fatalf("entry byte %d not wiped: %q", i, b)
		}
	}
	if len(h.app.entry) != 0 {
		t.Errorf("entry length %d after cancel", len(h.app.entry))
	}
}

func TestPINStepChangeClearsEntry(t *testing.T) {
	h := newHarness(t, 80, 24, Japanese)
	h.show(View{Page: PagePIN, PIN: PINPrompt{Kind: kiosk.PINAuth, Step: StepNew}})
	h.typeString("55")
	h.show(View{Page: PagePIN, PIN: PINPrompt{Kind: kiosk.PINAuth, Step: StepConfirm}})
	if n := strings.Count(h.dump(), "●"); n != 0 {
		t.Errorf("%d dots carried into the next step", n)
	}
}

func TestLanguageSwitch(t *testing.T) {
	h := newHarness(t, 80, 24, Japanese)
	h.show(View{Page: PageStatus, Assessment: statusCases[0].a})
	if !strings.Contains(h.dump(), "有効です") {
		t.Fatal("not Japanese at start")
	}
	h.click(h.findExact("English"))
	s := h.dump()
	if !strings.Contains(s, "Valid") || strings.Contains(s, "有効です") {
		t.Fatalf("English switch did not take:\n%s", s)
	}
	h.click(h.findExact("日本語"))
	if !strings.Contains(h.dump(), "有効です") {
		t.Fatal("日本語 switch did not take")
	}
	if got := h.kinds(); len(got) != 0 {
		t.Errorf("language switch produced intents %v", got)
	}
}

func TestPagesKeypad(t *testing.T) {
	tests := []struct {
		v    View
		key  tcell.Key
		want IntentKind
	}{
		{View{Page: PageStatus, Assessment: statusCases[0].a}, tcell.KeyEnter, IntentNext},
		{View{Page: PageStatus, Assessment: statusCases[0].a}, tcell.KeyEsc, IntentFinish},
		{View{Page: PageGuidance, Guidance: kiosk.CodeExpired}, tcell.KeyEnter, IntentNext},
		{View{Page: PageLastTry, PIN: PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 1}}, tcell.KeyEnter, IntentConfirm},
		{View{Page: PageLastTry, PIN: PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 1}}, tcell.KeyEsc, IntentCancel},
		{View{Page: PageResult, Result: Result{Kind: ResultChanged}}, tcell.KeyEnter, IntentNext},
		{View{Page: PagePaperOut, Reference: "K01-1"}, tcell.KeyEnter, IntentNext},
		{View{Page: PagePIN, PIN: PINPrompt{Kind: kiosk.PINSign}}, tcell.KeyEsc, IntentCancel},
	}
	for _, tc := range tests {
		t.Run(tc.v.Page.String()+"_"+tcell.KeyNames[tc.key], func(t *testing.T) {
			h := newHarness(t, 80, 24, English)
			h.show(tc.v)
			h.key(tc.key, 0)
			if got := h.kinds(); !slices.Equal(got, []IntentKind{tc.want}) {
				t.Errorf("intents %v, want %v", got, tc.want)
			}
		})
	}
}

func TestIdleCountdown(t *testing.T) {
	h := newHarness(t, 80, 24, Japanese)
	deadline := testNow.Add(20 * time.Second)
	h.show(View{Page: PageMenu, Assessment: statusCases[0].a, IdleDeadline: deadline})
	for _, step := range []struct {
		advance time.Duration
		want    string
	}{
		{0, "あと 20 秒"}, {500 * time.Millisecond, "あと 20 秒"}, {time.Second, "あと 19 秒"},
		{10 * time.Second, "あと 9 秒"}, {9 * time.Second, "あと 0 秒"}, {5 * time.Second, "あと 0 秒"},
	} {
		h.now = h.now.Add(step.advance)
		h.app.draw() // what a tick does
		if s := h.dump(); !strings.Contains(s, step.want) {
			t.Fatalf("at %s: want %q on screen:\n%s", h.now.Sub(testNow), step.want, s)
		}
	}
	// Only the overlay's buttons answer: "1" (a menu choice behind) must not.
	h.key(tcell.KeyRune, '1')
	h.click(h.find("つづける"))
	if got := h.kinds(); !slices.Equal(got, []IntentKind{IntentContinue}) {
		t.Fatalf("intents %v, want continue", got)
	}
	h.intents = nil
	h.key(tcell.KeyEnter, 0)
	if got := h.kinds(); !slices.Equal(got, []IntentKind{IntentContinue}) {
		t.Fatalf("Enter: intents %v, want continue", got)
	}
	// The domain clears the deadline: the overlay goes.
	h.show(View{Page: PageMenu, Assessment: statusCases[0].a})
	if strings.Contains(h.dump(), "秒") {
		t.Error("countdown still shown after continue")
	}
}

func TestResize(t *testing.T) {
	h := newHarness(t, 80, 24, Japanese)
	h.show(View{Page: PageMenu, Assessment: statusCases[0].a})
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
	for _, b := range h.app.frame.Buttons {
		if b.Op == opIntent && b.W > 0 && b.H != 5 {
			t.Errorf("button %q is %d rows tall on the large screen, want 5", b.Label, b.H)
		}
	}
	h.click(x, y)
	if got := h.kinds(); !slices.Equal(got, []IntentKind{IntentChoose}) {
		t.Errorf("intents %v after resize, want choose", got)
	}
}

// TestRun drives the real event loop: views in, input through the
// screen's queue, intents out, and a clean stop.
func TestRun(t *testing.T) {
	scr := tcell.NewSimulationScreen("UTF-8")
	if err := scr.Init(); err != nil {
		t.Fatal(err)
	}
	defer scr.Fini()
	scr.SetSize(80, 24)
	intents := make(chan Intent, 16)
	ticks := make(chan time.Time)
	app := New(scr, Options{Municipality: muni, Now: func() time.Time { return testNow }, Ticks: ticks,
		OnIntent: func(in Intent) {
			if in.Kind != IntentActivity {
				intents <- in
			}
		}})
	views := make(chan View)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, views) }()

	views <- View{Page: PagePIN, PIN: PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 3}}
	for _, d := range "2468" {
		if err := app.Press(KeyDigit, d); err != nil {
			t.Fatal(err)
		}
	}
	scr.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
	in := recv(t, intents)
	if in.Kind != IntentSubmitPIN || string(in.PIN) != "2468" {
		t.Fatalf("got %+v", in)
	}
	kiosk.Wipe(in.PIN)
	views <- View{Page: PageMenu, Assessment: statusCases[0].a, IdleDeadline: testNow.Add(20 * time.Second)}
	ticks <- testNow // handled in the loop: proves ticks do not block
	// つづける sits right of centre on the overlay at 80x24 (see the
	// idle_warning golden); the frame itself belongs to Run's goroutine.
	if err := app.Tap(56, 13); err != nil {
		t.Fatal(err)
	}
	if in := recv(t, intents); in.Kind != IntentContinue {
		t.Fatalf("tap on overlay: %+v", in)
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

// recv waits for an intent; the timeout only turns a hang into a failure.
func recv(t *testing.T, ch <-chan Intent) Intent {
	t.Helper()
	select {
	case in := <-ch:
		return in
	case <-time.After(5 * time.Second):
		t.Fatal("no intent arrived")
		return Intent{}
	}
}
