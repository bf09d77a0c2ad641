package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/jpki"
	"github.com/villagehall/kiosk/drivers/pcsc/pcsctest"
	"github.com/villagehall/kiosk/kiosk"
)

// speech is what the sim speaker was asked to say, one utterance a line,
// without the volume; "(cut)" marks one a newer prompt overtook.
func (s *screen) speech() []string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "voice", "speech.log"))
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line != "" {
			out = append(out, strings.TrimSuffix(regexp.MustCompile(` ?vol=\d`).ReplaceAllString(line, ""), " (cut)"))
		}
	}
	return out
}

func (s *screen) waitSaid(want string) []string {
	s.t.Helper()
	return s.waitSpeech(want, func(got []string) bool {
		return slices.ContainsFunc(got, func(l string) bool { return strings.Contains(l, want) })
	})
}

// waitSaidLast waits until the last thing said holds want: a prompt said
// earlier in the visit (the greeting) does not count.
func (s *screen) waitSaidLast(want string) []string {
	s.t.Helper()
	return s.waitSpeech(want, func(got []string) bool {
		return len(got) > 0 && strings.Contains(got[len(got)-1], want)
	})
}

func (s *screen) waitSpeech(want string, done func([]string) bool) []string {
	s.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := s.speech()
		if done(got) {
			return got
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("never said %q; said:\n%s", want, strings.Join(got, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWholeProgramVoice: the kiosk binary with the sim speaker and a 4x4
// keypad alone, through the real PC/SC stack: a status, a PIN change with a
// canary PIN, a locked PIN's guidance, the Repeat and Volume keys. The
// prompts come in order, PIN entry plays nothing but one click per key,
// and nothing spoken is a date or a PIN.
func TestWholeProgramVoice(t *testing.T) {
	const canary = "7391"
	pcsctest.StartPCSCD(t)
	s := startKiosk(t, kit{layout: []string{"123A", "456B", "789C", "*0#D"}, noTouch: true, speaker: true})
	frame := s.waitFor("もう一度 [B]", 5*time.Second)
	if !strings.Contains(frame, "音量 [C]") {
		t.Fatalf("no volume key on the waiting screen:\n%s", frame)
	}
	s.waitSaid("w.Insert")

	vc := card(t, "fresh")
	slot := pcsctest.Insert(t, vc)
	s.waitFor("電子証明書は、有効期限内です", 5*time.Second)
	s.waitSaid("page.valid.auth.title")
	s.keys("C") // louder, heard at once; then Repeat says the status again
	s.waitSaid("v.VolumeSet")
	s.keys("B")
	s.keys("#")
	s.waitFor("なにをしますか", 5*time.Second)
	s.keys("2")
	for _, step := range []struct {
		step pinStep
		pin  string
	}{{stepCurrent, "1234"}, {stepNew, canary}, {stepConfirm, canary}} {
		s.waitStep(step.step)
		s.keys(append(strings.Split(step.pin, ""), "#")...)
	}
	s.waitFor("を変更しました", 5*time.Second)
	s.waitSaid("page.pin_changed.auth.title")
	if !vc.PINMatches(jpki.EFAuthPIN, []byte(canary)) {
		t.Fatal("the card does not hold the new PIN")
	}
	pcsctest.Remove(t, slot)
	s.waitWaiting("を変更しました", 5*time.Second)

	slot = pcsctest.Insert(t, card(t, "auth-locked"))
	s.waitFor("ロックされています", 5*time.Second)
	s.keys("#")
	s.waitSaid("page.auth_locked.auth.bring0")
	pcsctest.Remove(t, slot)
	s.waitWaiting("ロックされています", 5*time.Second)
	got := s.waitSaidLast("w.Insert w.InsertHow v.Help") // and the next resident is greeted

	// At start the reader may show up a moment after the first frame (out
	// of service, overtaken at once): compare from the card's greeting.
	if i := slices.Index(got, "ja w.Reading w.DontRemove"); i > 0 {
		got = got[i-1:]
	}
	// A slip's note is said with its page or on its own just after,
	// depending on whether the printer beat the screen: the same to hear.
	var merged []string
	for _, l := range got {
		if l == "ja w.SlipPrinted" && len(merged) > 0 {
			merged[len(merged)-1] += " w.SlipPrinted"
			continue
		}
		merged = append(merged, l)
	}
	got = merged
	want := []string{
		"ja w.Insert w.InsertHow v.Help",
		"ja w.Reading w.DontRemove",
		"ja page.valid.auth.title tries.auth.3 tries.sign.5 v.NoDates page.valid.auth.next",
		"ja v.VolumeSet",
		"ja page.valid.auth.title tries.auth.3 tries.sign.5 v.NoDates page.valid.auth.next",
		"ja w.MenuHead menu.1 menu.2 menu.3 menu.4 menu.5",
		"ja w.PINNow.auth tries.auth.3 v.EnterDone",
		"click", "click", "click", "click", "click",
		"ja w.PINNew.auth v.EnterDone",
		"click", "click", "click", "click", "click",
		"ja w.PINAgain.auth v.EnterDone",
		"click", "click", "click", "click", "click",
		"ja w.Working w.DontRemove",
		"ja page.pin_changed.auth.title page.pin_changed.auth.what0 page.pin_changed.auth.what1 w.SlipPrinted",
		"ja w.Insert w.InsertHow v.Help",
		"ja w.Reading w.DontRemove",
		"ja page.auth_locked.auth.title page.valid.auth.title tries.sign.5 v.NoDates page.auth_locked.auth.next",
		"ja page.auth_locked.auth.title page.auth_locked.auth.what0 page.auth_locked.auth.what1 page.auth_locked.auth.what2 page.auth_locked.auth.what3 w.Bring page.auth_locked.auth.bring0 w.SlipPrinted",
		"ja w.Insert w.InsertHow v.Help",
	}
	if !slices.Equal(got, want) {
		t.Errorf("said:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Every word spoken is a catalogue prompt, none holds a date or a
	// digit of the PIN typed.
	ids := map[string]bool{"click": true, "ja": true}
	for _, id := range kiosk.PromptIDs() {
		ids[string(id)] = true
	}
	for _, line := range got {
		for _, f := range strings.Fields(line) {
			if !ids[f] {
				t.Errorf("spoken %q is not a prompt", f)
			}
		}
	}
	b, _ := os.ReadFile(filepath.Join(s.dir, "voice", "speech.log"))
	if strings.Contains(string(b), canary) {
		t.Error("the PIN is in the speaker's log")
	}
	s.canaries(canary, "NOSIGNCHANGE")
}
