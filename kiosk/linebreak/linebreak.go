// Package linebreak breaks Japanese and English text into lines no wider
// than a given width, for the screens and the printed slips alike, so a
// sentence reads the same on the glass and on paper.
//
// Width is counted in columns by a Measure the caller gives: a terminal
// counts the cells tcell will use, a printer counts half-width character
// pitches (12 dots; a kanji is 2). Whatever the text, no line is ever
// wider than the width asked for: that is the invariant the property
// tests hold it to.
//
// The rules, in order of strength:
//   - a line never exceeds the width (a word longer than a line is split);
//   - kinsoku: no line starts with closing punctuation, a small kana, a
//     prolonged-sound or iteration mark; no line ends with an opening
//     bracket; a number is not split from the counter after it (3回, 200円);
//   - English breaks at spaces only;
//   - Japanese breaks only between phrases (文節) as BudouX's Japanese
//     model finds them (budoux.go), never inside a word of gluedWords, never
//     before a particle that follows a noun (「／は、」「／を」), never between
//     この/その and its noun; a break after punctuation is preferred when
//     one is close. Only a phrase wider than the line is split elsewhere;
//   - the last line of a paragraph is not left with a single character
//     (「ど」, 「す。」) or a single English word ("used.") when the line
//     before can give it company.
package linebreak

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// Measure returns the width of one grapheme cluster in columns.
type Measure func(grapheme string) int

// Characters that never start a line (JIS X 4051 line-start prohibited,
// the common subset) and that never end one.
const (
	noStart = "、。，．・：；？！゛゜ヽヾゝゞ々〻ー〜～‐–—" +
		"）〕］｝〉》」』】〙〗〟’”｠»" +
		"ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ" +
		",.:;?!)]}%"
	noEnd = "（〔［｛〈《「『【〘〖〝‘“｟«([{"
	// A break right after these reads naturally.
	goodAfter = "、。，．！？）」』】〕"
)

// Lines breaks s into lines of at most width columns as measured by m.
// "\n" starts a new paragraph. Spaces at a break are dropped. width < 1 is
// taken as 1; a grapheme wider than width (only possible when width is
// tiny) gets a line of its own, the one case a line may exceed width.
func Lines(s string, width int, m Measure) []string {
	width = max(width, 1)
	var out []string
	for _, para := range strings.Split(s, "\n") {
		out = append(out, paragraph(para, width, m)...)
	}
	return out
}

// Width is the width of s as m measures it.
func Width(s string, m Measure) int {
	w := 0
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		w += m(g.Str())
	}
	return w
}

type class int

const (
	space class = iota
	latin       // part of a word: breaks only at spaces
	wide        // Japanese and everything else: breaks between any two
)

type grapheme struct {
	s      string
	w      int
	class  class
	first  rune // the grapheme's base character
	glued  bool // no break before it: inside one of the words below
	phrase bool // BudouX's model starts a phrase here
}

// Words a line must not split, where BudouX's model alone would (「成年被後／
// 見人」, 「もう／一度」, 「5回まちが／える」) or where a forced break inside a
// long phrase would read as a broken word (「くだ／さい。」, 「で／す。」).
var gluedWords = []string{
	"ください", "できません", "できます", "ません", "ました", "ましょう", "ます", "でした", "です", "できる",
	"成年被後見人", "法定代理人", "もう一度", "まちがえ", "電子証明書", "マイナンバーカード", "読み取れ",
	"住民票", "市区町村", "の方", "照会書", "委任状", "暗証番号", "有効期限", "確かめ", "利用者証明用", "署名用",
}

// Particles (助詞) never start a line after a noun: 「暗証番号／は、」 and
// 「／をロック」 read as a stray syllable.
const particles = "はがをにでとへもやの"

// Demonstratives that modify the next word: 「この／機械」 cuts the
// modifier from its noun.
var modifiers = []string{"この", "その", "あの", "どの"}

