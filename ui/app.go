// Package ui draws the kiosk's full-screen tcell screens and turns touch
// and keypad input into the inputs of the visit. It decides nothing about
// the visit: it draws the kiosk.View it is given, in the words of the
// kiosk's catalogue, and hands every key or touch on to the button it
// belongs to. What it keeps is what typing needs: the PIN being typed
// (shown as ●), the highlighted character of the on-screen alphabet.
package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode"

	"github.com/gdamore/tcell/v2"
	"github.com/mattn/go-runewidth"

	"github.com/villagehall/kiosk/kiosk"
)

// tapEvent and keyEvent travel through tcell's event queue so that a tap
// from the touch driver and a key from the GPIO keypad are handled in the
// same goroutine, in order, by the same buttons as the terminal's input.
type tapEvent struct{ col, row int }

type keyEvent struct{ label rune }

// Options configure an App.
type Options struct {
	// Keypad is the keypad's printed layout and functions; the screens
	// print its labels next to what they do. Zero: no keypad.
	Keypad kiosk.Keypad
	// Touch: a touchscreen (or the simulator's mouse) is there. Without
	// it nothing asks for a touch, and taps are ignored.
	Touch bool
	// Mouse: the terminal's mouse clicks are taps too (the simulator).
	// Off on the kiosk, where the touchscreen's evdev driver is the one
	// source of taps: cage also hands an absolute pointer's clicks to
	// foot, and with mouse reporting on, each tap would act twice.
	Mouse bool
	// Voice: a speaker is there; every screen shows the voice's Repeat
	// and Volume buttons (their keys: devices.keypad.keys repeat, volume).
	Voice bool
	// TypeLetters (development only): the terminal keyboard types A-Z on
	// the signing PIN screen directly, which no real keypad can.
	TypeLetters bool
	// Now is the clock (default time.Now); the idle countdown reads it.
	Now func() time.Time
	// Ticks redraws the countdown; nil uses a one-second time.Ticker.
	Ticks <-chan time.Time
	// OnInput receives every input, in the Run goroutine. It must not
	// block for long. An InputSubmit's PIN now belongs to it.
	OnInput func(kiosk.Input)
	Logger  *slog.Logger
	// Hotkey sees every terminal key first; returning true consumes it.
	// The simulator inserts and removes cards this way.
	Hotkey func(*tcell.EventKey) bool
	// Banner, when set, is drawn over the bottom row (the simulator's key
	// help). It never carries anything about a visit.
	Banner func() string
	// OnFrame, when set, is called after each frame reaches the screen
	// (the benchmarks measure card-to-screen latency with it).
	OnFrame func(kiosk.View)
	// Version (e.g. 2026.12.1+ee11cf2) is shown small in the waiting screen's
	// bottom right corner, for a technician to read out on the phone.
	// Empty: not shown.
	Version string
	// OnTick, when set, is called in the Run goroutine on every tick of
	// Ticks: proof that the screen loop is alive (the systemd watchdog).
	OnTick func()
}

// App is the kiosk's screen. Create with New, then Run.
type App struct {
	scr   tcell.Screen
	opts  Options
	log   *slog.Logger
	words kiosk.Words

	view   kiosk.View
	entry  []byte // the PIN being typed; fixed capacity so it never reallocates
	prob   kiosk.PINProblem
	pick   int // the highlighted key of the on-screen alphabet
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
	if opts.OnInput == nil {
		opts.OnInput = func(kiosk.Input) {}
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &App{scr: scr, opts: opts, log: log, words: kiosk.Catalogue(), view: kiosk.View{Screen: kiosk.ScreenWaiting}}
}

// Tap injects a touch at a cell from the touch driver. Safe from any
// goroutine; it fails only when the event queue is full.
func (a *App) Tap(col, row int) error {
	if err := a.scr.PostEvent(tcell.NewEventInterrupt(tapEvent{col, row})); err != nil {
		return fmt.Errorf("ui: post tap: %w", err)
	}
	return nil
}

// Press injects a keypad key by its printed label ('0'-'9', '*', '#',
// 'A'-'D'). Safe from any goroutine.
func (a *App) Press(label rune) error {
	if err := a.scr.PostEvent(tcell.NewEventInterrupt(keyEvent{label})); err != nil {
		return fmt.Errorf("ui: post key: %w", err)
	}
	return nil
}

// Run draws and handles input until ctx ends, applying every View that
// arrives on views. Everything happens in this goroutine; the screen's
// event pump it starts is stopped before Run returns.
func (a *App) Run(ctx context.Context, views <-chan kiosk.View) error {
	if a.opts.Touch && a.opts.Mouse {
		a.scr.EnableMouse()
	}
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
			if a.view.IdleLeft > 0 {
				a.draw()
			}
		}
	}
}

// apply takes a new View from the visit.
func (a *App) apply(v kiosk.View) {
	old := a.view
	if v.Screen != kiosk.ScreenPIN || old.Screen != kiosk.ScreenPIN || v.PIN.Serial != old.PIN.Serial {
		a.wipeEntry()
		a.pick = 0
	}
	a.view = v
	if v.Screen == kiosk.ScreenWaiting && old.Screen != kiosk.ScreenWaiting {
		a.forget()
		a.view = v
	}
	a.draw()
}

