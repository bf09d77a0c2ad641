package pcsc

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/ebfe/scard"
)

// EventKind says what changed.
type EventKind int

const (
	ReaderAdded EventKind = iota + 1
	ReaderRemoved
	CardInserted
	CardRemoved
)

func (k EventKind) String() string {
	switch k {
	case ReaderAdded:
		return "reader added"
	case ReaderRemoved:
		return "reader removed"
	case CardInserted:
		return "card inserted"
	case CardRemoved:
		return "card removed"
	}
	return "unknown event"
}

// Event is one change in a reader. ATR is set for CardInserted.
type Event struct {
	Kind   EventKind
	Reader string
	ATR    []byte
}

// WatchOption configures Watch.
type WatchOption func(*watcher)

// WithWatchLogger sets the logger for service outages and retries.
func WithWatchLogger(l *slog.Logger) WatchOption { return func(w *watcher) { w.log = l } }

// WakeLogMessage is the debug message the watcher logs each time
// GetStatusChange returns (tests count these to catch busy loops).
const WakeLogMessage = "pcsc watch: woke"

// Defaults: GetStatusChange wakes at least every pollTimeout even when
// idle (cheap, and catches a reader list change pcsc-lite did not signal);
// reconnects to a stopped pcscd back off from minBackoff up to maxBackoff.
const (
	pollTimeout = 2 * time.Second
	minBackoff  = 50 * time.Millisecond
	maxBackoff  = 2 * time.Second
)

// Watch reports readers whose name starts with prefix (all if empty) and
// the cards in them, until ctx ends; then the channel is closed. It first
// reports the current state (ReaderAdded, then CardInserted for a card
// already present). When pcscd stops, every known reader is reported
// removed (CardRemoved first if it held a card), and the watcher keeps
// reconnecting with bounded backoff; when pcscd is back its readers are
// reported added again. The watcher owns its own PC/SC context.
func Watch(ctx context.Context, prefix string, opts ...WatchOption) <-chan Event {
	w := &watcher{prefix: prefix, out: make(chan Event, 8), log: slog.Default()}
	for _, o := range opts {
		o(w)
	}
	go w.run(ctx)
	return w.out
}

type watcher struct {
	prefix string
	out    chan Event
	log    *slog.Logger
	known  map[string]readerState // reader -> last state seen
}

func (w *watcher) run(ctx context.Context) {
	defer close(w.out)
	w.known = map[string]readerState{}
	backoff := minBackoff
	for ctx.Err() == nil {
		healthy, err := w.session(ctx)
		if ctx.Err() != nil {
			return
		}
		if !w.forgetAll(ctx) {
			return
		}
		if healthy {
			backoff = minBackoff
		}
		w.log.Warn("pcsc watch: PC/SC unavailable, retrying", "err", err, "in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// session watches on one context until it fails. healthy says whether it
// got as far as one successful status call (then backoff restarts).
func (w *watcher) session(ctx context.Context) (healthy bool, err error) {
	sc, err := newStatusCtx()
	if err != nil {
		return false, err
	}
	defer sc.release()
	stop := cancelOn(ctx, sc)
	defer stop()

	var pnp uint32
	first := true
	for {
		readers, err := sc.listReaders()
		if err != nil {
			return healthy, err
		}
		readers = slices.DeleteFunc(readers, func(r string) bool { return !strings.HasPrefix(r, w.prefix) })
		if !w.syncReaders(ctx, readers) {
			return healthy, ctx.Err()
		}
		states := make([]readerState, 0, len(readers)+1)
		for _, r := range readers {
			states = append(states, readerState{Reader: r, Current: w.known[r].Event})
		}
		if first {
			// pcsc-lite reads the reader count a caller knows from the
			// upper 16 bits of the PnP entry's current state.
			all, err := sc.listReaders()
			if err != nil {
				return healthy, err
			}
			pnp = uint32(len(all)) << 16
			first = false
		}
		states = append(states, readerState{Reader: pnpReader, Current: pnp})
		if ctx.Err() != nil {
			return healthy, ctx.Err()
		}
		err = sc.getStatusChange(states, pollTimeout)
		w.log.Debug(WakeLogMessage, "err", err)
		if ctx.Err() != nil {
			return healthy, ctx.Err()
		}
		switch scardErr(err) {
		case 0:
		case scard.ErrTimeout:
			healthy = true
			continue // re-list: cheap, and catches missed PnP changes
		case scard.ErrUnknownReader, scard.ErrReaderUnavailable:
			continue // a reader left between list and wait: re-list
		default:
			return healthy, err
		}
		healthy = true
		pnp = states[len(states)-1].Event &^ uint32(scard.StateChanged)
		for _, st := range states[:len(states)-1] {
			if !w.update(ctx, st) {
				return healthy, ctx.Err()
			}
		}
	}
}

// syncReaders reports readers that appeared or left since the last list.
func (w *watcher) syncReaders(ctx context.Context, readers []string) bool {
	for r, st := range w.known {
		if slices.Contains(readers, r) {
			continue
		}
		if !w.dropReader(ctx, r, st) {
			return false
		}
	}
	for _, r := range readers {
		if _, ok := w.known[r]; ok {
			continue
		}
		w.known[r] = readerState{Reader: r, Event: uint32(scard.StateUnaware)}
		if !w.emit(ctx, Event{Kind: ReaderAdded, Reader: r}) {
			return false
		}
	}
	return true
}

// update compares a fresh state with the known one and reports card changes.
func (w *watcher) update(ctx context.Context, st readerState) bool {
	old, ok := w.known[st.Reader]
	if !ok {
		return true
	}
	if st.flags()&(scard.StateUnknown|scard.StateUnavailable) != 0 {
		return w.dropReader(ctx, st.Reader, old)
	}
	st.Current = 0
	w.known[st.Reader] = st
	wasIn := old.flags()&scard.StatePresent != 0
	isIn := st.flags()&scard.StatePresent != 0
	// Same presence but a new counter or ATR: removed and inserted between
	// two looks. Report both so the session on the old card ends.
	swapped := wasIn && isIn && old.Event != uint32(scard.StateUnaware) &&
		(old.counter() != st.counter() || !bytes.Equal(old.ATR, st.ATR))
	if wasIn && (!isIn || swapped) {
		if !w.emit(ctx, Event{Kind: CardRemoved, Reader: st.Reader}) {
			return false
		}
	}
	if isIn && (!wasIn || swapped) {
		return w.emit(ctx, Event{Kind: CardInserted, Reader: st.Reader, ATR: slices.Clone(st.ATR)})
	}
	return true
}

func (w *watcher) dropReader(ctx context.Context, r string, st readerState) bool {
	delete(w.known, r)
	if st.flags()&scard.StatePresent != 0 {
		if !w.emit(ctx, Event{Kind: CardRemoved, Reader: r}) {
			return false
		}
	}
	return w.emit(ctx, Event{Kind: ReaderRemoved, Reader: r})
}

// forgetAll reports every known reader removed (pcscd went away).
func (w *watcher) forgetAll(ctx context.Context) bool {
	names := make([]string, 0, len(w.known))
	for r := range w.known {
		names = append(names, r)
	}
	slices.Sort(names)
	for _, r := range names {
		if !w.dropReader(ctx, r, w.known[r]) {
			return false
		}
	}
	return true
}

func (w *watcher) emit(ctx context.Context, e Event) bool {
	select {
	case w.out <- e:
		return true
	case <-ctx.Done():
		return false
	}
}
