package ui

import (
	"strings"
	"testing"

	"github.com/villagehall/kiosk/kiosk"
)

// The version sits in the waiting screen's bottom right corner, where a
// technician finds it to read out, and on no screen a resident is using.
func TestVersionInWaitingCorner(t *testing.T) {
	const v = "2026.12.1+ee11cf2"
	for _, sz := range [][2]int{{80, 24}, {160, 50}} {
		h := newHarness(t, sz[0], sz[1], func(o *Options) { o.Version = v })
		h.show(kiosk.View{Screen: kiosk.ScreenWaiting})
		lines := strings.Split(strings.TrimSuffix(h.dump(), "\n"), "\n")
		if last := lines[len(lines)-1]; !strings.HasSuffix(last, v+" ") {
			t.Errorf("%dx%d: last row %q does not end with the version", sz[0], sz[1], last)
		}
		if n := strings.Count(h.dump(), v); n != 1 {
			t.Errorf("%dx%d: version shown %d times", sz[0], sz[1], n)
		}
		h.show(statusView(statusOf("valid")))
		if strings.Contains(h.dump(), v) {
			t.Errorf("%dx%d: version on the status screen", sz[0], sz[1])
		}
	}
}
