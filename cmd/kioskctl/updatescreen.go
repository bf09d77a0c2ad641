package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/villagehall/kiosk/kiosk/update"
)

// kioskScreen tells the running kiosk about the update: it asks the kiosk
// to give way (the kiosk finishes a visit under way first), posts the
// progress for the screen, and takes the screen back at the end. The
// poster goroutine is owned by the kioskScreen and stopped by finish.
type kioskScreen struct {
	sig  update.Signal
	out  io.Writer
	mu   sync.Mutex
	last update.SignalState
	stop chan struct{}
	done chan struct{}
}

// giveWay posts "waiting" and waits up to wait for the kiosk's idle answer.
// A kiosk that is not running (no runtime directory) is not waited for.
func giveWay(ctx context.Context, sig update.Signal, wait time.Duration, out io.Writer) (*kioskScreen, error) {
	s := &kioskScreen{sig: sig, out: out, last: update.SignalState{Step: "waiting"}, stop: make(chan struct{}), done: make(chan struct{})}
	start := time.Now()
	if err := s.post(); err != nil {
		return nil, fmt.Errorf("update: tell the kiosk: %w", err)
	}
	go s.keepPosting()
	if !sig.KioskRunning() || wait <= 0 {
		return s, nil
	}
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	deadline := time.After(wait)
	for !sig.IdleSince(start) {
		select {
		case <-ctx.Done():
			s.finish(ctx, ctx.Err(), 0)
			return nil, ctx.Err()
		case <-deadline:
			err := fmt.Errorf("update: the kiosk did not give way within %s (a visit under way, or the kiosk hung); nothing was written", wait)
			s.finish(ctx, err, 0)
			return nil, err
		case <-t.C:
		}
	}
	return s, nil
}

func (s *kioskScreen) post() error {
	s.mu.Lock()
	st := s.last
	s.mu.Unlock()
	st.At = time.Now()
	return s.sig.Post(st)
}

// keepPosting re-posts the last state so the kiosk never takes a slow step
// (an fsync of a whole root) for a dead updater.
func (s *kioskScreen) keepPosting() {
	defer close(s.done)
	t := time.NewTicker(update.PostEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.post()
		}
	}
}

// progress is the installer's Progress callback, besides the terminal's.
func (s *kioskScreen) progress() func(update.Progress) {
	return func(p update.Progress) {
		pct := 100
		if p.Total > 0 {
			pct = int(p.Done * 100 / p.Total)
		}
		s.mu.Lock()
		changed := s.last.Step != p.Step || s.last.Percent != pct
		s.last.Step, s.last.Percent = p.Step, pct
		s.last.Version = p.Version
		s.mu.Unlock()
		if changed {
			s.post()
		}
	}
}

// finish ends the kiosk's update screen: a refusal is shown for show, then
// the kiosk is back in service; after a good install the "restarting"
// screen stays until the reboot.
func (s *kioskScreen) finish(ctx context.Context, err error, show time.Duration) {
	close(s.stop)
	<-s.done
	if err == nil {
		return
	}
	if r := update.ReasonOf(err); r != "" && show > 0 {
		s.mu.Lock()
		s.last.Step, s.last.Reason = "refused", r
		s.mu.Unlock()
		s.post()
		select {
		case <-ctx.Done():
		case <-time.After(show):
		}
	}
	if cerr := s.sig.Clear(); cerr != nil && !errors.Is(cerr, context.Canceled) {
		fmt.Fprintln(s.out, "update: could not give the kiosk its screen back:", cerr)
	}
}
