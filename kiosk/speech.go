package kiosk

import (
	"context"
	"fmt"
	"strings"
)

// Part is one piece of what the kiosk says: a catalogue prompt or a typed
// fragment. The interface is sealed (its method is unexported), so only
// the types of this file are parts: a PIN ([]byte) or any string cannot
// become speech, by type.
type Part interface{ prompt() PromptID }

// Say is a catalogue prompt, by ID.
type Say PromptID

func (s Say) prompt() PromptID { return PromptID(s) }

// TriesCount is the count of wrong entries left before PIN Kind locks: a
// whole sentence per count (1 to the PIN's maximum), never a number clip
// joined to words.
type TriesCount struct {
	Kind PINKind
	N    int
}

func (t TriesCount) prompt() PromptID { return triesID(t.Kind, t.N) }

// Spelled is one key of the signing PIN's on-screen alphabet, lit by the
// keypad's arrows: A-Z, 0-9 or 1字けす. It may be said only into the
// earphone (an utterance holding one is Private): aloud, the letter the
// resident is about to type is the PIN. Its field is unexported, so only
// SpellKey makes one.
type Spelled struct{ r rune }

func (s Spelled) prompt() PromptID { return spellID(s.r) }

// DeleteKey is the alphabet's 1字けす cell as SpellKey takes it.
const DeleteKey = '<'

// SpellKey is the lit key r as a part; false for anything that is no key
// of the alphabet.
func SpellKey(r rune) (Spelled, bool) {
	if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == DeleteKey {
		return Spelled{r}, true
	}
	return Spelled{}, false
}

func spellID(r rune) PromptID {
	if r == DeleteKey {
		return "key.Delete"
	}
	return PromptID("key." + string(r))
}

// Volume steps: -12, -6 and 0 dB, scaled by the player.
const (
	VolumeLow    = 1
	VolumeMedium = 2
	VolumeHigh   = 3
)

// Utterance is one thing to play: prompts in order, or one click. Its
// prompts are unexported and set only from Parts (Speak), so nothing
// outside this package can make the kiosk say a string of its choosing.
type Utterance struct {
	Lang Lang
	// Click is the one key click, the same sound for every key: during
	// PIN entry it is all that plays through the speaker.
	Click  bool
	Volume int // VolumeLow..VolumeHigh

	prompts []PromptID
	private bool // holds a Spelled key: the earphone only, never the speaker
}

// Speak is an utterance of parts in l at volume.
func Speak(l Lang, volume int, parts ...Part) Utterance {
	u := Utterance{Lang: l, Volume: volume}
	for _, p := range parts {
		if _, ok := p.(Spelled); ok {
			u.private = true
		}
		u.prompts = append(u.prompts, p.prompt())
	}
	return u
}

// Prompts are the utterance's prompt IDs, in order (a copy).
func (u Utterance) Prompts() []PromptID { return append([]PromptID(nil), u.prompts...) }

// Private says the utterance may be played only into the earphone: it
// names a key of the signing PIN's alphabet.
func (u Utterance) Private() bool { return u.private }

// String is the utterance as the sim speaker's log and the tests read it:
// "click" or "<lang> <id> <id>…", with the volume. A private utterance
// is not spelled out (logs must not hold what was lit before it was
// typed): "<lang> vol=N private(k)".
func (u Utterance) String() string {
	switch {
	case u.Click:
		return fmt.Sprintf("click vol=%d", u.Volume)
	case u.private:
		return fmt.Sprintf("%s vol=%d private(%d)", u.Lang, u.Volume, len(u.prompts))
	}
	ids := make([]string, len(u.prompts))
	for i, id := range u.prompts {
		ids[i] = string(id)
	}
	return fmt.Sprintf("%s vol=%d %s", u.Lang, u.Volume, strings.Join(ids, " "))
}

// Speaker plays utterances. Play returns when the sound has played, ctx
// ended (the player stops at once) or it failed.
type Speaker interface {
	Play(ctx context.Context, u Utterance) error
}

