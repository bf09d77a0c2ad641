package kiosk_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// Every spoken prompt has a reading checked against its current text: a
// catalogue change shows here first (make voice-readings, check, commit).
func TestEveryPromptHasACheckedReading(t *testing.T) {
	r, err := kiosk.Readings()
	if err != nil {
		t.Fatal(err)
	}
	prompts := kiosk.Prompts()
	for _, id := range kiosk.PromptIDs() {
		got, ok := r[id]
		switch {
		case !ok:
			t.Errorf("%s: no reading in kiosk/readings.tsv", id)
		case got.Text != prompts[id].JA:
			t.Errorf("%s: reading checked against %q, the catalogue now says %q", id, got.Text, prompts[id].JA)
		case !regexp.MustCompile(`^[ァ-ヴー]+$`).MatchString(got.Kana):
			t.Errorf("%s: reading %q is not katakana", id, got.Kana)
		}
	}
	for id := range r {
		if _, ok := prompts[id]; !ok {
			t.Errorf("readings.tsv: %s is no prompt any more", id)
		}
	}
}

// No prompt can carry a date, a placeholder or anything from the
// configuration: the voice is built once for every kiosk.
func TestPromptsHoldNothingPersonal(t *testing.T) {
	dateish := regexp.MustCompile(`[0-9０-９]+\s*(年|月|日)|令和|平成|%|20[0-9][0-9]`)
	for id, p := range kiosk.Prompts() {
		for _, s := range []string{p.JA, p.EN} {
			if s == "" || dateish.MatchString(s) {
				t.Errorf("%s: %q is empty or may say a date or a placeholder", id, s)
			}
		}
	}
}

func sampleViews() map[string]kiosk.View {
	a := kiosk.Assessment{Card: kiosk.CardMyNumber, Code: kiosk.CodeValid, Conditions: []kiosk.Code{kiosk.CodeValid},
		HasAuth: true, HasSign: true, AuthTries: 3, SignTries: 5,
		Auth: kiosk.CertAssessment{Verdict: kiosk.CodeValid, NotAfter: time.Date(2031, 3, 31, 0, 0, 0, 0, kiosk.JST()), DaysLeft: 1200}}
	locked := a
	locked.Code, locked.Conditions, locked.AuthLocked, locked.AuthTries = kiosk.CodeAuthLocked, []kiosk.Code{kiosk.CodeAuthLocked, kiosk.CodeValid}, true, 0
	m := kiosk.Municipality{Name: "〇〇村", Office: "住民福祉課", Phone: "0000", Hours: "平日"}
	page := kiosk.Guide(kiosk.CodeAuthLocked, kiosk.PINAuth, m)
	res := kiosk.Guide(kiosk.CodePINChanged, kiosk.PINAuth, m)
	return map[string]kiosk.View{
		"waiting":  {Screen: kiosk.ScreenWaiting},
		"status":   {Screen: kiosk.ScreenStatus, CardIn: true, Assessment: &a, Pages: kiosk.StatusPages(a, m)},
		"locked":   {Screen: kiosk.ScreenStatus, CardIn: true, Assessment: &locked, Pages: kiosk.StatusPages(locked, m)},
		"guidance": {Screen: kiosk.ScreenGuidance, CardIn: true, Page: &page, Note: kiosk.SlipNote{State: kiosk.SlipPrinted}},
		"menu":     {Screen: kiosk.ScreenMenu, CardIn: true, Actions: []kiosk.Action{kiosk.ActionChangeAuth}},
		"pin":      {Screen: kiosk.ScreenPIN, CardIn: true, PIN: kiosk.PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 3}},
		"pin-sign": {Screen: kiosk.ScreenPIN, CardIn: true, PIN: kiosk.PINPrompt{Kind: kiosk.PINSign, Step: kiosk.StepConfirm, Mismatch: true}},
		"check":    {Screen: kiosk.ScreenPIN, CardIn: true, PIN: kiosk.PINPrompt{Kind: kiosk.PINSign, ForSignCheck: true, TriesLeft: 1}},
		"last-try": {Screen: kiosk.ScreenLastTry, CardIn: true, PIN: kiosk.PINPrompt{Kind: kiosk.PINSign}},
		"result":   {Screen: kiosk.ScreenResult, CardIn: true, Page: &res},
		"notice":   {Screen: kiosk.ScreenNotice},
		"take":     {Screen: kiosk.ScreenTakeCard, CardIn: true, SlipTaken: true},
		"reading":  {Screen: kiosk.ScreenReading, CardIn: true},
		"working":  {Screen: kiosk.ScreenWorking, CardIn: true},
		"oos":      {Screen: kiosk.ScreenOutOfService},
	}
}

// Everything a screen says is a rendered prompt.
func TestScreenSpeechIsAllPrompts(t *testing.T) {
	prompts := kiosk.Prompts()
	for name, v := range sampleViews() {
		for _, l := range []kiosk.Lang{kiosk.Japanese, kiosk.English} {
			v.Lang = l
			s := kiosk.NewVoice(kiosk.VoiceConfig{Enabled: true})
			us := s.Observe(v)
			if len(us) == 0 || len(us[0].Prompts) == 0 {
				t.Fatalf("%s: says nothing", name)
			}
			for _, u := range us {
				for _, id := range u.Prompts {
					if _, ok := prompts[id]; !ok {
						t.Errorf("%s: %s is not a prompt", name, id)
					}
				}
			}
		}
	}
}

