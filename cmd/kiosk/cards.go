package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/villagehall/kiosk/drivers/jpki"
	"github.com/villagehall/kiosk/drivers/jpki/virtualcard"
	"github.com/villagehall/kiosk/drivers/pcsc"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/visitrun"
)

// pcscCards turns the PC/SC watcher's events into connected cards.
func pcscCards(ctx context.Context, prefix string, health *kiosk.HealthCell, log *slog.Logger, out chan<- visitrun.CardEvent) {
	send := func(ev visitrun.CardEvent) bool {
		select {
		case out <- ev:
			return true
		case <-ctx.Done():
			if ev.Close != nil {
				ev.Close()
			}
			return false
		}
	}
	// Until the watcher reports a reader, the kiosk is out of service.
	if !send(visitrun.CardEvent{Kind: visitrun.ReaderLost}) {
		return
	}
	var pc *pcsc.Context
	defer func() {
		if pc != nil {
			pc.Close()
		}
	}()
	readers := map[string]bool{}
	current := "" // the reader whose card the visit holds
	for ev := range pcsc.Watch(ctx, prefix, pcsc.WithWatchLogger(log)) {
		switch ev.Kind {
		case pcsc.ReaderAdded:
			readers[ev.Reader] = true
			if len(readers) == 1 {
				health.Set("ok", ev.Reader, time.Now())
				send(visitrun.CardEvent{Kind: visitrun.ReaderBack})
			}
			log.Info("card reader", "reader", ev.Reader, "event", "added")
		case pcsc.ReaderRemoved:
			delete(readers, ev.Reader)
			log.Warn("card reader", "reader", ev.Reader, "event", "removed")
			if ev.Reader == current {
				current = ""
			}
			if len(readers) == 0 {
				health.Set("absent", "reader removed: "+ev.Reader, time.Now())
				send(visitrun.CardEvent{Kind: visitrun.ReaderLost})
				if pc != nil { // pcscd may have restarted: a new context next time
					pc.Close()
					pc = nil
				}
			}
		case pcsc.CardRemoved:
			if ev.Reader == current {
				current = ""
				send(visitrun.CardEvent{Kind: visitrun.CardRemoved})
			}
		case pcsc.CardInserted:
			seen := time.Now()
			if current != "" {
				continue // one card at a time
			}
			conn, err := connect(&pc, ev.Reader)
			if err != nil {
				log.Warn("card could not be connected", "reader", ev.Reader, "err", err)
				continue
			}
			current = ev.Reader
			send(visitrun.CardEvent{Kind: visitrun.CardInserted, Card: jpki.New(conn), Close: func() { conn.Close() }, Seen: seen})
		}
	}
}

func connect(pc **pcsc.Context, reader string) (*pcsc.Card, error) {
	for attempt := 0; attempt < 2; attempt++ {
		if *pc == nil {
			c, err := pcsc.Open()
			if err != nil {
				return nil, err
			}
			*pc = c
		}
		conn, err := (*pc).Connect(reader)
		if errors.Is(err, kiosk.ErrServiceDown) {
			(*pc).Close()
			*pc = nil
			continue
		}
		return conn, err
	}
	return nil, fmt.Errorf("connect %s: %w", reader, kiosk.ErrServiceDown)
}

// simProfiles are the cards F1–F9 insert, in order.
var simProfiles = []struct{ file, short string }{
	{"fresh", "fresh"}, {"renewal", "renewal"}, {"expired", "expired"}, {"auth-last-try", "last-try"},
	{"auth-locked", "auth-lock"}, {"sign-locked", "sign-lock"}, {"no-sign", "no-sign"}, {"juki", "juki"}, {"not-jpki", "other"},
}

// simCards are virtual cards in process: F1–F9 insert one, F12 removes
// it. Each card keeps its PINs and counters for the whole run, like a
// real card in a resident's pocket.
type simCards struct {
	quit  func() // Ctrl-C on a laptop; a real kiosk ignores it
	out   chan<- visitrun.CardEvent
	log   *slog.Logger
	mu    sync.Mutex
	cards []*virtualcard.Card
	in    int // index of the inserted card, -1 none
	keys  kiosk.Keypad
}

// The profiles are the ones built into the binary, issued from a PKI made
// for this run: the simulator runs from any directory and carries no key.
func newSimCards(out chan<- visitrun.CardEvent, keys kiosk.Keypad, quit func(), log *slog.Logger) (*simCards, error) {
	s := &simCards{out: out, log: log, in: -1, quit: quit, keys: keys}
	pki, err := virtualcard.NewPKI()
	if err != nil {
		return nil, fmt.Errorf("sim cards: %w", err)
	}
	for _, p := range simProfiles {
		prof, err := virtualcard.BuiltinProfile(p.file, pki, time.Now())
		if err != nil {
			return nil, fmt.Errorf("sim cards: %w", err)
		}
		s.cards = append(s.cards, virtualcard.New(prof))
	}
	return s, nil
}

// hotkey runs in the screen's goroutine; sends never block it.
func (s *simCards) hotkey(ev *tcell.EventKey) bool {
	k := ev.Key()
	switch {
	case k >= tcell.KeyF1 && k <= tcell.KeyF9:
		s.insert(int(k - tcell.KeyF1))
		return true
	case k == tcell.KeyF12:
		s.remove()
		return true
	case k == tcell.KeyCtrlC:
		s.quit()
		return true
	}
	return false
}

func (s *simCards) insert(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.in >= 0 {
		s.push(visitrun.CardEvent{Kind: visitrun.CardRemoved})
	}
	s.cards[i].Reset() // power-on: volatile state starts clean
	s.in = i
	s.log.Info("sim: card inserted", "profile", simProfiles[i].file)
	s.push(visitrun.CardEvent{Kind: visitrun.CardInserted, Card: jpki.New(s.cards[i])})
}

func (s *simCards) remove() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.in < 0 {
		return
	}
	s.log.Info("sim: card removed", "profile", simProfiles[s.in].file)
	s.in = -1
	s.push(visitrun.CardEvent{Kind: visitrun.CardRemoved})
}

func (s *simCards) push(ev visitrun.CardEvent) {
	select {
	case s.out <- ev:
	default:
		s.log.Warn("sim: card event dropped (visit loop busy)")
	}
}

// banner is the key help on the bottom row, as long as the screen
// allows: the keypad as it is printed (the keyboard has only these keys)
// and what its function keys do, then the simulator's own keys.
func (s *simCards) banner(width int) string {
	s.mu.Lock()
	in := "none"
	if s.in >= 0 {
		in = simProfiles[s.in].short
	}
	s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, " keypad %s", strings.Join(s.keys.Layout, " "))
	for _, f := range []struct {
		fn   kiosk.KeyFunc
		name string
	}{{kiosk.KeyEnter, "Enter"}, {kiosk.KeyCancel, "Cancel"}, {kiosk.KeyClear, "Clear"}, {kiosk.KeyEnglish, "English"}} {
		if k, ok := s.keys.Label(f.fn); ok {
			fmt.Fprintf(&b, " %c=%s", k, f.name)
		} else if f.fn == kiosk.KeyEnglish && s.keys.Has('0') {
			b.WriteString(" 0=English") // where the digits are not a PIN
		}
	}
	fmt.Fprintf(&b, " | card:%s F12 out ^C quit |", in)
	head := b.String()
	for i, p := range simProfiles {
		fmt.Fprintf(&b, " F%d %s", i+1, p.short)
	}
	if len(b.String()) > width {
		return head + " F1-F9 insert (README)"
	}
	return b.String()
}
