package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

func withVoice() harnessOpt { return func(o *Options) { o.Voice = true } }

// The voice's keys work on every screen from the keypad alone (B Repeat,
// C Volume on a 4x4 pad), and are shown in the header with their keys.
func TestVoiceKeysOnEveryScreen(t *testing.T) {
	valid := statusOf("valid")
	idle := menuView(valid)
	idle.IdleLeft = 10 * time.Second
	views := map[string]kiosk.View{
		"waiting":  {Screen: kiosk.ScreenWaiting},
		"status":   statusView(valid),
		"menu":     menuView(valid),
		"pin":      pinView(kiosk.PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 3}),
		"sign pin": pinView(kiosk.PINPrompt{Kind: kiosk.PINSign, TriesLeft: 5}),
		"take":     {Screen: kiosk.ScreenTakeCard, CardIn: true},
		"idle":     idle,
		"oos":      {Screen: kiosk.ScreenOutOfService},
	}
	for name, v := range views {
		for _, l := range []kiosk.Lang{kiosk.Japanese, kiosk.English} {
			v.Lang = l
			h := newHarness(t, 80, 24, withKeypad(keys4x4), noTouch(), withVoice())
			h.show(v)
			top := strings.SplitN(h.dump(), "\n", 4)
			head := strings.Join(top[:3], "\n")
			repeat, volume := kiosk.VoiceWords()
			for _, want := range []string{repeat.In(l) + " [B]", volume.In(l) + " [C]"} {
				if !strings.Contains(head, want) {
					t.Errorf("%s %s: header lacks %q:\n%s", name, l, want, head)
				}
			}
			h.key("BC")
			var got []kiosk.InputKind
			for _, k := range h.kinds() {
				if k != kiosk.InputActivity {
					got = append(got, k)
				}
			}
			if len(got) != 2 || got[0] != kiosk.InputRepeat || got[1] != kiosk.InputVolume {
				t.Errorf("%s %s: B then C gave %v", name, l, got)
			}
		}
	}
}

// Without a speaker the screens carry no voice keys.
func TestNoVoiceKeysWithoutSpeaker(t *testing.T) {
	h := newHarness(t, 80, 24, withKeypad(keys4x4))
	h.show(kiosk.View{Screen: kiosk.ScreenWaiting})
	if repeat, _ := kiosk.VoiceWords(); strings.Contains(h.dump(), repeat.JA) {
		t.Errorf("voice keys shown without a speaker:\n%s", h.dump())
	}
}

// The voice numbers the menu as the screen does.
func TestMenuNumbersAsTheVoiceSaysThem(t *testing.T) {
	w := kiosk.Catalogue()
	items := kiosk.MenuItems(w)
	if len(items) != len(menuItems) {
		t.Fatalf("voice menu has %d items, screen %d", len(items), len(menuItems))
	}
	for i, it := range menuItems {
		if it.a != items[i].Action || it.t(&w) != items[i].Text {
			t.Errorf("item %d: screen %v %q, voice %v %q", i+1, it.a, it.t(&w).JA, items[i].Action, items[i].Text.JA)
		}
	}
}
