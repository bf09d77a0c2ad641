package ui

import (
	"testing"

	"github.com/villagehall/kiosk/kiosk"
)

// Walking the signing PIN's alphabet with the keypad tells the voice which
// key is lit (Input.Lit, said into an earphone only), and the key 5 then
// types is the one last reported: a resident who hears 「ケー」 types K.
// Nothing else carries Lit: typing, deleting and the auth PIN's digits do not.
func TestLitKeyFollowsTheHighlight(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []harnessOpt
	}{{"4x3", []harnessOpt{noTouch()}}, {"4x4", []harnessOpt{withKeypad(keys4x4), noTouch()}}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, 80, 24, tc.opts...)
			h.show(pinView(kiosk.PINPrompt{Kind: kiosk.PINSign, Step: kiosk.StepNew}))
			typeSign(h, "K7")
			// Replay the inputs: a Lit moves the light, an input without
			// one is the 5 that types what is lit (the light starts on A).
			lit, heard := 'A', ""
			for _, in := range h.inputs {
				if in.Lit == 0 {
					heard += string(lit)
					continue
				}
				if _, ok := kiosk.SpellKey(in.Lit); !ok {
					t.Errorf("Lit %q is no key of the alphabet", in.Lit)
				}
				lit = in.Lit
			}
			if got := string(h.app.entry); got != "K7" || heard != got {
				t.Fatalf("typed %q; the lit keys at each 5 were %q", got, heard)
			}
		})
	}
	t.Run("auth digits carry no Lit", func(t *testing.T) {
		h := newHarness(t, 80, 24, noTouch())
		h.show(pinView(kiosk.PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 3}))
		h.key("2468")
		for _, in := range h.inputs {
			if in.Lit != 0 {
				t.Errorf("auth PIN key reported Lit %q", in.Lit)
			}
		}
	})
}