// forget drops everything about the visit that just ended: the entry and
// every cell on the glass (repainted in full).
func (a *App) forget() {
	a.wipeEntry()
	a.pick = 0
	a.view = kiosk.View{Screen: kiosk.ScreenWaiting, Lang: a.view.Lang, Maintenance: a.view.Maintenance}
	a.frame = nil
	a.resync = true
}

func (a *App) wipeEntry() {
	kiosk.Wipe(a.entry)
	a.entry = a.entry[:0]
	a.prob = kiosk.PINOK
}

func (a *App) entryInfo() entryInfo {
	e := entryInfo{n: len(a.entry), problem: a.prob, pick: a.pick}
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
		view: a.view, w: w, h: h, now: a.opts.Now(), words: &a.words,
		keypad: a.opts.Keypad, touch: a.opts.Touch, voice: a.opts.Voice, entry: a.entryInfo(), version: a.opts.Version,
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
		if a.opts.Touch && a.opts.Mouse && ev.Buttons()&tcell.ButtonPrimary != 0 {
			a.tap(ev.Position())
		}
	case *tcell.EventKey:
		if a.opts.Hotkey != nil && a.opts.Hotkey(ev) {
			return
		}
		a.terminalKey(ev)
	case *tcell.EventInterrupt:
		switch d := ev.Data().(type) {
		case tapEvent:
			if a.opts.Touch {
				a.tap(d.col, d.row)
			}
		case keyEvent:
			a.key(d.label)
		}
	}
}

func (a *App) tap(col, row int) {
	if a.frame == nil {
		return
	}
	// Later buttons are drawn on top (the idle overlay): search backwards.
	for i := len(a.frame.Buttons) - 1; i >= 0; i-- {
		if b := a.frame.Buttons[i]; b.W > 0 && b.Contains(col, row) {
			a.press(b)
			return
		}
	}
	a.emit(kiosk.Input{Kind: kiosk.InputActivity})
}

// terminalKey is the terminal's keyboard: only what is printed on the
// keypad (digits, * and #, A-D on a 4×4 pad), so the simulator has exactly
// the keys a resident has. With TypeLetters, letters type on the signing
// PIN screen.
func (a *App) terminalKey(ev *tcell.EventKey) {
	if ev.Key() != tcell.KeyRune {
		return
	}
	r := ev.Rune()
	if a.opts.TypeLetters && a.view.Screen == kiosk.ScreenPIN && a.view.PIN.Kind == kiosk.PINSign && unicode.IsLetter(r) {
		a.typeRune(unicode.ToUpper(r))
		a.emit(kiosk.Input{Kind: kiosk.InputActivity})
		a.draw()
		return
	}
	if kp := a.opts.Keypad; kp.Has(r) {
		a.key(r)
	} else if u := unicode.ToUpper(r); kp.Has(u) && u >= 'A' && u <= 'D' {
		a.key(u)
	}
}

// key is a keypad key: the button on the frame that carries its label.
func (a *App) key(label rune) {
	if a.frame != nil {
		for i := len(a.frame.Buttons) - 1; i >= 0; i-- {
			if b := a.frame.Buttons[i]; b.Key == label {
				a.press(b)
				return
			}
		}
	}
	a.emit(kiosk.Input{Kind: kiosk.InputActivity})
}

// press runs a button, then redraws.
func (a *App) press(b Button) {
	switch b.Op {
	case opInput:
		a.emit(b.Input)
	case opType:
		a.typeRune(b.Rune)
		a.emit(kiosk.Input{Kind: kiosk.InputActivity})
	case opMove:
		a.pick = movePick(a.pick, b.DX, b.DY)
		a.emit(kiosk.Input{Kind: kiosk.InputActivity})
	case opPick:
		if signKeys[a.pick] != delCell {
			a.typeRune(rune(signKeys[a.pick]))
			a.emit(kiosk.Input{Kind: kiosk.InputActivity})
			break
		}
		fallthrough // the 1字けす cell
	case opDelete:
		if n := len(a.entry); n > 0 {
			a.entry[n-1] = 0
			a.entry = a.entry[:n-1]
		}
		a.prob = kiosk.PINOK
		a.emit(kiosk.Input{Kind: kiosk.InputActivity})
	case opClear:
		a.wipeEntry()
		a.emit(kiosk.Input{Kind: kiosk.InputActivity})
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
	if a.view.Screen != kiosk.ScreenPIN {
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
		a.emit(kiosk.Input{Kind: kiosk.InputActivity})
		return
	}
	pin := a.entry
	a.entry = nil // ownership passes to the handler
	a.prob = kiosk.PINOK
	a.emit(kiosk.Input{Kind: kiosk.InputSubmit, PIN: pin, Serial: p.Serial})
}

func (a *App) emit(in kiosk.Input) {
	a.log.Debug("ui input", "kind", in.Kind.String(), "screen", a.view.Screen.String())
	a.opts.OnInput(in)
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
