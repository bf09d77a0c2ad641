package main

import (
	"crypto/x509"
	"log/slog"
	"net/http"

	"github.com/villagehall/kiosk/cmd/collector/internal/console"
	"github.com/villagehall/kiosk/cmd/collector/internal/importer"
	"github.com/villagehall/kiosk/cmd/collector/internal/revoke"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// withConsole serves the staff console under /console/ beside the kiosk
// and staff endpoints of api.
func withConsole(api http.Handler, st store.Store, pool *x509.CertPool, crl *revoke.List, log *slog.Logger) (http.Handler, error) {
	opts := console.Options{Store: console.FromStore(st), Logger: log}
	iopts := importer.Options{CAPool: pool}
	if crl != nil {
		iopts.Revoked, opts.Health.RefusedAt = crl.Revoked, crl.RefusedAt
	}
	opts.Importer = console.Importing(st, iopts)
	c, err := console.New(opts)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", api)
	ch := c.Handler()
	mux.Handle("/console", ch)
	mux.Handle(console.Prefix, ch)
	return mux, nil
}
