package visitrun_test

import (
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/speaker/speakertest"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/visitrun"
)

func voiceRig(t *testing.T, sp *speakertest.Recorder) *rig {
	return newRigWith(t, func(c *visitrun.Config) {
		c.Speaker, c.Voice = sp, kiosk.VoiceConfig{Enabled: true, Volume: kiosk.VolumeMedium}
	})
}

// played waits until the speaker has been asked for an utterance whose
// text contains want, and returns everything played so far.
func played(t *testing.T, sp *speakertest.Recorder, want string) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var out []string
		found := false
		for _, u := range sp.Played() {
			out = append(out, u.String())
			found = found || strings.Contains(u.String(), want)
		}
		if found {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("speaker never played %q; played:\n%s", want, strings.Join(out, "\n"))
		}
		time.Sleep(2 * time.Millisecond) // polling a fake's list, not synchronising the code under test
	}
}

// typeAndSubmit is a resident typing a PIN: one input per key, then Enter.
func (r *rig) typeAndSubmit(kind kiosk.PINKind, step kiosk.PINStep, pin string) {
	r.t.Helper()
	v := r.await("PIN entry", func(v kiosk.View) bool {
		return v.Screen == kiosk.ScreenPIN && v.PIN.Kind == kind && v.PIN.Step == step
	})
	for range pin {
		r.press(kiosk.InputActivity)
	}
	r.send(kiosk.Input{Kind: kiosk.InputSubmit, PIN: []byte(pin), Serial: v.PIN.Serial})
}

// changeAuthPIN takes a fresh card from its status to the changed PIN.
func (r *rig) changeAuthPIN() {
	r.t.Helper()
	r.insert("fresh")
	r.toMenu()
	r.choose(kiosk.ActionChangeAuth)
	r.typeAndSubmit(kiosk.PINAuth, kiosk.StepCurrent, "1234")
	r.typeAndSubmit(kiosk.PINAuth, kiosk.StepNew, "5678")
	r.typeAndSubmit(kiosk.PINAuth, kiosk.StepConfirm, "5678")
}

func TestVoiceFollowsTheVisit(t *testing.T) {
	sp := &speakertest.Recorder{}
	r := voiceRig(t, sp)
	played(t, sp, "w.Insert")
	r.changeAuthPIN()
	r.screen(kiosk.ScreenResult)
	defer func() {
		if t.Failed() {
			t.Log(r.logs.String())
		}
	}()
	got := played(t, sp, "page.pin_changed.auth.title")
	want := []string{
		"ja vol=2 w.Insert w.InsertHow v.Help",
		"ja vol=2 w.Reading w.DontRemove",
		"ja vol=2 page.valid.auth.title tries.auth.3 tries.sign.5 v.NoDates page.valid.auth.next",
		"ja vol=2 w.MenuHead menu.1 menu.2 menu.3 menu.4 menu.5",
		"ja vol=2 w.PINNow.auth tries.auth.3 v.EnterDone",
		"click", "click", "click", "click", "click",
		"ja vol=2 w.PINNew.auth v.EnterDone",
		"click", "click", "click", "click", "click",
		"ja vol=2 w.PINAgain.auth v.EnterDone",
		"click", "click", "click", "click", "click",
		"ja vol=2 w.Working w.DontRemove",
		"ja vol=2 page.pin_changed.auth.title page.pin_changed.auth.what0 page.pin_changed.auth.what1",
	}
	if len(got) < len(want) {
		t.Fatalf("played %d, want at least %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("utterance %d: %q, want %q", i, got[i], w)
		}
	}
	// The result's slip note follows on its own when the slip is printed.
	played(t, sp, "w.SlipPrinted")
	r.press(kiosk.InputRepeat)
	r.press(kiosk.InputVolume)
	played(t, sp, "vol=3 v.VolumeSet")
}

// A speaker that blocks or fails never holds up the visit.
func TestBrokenSpeakerNeverStallsAVisit(t *testing.T) {
	for _, mode := range []string{"blocks", "fails"} {
		t.Run(mode, func(t *testing.T) {
			sp := &speakertest.Recorder{}
			sp.Block(mode == "blocks")
			sp.Fail(mode == "fails")
			r := voiceRig(t, sp)
			r.changeAuthPIN()
			if v := r.screen(kiosk.ScreenResult); v.Result.Code != kiosk.CodePINChanged {
				t.Fatalf("result %s", v.Result.Code)
			}
			r.stop() // and the runner stops with a blocked speaker
		})
	}
}
