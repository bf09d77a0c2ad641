package keypad_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
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
	expect []keypad.Event // only Kind and Key are compared, in order
}

func run(t *testing.T, steps []step) {
	t.Helper()
	m := keypadtest.NewMatrix(4, 4)
	s, err := keypad.New(m.RowPins(), m.ColPins(), keypad.Config{Layout: keypad.Layout4x4, StuckAfter: 2 * time.Second}, quiet, keypad.WithSleep(m.Sleep))
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
		evs, _, err := s.Poll(t0.Add(st.at))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := describe(evs), describe(st.expect); got != want {
			t.Errorf("step %d (%v): events [%s], want [%s]", i, st.at, got, want)
		}
	}
}

func describe(evs []keypad.Event) string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Kind.String()+" "+string(e.Key))
	}
	return strings.Join(out, ", ")
}

func press(keys ...keypad.Key) []keypad.Event {
	var out []keypad.Event
	for _, k := range keys {
		out = append(out, keypad.Event{Kind: keypad.Press, Key: k})
	}
	return out
}

func TestScanner(t *testing.T) {
	five := [2]int{1, 1}
	hash := [2]int{3, 2}
	one, two, four := [2]int{0, 0}, [2]int{0, 1}, [2]int{1, 0}
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
		// A quick typist's roll: 2 goes down before 1 comes up. Both digits.
		{"rolled second key is delivered", []step{
			{at: 0, press: [][2]int{one}},
			{at: 40 * ms, expect: press(keypad.Key1)},
			{at: 50 * ms, press: [][2]int{two}},
			{at: 60 * ms, lift: [][2]int{one}},
			{at: 85 * ms, expect: press(keypad.Key2)},
			{at: 100 * ms, lift: [][2]int{two}},
			{at: 200 * ms},
		}},
		{"a roll faster than the debounce keeps its order", []step{
			{at: 0, press: [][2]int{{2, 2}}}, // 9
			{at: 10 * ms, press: [][2]int{one}},
			{at: 35 * ms, expect: press(keypad.Key9)},
			{at: 45 * ms, expect: press(keypad.Key1)},
		}},
		{"three-key roll, released in another order", []step{
			{at: 0, press: [][2]int{{3, 1}}}, // 0
			{at: 30 * ms, expect: press(keypad.Key0), press: [][2]int{{2, 0}}},
			{at: 60 * ms, expect: press(keypad.Key7), press: [][2]int{{1, 2}}},
			{at: 90 * ms, expect: press(keypad.Key6), lift: [][2]int{{2, 0}}},
			{at: 100 * ms, lift: [][2]int{{3, 1}, {1, 2}}},
			{at: 200 * ms},
		}},
		{"two keys in one scan: both, row by row", []step{
			{at: 0, press: [][2]int{{2, 3}, one}},
			{at: 40 * ms, expect: press(keypad.Key1, keypad.KeyC)},
		}},
		// Three corners pressed together: the fourth reads down too, and
		// none of the four can be trusted.
		{"ghosting combination is not delivered", []step{
			{at: 0, press: [][2]int{one, two, four}}, // ghosts 5
			{at: 40 * ms},
			{at: 100 * ms, lift: [][2]int{two, four}},
			{at: 200 * ms},
			{at: 300 * ms, lift: [][2]int{one}},
			{at: 400 * ms, press: [][2]int{five}},
			{at: 440 * ms, expect: press(keypad.Key5)},
		}},
		{"rolling into a ghost: keys before it stay delivered", []step{
			{at: 0, press: [][2]int{one}},
			{at: 40 * ms, expect: press(keypad.Key1), press: [][2]int{two}},
			{at: 80 * ms, expect: press(keypad.Key2), press: [][2]int{four}}, // 4 and its ghost 5 appear together
			{at: 120 * ms},
			{at: 150 * ms, lift: [][2]int{one, two, four}},
			{at: 250 * ms},
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

// TestRolledPINLosesNoDigit types a PIN the way a hurried resident does:
// each key goes down 20 ms before the previous one comes up.
func TestRolledPINLosesNoDigit(t *testing.T) {
	m := keypadtest.NewMatrix(4, 3)
	s, err := keypad.New(m.RowPins(), m.ColPins(), keypad.Config{}, quiet, keypad.WithSleep(m.Sleep))
	if err != nil {
		t.Fatal(err)
	}
	where := map[rune][2]int{}
	for i, row := range keypad.Layout4x3 {
		for j, r := range row {
			where[r] = [2]int{i, j}
		}
	}
	const pin = "73915580"
	t0 := time.Unix(1_700_000_000, 0)
	var got []string
	at := time.Duration(0)
	poll := func(until time.Duration) {
		for ; at < until; at += 5 * ms {
			evs, _, err := s.Poll(t0.Add(at))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				got = append(got, string(e.Key))
			}
		}
	}
	prev := [2]int{-1, -1}
	for i, r := range pin {
		p := where[r]
		if p == prev { // the same key twice: it must come up first
			m.Release(p[0], p[1])
			poll(at + 50*ms)
		}
		m.Press(p[0], p[1])
		poll(at + 20*ms)
		if i > 0 && prev != p {
			m.Release(prev[0], prev[1])
		}
		poll(at + 60*ms)
		prev = p
	}
	m.Release(prev[0], prev[1])
	poll(at + 100*ms)
	if strings.Join(got, "") != pin {
		t.Errorf("typed %s rolled, got %q", pin, got)
	}
}

// TestSettle: on lines that take 20 µs to follow a row, the scanner waits
// before reading and sees the one key pressed. The same matrix read
// without the wait shows a key of the previous row: proof the model bites.
func TestSettle(t *testing.T) {
	for _, settle := range []bool{true, false} {
		m := keypadtest.NewMatrix(4, 4)
		m.SetSettle(20 * time.Microsecond)
		sleep := m.Sleep
		if !settle {
			sleep = func(time.Duration) {}
		}
		s, err := keypad.New(m.RowPins(), m.ColPins(), keypad.Config{Layout: keypad.Layout4x4}, quiet, keypad.WithSleep(sleep))
		if err != nil {
			t.Fatal(err)
		}
		m.Press(1, 1)
		t0 := time.Unix(1_700_000_000, 0)
		var got []keypad.Event
		for i := range 20 {
			evs, _, err := s.Poll(t0.Add(time.Duration(i) * 5 * ms))
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, evs...)
		}
		if ok := describe(got) == "press 5"; ok != settle {
			t.Errorf("settle %v: events [%s]", settle, describe(got))
		}
	}
}

func TestStuckKeyBacksOff(t *testing.T) {
	m := keypadtest.NewMatrix(4, 3)
	cfg := keypad.Config{StuckAfter: time.Second}
	s, err := keypad.New(m.RowPins(), m.ColPins(), cfg, quiet, keypad.WithSleep(m.Sleep))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1_700_000_000, 0)
	poll := func(at time.Duration) time.Duration {
		t.Helper()
		_, wait, err := s.Poll(t0.Add(at))
		if err != nil {
			t.Fatal(err)
		}
		return wait
	}
	if w := poll(0); w != 25*ms {
		t.Errorf("idle: next poll in %v, want 25ms", w)
	}
	m.Press(2, 1) // 8
	if w := poll(5 * ms); w != 5*ms {
		t.Errorf("key down: next poll in %v, want 5ms", w)
	}
	poll(40 * ms)
	if w := poll(1100 * ms); w != 100*ms {
		t.Errorf("only a stuck key down: next poll in %v, want 100ms", w)
	}
	if h := s.Health(); h.State != "stuck" || !strings.Contains(h.Detail, "8") {
		t.Errorf("health %+v, want stuck naming key 8", h)
	}
	m.Press(0, 0)
	if w := poll(1200 * ms); w != 5*ms {
		t.Errorf("another key moving beside a stuck one: next poll in %v, want 5ms", w)
	}
	m.Release(0, 0)
	m.Release(2, 1)
	poll(1300 * ms)
	poll(1400 * ms)
	if h := s.Health(); h.State != "ok" {
		t.Errorf("health after release %+v", h)
	}
}