// VoiceConfig sets up a Voice.
type VoiceConfig struct {
	Enabled bool
	Volume  int // the level each new card starts at (VolumeLow..VolumeHigh)
	// Jack: an earphone jack that reports its plug is fitted. With an
	// earphone in, the voice goes there alone, and the signing PIN's lit
	// key is said (into the earphone only).
	Jack bool
}

// Voice decides what the kiosk says, from the views the visit publishes
// and the keys the resident presses. It is pure, like Visit: views and
// inputs in, utterances out. It says a screen when the screen (or its
// language) changes, an error when one appears, the idle warning, and
// plays only the click while a PIN is being typed. It never sees a PIN.
type Voice struct {
	cfg    VoiceConfig
	volume int
	cardIn bool
	shown  string // the key of what was last said for the screen
	note   string // the key of the slip note last said
	idle   bool
	last   Utterance // for the Repeat key
	ear    bool      // an earphone is plugged in
	lang   Lang      // of the view last observed
}

// NewVoice makes a Voice at the configured volume.
func NewVoice(cfg VoiceConfig) *Voice {
	if cfg.Volume < VolumeLow || cfg.Volume > VolumeHigh {
		cfg.Volume = VolumeMedium
	}
	return &Voice{cfg: cfg, volume: cfg.Volume}
}

// Volume is the current step.
func (s *Voice) Volume() int { return s.volume }

// Observe takes the view now on the screen and returns what to say, if
// anything changed that the resident should hear.
func (s *Voice) Observe(v View) []Utterance {
	if !s.cfg.Enabled {
		return nil
	}
	if v.CardIn && !s.cardIn {
		s.volume = s.cfg.Volume // every card starts at the default level
	}
	s.cardIn = v.CardIn
	var out []Utterance
	if idle := v.IdleLeft > 0; idle != s.idle {
		s.idle = idle
		if idle {
			out = append(out, s.say(v.Lang, Say("w.IdleHead"), Say("v.IdleGoOn")))
		}
	}
	s.lang = v.Lang
	parts, note := ScreenSpeech(v)
	if h := s.spellHint(v); len(h) > 0 && len(parts) > 0 {
		// Before the last sentence (「入れおわったら、決定のキーを…」).
		last := parts[len(parts)-1]
		parts = append(append(parts[:len(parts)-1:len(parts)-1], h...), last)
	}
	// The earphone's state is in the key: plugged in or out, the screen
	// is said again where the resident now listens.
	key := fmt.Sprint(v.Screen, v.Lang, parts, s.ear)
	noteKey := fmt.Sprint(key, note)
	switch {
	case key != s.shown:
		s.shown, s.note = key, noteKey
		out = append(out, s.say(v.Lang, append(parts, note...)...))
	case noteKey != s.note:
		// Only the slip changed (printed, or not): say just that.
		s.note = noteKey
		if len(note) > 0 {
			out = append(out, s.say(v.Lang, note...))
		}
	}
	return out
}

// Input is a key or touch on screen (what the visit is showing): a click
// on the PIN screen (the same for every key), the Repeat and Volume keys.
func (s *Voice) Input(in InputKind, screen Screen, lang Lang) []Utterance {
	if !s.cfg.Enabled {
		return nil
	}
	var out []Utterance
	if screen == ScreenPIN {
		out = append(out, Utterance{Click: true, Volume: s.volume})
	}
	switch in {
	case InputRepeat:
		if len(s.last.prompts) > 0 {
			u := s.last
			u.Volume = s.volume
			out = append(out, u)
		}
	case InputVolume:
		s.volume = s.volume%VolumeHigh + 1
		if screen != ScreenPIN {
			out = append(out, Speak(lang, s.volume, Say("v.VolumeSet")))
		}
	}
	return out
}

// Earphone tells the voice an earphone was plugged in or pulled out; the
// screen is said again on the next Observe, where the resident listens
// now. The player mutes an earphone that is pulled out by itself (the
// speaker driver's Router): this only changes what is said.
func (s *Voice) Earphone(plugged bool) []Utterance {
	if !s.cfg.Enabled || !s.cfg.Jack || plugged == s.ear {
		return nil
	}
	s.ear = plugged
	if plugged {
		return []Utterance{s.say(s.lang, Say("v.EarOn"))}
	}
	return []Utterance{s.say(s.lang, Say("v.EarOff"))}
}

