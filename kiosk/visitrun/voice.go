package visitrun

import (
	"context"
	"log/slog"

	"github.com/villagehall/kiosk/kiosk"
)

// player plays the voice off the visit loop: the loop hands utterances
// over without waiting, a new prompt cuts the one playing short (the
// resident moved on), and a speaker that fails or blocks costs only its
// own goroutine, bounded by the driver's deadline.
type player struct {
	speaker kiosk.Speaker
	log     *slog.Logger
	queue   chan kiosk.Utterance
}

func newPlayer(sp kiosk.Speaker, log *slog.Logger) *player {
	return &player{speaker: sp, log: log, queue: make(chan kiosk.Utterance, 64)}
}

// say queues u; when the queue is full (a speaker far behind) it is
// dropped and logged rather than holding up the visit.
func (p *player) say(u kiosk.Utterance) {
	select {
	case p.queue <- u:
	default:
		p.log.Warn("speaker behind: utterance dropped", "utterance", u.String())
	}
}

// run plays until ctx ends. Owned by Runner.Run, which waits for it.
// Every utterance reaches the speaker, in order; one overtaken by a newer
// prompt (or a key, which stops speech at once, as on an ATM) reaches it
// with its context already ended, so it is logged but not heard.
func (p *player) run(ctx context.Context) {
	var cancel context.CancelFunc = func() {}
	done := make(chan struct{})
	close(done) // nothing playing
	defer func() { cancel(); <-done }()
	type item struct {
		u    kiosk.Utterance
		skip bool
	}
	var pending []item
	playingClick := false
	for {
		var next chan struct{}
		if len(pending) > 0 {
			next = done // start the next once the current one ends
		}
		select {
		case <-ctx.Done():
			return
		case u := <-p.queue:
			if !u.Click || !playingClick {
				cancel()
				for i := range pending {
					pending[i].skip = pending[i].skip || !pending[i].u.Click
				}
			}
			pending = append(pending, item{u: u})
		case <-next:
			it := pending[0]
			pending = pending[1:]
			playingClick = it.u.Click
			cancel, done = p.start(ctx, it.u, it.skip)
		}
	}
}

// start plays u in its own goroutine; done closes when it has stopped.
// A skipped u is handed over with its context ended.
func (p *player) start(ctx context.Context, u kiosk.Utterance, skip bool) (context.CancelFunc, chan struct{}) {
	ctx, cancel := context.WithCancel(ctx)
	if skip {
		cancel()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := p.speaker.Play(ctx, u); err != nil && ctx.Err() == nil {
			p.log.Warn("speaker: playback failed", "utterance", u.String(), "err", err)
		}
	}()
	return cancel, done
}
