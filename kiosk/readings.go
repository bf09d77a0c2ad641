package kiosk

import (
	_ "embed"
	"fmt"
	"strings"
)

// readings.tsv holds, for each Japanese prompt, the text it was read
// from and its reading in katakana as a person checked it: the build's
// gate (make voice) fails when the synthesiser reads a prompt otherwise,
// and a test fails when a prompt's text changed after its reading was
// checked. One line per prompt: ID, text, kana, separated by tabs.
//
//go:embed readings.tsv
var readingsTSV string

// Reading is how one Japanese prompt must sound.
type Reading struct {
	Text string // the catalogue text the reading was checked against
	Kana string // katakana, as the synthesiser's trace spells it (no marks)
}

// Readings parses readings.tsv.
func Readings() (map[PromptID]Reading, error) {
	out := map[PromptID]Reading{}
	for n, line := range strings.Split(readingsTSV, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 || f[0] == "" || f[2] == "" {
			return nil, fmt.Errorf("readings.tsv:%d: want ID<TAB>text<TAB>kana, got %q", n+1, line)
		}
		id := PromptID(f[0])
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("readings.tsv:%d: %s twice", n+1, id)
		}
		out[id] = Reading{Text: f[1], Kana: f[2]}
	}
	return out, nil
}

// FormatReadings writes readings in readings.tsv's form, in the order of ids.
func FormatReadings(ids []PromptID, r map[PromptID]Reading) string {
	var b strings.Builder
	b.WriteString("# ID\ttext (as checked)\treading (katakana): written by `make voice-readings`, checked by a person, then committed\n")
	for _, id := range ids {
		if x, ok := r[id]; ok {
			fmt.Fprintf(&b, "%s\t%s\t%s\n", id, x.Text, x.Kana)
		}
	}
	return b.String()
}