func segment(s string, m Measure) []grapheme {
	var gs []grapheme
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		str := g.Str()
		r, _ := utf8.DecodeRuneInString(str)
		c := wide
		switch {
		case (r == ' ' || r == '\t' || r == '\u3000') && len(str) == utf8.RuneLen(r):
			// Only a bare space is one: a space carrying a combining mark
			// is how a lone mark is written, and it shows.
			c = space
		case r > ' ' && r < 0x7f, unicode.In(r, unicode.Latin) && r < 0x2000:
			c = latin
		}
		gs = append(gs, grapheme{s: str, w: m(str), class: c, first: r})
	}
	markPhrases(gs)
	// One rune per grapheme (a grapheme of several runes stands as U+FFFD,
	// which no glued word holds), so a byte offset maps back to a grapheme.
	var b strings.Builder
	for _, g := range gs {
		if utf8.RuneCountInString(g.s) == 1 {
			b.WriteRune(g.first)
		} else {
			b.WriteRune(utf8.RuneError)
		}
	}
	firsts := b.String()
	idx := make([]int, 0, len(gs)) // byte offset in firsts → grapheme
	for i := range firsts {
		idx = append(idx, i)
	}
	for _, e := range gluedWords {
		n := utf8.RuneCountInString(e)
		for from := 0; ; {
			k := strings.Index(firsts[from:], e)
			if k < 0 {
				break
			}
			i, _ := slices.BinarySearch(idx, from+k)
			for j := i + 1; j < i+n; j++ {
				gs[j].glued = true
			}
			from += k + len(e)
		}
	}
	return gs
}

// markPhrases sets gs[i].phrase where BudouX's Japanese model starts a
// phrase at the grapheme's first rune.
func markPhrases(gs []grapheme) {
	var rs []rune
	at := make([]int, len(gs)) // rune offset of each grapheme
	for i, g := range gs {
		at[i] = len(rs)
		rs = append(rs, []rune(g.s)...)
	}
	m, err := jaOnce()
	if err != nil {
		panic(err) // the model is embedded: a broken one is a build defect
	}
	starts := m.phraseStarts(rs)
	for i := range gs {
		gs[i].phrase = starts[at[i]]
	}
}

// isParticleStart: gs[i] is a particle that belongs to the word before it
// (a noun, a number, a closing bracket), so no line may start with it.
func isParticleStart(gs []grapheme, i int) bool {
	if i == 0 || !strings.ContainsRune(particles, gs[i].first) {
		return false
	}
	p := gs[i-1]
	return p.class != space && !isHiragana(p.first) && !strings.ContainsRune("、。，．", p.first)
}

// afterModifier: gs[i] follows この/その/あの/どの and starts the noun they
// modify.
func afterModifier(gs []grapheme, i int) bool {
	if i < 2 || isHiragana(gs[i].first) || gs[i].class == space {
		return false
	}
	two := gs[i-2].s + gs[i-1].s
	for _, m := range modifiers {
		if two == m && (i < 3 || !isHiragana(gs[i-3].first)) {
			return true
		}
	}
	return false
}

// breakAt says whether a line may break before gs[i] (0 < i < len(gs)),
// and whether that break reads well.
func breakAt(gs []grapheme, i int) (ok, good bool) {
	prev, next := gs[i-1], gs[i]
	if prev.class == space {
		// The line would end at the text before the spaces.
		if k := lastText(gs[:i]); k >= 0 && strings.ContainsRune(noEnd, gs[k].first) {
			return false, false
		}
	}
	switch {
	case next.class == space:
		return false, false // break after the spaces, not before them
	case next.glued:
		return false, false
	case strings.ContainsRune(noStart, next.first), strings.ContainsRune(noEnd, prev.first):
		return false, false
	case prev.class == space:
		return true, true
	case prev.class == latin && next.class == latin:
		return false, false // inside a word
	case prev.first >= '0' && prev.first <= '9' && next.class == wide && unicode.IsLetter(next.first):
		return false, false // 3回, 200円, 6けた
	case strings.ContainsRune("年月", prev.first) && next.first >= '0' && next.first <= '9':
		return false, false // a date: 2027年5月31日
	case isParticleStart(gs, i), afterModifier(gs, i):
		return false, false
	case (prev.class == wide || next.class == wide) && !next.phrase:
		// Inside one of BudouX's phrases: 「電子証／明書」, 「読み／取れ」.
		return false, false
	}
	good = strings.ContainsRune(goodAfter, prev.first) ||
		strings.ContainsRune(noEnd, next.first) ||
		// after a particle; お and ご before kanji are prefixes (お持ち)
		(isHiragana(prev.first) && !isHiragana(next.first) && !strings.ContainsRune("おご", prev.first)) ||
		(strings.ContainsRune("はがをにでへも", prev.first) && strings.ContainsRune("おご", next.first)) ||
		(prev.class == latin) != (next.class == latin)
	return true, good
}

