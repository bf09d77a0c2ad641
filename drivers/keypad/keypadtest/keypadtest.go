// Package keypadtest models a key matrix behind gpio.PinIO pins, for
// testing drivers/keypad without hardware. The model is electrical: a
// pressed key connects its row and column, and a column reads low when it
// is connected, through any chain of pressed keys, to a row driven low.
// That reproduces ghosting: with three corners of a rectangle pressed, the
// fourth reads as pressed too. The lines can be slow (SetSettle: a column
// keeps its old level for a while after a row changes, as the pull-up
// charges the cable) and the pins can fail (Fail), as GPIO ioctls do when
// the chip goes away.
package keypadtest

import (
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// Matrix is a fake keypad. Safe for concurrent use.
type Matrix struct {
	mu      sync.Mutex
	rows    []*Pin
	cols    []*Pin
	pressed map[[2]int]bool
	reads   int
	writes  int
	err     error // every Out and In fails with it (nil: healthy)

	settle  time.Duration // how long a column lags a row change
	elapsed time.Duration // electrical time: advanced only by Sleep
}

// Pin is a row or column line. It embeds gpiotest.Pin for the pin.Pin
// methods and overrides the I/O so levels follow the matrix model.
type Pin struct {
	gpiotest.Pin
	m     *Matrix
	isRow bool
	idx   int
	out   bool
	level gpio.Level

	staleUntil time.Duration // columns: the old level holds until then
	stale      gpio.Level
}

// NewMatrix returns a matrix with nothing pressed.
func NewMatrix(rows, cols int) *Matrix {
	m := &Matrix{pressed: map[[2]int]bool{}}
	for i := range rows {
		m.rows = append(m.rows, &Pin{Pin: gpiotest.Pin{N: fmt.Sprintf("ROW%d", i), Num: i}, m: m, isRow: true, idx: i, level: gpio.High})
	}
	for j := range cols {
		m.cols = append(m.cols, &Pin{Pin: gpiotest.Pin{N: fmt.Sprintf("COL%d", j), Num: 100 + j}, m: m, idx: j, level: gpio.High})
	}
	return m
}

// RowPins and ColPins are the lines to hand to keypad.New.
func (m *Matrix) RowPins() []gpio.PinIO {
	out := make([]gpio.PinIO, len(m.rows))
	for i, p := range m.rows {
		out[i] = p
	}
	return out
}

func (m *Matrix) ColPins() []gpio.PinIO {
	out := make([]gpio.PinIO, len(m.cols))
	for i, p := range m.cols {
		out[i] = p
	}
	return out
}

// Press and Release change a key's contact; calling them in quick
// alternation models contact bounce.
func (m *Matrix) Press(row, col int) { m.set(row, col, true) }

func (m *Matrix) Release(row, col int) { m.set(row, col, false) }

func (m *Matrix) set(row, col int, down bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if down {
		m.pressed[[2]int{row, col}] = true
	} else {
		delete(m.pressed, [2]int{row, col})
	}
}

// SetSettle makes every column keep its previous level for d after any
// row changes direction or level. A scanner that reads before then sees
// the previous row's keys.
func (m *Matrix) SetSettle(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.settle = d
}

// Sleep advances the lines' time; pass it to keypad.WithSleep.
func (m *Matrix) Sleep(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.elapsed += d
}

// Fail makes every later Out and In fail with err; nil heals the pins.
func (m *Matrix) Fail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.err = err
}

// rowChangingLocked freezes each column's current level for the settle
// time; call it before a row changes.
func (m *Matrix) rowChangingLocked() {
	if m.settle <= 0 {
		return
	}
	for _, c := range m.cols {
		if m.elapsed >= c.staleUntil { // not already lagging: freeze the level it has now
			c.stale = c.liveLocked()
		}
		c.staleUntil = m.elapsed + m.settle
	}
}

// IO returns how many reads and direction/level changes the pins saw,
// to check what an idle keypad costs.
func (m *Matrix) IO() (reads, writes int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reads, m.writes
}

// Driven reports which rows are outputs driven low right now.
func (m *Matrix) Driven() []bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]bool, len(m.rows))
	for i, r := range m.rows {
		out[i] = r.out && r.level == gpio.Low
	}
	return out
}

// lowLocked reports whether node (row or column) is connected to a row
// driven low. Nodes: rows 0..R-1, columns R..R+C-1.
func (m *Matrix) lowLocked(p *Pin) bool {
	nr := len(m.rows)
	start := p.idx
	if !p.isRow {
		start += nr
	}
	seen := map[int]bool{start: true}
	queue := []int{start}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n < nr && m.rows[n].out && m.rows[n].level == gpio.Low {
			return true
		}
		for k := range m.pressed {
			a, b := k[0], nr+k[1]
			var next int
			switch n {
			case a:
				next = b
			case b:
				next = a
			default:
				continue
			}
			if !seen[next] {
				seen[next] = true
				queue = append(queue, next)
			}
		}
	}
	return false
}

// In implements gpio.PinIn: the line becomes an input (pull-up assumed).
func (p *Pin) In(pull gpio.Pull, edge gpio.Edge) error {
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	p.m.writes++
	if p.m.err != nil {
		return p.m.err
	}
	if p.isRow && p.out {
		p.m.rowChangingLocked()
	}
	p.out = false
	p.P = pull
	return nil
}

// Read implements gpio.PinIn.
func (p *Pin) Read() gpio.Level {
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	p.m.reads++
	if !p.isRow && p.m.elapsed < p.staleUntil {
		return p.stale
	}
	return p.liveLocked()
}

func (p *Pin) liveLocked() gpio.Level {
	if p.out {
		return p.level
	}
	if p.P != gpio.PullUp && !p.isRow {
		return gpio.Low // a floating column would read noise; the driver must pull up
	}
	return !gpio.Level(p.m.lowLocked(p))
}

// Out implements gpio.PinOut.
func (p *Pin) Out(l gpio.Level) error {
	p.m.mu.Lock()
	defer p.m.mu.Unlock()
	p.m.writes++
	if p.m.err != nil {
		return p.m.err
	}
	if p.isRow && (!p.out || p.level != l) {
		p.m.rowChangingLocked()
	}
	p.out = true
	p.level = l
	return nil
}
