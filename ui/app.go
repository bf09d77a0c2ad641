// Package ui draws the kiosk's full-screen tcell screens and turns touch
// and keypad input into domain intents. It never talks to devices: the
// integrator feeds it Views and acts on the Intents it hands back.
package ui

import (
	"context"
	"errors"
	"fmt"
	"github.com/mattn/go-runewidth"
	"log/slog"
	"time"
	"unicode"

	"github.com/gdamore/tcell/v2"
	"github.com/villagehall/kiosk/kiosk"
)

// Key is a key of the numeric keypad.
type Key int

const (
	KeyDigit  Key = iota // with a rune '0'..'9'
	KeyEnter             // 確定
	KeyCancel            // 取消
	KeyClear             // 訂正
)

// tapEvent and keypadEvent travel through tcell's event queue so that a
// tap from our touch driver and a key from the GPIO keypad are handled in
// the same goroutine, in order, by the same hit-testing as a mouse click.
type tapEvent struct{ col, row int }

type keypadEvent struct {
	key Key
	r   rune
}

// Options configure an App.
type Options struct {
	// Lang is the language a visit starts in (and returns to after it).
	Lang Lang
	// Municipality is shown on guidance screens.
	Municipality kiosk.Municipality
	// Now is the clock (default time.Now); the idle countdown reads it.
	Now func() time.Time
	// Ticks redraws the countdown; nil uses a one-second time.Ticker.
	// Tests pass their own channel.
	Ticks <-chan time.Time
	// OnIntent receives every intent, in the Run goroutine. It must not
	// block for long. An IntentSubmitPIN's PIN now belongs to it: wipe it.
	OnIntent func(Intent)
	Logger   *slog.Logger
	// Hotkey sees every key before the keypad mapping; returning true
	// consumes it. The simulator inserts and removes cards this way.
	Hotkey func(*tcell.EventKey) bool
	// Banner, when set, is drawn over the bottom row (the simulator's
	// key help). It never carries anything about a visit.
	Banner func() string
	// OnFrame, when set, is called after each frame reaches the screen
	// (benchmarks measure card-to-screen latency with it).
	OnFrame func(View)
	// OnTick, when set, is called in the Run goroutine on every tick of
	// Ticks: proof that the screen loop is alive (the systemd watchdog).
	OnTick func()
}

// App is the kiosk's screen. Create with New, then Run.
type App struct {
	scr  tcell.Screen
	opts Options
	log  *slog.Logger

	view   View
	lang   Lang
	entry  []byte // the PIN being typed; fixed capacity so it never reallocates
	prob   kiosk.PINProblem
	frame  *Canvas
	resync bool // next draw repaints every cell (a visit just ended)
}

// maxPIN is the entry buffer's capacity: the longest signing PIN.
const maxPIN = 16

