package kiosk

import "strings"

// KeyFunc is what a keypad key does besides typing its label.
type KeyFunc int

const (
	KeyNone    KeyFunc = iota
	KeyEnter           // 決定 / つぎへ
	KeyCancel          // やめる / もどる (and, with no Clear key, clears an entry first)
	KeyClear           // クリア: empties the PIN entry
	KeyEnglish         // English / 日本語
	KeyRepeat          // もう一度: the voice says its last prompt again
	KeyVolume          // 音量: the voice's next volume step
)

var keyFuncNames = map[string]KeyFunc{"enter": KeyEnter, "cancel": KeyCancel, "clear": KeyClear, "english": KeyEnglish,
	"repeat": KeyRepeat, "volume": KeyVolume}

// Common printed layouts, row by row.
var (
	Layout4x3 = []string{"123", "456", "789", "*0#"}
	Layout4x4 = []string{"123A", "456B", "789C", "*0#D"}
)

// Keypad is the matrix keypad as the screens see it: which labels are
// printed on it and what each does, so a screen prints the same label as
// the key a resident presses. The zero Keypad has no keys (touch only).
type Keypad struct {
	Layout []string
	funcs  map[rune]KeyFunc
}

// KeypadFor is the configured keypad: layout (4×3 by default) and the
// default functions — # Enter; on a 4×3 pad * Cancel; on a 4×4 pad * Clear,
// A Cancel, B Repeat, C Volume, D English — with devices.keypad.keys applied
// over them. B and C do nothing without a speaker (no button carries them).
func KeypadFor(c KeypadConfig) Keypad {
	if c.Mode == ModeNone {
		return Keypad{}
	}
	layout := c.Layout
	if len(layout) == 0 {
		layout = Layout4x3
	}
	k := Keypad{Layout: append([]string(nil), layout...), funcs: map[rune]KeyFunc{'#': KeyEnter}}
	if k.Has('A') {
		k.funcs['*'], k.funcs['A'], k.funcs['D'] = KeyClear, KeyCancel, KeyEnglish
		k.funcs['B'], k.funcs['C'] = KeyRepeat, KeyVolume
	} else {
		k.funcs['*'] = KeyCancel
	}
	for label, fn := range c.Keys { // validated by LoadConfig
		if r := []rune(label); len(r) == 1 {
			k.funcs[r[0]] = keyFuncNames[fn]
		}
	}
	for r := range k.funcs {
		if !k.Has(r) {
			delete(k.funcs, r)
		}
	}
	return k
}

// Has reports whether label is printed on the keypad.
func (k Keypad) Has(label rune) bool {
	return label != 0 && strings.ContainsRune(strings.Join(k.Layout, ""), label)
}

// Func is what the key labelled label does (KeyNone: it types its label).
func (k Keypad) Func(label rune) KeyFunc { return k.funcs[label] }

// Label is the printed label of the key doing f, if the keypad has one.
// Of several, the first in reading order.
func (k Keypad) Label(f KeyFunc) (rune, bool) {
	for _, row := range k.Layout {
		for _, r := range row {
			if k.funcs[r] == f && f != KeyNone {
				return r, true
			}
		}
	}
	return 0, false
}

// lacks is which of the functions (by their configuration names) no key does.
func (k Keypad) lacks(names ...string) []string {
	var out []string
	for _, n := range names {
		if _, ok := k.Label(keyFuncNames[n]); !ok {
			out = append(out, n)
		}
	}
	return out
}