func ids(us []kiosk.Utterance) string {
	var out []string
	for _, u := range us {
		out = append(out, u.String())
	}
	return strings.Join(out, " | ")
}

func TestStatusSummary(t *testing.T) {
	vs := sampleViews()
	tests := []struct {
		view string
		want string
	}{
		{"status", "ja vol=2 page.valid.auth.title tries.auth.3 tries.sign.5 v.NoDates page.valid.auth.next"},
		{"locked", "ja vol=2 page.auth_locked.auth.title page.valid.auth.title tries.sign.5 v.NoDates page.auth_locked.auth.next"},
		{"guidance", "ja vol=2 page.auth_locked.auth.title page.auth_locked.auth.what0 page.auth_locked.auth.what1 page.auth_locked.auth.what2 page.auth_locked.auth.what3 w.Bring page.auth_locked.auth.bring0 w.SlipPrinted"},
		{"pin", "ja vol=2 w.PINNow.auth tries.auth.3 v.EnterDone"},
		{"menu", "ja vol=2 w.MenuHead menu.1 menu.2 menu.5"},
	}
	for _, tt := range tests {
		got := ids(kiosk.NewVoice(kiosk.VoiceConfig{Enabled: true}).Observe(vs[tt.view]))
		if got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.view, got, tt.want)
		}
	}
}

func TestVoiceSequence(t *testing.T) {
	vs := sampleViews()
	s := kiosk.NewVoice(kiosk.VoiceConfig{Enabled: true, Volume: kiosk.VolumeLow})
	step := func(name string, v kiosk.View, want string) {
		t.Helper()
		if got := ids(s.Observe(v)); got != want {
			t.Errorf("%s:\n got %q\nwant %q", name, got, want)
		}
	}
	step("waiting", vs["waiting"], "ja vol=1 w.Insert w.InsertHow v.Help")
	step("same view again", vs["waiting"], "")
	s.Input(kiosk.InputVolume, kiosk.ScreenWaiting, kiosk.Japanese)
	s.Input(kiosk.InputVolume, kiosk.ScreenWaiting, kiosk.Japanese)
	if s.Volume() != kiosk.VolumeHigh {
		t.Fatalf("volume %d after two presses from 1", s.Volume())
	}
	step("a card resets the volume", vs["reading"], "ja vol=1 w.Reading w.DontRemove")
	// On the PIN screen every key is the same click, whatever it is.
	step("pin", vs["pin"], "ja vol=1 w.PINNow.auth tries.auth.3 v.EnterDone")
	for _, in := range []kiosk.InputKind{kiosk.InputActivity, kiosk.InputActivity, kiosk.InputBack, kiosk.InputSubmit, kiosk.InputVolume} {
		got := s.Input(in, kiosk.ScreenPIN, kiosk.Japanese)
		if len(got) != 1 || !got[0].Click {
			t.Errorf("%s on the PIN screen played %q, want one click", in, ids(got))
		}
	}
	if got := ids(s.Input(kiosk.InputRepeat, kiosk.ScreenPIN, kiosk.Japanese)); got != "click vol=2 | ja vol=2 w.PINNow.auth tries.auth.3 v.EnterDone" {
		t.Errorf("repeat on the PIN screen: %q", got)
	}
	// The idle warning, then the same screen: only the warning is said.
	idle := vs["pin"]
	idle.IdleLeft = 5 * time.Second
	step("idle", idle, "ja vol=2 w.IdleHead v.IdleGoOn")
	step("idle gone", vs["pin"], "")
	en := vs["pin"]
	en.Lang = kiosk.English
	step("English", en, "en vol=2 w.PINNow.auth tries.auth.3 v.EnterDone")
	// A slip note arriving on the same page says only the note.
	g := vs["guidance"]
	g.Note = kiosk.SlipNote{State: kiosk.SlipPending}
	s.Observe(g)
	g.Note = kiosk.SlipNote{State: kiosk.SlipNotPrinted}
	step("note", g, "ja vol=2 w.SlipNotPrinted")

	off := kiosk.NewVoice(kiosk.VoiceConfig{Enabled: false})
	if got := append(off.Observe(vs["waiting"]), off.Input(kiosk.InputActivity, kiosk.ScreenPIN, kiosk.Japanese)...); len(got) != 0 {
		t.Errorf("voice off still plays %q", ids(got))
	}
}

// Whatever is typed, the PIN screen plays the same thing: the speech of a
// PIN screen depends on the step, never on the entry (the View holds none).
func TestPINSpeechIgnoresEntry(t *testing.T) {
	v := sampleViews()["pin"]
	a, _ := kiosk.ScreenSpeech(v)
	v.PIN.Serial++ // a new entry (what typing changes)
	b, _ := kiosk.ScreenSpeech(v)
	if !slices.Equal(a, b) {
		t.Errorf("PIN speech changed with the entry: %v vs %v", a, b)
	}
}
