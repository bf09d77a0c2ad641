package store

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// WithHistory keeps, beside each heartbeat st saves, what changed since
// the kiosk's previous one (Changes): staff read when a printer ran out
// and how long a kiosk was silent, not only its latest state. A failure
// to write the history is logged; the heartbeat itself is kept.
func WithHistory(st Store, silentAfter time.Duration, log *slog.Logger) Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &withHistory{Store: st, silentAfter: silentAfter, log: log, last: map[string]Heartbeat{}}
}

type withHistory struct {
	Store
	silentAfter time.Duration
	log         *slog.Logger
	mu          sync.Mutex
	last        map[string]Heartbeat // each kiosk's previous heartbeat seen by this process
}

func (w *withHistory) SaveHeartbeat(ctx context.Context, hb Heartbeat) error {
	id := hb.HB.KioskID
	w.mu.Lock()
	prev, ok := w.last[id]
	w.mu.Unlock()
	if !ok {
		// First since the collector started: the store remembers.
		k, err := w.Store.Kiosk(ctx, id)
		switch {
		case err == nil && k.LastHeartbeat != nil:
			prev, ok = Heartbeat{HB: *k.LastHeartbeat, ReceivedAt: k.HeartbeatAt}, true
		case err != nil && !errors.Is(err, ErrNotFound):
			w.log.Warn("history: previous heartbeat unreadable", "kiosk", id, "err", err)
		}
	}
	if err := w.Store.SaveHeartbeat(ctx, hb); err != nil {
		return err
	}
	var p *Heartbeat
	if ok {
		p = &prev
	}
	for _, h := range Changes(p, hb, w.silentAfter) {
		if err := w.Store.AddHistory(ctx, h); err != nil {
			w.log.Error("history: not kept", "kiosk", id, "kind", h.Kind, "err", err)
		}
	}
	w.mu.Lock()
	if cur, seen := w.last[id]; !seen || !cur.ReceivedAt.After(hb.ReceivedAt) {
		w.last[id] = hb
	}
	w.mu.Unlock()
	return nil
}

// Changes is what hb tells that prev (nil: none known) did not: a silence
// longer than silentAfter between them, each device whose state changed
// (on a first heartbeat, each that is not ok), and the sync starting to
// fail or working again.
func Changes(prev *Heartbeat, hb Heartbeat, silentAfter time.Duration) []HistoryEntry {
	var out []HistoryEntry
	entry := func(kind string) HistoryEntry {
		return HistoryEntry{KioskID: hb.HB.KioskID, Time: hb.ReceivedAt, Kind: kind}
	}
	if prev != nil && hb.ReceivedAt.Sub(prev.ReceivedAt) > silentAfter {
		e := entry(HistorySilent)
		e.Since = prev.ReceivedAt
		out = append(out, e)
	}
	before := map[string]ksync.DeviceHealth{}
	if prev != nil {
		for _, d := range prev.HB.Devices {
			before[d.Name] = d
		}
	}
	for _, d := range hb.HB.Devices {
		b, known := before[d.Name]
		if (known && b.State == d.State) || (!known && prev == nil && d.State == ksync.StateOK) {
			continue
		}
		e := entry(HistoryDevice)
		e.Device, e.State, e.Detail, e.Since = d.Name, d.State, d.Detail, d.Since
		out = append(out, e)
	}
	was := ""
	if prev != nil {
		was = prev.HB.Sync.LastError
	}
	if now := hb.HB.Sync.LastError; (now == "") != (was == "") {
		e := entry(HistorySync)
		e.Detail = now
		out = append(out, e)
	}
	return out
}
