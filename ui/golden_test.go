package ui

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"

	"github.com/villagehall/kiosk/kiosk"
)

var update = flag.Bool("update", false, "rewrite testdata/screens golden files")

const goldenDir = "../testdata/screens"

func TestGoldenScreens(t *testing.T) {
	large := map[string]bool{"status_valid": true, "status_auth_locked": true, "pin_sign_new": true,
		"menu": true, "guidance_no_sign_cert": true, "idle_warning": true, "waiting_maintenance": true}
	written := map[string]bool{}
	for _, sc := range screenCases() {
		for _, lang := range []kiosk.Lang{kiosk.Japanese, kiosk.English} {
			sizes := [][2]int{{80, 24}}
			if large[sc.name] {
				sizes = append(sizes, [2]int{160, 50})
			}
			for _, sz := range sizes {
				name := fmt.Sprintf("%s_%s_%dx%d", sc.name, lang, sz[0], sz[1])
				written[name+".txt"] = true
				t.Run(name, func(t *testing.T) {
					h := harnessFor(t, sc, sz[0], sz[1])
					v := sc.v
					v.Lang = lang
					h.show(v)
					h.key(sc.entry)
					if sc.submit {
						h.key("#")
					}
					got := h.dump()
					checkFrame(t, h, got, sz[0])
					rows := screenLines(got)
					lineRules(t, name, rows[:len(rows)-metricsFor(sz[0], sz[1]).btnH-1])
					compareGolden(t, filepath.Join(goldenDir, name+".txt"), got)
				})
			}
		}
	}
	if *update { // drop goldens of screens that no longer exist
		old, _ := filepath.Glob(filepath.Join(goldenDir, "*.txt"))
		for _, p := range old {
			if !written[filepath.Base(p)] {
				os.Remove(p)
			}
		}
	}
}

func harnessFor(t *testing.T, sc screenCase, w, h int) *harness {
	var opts []harnessOpt
	if sc.keypad.Layout != nil {
		opts = append(opts, withKeypad(sc.keypad))
	}
	if sc.noTouch {
		opts = append(opts, noTouch())
	}
	return newHarness(t, w, h, opts...)
}

// checkFrame holds for every screen: lines exactly fill the width, only
// the PIN dot is an ambiguous-width rune, no text was cut, no line starts
// with a lone character of a sentence, and buttons lie on the screen
// without overlapping.
func checkFrame(t *testing.T, h *harness, got string, w int) {
	t.Helper()
	if len(h.app.frame.Overflow) > 0 {
		t.Errorf("text did not fit and was cut: %q", h.app.frame.Overflow)
	}
	for i, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if lw := textWidth(line); lw != w {
			t.Errorf("row %d is %d cells wide, want %d: %q", i, lw, w, line)
		}
		for _, r := range line {
			if r != '●' && runewidth.IsAmbiguousWidth(r) {
				t.Errorf("row %d holds ambiguous-width rune %q", i, r)
			}
		}
		if s := strings.TrimSpace(line); s == "す。" || s == "ど" || s == "。" || s == "、" {
			t.Errorf("row %d is a lone %q", i, s)
		}
	}
	bs := h.app.frame.Buttons
	for i, a := range bs {
		if a.W == 0 {
			continue // key-only binding
		}
		if a.X < 0 || a.Y < 0 || a.X+a.W > h.app.frame.W || a.Y+a.H > h.app.frame.H {
			t.Errorf("button %q off screen: %+v", a.Label, a.Rect)
		}
		for _, b := range bs[i+1:] {
			if b.W > 0 && a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H {
				t.Errorf("buttons %q and %q overlap", a.Label, b.Label)
			}
		}
	}
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatalf("write golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if got != string(want) {
		t.Errorf("screen differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
	}
}
