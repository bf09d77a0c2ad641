package touch_test

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/touch"
)

// FuzzEvents: any byte stream from the evdev device, on any axes and
// calibration, is read as whole 24-byte events (a torn last one is
// io.ErrUnexpectedEOF), and the tracker turns it into taps that land on
// the grid, within the screen, at the time of the frame that ended them,
// never two on one cell inside the double-tap window. Seeds are the
// recorded panels in testdata/*.evdev.
func FuzzEvents(f *testing.F) {
	recs, _ := filepath.Glob(filepath.Join("testdata", "*.evdev"))
	for _, r := range recs {
		b, err := os.ReadFile(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, int32(0), int32(4095), false, false, int32(0))
	}
	f.Fuzz(func(t *testing.T, stream []byte, min, max int32, swap, invert bool, offset int32) {
		const cols, rows = 80, 24
		cfg := touch.Config{
			Grid: func() (int, int) { return cols, rows },
			Cal:  touch.Calibration{SwapXY: swap, InvertX: invert, InvertY: !invert, OffsetX: offset, OffsetY: -offset},
		}
		tr := touch.NewTracker(cfg, touch.Axes{X: touch.Range{Min: min, Max: max}, Y: touch.Range{Min: min, Max: max}})
		r := bytes.NewReader(stream)
		var last touch.Tap
		taps := 0
		for n := 0; ; n++ {
			ev, err := touch.ReadEvent(r)
			if err != nil {
				whole := len(stream)%touch.EventSize == 0
				if whole && err != io.EOF || !whole && !errors.Is(err, io.ErrUnexpectedEOF) || n != len(stream)/touch.EventSize {
					t.Fatalf("after %d events of a %d-byte stream: %v", n, len(stream), err)
				}
				return
			}
			raw := stream[n*touch.EventSize : (n+1)*touch.EventSize]
			if m := ev.Marshal(); !bytes.Equal(m[16:], raw[16:]) {
				t.Fatalf("event %d: type, code and value % X read back as % X", n, raw[16:], m[16:])
			}
			tap, ok := tr.Feed(ev)
			if !ok {
				continue
			}
			if ev.Type != touch.EvSyn || ev.Code != touch.SynReport || !tap.Time.Equal(ev.Time) {
				t.Fatalf("tap %+v from event %+v, not a SYN_REPORT's", tap, ev)
			}
			if tap.Col < 0 || tap.Col >= cols || tap.Row < 0 || tap.Row >= rows ||
				!(tap.X >= 0 && tap.X <= 1) || !(tap.Y >= 0 && tap.Y <= 1) || math.IsNaN(tap.X) || math.IsNaN(tap.Y) {
				t.Fatalf("tap off the screen: %+v", tap)
			}
			if taps > 0 && tap.Col == last.Col && tap.Row == last.Row && tap.Time.Sub(last.Time) < 400*time.Millisecond {
				t.Fatalf("double tap on one cell passed: %+v after %+v", tap, last)
			}
			last, taps = tap, taps+1
		}
	})
}
