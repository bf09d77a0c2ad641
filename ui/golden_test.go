package ui

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/mattn/go-runewidth"
)

var update = flag.Bool("update", false, "rewrite testdata/screens golden files")

const goldenDir = "../testdata/screens"

func TestGoldenScreens(t *testing.T) {
	sizes := []struct{ w, h int }{{80, 24}}
	large := map[string]bool{"status_valid": true, "status_auth_locked": true, "pin_sign_new": true,
		"menu": true, "guidance_no_sign_cert": true, "idle_warning": true, "waiting_maintenance": true}
	for _, sc := range screenCases() {
		for _, lang := range []Lang{Japanese, English} {
			ss := sizes
			if large[sc.name] {
				ss = append(ss, struct{ w, h int }{160, 50})
			}
			for _, sz := range ss {
				name := fmt.Sprintf("%s_%s_%dx%d", sc.name, []string{"ja", "en"}[lang], sz.w, sz.h)
				t.Run(name, func(t *testing.T) {
					h := newHarness(t, sz.w, sz.h, lang)
					h.show(sc.v)
					h.typeString(sc.entry)
					if sc.submit {
						h.key(tcell.KeyEnter, 0)
					}
					got := h.dump()
					checkFrame(t, h, got, sz.w)
					compareGolden(t, filepath.Join(goldenDir, name+".txt"), got)
				})
			}
		}
	}
}

// checkFrame holds for every screen: lines exactly fill the width, only
// the PIN dot is an ambiguous-width rune, and buttons lie on the screen
// without overlapping.
func checkFrame(t *testing.T, h *harness, got string, w int) {
	t.Helper()
	for i, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if lw := textWidth(line); lw != w {
			t.Errorf("row %d is %d cells wide, want %d: %q", i, lw, w, line)
		}
		for _, r := range line {
			if r != '●' && runewidth.IsAmbiguousWidth(r) {
				t.Errorf("row %d holds ambiguous-width rune %q", i, r)
			}
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
