package main

import (
	"context"
	"log/slog"

	"github.com/villagehall/kiosk/cmd/collector/internal/alerts"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// startAlerts mails staff from the store's queue while the collector
// serves ([mail] in the configuration); stop ends it and waits.
func startAlerts(ctx context.Context, st store.Store, c Config, log *slog.Logger) (stop func(), err error) {
	if !c.Mail.Enabled() {
		log.Info("alerts: no [mail] server configured: staff get no mail")
		return func() {}, nil
	}
	n, err := alerts.New(alerts.Options{Store: st, Config: c.Mail, SilentAfter: c.SilentAfter, Every: c.AlertEvery, Log: log})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.Run(ctx)
	}()
	log.Info("alerts: mailing staff", "server", c.Mail.Server, "to", c.Mail.To)
	return func() { cancel(); <-done }, nil
}
