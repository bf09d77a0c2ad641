package ui

import (
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/mattn/go-runewidth"
	"github.com/rivo/uniseg"

	"github.com/villagehall/kiosk/kiosk/linebreak"
)

// widthCond measures text the way tcell will place it. tcell takes cell
// widths from uniseg, whose ambiguous width follows RUNEWIDTH_EASTASIAN
// only; go-runewidth's default also looks at the locale (LANG=ja_JP makes
// it 2). Measuring with a mismatched rule shifts every line holding an
// ambiguous rune such as ●, so the condition is derived from uniseg's.
func widthCond() *runewidth.Condition {
	c := runewidth.NewCondition()
	c.EastAsianWidth = uniseg.EastAsianAmbiguousWidth == 2
	return c
}

// textWidth is the number of cells s takes on the screen.
func textWidth(s string) int { return widthCond().StringWidth(s) }

// Rect is a cell rectangle.
type Rect struct{ X, Y, W, H int }

// Contains reports whether cell (col,row) is inside r.
func (r Rect) Contains(col, row int) bool {
	return col >= r.X && col < r.X+r.W && row >= r.Y && row < r.Y+r.H
}

// Cell is one screen cell. Cont marks the right half of a wide rune.
type Cell struct {
	Str   string
	Style tcell.Style
	Cont  bool
}

// Canvas is a rendered frame: cells plus the touch targets on it. Render
// produces one from a view model without touching a tcell.Screen, so
// layout can be tested and the screen only ever receives whole frames.
type Canvas struct {
	W, H    int
	Cells   []Cell
	Buttons []Button
	// Overflow: text did not fit its place and was cut. Every screen is
	// tested not to do that at 80×24.
	Overflow []string
}

func newCanvas(w, h int, st tcell.Style) *Canvas {
	c := &Canvas{W: w, H: h, Cells: make([]Cell, w*h)}
	for i := range c.Cells {
		c.Cells[i] = Cell{Str: " ", Style: st}
	}
	return c
}

// Fill paints r with blanks in style st.
func (c *Canvas) Fill(r Rect, st tcell.Style) {
	for y := max(r.Y, 0); y < min(r.Y+r.H, c.H); y++ {
		for x := max(r.X, 0); x < min(r.X+r.W, c.W); x++ {
			c.Cells[y*c.W+x] = Cell{Str: " ", Style: st}
		}
	}
}

// Text writes s at (x,y), clipped to the canvas and to limit cells
// (limit <= 0: to the right edge). A wide rune that would straddle the
// limit is not drawn. It returns the cells used.
func (c *Canvas) Text(x, y int, s string, st tcell.Style, limit int) int {
	if y < 0 || y >= c.H {
		return 0
	}
	end := c.W
	if limit > 0 && x+limit < end {
		end = x + limit
	}
	cond := widthCond()
	start := x
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		str := g.Str()
		w := cond.StringWidth(str)
		if w == 0 {
			continue // stray combining mark: nothing to place it on
		}
		if x+w > end {
			c.Overflow = append(c.Overflow, s)
			break
		}
		if x >= 0 {
			c.Cells[y*c.W+x] = Cell{Str: str, Style: st}
			for i := 1; i < w; i++ {
				c.Cells[y*c.W+x+i] = Cell{Style: st, Cont: true}
			}
		}
		x += w
	}
	return x - start
}

// Center writes s centred in r on row y.
func (c *Canvas) Center(r Rect, y int, s string, st tcell.Style) {
	w := textWidth(s)
	if w > r.W {
		c.Text(r.X, y, s, st, r.W)
		return
	}
	c.Text(r.X+(r.W-w)/2, y, s, st, r.W)
}

// Row returns the text of row y as the screen shows it (for tests).
func (c *Canvas) Row(y int) string {
	var b strings.Builder
	for x := 0; x < c.W; x++ {
		if cl := c.Cells[y*c.W+x]; !cl.Cont {
			b.WriteString(cl.Str)
		}
	}
	return b.String()
}

// String is the whole frame, one line per row.
func (c *Canvas) String() string {
	var b strings.Builder
	for y := 0; y < c.H; y++ {
		b.WriteString(c.Row(y))
		b.WriteByte('\n')
	}
	return b.String()
}

// lines breaks s into screen lines of at most w cells with the shared
// Japanese/English line breaker, measured the way tcell places them.
func lines(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	cond := widthCond()
	return linebreak.Lines(s, w, cond.StringWidth)
}