// lastText is the index of the last grapheme of gs that is not a space, or -1.
func lastText(gs []grapheme) int {
	for k := len(gs) - 1; k >= 0; k-- {
		if gs[k].class != space {
			return k
		}
	}
	return -1
}

// sameScript: a and b are both hiragana, both katakana or both kanji, so
// a break between them most likely splits a word.
func sameScript(a, b rune) bool {
	kata := func(r rune) bool { return (r >= 'ァ' && r <= 'ヺ') || r == 'ー' }
	han := func(r rune) bool { return unicode.Is(unicode.Han, r) }
	return (isHiragana(a) && isHiragana(b)) || (kata(a) && kata(b)) || (han(a) && han(b))
}

func isHiragana(r rune) bool { return r >= 'ぁ' && r <= 'ゖ' }

// paragraph lays out one paragraph greedily, backing up to the best
// allowed break when a grapheme does not fit.
func paragraph(s string, width int, m Measure) []string {
	gs := segment(s, m)
	// Leading spaces of the paragraph are kept (indentation); nothing else
	// starts a line with a space.
	var starts []int // index of each line's first grapheme
	i := 0
	for i < len(gs) {
		starts = append(starts, i)
		i = lineEnd(gs, i, width)
		for i < len(gs) && gs[i].class == space {
			i++ // spaces at a break are dropped
		}
	}
	starts = avoidWidow(gs, starts, width)
	lines := make([]string, 0, len(starts))
	for k, st := range starts {
		end := len(gs)
		if k+1 < len(starts) {
			end = starts[k+1]
		}
		var b strings.Builder
		for _, g := range gs[st:end] {
			b.WriteString(g.s)
		}
		line := b.String()
		if k > 0 || st > 0 {
			line = strings.TrimLeft(line, " \t\u3000")
		}
		lines = append(lines, strings.TrimRight(line, " \t\u3000"))
	}
	if len(lines) == 0 {
		lines = []string{""}
	}
	return lines
}

// lineEnd returns the index one past the last grapheme of the line that
// starts at gs[start].
func lineEnd(gs []grapheme, start, width int) int {
	w, i := 0, start
	for i < len(gs) {
		if gs[i].class == space {
			// Spaces cost nothing at a break, but count once text follows
			// on the same line.
			j, sw := i, 0
			for j < len(gs) && gs[j].class == space {
				sw += gs[j].w
				j++
			}
			if j == len(gs) {
				return j
			}
			if w+sw+gs[j].w > width {
				if ok, _ := breakAt(gs, j); ok {
					return j // break after the spaces
				}
				i = j // not here: look back for a break
				break
			}
			w, i = w+sw, j
			continue
		}
		if w+gs[i].w > width {
			break
		}
		w += gs[i].w
		i++
	}
	if i >= len(gs) {
		return len(gs)
	}
	if i == start {
		return start + 1 // a single grapheme wider than the line
	}
	// gs[i] does not fit. Look back for an allowed break, preferring a
	// good one close by.
	// A break that splits a word (inside a run of hiragana, katakana or
	// kanji: おそ／れ, 暗証／番号) may look back further for a good one.
	look := min(max(width*2/5, 2), 16)
	far := min(max(width/2, 2), 24)
	best, bestGood := -1, false
	cw := 0 // width of gs[j:i], what moves to the next line
	for j := i; j > start; j-- {
		if j < i {
			cw += gs[j].w
		}
		ok, good := breakAt(gs, j)
		if !ok {
			continue
		}
		limit := look
		if best >= 0 && sameScript(gs[best-1].first, gs[best].first) {
			limit = far
		}
		if best < 0 {
			best, bestGood = j, good
		} else if good && !bestGood && cw <= limit {
			best, bestGood = j, true
		}
		if best >= 0 && (bestGood || cw > limit) {
			break
		}
	}
	if best > start {
		return best
	}
	// Nowhere to break: a word (a URL, a long number) longer than the
	// line is split where it must be, after / . - when one is close.
	for j, cw := i-1, gs[i-1].w; j > start+1 && cw <= look; j-- {
		if strings.ContainsRune("/.-_?&=", gs[j-1].first) && kinsokuOK(gs, j) {
			return j
		}
		cw += gs[j-1].w
	}
	for j := i; j > start+1; j-- {
		if kinsokuOK(gs, j) {
			return j
		}
	}
	return i
}

