// Package speakertest is a speaker for tests: it records every utterance
// and can fail or block like a broken USB speaker.
package speakertest

import (
	"context"
	"errors"
	"sync"

	"github.com/villagehall/kiosk/kiosk"
)

// ErrBroken is what a failing Recorder returns.
var ErrBroken = errors.New("speakertest: playback failed")

// Recorder is a kiosk.Speaker that keeps what it was asked to play.
type Recorder struct {
	mu   sync.Mutex
	got  []kiosk.Utterance
	fail bool
	// block: Play waits for ctx's end, as a wedged aplay would.
	block bool
}

// Fail makes every later Play fail.
func (r *Recorder) Fail(on bool) { r.mu.Lock(); r.fail = on; r.mu.Unlock() }

// Block makes every later Play hang until its context ends.
func (r *Recorder) Block(on bool) { r.mu.Lock(); r.block = on; r.mu.Unlock() }

// Play records u, then fails, blocks or returns as set.
func (r *Recorder) Play(ctx context.Context, u kiosk.Utterance) error {
	r.mu.Lock()
	u.Prompts = append([]kiosk.PromptID(nil), u.Prompts...)
	r.got = append(r.got, u)
	fail, block := r.fail, r.block
	r.mu.Unlock()
	if block {
		<-ctx.Done()
		return ctx.Err()
	}
	if fail {
		return ErrBroken
	}
	return nil
}

// Played is everything played so far, in order.
func (r *Recorder) Played() []kiosk.Utterance {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]kiosk.Utterance(nil), r.got...)
}
