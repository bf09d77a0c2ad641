package kiosk

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// PromptID names one spoken sentence of the catalogue. Prompts are
// rendered to audio at build time from the catalogue's own text (make
// voice), so the screens, the slips and the voice say the same words; the
// kiosk has no synthesiser and no way to speak anything but these.
type PromptID string

// MenuItem is one line of the menu, in the order the screens number them
// (the first is key 1).
type MenuItem struct {
	Action Action // ActionNone: おわる (Finish)
	Text   Text
}

// MenuItems is the menu, numbered from 1 on the screen and in the voice.
func MenuItems(w Words) []MenuItem {
	return []MenuItem{
		{ActionStatus, w.MenuStatus}, {ActionChangeAuth, w.MenuChangeAuth},
		{ActionChangeSign, w.MenuChangeSign}, {ActionCheckSign, w.MenuSign}, {ActionNone, w.Finish},
	}
}

// spokenWords are the Words fields the voice says as they are (no
// placeholder): the ID is "w." and the field name.
var spokenWords = []string{
	"Insert", "InsertHow", "Reading", "Working", "DontRemove", "TakeCard", "TakeSlip", "Thanks",
	"OutOfService", "OutOfSvcWhat", "MenuHead", "TriesChanged", "Mismatch", "PickHelp",
	"LastTryHead", "Bring", "SlipPrinted", "SlipNotPrinted", "SlipNotRecorded", "RemovedHead",
	"RemovedWhat", "RemovedMidChange", "IdleHead", "Updating", "UpdatingWhat",
}

// voiceOnly are the sentences only the voice says (speech_words.go).
var voiceOnly = map[PromptID]Text{
	"v.Help": voiceHelp, "v.VolumeSet": voiceVolumeSet, "v.IdleGoOn": voiceIdleGoOn,
	"v.EnterDone": voiceEnterDone, "v.NoDates": voiceNoDates,
	"v.EarOn": voiceEarOn, "v.EarOff": voiceEarOff, "v.SpellInEar": voiceSpellInEar,
	"v.SpellNow": voiceSpellNow, "v.NoSpellAloud": voiceNoSpellAloud,
}

// spokenCodes are the codes whose pages the voice reads.
var spokenCodes = []Code{
	CodeValid, CodeRenewal, CodeExpired, CodeNotYetValid, CodeDateUnknown, CodeCertBad,
	CodeAuthLocked, CodeSignLocked, CodeAuthLastTry, CodeSignLastTry, CodeNoAuthCert, CodeNoSignCert,
	CodeJuki, CodeNotJPKI, CodeUnreadable, CodeChangeUnsure, CodePINChanged, CodeWrongPIN, CodeRemoved,
}

