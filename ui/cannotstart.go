package ui

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/villagehall/kiosk/kiosk"
)

// CannotStart is what the cannot-start screen shows: why the kiosk did not
// start, the addresses a technician can reach it on over ssh (none: the line
// is left out) and the version.
type CannotStart struct {
	Reason  kiosk.CannotStart
	SSH     []string // e.g. "root@192.168.1.20"
	Version string
}

// RunCannotStart draws the cannot-start screen, in Japanese and English at
// once (no key changes it: whoever stands there reads their line), and
// redraws it on every resize until ctx ends. The caller owns scr.
// A CannotStart arriving on updates (nil: none) replaces what is shown.
func RunCannotStart(ctx context.Context, scr tcell.Screen, cs CannotStart, updates <-chan CannotStart) error {
	return RunCannotStartLoop(ctx, scr, cs, updates, CannotStartLoop{})
}

// CannotStartLoop lets the caller tell systemd the screen is up and its loop
// alive, as the kiosk's own screen loop does: OnFrame after every frame
// drawn, OnTick on every tick of Ticks (nil: none). All optional.
type CannotStartLoop struct {
	Ticks   <-chan time.Time
	OnTick  func()
	OnFrame func()
}

// RunCannotStartLoop is RunCannotStart with loop's hooks.
func RunCannotStartLoop(ctx context.Context, scr tcell.Screen, cs CannotStart, updates <-chan CannotStart, loop CannotStartLoop) error {
	return runCannotStart(ctx, scr, cs, updates, loop, func(int, int) {})
}

// runCannotStart is RunCannotStartLoop telling drawn the size of each frame.
func runCannotStart(ctx context.Context, scr tcell.Screen, cs CannotStart, updates <-chan CannotStart, loop CannotStartLoop, drawn func(w, h int)) error {
	frame := func(w, h int) {
		drawn(w, h)
		if loop.OnFrame != nil {
			loop.OnFrame()
		}
	}
	events := make(chan tcell.Event, 16)
	quit := make(chan struct{})
	pumpDone := make(chan struct{})
	go func() {
		defer close(pumpDone)
		scr.ChannelEvents(events, quit)
	}()
	defer func() {
		close(quit)
		<-pumpDone
	}()
	frame(drawCannotStart(scr, cs))
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-loop.Ticks:
			if loop.OnTick != nil {
				loop.OnTick()
			}
		case u := <-updates:
			cs = u
			frame(drawCannotStart(scr, cs))
		case ev, ok := <-events:
			if !ok {
				return errors.New("ui: screen closed")
			}
			switch ev := ev.(type) {
			case *tcell.EventResize:
				scr.Sync()
				frame(drawCannotStart(scr, cs))
			case *tcell.EventKey:
				// A terminal's Ctrl-C is a key here, not a signal: let a
				// developer out (on the kiosk systemd shows it again).
				if ev.Key() == tcell.KeyCtrlC {
					return nil
				}
			}
		}
	}
}

func drawCannotStart(scr tcell.Screen, cs CannotStart) (w, h int) {
	w, h = scr.Size()
	c := renderCannotStart(cs, w, h)
	for y := 0; y < c.H; y++ {
		for x := 0; x < c.W; x++ {
			if cell := c.Cells[y*c.W+x]; !cell.Cont {
				scr.Put(x, y, cell.Str, cell.Style)
			}
		}
	}
	scr.Show()
	return w, h
}

// renderCannotStart lays the screen out: the header, a red band, a line for
// residents, then for the technician what is wrong, the fields to fix, the
// problems as the console gives them, what to do next and how to reach the
// kiosk. Each sentence in Japanese, then English.
func renderCannotStart(cs CannotStart, w, h int) *Canvas {
	c := newCanvas(w, h, stBody)
	if w < 20 || h < 10 {
		c.Text(0, 0, "KIOSK NOT STARTED", stBad, w)
		return c
	}
	words := kiosk.CannotStartCatalogue(cs.Reason.Kind)
	m := metricsFor(w, h)
	r := &renderer{c: c, in: renderInput{w: w, h: h}, m: m}
	c.Fill(Rect{0, 0, w, m.hdr}, stHeader)
	c.Text(m.pad, m.hdr/2, words.Title.JA+"  "+words.Title.EN, stHeader, w-2*m.pad)
	r.body = Rect{X: m.pad, Y: m.hdr + 1, W: w - 2*m.pad, H: h - m.hdr - 2}
	r.y = r.body.Y
	both := func(t kiosk.Text, st tcell.Style, args ...any) {
		if len(args) > 0 {
			r.para(t.F(kiosk.Japanese, args...), st)
			r.para(t.F(kiosk.English, args...), st)
			return
		}
		r.para(t.JA, st)
		r.para(t.EN, st)
	}
	c.Fill(Rect{r.body.X, r.y, r.body.W, 2}, stBad)
	c.Center(r.body, r.y, words.Head.JA, stBad)
	c.Center(r.body, r.y+1, words.Head.EN, stBad)
	r.y += 3
	both(words.Residents, stStrong)
	r.para(words.ForStaff.JA+" / "+words.ForStaff.EN, stStrong)
	both(words.Problem, stBody)
	if f := cs.Reason.Fields; len(f) > 0 {
		r.para(words.Fields.JA+" / "+words.Fields.EN+" "+strings.Join(f, ", "), stField)
	}
	for _, p := range cs.Reason.Problems {
		r.para(plain(p), stWarnText)
	}
	both(words.Next, stBody)
	if len(cs.SSH) > 0 {
		both(words.SSH, stDim, strings.Join(cs.SSH, ", "))
	}
	if v := cs.Version; v != "" && len(v) < w/2 {
		c.Text(w-len(v)-1, h-1, v, stDim, len(v))
	}
	return c
}
