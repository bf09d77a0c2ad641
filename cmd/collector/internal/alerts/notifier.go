package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// Options configure a Notifier.
type Options struct {
	Store  store.Store
	Config Config
	// SilentAfter: a kiosk without a heartbeat for longer is silent (the
	// console's threshold, default 15 minutes).
	SilentAfter time.Duration
	// Every is how often the store is looked at and the queue sent
	// (default one minute).
	Every time.Duration
	// FollowUpWindow: follow-ups of records older than this (kiosk time)
	// are not mailed: mail first turned on, or a collector started on an
	// old store, does not send the backlog, which the console's list holds
	// (default one day).
	FollowUpWindow time.Duration
	Now            func() time.Time
	Log            *slog.Logger
}

// Notifier queues alerts from what the store holds and mails them. One
// goroutine (Run) owns it.
type Notifier struct {
	o Options
	// seen is each journal's sequence already looked at for follow-ups;
	// after a restart it starts again within FollowUpWindow and the
	// queue's keys keep every alert once.
	seen map[string]uint64
}

// New checks o and makes a Notifier.
func New(o Options) (*Notifier, error) {
	if err := o.Config.Check(); err != nil {
		return nil, err
	}
	if !o.Config.Enabled() {
		return nil, errors.New("alerts: no mail server configured")
	}
	if o.SilentAfter <= 0 {
		o.SilentAfter = 15 * time.Minute
	}
	if o.Every <= 0 {
		o.Every = time.Minute
	}
	if o.FollowUpWindow <= 0 {
		o.FollowUpWindow = 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{o: o, seen: map[string]uint64{}}, nil
}

// Run looks and sends every o.Every until ctx ends; it returns then.
func (n *Notifier) Run(ctx context.Context) {
	t := time.NewTicker(n.o.Every)
	defer t.Stop()
	for {
		n.Round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Round queues what is due and sends what the queue holds. Failures are
// logged: the next round tries again.
func (n *Notifier) Round(ctx context.Context) {
	if err := n.Scan(ctx); err != nil && ctx.Err() == nil {
		n.o.Log.Error("alerts: looking for what to mail failed", "err", err)
	}
	if _, err := n.Send(ctx); err != nil && ctx.Err() == nil {
		n.o.Log.Warn("alerts: mail not sent, kept for the next try", "server", n.o.Config.Server, "err", err)
	}
}

// backoff is the wait after the tries-th failed try: first, twice, four
// times … as long, at most an hour.
func backoff(first time.Duration, tries int) time.Duration {
	if first <= 0 {
		first = time.Minute
	}
	d := first << min(max(tries-1, 0), 12)
	return min(d, time.Hour)
}

// Send mails the due alerts, oldest first, and notes each outcome in
// the store. It stops at the first failure (the server is likely down:
// the rest wait for the next round) and returns it.
func (n *Notifier) Send(ctx context.Context) (int, error) {
	due, err := n.o.Store.DueAlerts(ctx, n.o.Now(), 50)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, a := range due {
		now := n.o.Now()
		if err := deliver(ctx, n.o.Config, a, now); err != nil {
			try := store.AlertTry{Error: err.Error(), Next: now.Add(backoff(n.o.Config.RetryMin, a.Tries+1))}
			if derr := n.o.Store.AlertDone(ctx, a.Key, try); derr != nil {
				err = errors.Join(err, fmt.Errorf("note the failure: %w", derr))
			}
			return sent, fmt.Errorf("alert %s: %w", a.Key, err)
		}
		// Sent: the note follows. Should it fail, the alert goes again
		// with the same Message-ID.
		if err := n.o.Store.AlertDone(ctx, a.Key, store.AlertTry{Sent: now}); err != nil {
			return sent, fmt.Errorf("alert %s sent, but not noted: %w", a.Key, err)
		}
		n.o.Log.Info("alerts: mailed", "key", a.Key, "kind", a.Kind, "kiosk", a.KioskID, "to", n.o.Config.To)
		sent++
	}
	return sent, nil
}

// queue keeps a once; a repeat of a queued key is no news.
func (n *Notifier) queue(ctx context.Context, a store.Alert) error {
	now := n.o.Now()
	a.Queued, a.NextTry = now, now
	added, err := n.o.Store.QueueAlert(ctx, a)
	if err != nil {
		return fmt.Errorf("queue %s: %w", a.Key, err)
	}
	if added {
		n.o.Log.Info("alerts: queued", "key", a.Key, "kind", a.Kind, "kiosk", a.KioskID)
	}
	return nil
}
