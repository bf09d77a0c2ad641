package touch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/touch"
	"github.com/villagehall/kiosk/drivers/touch/touchtest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var axes = touch.Axes{X: touch.Range{0, 4095}, Y: touch.Range{0, 4095}}

func grid80x24() (int, int) { return 80, 24 }

func taps(t *testing.T, cfg touch.Config, data []byte) []touch.Tap {
	t.Helper()
	tr := touch.NewTracker(cfg, axes)
	r := bytes.NewReader(data)
	var out []touch.Tap
	for {
		ev, err := touch.ReadEvent(r)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if tap, ok := tr.Feed(ev); ok {
			out = append(out, tap)
		}
	}
}

func TestEventRoundTrip(t *testing.T) {
	ev := touch.Event{Time: time.Unix(1700000000, 123456000), Type: touch.EvAbs, Code: touch.AbsMTPositionY, Value: -7}
	b := ev.Marshal()
	if len(b) != 24 {
		t.Fatalf("event is %d bytes", len(b))
	}
	got, err := touch.ReadEvent(bytes.NewReader(b))
	if err != nil || !got.Time.Equal(ev.Time) || got.Type != ev.Type || got.Code != ev.Code || got.Value != ev.Value {
		t.Errorf("round trip: %+v, %v", got, err)
	}
	if _, err := touch.ReadEvent(bytes.NewReader(b[:10])); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short read: %v", err)
	}
}

