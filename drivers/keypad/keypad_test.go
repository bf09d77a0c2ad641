package keypad_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/keypad"
	"github.com/villagehall/kiosk/drivers/keypad/keypadtest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

const ms = time.Millisecond

// step is one moment of a script: change the contacts, then poll.
type step struct {
	at     time.Duration
	press  [][2]int
	lift   [][2]int
	expect []keypad.Event // only Kind and Key are compared
}

func run(t *testing.T, steps []step) {
	t.Helper()
	m := keypadtest.NewMatrix(4, 4)
	s, err := keypad.New(m.RowPins(), m.ColPins(), keypad.Config{Layout: keypad.Layout4x4, StuckAfter: 2 * time.Second}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1_700_000_000, 0)
	for i, st := range steps {
		for _, p := range st.press {
			m.Press(p[0], p[1])
		}
		for _, p := range st.lift {
			m.Release(p[0], p[1])
		}
		ev, ok, _, err := s.Poll(t0.Add(st.at))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case len(st.expect) == 0 && ok:
			t.Errorf("step %d (%v): unexpected %v %s", i, st.at, ev.Kind, ev.Key)
		case len(st.expect) > 0 && !ok:
			t.Errorf("step %d (%v): no event, want %v %s", i, st.at, st.expect[0].Kind, st.expect[0].Key)
		case ok && (ev.Kind != st.expect[0].Kind || ev.Key != st.expect[0].Key):
			t.Errorf("step %d (%v): got %v %s, want %v %s", i, st.at, ev.Kind, ev.Key, st.expect[0].Kind, st.expect[0].Key)
		}
	}
}

func press(k keypad.Key) []keypad.Event { return []keypad.Event{{Kind: keypad.Press, Key: k}} }

func TestScanner(t *testing.T) {
	five := [2]int{1, 1}
	hash := [2]int{3, 2}
	tests := []struct {
		name  string
		steps []step
	}{
		{"clean press emits once, no repeat", []step{
			{at: 0, press: [][2]int{five}},
			{at: 10 * ms},
			{at: 30 * ms, expect: press(keypad.Key5)},
			{at: 500 * ms},
			{at: 1500 * ms},
			{at: 1510 * ms, lift: [][2]int{five}},
			{at: 1600 * ms},
		}},
		{"bounce is filtered", []step{
			{at: 0, press: [][2]int{five}},
			{at: 5 * ms, lift: [][2]int{five}},
			{at: 10 * ms, press: [][2]int{five}},
			{at: 15 * ms, lift: [][2]int{five}},
			{at: 20 * ms, press: [][2]int{five}},
			{at: 45 * ms},
			{at: 50 * ms, expect: press(keypad.Key5)},
			{at: 55 * ms, lift: [][2]int{five}},
			{at: 60 * ms, press: [][2]int{five}}, // release bounce: no second press
			{at: 70 * ms, lift: [][2]int{five}},
			{at: 200 * ms},
		}},
		{"mapped key", []step{
			{at: 0, press: [][2]int{hash}},
			{at: 40 * ms, expect: press(keypad.KeyEnter)},
		}},
		{"two keys ignored until both released", []step{
			{at: 0, press: [][2]int{{0, 0}, {2, 3}}},
			{at: 40 * ms},
			{at: 50 * ms, lift: [][2]int{{0, 0}}}, // one left down: still ignored
			{at: 100 * ms},
			{at: 150 * ms, lift: [][2]int{{2, 3}}},
			{at: 200 * ms},
			{at: 210 * ms, press: [][2]int{{0, 0}}},
			{at: 250 * ms, expect: press(keypad.Key1)},
		}},
		{"roll-over to a second key is ignored", []step{
			{at: 0, press: [][2]int{{0, 0}}},
			{at: 40 * ms, expect: press(keypad.Key1)},
			{at: 50 * ms, press: [][2]int{{0, 1}}},
			{at: 60 * ms, lift: [][2]int{{0, 0}}},
			{at: 200 * ms},
		}},
		{"ghosting combination ignored", []step{
			{at: 0, press: [][2]int{{0, 0}, {0, 1}, {1, 0}}}, // ghosts {1,1}
			{at: 40 * ms},
			{at: 100 * ms},
		}},
		{"stuck key reported once, others keep working", []step{
			{at: 0, press: [][2]int{five}},
			{at: 40 * ms, expect: press(keypad.Key5)},
			{at: 1 * time.Second},
			{at: 2040 * ms, expect: []keypad.Event{{Kind: keypad.Stuck, Key: keypad.Key5}}},
			{at: 3 * time.Second},
			{at: 10 * time.Second},
			{at: 10*time.Second + 5*ms, press: [][2]int{{0, 2}}},
			{at: 10*time.Second + 40*ms, expect: press(keypad.Key3)},
			{at: 10*time.Second + 50*ms, lift: [][2]int{{0, 2}, five}},
			{at: 10*time.Second + 100*ms},
			{at: 11 * time.Second, press: [][2]int{five}}, // repaired: works again
			{at: 11*time.Second + 40*ms, expect: press(keypad.Key5)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { run(t, tt.steps) })
	}
}

func TestIdleTouchesOnlyColumns(t *testing.T) {
	m := keypadtest.NewMatrix(4, 3)
	s, err := keypad.New(m.RowPins(), m.ColPins(), keypad.Config{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if _, _, active, _ := s.Poll(t0); active {
		t.Fatal("idle keypad reports active")
	}
	r0, w0 := m.IO()
	for i := 1; i <= 100; i++ {
		if _, _, active, _ := s.Poll(t0.Add(time.Duration(i) * 25 * ms)); active {
			t.Fatal("idle keypad reports active")
		}
	}
	r1, w1 := m.IO()
	if w1 != w0 || r1-r0 != 300 {
		t.Errorf("100 idle polls: %d reads, %d writes; want 300 reads, 0 writes", r1-r0, w1-w0)
	}
	for i, d := range m.Driven() {
		if !d {
			t.Errorf("row %d not driven low while idle", i)
		}
	}
}

func TestNewRejectsBadLayout(t *testing.T) {
	m := keypadtest.NewMatrix(4, 3)
	if _, err := keypad.New(m.RowPins(), m.ColPins(), keypad.Config{Layout: keypad.Layout4x4}, quiet); err == nil {
		t.Error("4x4 layout accepted on 3 columns")
	}
}

// fakeClock advances only when Run waits, so Run spins through simulated
// time without sleeping.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) after(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.t
	return ch
}

func TestRun(t *testing.T) {
	m := keypadtest.NewMatrix(4, 4)
	clk := &fakeClock{t: time.Unix(0, 0)}
	s, err := keypad.New(m.RowPins(), m.ColPins(), keypad.Config{}, quiet, keypad.WithClock(clk.now, clk.after))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan keypad.Event)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, out) }()

	m.Press(3, 1)
	select {
	case ev := <-out:
		if ev.Key != keypad.Key0 || ev.Kind != keypad.Press {
			t.Errorf("got %v %s, want press 0", ev.Kind, ev.Key)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event from Run")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
	for i, d := range m.Driven() {
		if d {
			t.Errorf("row %d still driven after Run returned", i)
		}
	}
}