// Prompts is every sentence the kiosk can speak, by ID, built from the
// catalogue: the screen words, the pages of every code for both PINs, the
// PIN entry prompts, the tries left for every count and the menu's lines.
// No prompt holds a date, a name or anything else of one resident: what
// varies (which PIN, how many tries) is one whole sentence per value, so
// no clip is ever joined to a number.
func Prompts() map[PromptID]Text {
	w := Catalogue()
	out := map[PromptID]Text{}
	wv := reflect.ValueOf(w)
	for _, f := range spokenWords {
		fv := wv.FieldByName(f)
		if !fv.IsValid() {
			// A renamed catalogue field: every test of the voice fails here.
			panic("kiosk: Prompts: Words has no field " + f + " (renamed? update spokenWords and speech.go)")
		}
		out[PromptID("w."+f)] = fv.Interface().(Text)
	}
	for id, t := range voiceOnly {
		out[id] = t
	}
	for _, k := range []PINKind{PINAuth, PINSign} {
		name := PINName(k)
		for _, f := range []struct {
			id string
			t  Text
		}{{"PINNow", w.PINNow}, {"PINNew", w.PINNew}, {"PINAgain", w.PINAgain}, {"LastTryWhat", w.LastTryWhat}} {
			out[PromptID(fmt.Sprintf("w.%s.%s", f.id, k))] = Text{f.t.F(Japanese, name.JA), f.t.F(English, name.EN)}
		}
		for n := 1; n <= k.MaxTries(); n++ {
			out[triesID(k, n)] = Text{name.JA + "は、" + TriesLeft(Japanese, n) + "。",
				"Your " + name.EN + " " + TriesLeft(English, n) + "."}
		}
		for _, c := range spokenCodes {
			// The municipality is configuration, never rendered: Guide's
			// Where is not spoken; ETax on adds a sentence at the end.
			p := Guide(c, k, Municipality{ETax: true})
			for id, t := range pagePrompts(p) {
				out[id] = t
			}
		}
	}
	// The signing PIN alphabet's keys, said into the earphone only. The
	// letters are full-width (Open JTalk reads an ASCII letter as nothing,
	// Ａ as エイ); Z is ゼット, as Japanese spell it, not the dictionary's
	// ズィー, which is near ジー (G). A digit is 「数字の９」: a bare 9
	// (キュー) would sound like Q. The 1字けす cell says its label.
	for r := 'A'; r <= 'Z'; r++ {
		ja := string(r - 'A' + 'Ａ')
		if r == 'Z' {
			ja = "ゼット"
		}
		out[spellID(r)] = Text{ja, string(r)}
	}
	for r := '0'; r <= '9'; r++ {
		out[spellID(r)] = Text{"数字の" + string(r-'0'+'０'), "digit " + string(r)}
	}
	out[spellID(DeleteKey)] = w.Delete
	// The status's rewordings of Guide's pages (statusTitle, statusNext).
	out["status.ValidAuthLocked"] = validAuthLocked
	out["status.InsertAgain"] = insertAgain
	out[PromptID("w.PINForSign")] = Text{w.PINForSign.F(Japanese, nameSignPIN.JA), w.PINForSign.F(English, nameSignPIN.EN)}
	for i, it := range MenuItems(w) {
		out[menuID(i)] = menuPrompt(i, it.Text)
	}
	return out
}

// PromptIDs is Prompts' IDs, sorted.
func PromptIDs() []PromptID {
	var ids []PromptID
	for id := range Prompts() {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func menuPrompt(i int, t Text) Text {
	d := fmt.Sprint(i + 1)
	en := t.EN
	if r, n := utf8.DecodeRuneInString(en); n > 0 {
		en = string(unicode.ToLower(r)) + en[n:]
	}
	return Text{fmt.Sprintf(voiceMenuPress.JA, d, t.JA), fmt.Sprintf(voiceMenuPress.EN, d, en)}
}

func menuID(i int) PromptID { return PromptID(fmt.Sprintf("menu.%d", i+1)) }

func triesID(k PINKind, n int) PromptID { return PromptID(fmt.Sprintf("tries.%s.%d", k, n)) }

// pageID is the prompt of one part of the page for code about PIN k:
// page.<code>.<pin>.title, .next, .what<i>, .bring<i>.
func pageID(code Code, k PINKind, part string) PromptID {
	return PromptID(fmt.Sprintf("page.%s.%s.%s", code, k, part))
}

func pagePrompts(p Page) map[PromptID]Text {
	out := map[PromptID]Text{pageID(p.Code, p.Subject, "title"): p.Title}
	if p.Next != (Text{}) {
		out[pageID(p.Code, p.Subject, "next")] = p.Next
	}
	for i, t := range p.What {
		out[pageID(p.Code, p.Subject, fmt.Sprintf("what%d", i))] = t
	}
	for i, t := range p.Bring {
		out[pageID(p.Code, p.Subject, fmt.Sprintf("bring%d", i))] = t
	}
	return out
}

// FileName is the prompt's audio file under a language's directory.
func (id PromptID) FileName() string { return strings.ReplaceAll(string(id), "/", "_") + ".wav" }

// spoken rewrites what a synthesiser would misread, for the voice only:
// the screen's 「6〜16けた」 is read without its 〜 (ロクジューロッケタ),
// e-Tax loses its e, and flite reads 6-16 as "six sixteen".
var spoken = [...]*strings.Replacer{
	Japanese: strings.NewReplacer("〜", "から", "e-Tax", "イータックス"),
	English:  strings.NewReplacer("6-16", "6 to 16", "A-Z", "A to Z", "0-9", "0 to 9", "e-Tax", "e Tax"),
}

// Spoken is t in l as the synthesiser is given it at build time.
func (t Text) Spoken(l Lang) string { return spoken[l].Replace(t.In(l)) }
