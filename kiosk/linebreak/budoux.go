package linebreak

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"
)

// BudouX's Japanese model (google/budoux, Apache-2.0: budoux/LICENSE and
// budoux/NOTICE beside it): feature weights that score, between every two
// characters, whether a phrase (文節) ends there. We read the JSON with our
// own inference; the algorithm is BudouX's parser, small enough to keep
// here rather than take a dependency for it.
//
//go:embed budoux/ja.json
var jaModel []byte

// model is the parsed weights: for each feature group (UW1…UW6 unigrams,
// BW1…BW3 bigrams, TW1…TW4 trigrams at fixed offsets) a map from the
// characters to their score.
type model struct {
	groups map[string]map[string]int
	base   int // minus half the sum of all weights: BudouX's bias
}

// jaOnce parses the embedded model once; it is read-only afterwards, so
// every caller may share it.
var jaOnce = sync.OnceValues(func() (*model, error) { return parseModel(jaModel) })

func parseModel(b []byte) (*model, error) {
	var g map[string]map[string]int
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("budoux model: %w", err)
	}
	sum := 0
	for _, m := range g {
		for _, v := range m {
			sum += v
		}
	}
	// BudouX computes -sum*0.5 as a float; the scores are integers, so a
	// score is positive exactly when 2*score > sum.
	return &model{groups: g, base: -sum}, nil
}

// phraseStarts marks, for each rune of rs, whether a phrase starts there
// (rs[0] always does). It is BudouX's parse, scored in doubled units to
// stay in integers.
func (m *model) phraseStarts(rs []rune) []bool {
	out := make([]bool, len(rs))
	if len(rs) == 0 {
		return out
	}
	out[0] = true
	// Byte offsets of each rune in one string: features are substrings of
	// it, looked up without allocating.
	s := string(rs)
	off := make([]int, 0, len(rs)+1)
	for i := range s {
		off = append(off, i)
	}
	off = append(off, len(s))
	get := func(group string, from, to int) int {
		if from < 0 || to > len(rs) {
			return 0
		}
		return m.groups[group][s[off[from]:off[to]]]
	}
	for i := 1; i < len(rs); i++ {
		s := get("UW1", i-3, i-2) + get("UW2", i-2, i-1) + get("UW3", i-1, i) +
			get("UW4", i, i+1) + get("UW5", i+1, i+2) + get("UW6", i+2, i+3) +
			get("BW1", i-2, i) + get("BW2", i-1, i+1) + get("BW3", i, i+2) +
			get("TW1", i-3, i) + get("TW2", i-2, i+1) + get("TW3", i-1, i+2) + get("TW4", i, i+3)
		out[i] = 2*s+m.base > 0
	}
	return out
}

// Phrases splits s into BudouX's phrases: where the model would let a line
// break. Exported for tests and tools that hold text to the model.
func Phrases(s string) []string {
	m, err := jaOnce()
	if err != nil {
		panic(err) // the model is embedded: a broken one is a build defect
	}
	rs := []rune(s)
	starts := m.phraseStarts(rs)
	var out []string
	for i, r := range rs {
		if starts[i] {
			out = append(out, "")
		}
		out[len(out)-1] += string(r)
	}
	return out
}