// Lit says the signing PIN alphabet's lit key, into the earphone only
// (the utterance is Private): with no earphone in, nothing but the click
// Input plays.
func (s *Voice) Lit(r rune, screen Screen, lang Lang) []Utterance {
	if !s.cfg.Enabled || !s.ear || screen != ScreenPIN {
		return nil
	}
	k, ok := SpellKey(r)
	if !ok {
		return nil
	}
	return []Utterance{s.say(lang, k)}
}

// spellHint is what the signing PIN's screen adds about its alphabet: how
// to hear the lit key (an earphone), or that the kiosk never says it
// aloud (no jack fitted).
func (s *Voice) spellHint(v View) []Part {
	if v.Screen != ScreenPIN || v.PIN.Kind != PINSign {
		return nil
	}
	switch {
	case !s.cfg.Jack:
		return []Part{Say("v.NoSpellAloud")}
	case !s.ear:
		return []Part{Say("v.SpellInEar")}
	}
	return []Part{Say("v.SpellNow")}
}

func (s *Voice) say(l Lang, parts ...Part) Utterance {
	u := Speak(l, s.volume, parts...)
	if len(u.prompts) > 0 && !u.private {
		s.last = u
	}
	return u
}

// ScreenSpeech is what a view says: the screen's parts, and apart from
// them the slip's note, which may change while the screen stays. Never a
// date (the expiry date is the 5th birthday), a name, an office address
// from the configuration or anything typed.
func ScreenSpeech(v View) (parts, note []Part) {
	switch v.Screen {
	case ScreenWaiting:
		return []Part{Say("w.Insert"), Say("w.InsertHow"), Say("v.Help")}, nil
	case ScreenReading:
		return []Part{Say("w.Reading"), Say("w.DontRemove")}, nil
	case ScreenWorking:
		return []Part{Say("w.Working"), Say("w.DontRemove")}, nil
	case ScreenStatus:
		return statusSpeech(v), nil
	case ScreenGuidance:
		if v.Page == nil {
			return nil, nil
		}
		return pageSpeech(*v.Page, true), noteSpeech(v.Note)
	case ScreenMenu:
		return menuSpeech(v), nil
	case ScreenLastTry:
		return []Part{Say("w.LastTryHead"), Say(fmt.Sprintf("w.LastTryWhat.%s", v.PIN.Kind))}, nil
	case ScreenPIN:
		return pinSpeech(v.PIN), nil
	case ScreenResult, ScreenNotice:
		if v.Page == nil {
			return []Part{Say("w.RemovedHead"), Say("w.RemovedMidChange")}, nil
		}
		return pageSpeech(*v.Page, false), noteSpeech(v.Note)
	case ScreenTakeCard:
		p := []Part{Say("w.TakeCard")}
		if v.SlipTaken {
			p = append(p, Say("w.TakeSlip"))
		}
		return append(p, Say("w.Thanks")), nil
	case ScreenOutOfService:
		return []Part{Say("w.OutOfService"), Say("w.OutOfSvcWhat")}, nil
	case ScreenUpdating:
		// Said once on entering: a resident who cannot see the progress
		// still learns to wait and not to insert a card.
		return []Part{Say("w.Updating"), Say("w.UpdatingWhat")}, nil
	}
	return nil, nil
}