// kinsokuOK: a forced break before gs[j] still keeps the line-start and
// line-end rules.
func kinsokuOK(gs []grapheme, j int) bool {
	k := j
	for k < len(gs) && gs[k].class == space {
		k++ // spaces at a break are dropped: the next line starts after them
	}
	if k < len(gs) && (strings.ContainsRune(noStart, gs[k].first) || isParticleStart(gs, k)) {
		return false
	}
	p := lastText(gs[:j])
	return p < 0 || !strings.ContainsRune(noEnd, gs[p].first)
}

// avoidWidow moves the last break earlier when the last line is a
// fragment (fewer than three letters: 「です。」, 「it.」) and the text
// moved still fits: to a good break if the line before has one, else just
// far enough.
func avoidWidow(gs []grapheme, starts []int, width int) []int {
	if len(starts) < 2 {
		return starts
	}
	last := starts[len(starts)-1]
	if loneWord(gs[last:]) {
		return companyForWord(gs, starts, width)
	}
	if letters(gs[last:]) >= 3 {
		return starts
	}
	prev := starts[len(starts)-2]
	tail := 0
	for _, g := range gs[last:] {
		tail += g.w
	}
	enough, some := -1, -1
	for j := last - 1; j > prev+1; j-- {
		tail += gs[j].w
		if tail > width {
			break
		}
		ok, good := breakAt(gs, j)
		if !ok || gs[j].class == space || letters(gs[prev:j]) < 2 {
			continue
		}
		n := letters(gs[j:])
		switch {
		case good && n >= 2:
			return append(starts[:len(starts)-1:len(starts)-1], j)
		case n >= 3 && enough < 0:
			enough = j
		case n >= 2 && some < 0:
			some = j
		}
	}
	for _, j := range []int{enough, some} {
		if j > 0 {
			return append(starts[:len(starts)-1:len(starts)-1], j)
		}
	}
	return starts
}

// loneWord: gs is one English word and its punctuation ("used.", "PIN."),
// with no space inside it.
func loneWord(gs []grapheme) bool {
	for _, g := range gs {
		if g.class != latin {
			return false
		}
	}
	return len(gs) > 0
}

// companyForWord moves the last break back to the space before the
// previous word, when the two words fit the width and the line before
// keeps at least one word.
func companyForWord(gs []grapheme, starts []int, width int) []int {
	last, prev := starts[len(starts)-1], starts[len(starts)-2]
	tail := 0
	for _, g := range gs[last:] {
		tail += g.w
	}
	for j := last - 1; j > prev; j-- {
		tail += gs[j].w
		if tail > width {
			break
		}
		if gs[j-1].class == space && gs[j].class != space && lastText(gs[prev:j-1]) >= 0 {
			if ok, _ := breakAt(gs, j); ok {
				return append(starts[:len(starts)-1:len(starts)-1], j)
			}
		}
	}
	return starts
}

// letters counts graphemes that are not spaces or punctuation.
func letters(gs []grapheme) int {
	n := 0
	for _, g := range gs {
		if g.class != space && !unicode.IsPunct(g.first) && !strings.ContainsRune(noStart+noEnd, g.first) {
			n++
		}
	}
	return n
}
