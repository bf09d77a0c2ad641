package kiosk_test

import (
	"testing"

	"github.com/villagehall/kiosk/kiosk"
)

// The voice with an earphone jack, step by step: the signing PIN screen
// says how to hear the letters, a lit key is said only with a plug in and
// only privately, Repeat never replays a lit key, and plugging in or out
// says so and says the screen again. Without a jack the screen says the
// letters are never said aloud and Earphone changes nothing.
func TestVoiceEarphone(t *testing.T) {
	sign := kiosk.View{Screen: kiosk.ScreenPIN, CardIn: true, PIN: kiosk.PINPrompt{Kind: kiosk.PINSign, Step: kiosk.StepNew}}
	auth := kiosk.View{Screen: kiosk.ScreenPIN, CardIn: true, PIN: kiosk.PINPrompt{Kind: kiosk.PINAuth, Step: kiosk.StepNew}}
	s := kiosk.NewVoice(kiosk.VoiceConfig{Enabled: true, Volume: kiosk.VolumeMedium, Jack: true})
	tests := []struct {
		name string
		do   func() []kiosk.Utterance
		want string
	}{
		{"sign PIN, no earphone", func() []kiosk.Utterance { return s.Observe(sign) },
			"ja vol=2 w.PINNew.sign w.PickHelp v.SpellInEar v.EnterDone"},
		{"a lit key, no earphone: nothing", func() []kiosk.Utterance { return s.Lit('K', kiosk.ScreenPIN, kiosk.Japanese) }, ""},
		{"plug in", func() []kiosk.Utterance { return s.Earphone(true) }, "ja vol=2 v.EarOn"},
		{"plugged in twice: once", func() []kiosk.Utterance { return s.Earphone(true) }, ""},
		{"the screen again, for the earphone", func() []kiosk.Utterance { return s.Observe(sign) },
			"ja vol=2 w.PINNew.sign w.PickHelp v.SpellNow v.EnterDone"},
		{"a lit key", func() []kiosk.Utterance { return s.Lit('K', kiosk.ScreenPIN, kiosk.Japanese) }, "ja vol=2 private(1)"},
		{"no key of the alphabet", func() []kiosk.Utterance { return s.Lit('k', kiosk.ScreenPIN, kiosk.Japanese) }, ""},
		{"not on a PIN screen", func() []kiosk.Utterance { return s.Lit('K', kiosk.ScreenMenu, kiosk.Japanese) }, ""},
		{"Repeat says the screen, not the key", func() []kiosk.Utterance { return s.Input(kiosk.InputRepeat, kiosk.ScreenPIN, kiosk.Japanese) },
			"click vol=2 | ja vol=2 w.PINNew.sign w.PickHelp v.SpellNow v.EnterDone"},
		{"pull out", func() []kiosk.Utterance { return s.Earphone(false) }, "ja vol=2 v.EarOff"},
		{"a lit key after: nothing", func() []kiosk.Utterance { return s.Lit('K', kiosk.ScreenPIN, kiosk.Japanese) }, ""},
		{"the auth PIN has no alphabet", func() []kiosk.Utterance { return s.Observe(auth) }, "ja vol=2 w.PINNew.auth v.EnterDone"},
	}
	for _, tt := range tests {
		if got := ids(tt.do()); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
	k, _ := kiosk.SpellKey('K')
	if u := kiosk.Speak(kiosk.Japanese, 2, k); !u.Private() || u.Prompts()[0] != "key.K" {
		t.Errorf("the lit K: %v private=%v", u.Prompts(), u.Private())
	}

	nojack := kiosk.NewVoice(kiosk.VoiceConfig{Enabled: true, Volume: kiosk.VolumeMedium})
	if got := ids(nojack.Observe(sign)); got != "ja vol=2 w.PINNew.sign w.PickHelp v.NoSpellAloud v.EnterDone" {
		t.Errorf("no jack: %q", got)
	}
	if got := append(nojack.Earphone(true), nojack.Lit('K', kiosk.ScreenPIN, kiosk.Japanese)...); len(got) != 0 {
		t.Errorf("no jack, yet %q", ids(got))
	}
}

// Every key of the alphabet has a prompt, and nothing else is a key.
func TestSpellKeys(t *testing.T) {
	prompts := kiosk.Prompts()
	for _, r := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" + string(kiosk.DeleteKey) {
		k, ok := kiosk.SpellKey(r)
		if !ok {
			t.Fatalf("%q is no key", r)
		}
		id := kiosk.Speak(kiosk.English, 1, k).Prompts()[0]
		if _, ok := prompts[id]; !ok {
			t.Errorf("%q: %s is no prompt", r, id)
		}
	}
	for _, r := range "az!　Ａ " {
		if _, ok := kiosk.SpellKey(r); ok {
			t.Errorf("%q is a key", r)
		}
	}
}