// statusSpeech is the status summary: each condition's headline, the tries
// left for each PIN that is not locked, what to do next. The dates are on
// the screen only: the voice says to read them there.
func statusSpeech(v View) []Part {
	var out []Part
	for _, p := range v.Pages {
		out = append(out, statusTitle(p))
	}
	if a := v.Assessment; a != nil && a.Card == CardMyNumber {
		if a.HasAuth && !a.AuthLocked && a.AuthTries > 0 {
			out = append(out, TriesCount{PINAuth, min(a.AuthTries, PINAuth.MaxTries())})
		}
		if a.HasSign && !a.SignLocked && a.SignTries > 0 {
			out = append(out, TriesCount{PINSign, min(a.SignTries, PINSign.MaxTries())})
		}
		if a.HasAuth {
			out = append(out, Say("v.NoDates"))
		}
	}
	if len(v.Pages) == 0 {
		return out
	}
	// What the screen says under a lead within its dates (what the kiosk
	// could not check) is said too: the voice claims no more than the screen.
	if p := v.Pages[0]; !p.Office && !p.Retry {
		for i := range p.What {
			out = append(out, Say(pageID(p.Code, p.Subject, fmt.Sprintf("what%d", i))))
		}
	}
	if v.Pages[0].Next != (Text{}) {
		out = append(out, statusNext(v.Pages[0]))
	}
	return out
}

// statusTitle and statusNext are the prompts of the headline and the next
// step a status page shows: StatusPages and RetryPage reword some of
// Guide's pages, and the voice says what the screen says.
func statusTitle(p Page) Part {
	if p.Title == validAuthLocked {
		return Say("status.ValidAuthLocked")
	}
	return Say(pageID(p.Code, p.Subject, "title"))
}

func statusNext(p Page) Part {
	if p.Retry {
		return Say("status.InsertAgain")
	}
	return Say(pageID(p.Code, p.Subject, "next"))
}

// pageSpeech reads a page: the headline, what it means, and on a guidance
// page what to bring. The office's name, phone and hours come from the
// configuration: they are on the screen and the slip, not in the voice.
func pageSpeech(p Page, bring bool) []Part {
	out := []Part{Say(pageID(p.Code, p.Subject, "title"))}
	for i := range p.What {
		out = append(out, Say(pageID(p.Code, p.Subject, fmt.Sprintf("what%d", i))))
	}
	if bring && len(p.Bring) > 0 {
		out = append(out, Say("w.Bring"))
		for i := range p.Bring {
			out = append(out, Say(pageID(p.Code, p.Subject, fmt.Sprintf("bring%d", i))))
		}
	}
	return out
}

func noteSpeech(n SlipNote) []Part {
	switch n.State {
	case SlipPrinted:
		return []Part{Say("w.SlipPrinted")}
	case SlipNotPrinted:
		return []Part{Say("w.SlipNotPrinted")}
	case SlipNotRecorded:
		return []Part{Say("w.SlipNotRecorded")}
	}
	return nil
}

func menuSpeech(v View) []Part {
	out := []Part{Say("w.MenuHead")}
	offered := map[Action]bool{ActionStatus: true, ActionNone: true}
	for _, a := range v.Actions {
		offered[a] = true
	}
	for i, it := range MenuItems(Words{}) {
		if offered[it.Action] {
			out = append(out, Say(menuID(i)))
		}
	}
	return out
}

// pinSpeech asks for a PIN: why it is asked again (if it is), which PIN,
// the tries left before the current one is sent, how to enter it. It
// depends on the step only, never on what is typed.
func pinSpeech(p PINPrompt) []Part {
	var out []Part
	if p.TriesChanged {
		out = append(out, Say("w.TriesChanged"))
	}
	if p.Mismatch {
		out = append(out, Say("w.Mismatch"))
	}
	switch {
	case p.ForSignCheck:
		out = append(out, Say("w.PINForSign"))
	case p.Step == StepCurrent:
		out = append(out, Say(fmt.Sprintf("w.PINNow.%s", p.Kind)))
	case p.Step == StepNew:
		out = append(out, Say(fmt.Sprintf("w.PINNew.%s", p.Kind)))
	default:
		out = append(out, Say(fmt.Sprintf("w.PINAgain.%s", p.Kind)))
	}
	if p.Step == StepCurrent && p.TriesLeft > 0 {
		out = append(out, TriesCount{p.Kind, min(p.TriesLeft, p.Kind.MaxTries())})
	}
	if p.Kind == PINSign {
		out = append(out, Say("w.PickHelp"))
	}
	return append(out, Say("v.EnterDone"))
}