func TestTracker(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	type cell struct{ col, row int }
	tests := []struct {
		name   string
		cal    touch.Calibration
		script func(s *touchtest.Script)
		want   []cell
	}{
		{"tap top-left", touch.Calibration{}, func(s *touchtest.Script) { s.Tap(0, 0) }, []cell{{0, 0}}},
		{"tap centre", touch.Calibration{}, func(s *touchtest.Script) { s.Tap(2048, 2048) }, []cell{{40, 12}}},
		{"tap bottom-right edge clamps", touch.Calibration{}, func(s *touchtest.Script) { s.Tap(4095, 4095) }, []cell{{79, 23}}},
		{"drag ignored", touch.Calibration{}, func(s *touchtest.Script) {
			s.Down(500, 500).Wait(20*time.Millisecond).Move(900, 500).Wait(20*time.Millisecond).Move(1500, 600).Up()
		}, nil},
		{"jitter within threshold is a tap", touch.Calibration{}, func(s *touchtest.Script) {
			s.Down(1000, 1000).Move(1030, 1010).Wait(50 * time.Millisecond).Up()
		}, []cell{{19, 5}}},
		{"double tap on one cell counts once", touch.Calibration{}, func(s *touchtest.Script) {
			s.Tap(1000, 1000).Wait(100*time.Millisecond).Tap(1005, 1002)
		}, []cell{{19, 5}}},
		{"two taps far apart in time", touch.Calibration{}, func(s *touchtest.Script) {
			s.Tap(1000, 1000).Wait(time.Second).Tap(1000, 1000)
		}, []cell{{19, 5}, {19, 5}}},
		{"quick taps on different cells", touch.Calibration{}, func(s *touchtest.Script) {
			s.Tap(1000, 1000).Wait(50*time.Millisecond).Tap(3000, 1000)
		}, []cell{{19, 5}, {58, 5}}},
		{"swap and invert", touch.Calibration{SwapXY: true, InvertX: true}, func(s *touchtest.Script) { s.Tap(0, 0) }, []cell{{79, 0}}},
		{"calibrated range", touch.Calibration{X: touch.Range{200, 3900}, Y: touch.Range{300, 3800}}, func(s *touchtest.Script) { s.Tap(200, 3800) }, []cell{{0, 23}}},
		{"offset", touch.Calibration{OffsetX: 2048}, func(s *touchtest.Script) { s.Tap(0, 0) }, []cell{{40, 0}}},
		{"dropped events cancel the touch", touch.Calibration{}, func(s *touchtest.Script) {
			s.Down(100, 100).Dropped().Up()
		}, nil},
	}
	for _, mt := range []bool{false, true} {
		for _, tt := range tests {
			name := tt.name
			if mt {
				name += " (MT)"
			}
			t.Run(name, func(t *testing.T) {
				s := touchtest.NewScript(t0)
				s.MT = mt
				tt.script(s)
				got := taps(t, touch.Config{Grid: grid80x24, Cal: tt.cal}, s.Bytes())
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

// instant is a backoff timer that fires at once and records the delays.
type instant struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (i *instant) after(d time.Duration) <-chan time.Time {
	i.mu.Lock()
	i.delays = append(i.delays, d)
	i.mu.Unlock()
	ch := make(chan time.Time, 1)
	ch <- time.Time{}
	return ch
}

// TestRunUnplugged: a USB panel pulled mid-use fails its read with ENODEV
// and its node disappears: the health says absent (the panel is gone),
// not error, while the reader waits for it to come back.
func TestRunUnplugged(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	var mu sync.Mutex
	calls := 0
	open := func() (io.ReadCloser, touch.Axes, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return touchtest.NewScript(t0).Tap(0, 0).Unplugged(), axes, nil
		}
		return nil, touch.Axes{}, fmt.Errorf("touch: open: %w", os.ErrNotExist)
	}
	var r *touch.Reader
	states := make(chan string, 8)
	after := func(time.Duration) <-chan time.Time {
		select {
		case states <- r.Health().State:
		default:
		}
		return make(chan time.Time) // wait for good: the test reads the health and stops
	}
	r = touch.NewWithOpener(open, touch.Config{Grid: grid80x24}, quiet, after)
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan touch.Tap, 1)
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, out) }()
	select {
	case <-out:
	case <-time.After(5 * time.Second):
		t.Fatal("no tap before the unplug")
	}
	select {
	case st := <-states:
		if st != "absent" {
			t.Errorf("health after the unplug: %s, want absent", st)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the reader did not notice the unplug")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestRunReopens: the device is missing twice, then yields a tap and
// vanishes (EOF), then comes back with another tap.
func TestRunReopens(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	var mu sync.Mutex
	calls := 0
	open := func() (io.ReadCloser, touch.Axes, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		switch calls {
		case 1:
			return nil, touch.Axes{}, fmt.Errorf("touch: open: %w", os.ErrNotExist)
		case 2:
			return nil, touch.Axes{}, errors.New("touch: EVIOCGABS: inappropriate ioctl")
		case 3:
			return io.NopCloser(bytes.NewReader(touchtest.NewScript(t0).Tap(0, 0).Bytes())), axes, nil
		default:
			return touchtest.NewScript(t0.Add(time.Minute)).Tap(4095, 4095).Pipe(), axes, nil
		}
	}
	clk := &instant{}
	var r *touch.Reader
	var states []string // the health each time Run waits
	after := func(d time.Duration) <-chan time.Time {
		states = append(states, r.Health().State)
		return clk.after(d)
	}
	r = touch.NewWithOpener(open, touch.Config{Grid: grid80x24, BackoffMin: time.Second, BackoffMax: 3 * time.Second}, quiet, after)
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan touch.Tap)
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, out) }()
	for _, want := range [][2]int{{0, 0}, {79, 23}} {
		select {
		case tap := <-out:
			if tap.Col != want[0] || tap.Row != want[1] {
				t.Errorf("tap %+v, want %v", tap, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no tap")
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop after cancel (blocked read not interrupted?)")
	}
	clk.mu.Lock()
	defer clk.mu.Unlock()
	if got := strings.Join(states, ","); got != "absent,error,error" {
		t.Errorf("health while waiting to reopen: %s, want absent,error,error", got)
	}
	if h := r.Health(); h.State != "ok" {
		t.Errorf("health at the end %+v", h)
	}
	want := []time.Duration{time.Second, 2 * time.Second, time.Second}
	if len(clk.delays) != len(want) {
		t.Fatalf("backoff delays %v, want %v", clk.delays, want)
	}
	for i := range want {
		if clk.delays[i] != want[i] {
			t.Errorf("backoff delays %v, want %v", clk.delays, want)
			break
		}
	}
}
