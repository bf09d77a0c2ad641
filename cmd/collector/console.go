package main

import (
	"crypto/x509"
	"log/slog"
	"net/http"

	"github.com/villagehall/kiosk/cmd/collector/internal/console"
	"github.com/villagehall/kiosk/cmd/collector/internal/importer"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// withConsole serves the staff console under /console/ beside the kiosk
// and staff endpoints of api.
func withConsole(api http.Handler, st store.Store, pool *x509.CertPool, revoked func(*x509.Certificate) bool, log *slog.Logger) (http.Handler, error) {
	c, err := console.New(console.Options{Store: console.FromStore(st),
		Importer: console.Importing(st, importer.Options{CAPool: pool, Revoked: revoked}), Logger: log})
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