// New makes an App over an initialised screen. The caller owns the
// screen (Init before Run, Fini after).
func New(scr tcell.Screen, opts Options) *App {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.OnIntent == nil {
		opts.OnIntent = func(Intent) {}
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &App{scr: scr, opts: opts, log: log, lang: opts.Lang, view: View{Page: PageWaiting}}
}

// Tap injects a touch at a cell from the touch driver. Safe from any
// goroutine; it fails only when the event queue is full.
func (a *App) Tap(col, row int) error {
	if err := a.scr.PostEvent(tcell.NewEventInterrupt(tapEvent{col, row})); err != nil {
		return fmt.Errorf("ui: post tap: %w", err)
	}
	return nil
}

// Press injects a keypad key (r is the digit for KeyDigit). Safe from any goroutine.
func (a *App) Press(k Key, r rune) error {
	if err := a.scr.PostEvent(tcell.NewEventInterrupt(keypadEvent{k, r})); err != nil {
		return fmt.Errorf("ui: post key: %w", err)
	}
	return nil
}

// Run draws and handles input until ctx ends, applying every View that
// arrives on views. Everything happens in this goroutine; the screen's
// event pump it starts is stopped before Run returns.
func (a *App) Run(ctx context.Context, views <-chan View) error {
	a.scr.EnableMouse()
	events := make(chan tcell.Event, 16)
	quit := make(chan struct{})
	pumpDone := make(chan struct{})
	go func() {
		defer close(pumpDone)
		a.scr.ChannelEvents(events, quit)
	}()
	defer func() {
		close(quit)
		<-pumpDone
	}()
	ticks := a.opts.Ticks
	if ticks == nil {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		ticks = t.C
	}
	a.draw()
	for {
		select {
		case <-ctx.Done():
			a.forget() // leave nothing of a visit on the glass
			a.draw()
			return nil
		case ev, ok := <-events:
			if !ok {
				return errors.New("ui: screen closed")
			}
			a.handle(ev)
		case v, ok := <-views:
			if !ok {
				views = nil
				continue
			}
			a.apply(v)
		case <-ticks:
			if a.opts.OnTick != nil {
				a.opts.OnTick()
			}
			if !a.view.IdleDeadline.IsZero() {
				a.draw()
			}
		}
	}
}

// apply takes a new View from the domain.
func (a *App) apply(v View) {
	old := a.view
	if v.Page != PagePIN || old.Page != PagePIN || v.PIN.Kind != old.PIN.Kind || v.PIN.Step != old.PIN.Step {
		a.wipeEntry()
	}
	a.view = v
	if v.Page == PageWaiting && old.Page != PageWaiting {
		a.forget()
	}
	a.draw()
}

// forget drops everything about the visit that just ended: the entry,
// the language chosen, and every cell on the glass (repainted in full).
func (a *App) forget() {
	a.wipeEntry()
	a.lang = a.opts.Lang
	a.view = View{Page: PageWaiting, Maintenance: a.view.Maintenance}
	a.frame = nil
	a.resync = true
}

func (a *App) wipeEntry() {
	kiosk.Wipe(a.entry)
	a.entry = a.entry[:0]
	a.prob = kiosk.PINOK
}

func (a *App) entryInfo() entryInfo {
	e := entryInfo{n: len(a.entry), problem: a.prob}
	for _, c := range a.entry {
		switch {
		case c >= 'A' && c <= 'Z':
			e.hasLetter = true
		case c >= '0' && c <= '9':
			e.hasDigit = true
		}
	}
	return e
}

func (a *App) draw() {
	w, h := a.scr.Size()
	a.frame = render(renderInput{
		view: a.view, lang: a.lang, w: w, h: h, now: a.opts.Now(),
		muni: a.opts.Municipality, entry: a.entryInfo(),
	})
	for y := 0; y < a.frame.H; y++ {
		for x := 0; x < a.frame.W; x++ {
			if c := a.frame.Cells[y*a.frame.W+x]; !c.Cont {
				a.scr.Put(x, y, c.Str, c.Style)
			}
		}
	}
	if a.opts.Banner != nil && a.frame.H > 0 {
		a.drawBanner(a.opts.Banner(), a.frame.W, a.frame.H-1)
	}
	if a.resync {
		a.resync = false
		a.scr.Sync()
	} else {
		a.scr.Show()
	}
	if a.opts.OnFrame != nil {
		a.opts.OnFrame(a.view)
	}
}

func (a *App) handle(ev tcell.Event) {
	switch ev := ev.(type) {
	case *tcell.EventResize:
		a.scr.Sync()
		a.draw()
	case *tcell.EventMouse:
		// Act on the press only: a touch reports press then release.
		if ev.Buttons()&tcell.ButtonPrimary != 0 {
			a.tap(ev.Position())
		}
	case *tcell.EventKey:
		if a.opts.Hotkey != nil && a.opts.Hotkey(ev) {
			return
		}
		a.key(ev)
	case *tcell.EventInterrupt:
		switch d := ev.Data().(type) {
		case tapEvent:
			a.tap(d.col, d.row)
		case keypadEvent:
			a.keypad(d.key, d.r)
		}
	}
}

func (a *App) tap(col, row int) {
	if a.frame == nil {
		return
	}
	// Later buttons are drawn on top (the idle overlay): search backwards.
	for i := len(a.frame.Buttons) - 1; i >= 0; i-- {
		if b := a.frame.Buttons[i]; b.Contains(col, row) {
			a.press(b)
			return
		}
	}
	a.emit(Intent{Kind: IntentActivity})
}

// key maps a laptop keyboard onto the keypad: Esc cancels, Backspace and
// Delete clear; letters type on the signing-PIN screen.
func (a *App) key(ev *tcell.EventKey) {
	switch ev.Key() {
	case tcell.KeyEnter:
		a.keypad(KeyEnter, 0)
	case tcell.KeyEsc:
		a.keypad(KeyCancel, 0)
	case tcell.KeyBackspace, tcell.KeyBackspace2, tcell.KeyDelete:
		a.keypad(KeyClear, 0)
	case tcell.KeyRune:
		a.keypad(KeyDigit, unicode.ToUpper(ev.Rune()))
	}
}

func (a *App) keypad(k Key, r rune) {
	want := map[Key]binding{KeyEnter: bindEnter, KeyCancel: bindCancel, KeyClear: bindClear, KeyDigit: bindRune}[k]
	if a.frame != nil {
		for i := len(a.frame.Buttons) - 1; i >= 0; i-- {
			b := a.frame.Buttons[i]
			if b.Bind == want && (want != bindRune || b.Rune == r) {
				a.press(b)
				return
			}
		}
	}
	a.emit(Intent{Kind: IntentActivity})
}

// press runs a button, then redraws.
func (a *App) press(b Button) {
	switch b.Op {
	case opLang:
		a.lang = 1 - a.lang
		a.emit(Intent{Kind: IntentActivity})
	case opIntent:
		a.emit(Intent{Kind: b.Intent, Action: b.Action})
	case opType:
		a.typeRune(b.Rune)
		a.emit(Intent{Kind: IntentActivity})
	case opDelete:
		if n := len(a.entry); n > 0 {
			a.entry[n-1] = 0
			a.entry = a.entry[:n-1]
		}
		a.prob = kiosk.PINOK
		a.emit(Intent{Kind: IntentActivity})
	case opClear:
		a.wipeEntry()
		a.emit(Intent{Kind: IntentActivity})
	case opSubmit:
		a.submit()
	}
	if a.frame != nil { // a handler may have ended the visit
		a.draw()
	}
}

// typeRune appends one character if the PIN's alphabet and length allow;
// anything else is ignored so a stray key cannot grow a malformed PIN.
func (a *App) typeRune(r rune) {
	if a.view.Page != PagePIN {
		return
	}
	if a.entry == nil {
		a.entry = make([]byte, 0, maxPIN)
	}
	limit := 4
	if a.view.PIN.Kind == kiosk.PINSign {
		limit = maxPIN
	}
	ok := r >= '0' && r <= '9' || a.view.PIN.Kind == kiosk.PINSign && r >= 'A' && r <= 'Z'
	if !ok || len(a.entry) >= limit {
		return
	}
	a.entry = append(a.entry, byte(r))
	a.prob = kiosk.PINOK
}

// submit hands a well-formed PIN over; a malformed one never leaves the
// screen (it would cost the resident a try).
func (a *App) submit() {
	p := a.view.PIN
	if p := kiosk.CheckPIN(p.Kind, a.entry); p != kiosk.PINOK {
		a.prob = p
		a.emit(Intent{Kind: IntentActivity})
		return
	}
	pin := a.entry
	a.entry = nil // ownership passes to the handler
	a.prob = kiosk.PINOK
	a.emit(Intent{Kind: IntentSubmitPIN, PIN: pin, PINKind: p.Kind, Step: p.Step})
}

func (a *App) emit(in Intent) {
	a.log.Debug("ui intent", "kind", in.Kind, "action", int(in.Action), "page", a.view.Page)
	a.opts.OnIntent(in)
}

// drawBanner writes one line of reverse-video text on row y.
func (a *App) drawBanner(text string, w, y int) {
	st := tcell.StyleDefault.Reverse(true)
	x := 0
	for _, r := range text {
		rw := runewidth.RuneWidth(r)
		if x+rw > w {
			break
		}
		a.scr.SetContent(x, y, r, nil, st)
		x += rw
	}
	for ; x < w; x++ {
		a.scr.SetContent(x, y, ' ', nil, st)
	}
}
