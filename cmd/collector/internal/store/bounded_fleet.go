package store

import (
	"context"
	"time"
)

// The Fleet calls, bounded like every other store call.

func (b *bounded) Install(ctx context.Context, k Installed) error {
	return do0(b, ctx, "install", b.o.Call, func(ctx context.Context) error { return b.Store.Install(ctx, k) })
}

func (b *bounded) Uninstall(ctx context.Context, kioskID string) error {
	return do0(b, ctx, "uninstall", b.o.Call, func(ctx context.Context) error { return b.Store.Uninstall(ctx, kioskID) })
}

func (b *bounded) Installed(ctx context.Context) ([]Installed, error) {
	return do(b, ctx, "installed", b.o.Call, b.Store.Installed)
}

func (b *bounded) QueueAlert(ctx context.Context, a Alert) (bool, error) {
	return do(b, ctx, "queue_alert", b.o.Call, func(ctx context.Context) (bool, error) { return b.Store.QueueAlert(ctx, a) })
}

func (b *bounded) DueAlerts(ctx context.Context, now time.Time, limit int) ([]Alert, error) {
	return do(b, ctx, "due_alerts", b.o.Call, func(ctx context.Context) ([]Alert, error) { return b.Store.DueAlerts(ctx, now, limit) })
}

func (b *bounded) Alerts(ctx context.Context, limit int) ([]Alert, error) {
	return do(b, ctx, "alerts", b.o.Call, func(ctx context.Context) ([]Alert, error) { return b.Store.Alerts(ctx, limit) })
}

func (b *bounded) AlertDone(ctx context.Context, key string, try AlertTry) error {
	return do0(b, ctx, "alert_done", b.o.Call, func(ctx context.Context) error { return b.Store.AlertDone(ctx, key, try) })
}

func (b *bounded) VisitCounts(ctx context.Context, from, to time.Time) ([]DayCount, error) {
	return do(b, ctx, "visit_counts", b.o.Bulk, func(ctx context.Context) ([]DayCount, error) { return b.Store.VisitCounts(ctx, from, to) })
}

func (b *bounded) AddHistory(ctx context.Context, h HistoryEntry) error {
	return do0(b, ctx, "add_history", b.o.Call, func(ctx context.Context) error { return b.Store.AddHistory(ctx, h) })
}

func (b *bounded) History(ctx context.Context, kioskID string, limit int) ([]HistoryEntry, error) {
	return do(b, ctx, "history", b.o.Call, func(ctx context.Context) ([]HistoryEntry, error) { return b.Store.History(ctx, kioskID, limit) })
}
