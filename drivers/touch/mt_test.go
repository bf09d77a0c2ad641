package touch_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/touch"
	"github.com/villagehall/kiosk/drivers/touch/touchtest"
)

// TestMultitouch: the first finger owns the touch. Every case runs on a
// bare type B panel (no BTN_TOUCH, where the old tracker fired a tap on
// the second finger's lift) and on one with the kernel's pointer
// emulation and hid-multitouch timestamps.
func TestMultitouch(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	const w = 20 * time.Millisecond
	type cell struct{ col, row int }
	tests := []struct {
		name   string
		script func(s *touchtest.Script)
		want   []cell
	}{
		{"second finger lifts first: one tap, at the first finger", func(s *touchtest.Script) {
			s.FingerDown(0, 1000, 1000).Wait(w).FingerDown(1, 3000, 3000).Wait(w).FingerUp(1).Wait(w).FingerUp(0)
		}, []cell{{19, 5}}},
		{"first finger lifts first: one tap, at the first finger", func(s *touchtest.Script) {
			s.FingerDown(0, 1000, 1000).Wait(w).FingerDown(1, 3000, 3000).Wait(w).FingerUp(0).Wait(w).FingerUp(1)
		}, []cell{{19, 5}}},
		{"second finger moving does not move the first's point", func(s *touchtest.Script) {
			s.FingerDown(0, 1000, 1000).Wait(w).FingerDown(1, 3000, 3000).
				FingerMove(1, 3500, 500).FingerMove(1, 200, 3900).Wait(w).FingerUp(0).Wait(w).FingerUp(1)
		}, []cell{{19, 5}}},
		{"first finger in a higher slot", func(s *touchtest.Script) {
			s.FingerDown(3, 3000, 1000).Wait(w).FingerDown(0, 500, 3000).Wait(w).FingerUp(0).Wait(w).FingerUp(3)
		}, []cell{{58, 5}}},
		{"a third finger after the owner lifted starts nothing", func(s *touchtest.Script) {
			s.FingerDown(0, 1000, 1000).FingerDown(1, 2000, 2000).Wait(w).FingerUp(0).
				FingerDown(0, 3000, 3000).Wait(w).FingerUp(0).Wait(w).FingerUp(1)
		}, []cell{{19, 5}}},
		{"the owner dragging is no tap, with a second finger down", func(s *touchtest.Script) {
			s.FingerDown(0, 1000, 1000).FingerDown(1, 3000, 3000).FingerMove(0, 2000, 1000).FingerUp(0).FingerUp(1)
		}, nil},
		{"after a two-finger touch the next tap works", func(s *touchtest.Script) {
			s.FingerDown(0, 1000, 1000).FingerDown(1, 3000, 3000).Wait(w).FingerUp(1).FingerUp(0).
				Wait(time.Second).FingerDown(1, 3000, 3000).Wait(w).FingerUp(1)
		}, []cell{{19, 5}, {58, 17}}},
		{"dropped events mid-touch: no tap, the next one works", func(s *touchtest.Script) {
			s.FingerDown(0, 1000, 1000).FingerDown(1, 3000, 3000).Dropped().FingerUp(1).FingerUp(0).
				Wait(time.Second).Tap(2048, 2048)
		}, []cell{{40, 12}}},
	}
	for _, emulate := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s (pointer emulation %v)", tt.name, emulate), func(t *testing.T) {
				s := touchtest.NewScript(t0)
				s.MT, s.PointerEmulation, s.Timestamps = true, emulate, emulate
				tt.script(s)
				got := taps(t, touch.Config{Grid: grid80x24}, s.Bytes())
				if len(got) != len(tt.want) {
					t.Fatalf("taps = %+v, want %v", got, tt.want)
				}
				for i, w := range tt.want {
					if got[i].Col != w.col || got[i].Row != w.row {
						t.Errorf("tap %d at %d,%d, want %d,%d", i, got[i].Col, got[i].Row, w.col, w.row)
					}
				}
			})
		}
	}
}

func TestCalibrate(t *testing.T) {
	targets := [3][2]float64{{0.1, 0.1}, {0.9, 0.1}, {0.1, 0.9}}
	tests := []struct {
		name  string
		truth touch.Calibration // how the panel is really mounted
		axes  touch.Axes
	}{
		{"range narrower than the kernel says", touch.Calibration{X: touch.Range{200, 3900}, Y: touch.Range{300, 3800}}, axes},
		{"mounted rotated: axes swapped, one inverted", touch.Calibration{SwapXY: true, InvertX: true, X: touch.Range{150, 4000}, Y: touch.Range{100, 3950}}, axes},
		{"both inverted, 0..1023 panel", touch.Calibration{InvertX: true, InvertY: true, X: touch.Range{40, 990}, Y: touch.Range{30, 1000}},
			touch.Axes{X: touch.Range{0, 1023}, Y: touch.Range{0, 1023}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Where the panel reports each target, found by inverting the truth.
			var samples [3]touch.Sample
			for i, tg := range targets {
				x, y := rawFor(t, tt.truth, tt.axes, tg[0], tg[1])
				samples[i] = touch.Sample{TargetX: tg[0], TargetY: tg[1], X: x, Y: y}
			}
			c, err := touch.Calibrate(samples)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range [][2]float64{{0.5, 0.5}, {0.05, 0.95}, {0.97, 0.03}, {0.3, 0.7}} {
				x, y := rawFor(t, tt.truth, tt.axes, p[0], p[1])
				gx, gy := c.Apply(tt.axes, x, y)
				if d := max(abs(gx-p[0]), abs(gy-p[1])); d > 0.002 {
					t.Errorf("point %v lands at %.4f,%.4f with %+v", p, gx, gy, c)
				}
			}
		})
	}
	if _, err := touch.Calibrate([3]touch.Sample{{0.1, 0.1, 500, 500}, {0.9, 0.1, 500, 500}, {0.1, 0.9, 500, 3000}}); err == nil {
		t.Error("two taps on one raw point accepted")
	}
}

// rawFor finds the raw point truth maps to fx, fy. Each screen axis
// depends on one raw axis (raw Y for the screen's x when swapped), so
// each is searched alone.
func rawFor(t *testing.T, truth touch.Calibration, a touch.Axes, fx, fy float64) (x, y int32) {
	t.Helper()
	search := func(r touch.Range, f func(int32) float64, want float64) int32 {
		best, at := 2.0, r.Min
		for v := r.Min; v <= r.Max; v++ {
			if d := abs(f(v) - want); d < best {
				best, at = d, v
			}
		}
		return at
	}
	screenX := func(rx, ry int32) float64 { v, _ := truth.Apply(a, rx, ry); return v }
	screenY := func(rx, ry int32) float64 { _, v := truth.Apply(a, rx, ry); return v }
	if truth.SwapXY {
		y = search(a.Y, func(v int32) float64 { return screenX(a.X.Min, v) }, fx)
		x = search(a.X, func(v int32) float64 { return screenY(v, a.Y.Min) }, fy)
	} else {
		x = search(a.X, func(v int32) float64 { return screenX(v, a.Y.Min) }, fx)
		y = search(a.Y, func(v int32) float64 { return screenY(a.X.Min, v) }, fy)
	}
	return x, y
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