func TestGPIOFailure(t *testing.T) {
	m := keypadtest.NewMatrix(4, 3)
	s, err := keypad.New(m.RowPins(), m.ColPins(), keypad.Config{}, quiet, keypad.WithSleep(m.Sleep))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1_700_000_000, 0)
	m.Press(0, 0) // the scan must drive rows to see it
	m.Fail(errors.New("gpio: line request: no such device"))
	if _, _, err := s.Poll(t0); err == nil {
		t.Fatal("Poll on failing pins: no error")
	}
	if h := s.Health(); h.State != "error" || !strings.Contains(h.Detail, "no such device") {
		t.Errorf("health %+v", h)
	}
	m.Fail(nil)
	if _, _, err := s.Poll(t0.Add(5 * ms)); err != nil {
		t.Fatal(err)
	}
	if h := s.Health(); h.State != "ok" {
		t.Errorf("health after the pins healed: %+v", h)
	}
}

func TestKeyMap(t *testing.T) {
	m, err := keypad.KeyMap(map[string]string{"*": "cancel", "D": "Enter"})
	if err != nil {
		t.Fatal(err)
	}
	if m['*'] != keypad.KeyCancel || m['D'] != keypad.KeyEnter || m['#'] != keypad.KeyEnter || m['5'] != keypad.Key5 {
		t.Errorf("map %v", m)
	}
	for _, bad := range []map[string]string{{"**": "cancel"}, {"*": "reboot"}} {
		if _, err := keypad.KeyMap(bad); err == nil {
			t.Errorf("KeyMap(%v) accepted", bad)
		}
	}
}

func TestIdleTouchesOnlyColumns(t *testing.T) {
	m := keypadtest.NewMatrix(4, 3)
	s, err := keypad.New(m.RowPins(), m.ColPins(), keypad.Config{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if _, wait, _ := s.Poll(t0); wait != 25*ms {
		t.Fatalf("idle keypad polls again in %v", wait)
	}
	r0, w0 := m.IO()
	for i := 1; i <= 100; i++ {
		if _, wait, _ := s.Poll(t0.Add(time.Duration(i) * 25 * ms)); wait != 25*ms {
			t.Fatalf("idle keypad polls again in %v", wait)
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
