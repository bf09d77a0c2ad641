package main

import (
	"crypto/x509"
	"log/slog"
	"net/http"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/console"
	"github.com/villagehall/kiosk/cmd/collector/internal/importer"
	"github.com/villagehall/kiosk/cmd/collector/internal/metrics"
	"github.com/villagehall/kiosk/cmd/collector/internal/revoke"
	"github.com/villagehall/kiosk/cmd/collector/internal/server"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/pgstore"
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

// Deadlines: a store call (one statement's wait for a lock, the pool's
// wait for a connection included) and a whole request. With the database
// or a peer collector frozen, a kiosk gets its 503 and a staff page says
// so within requestTimeout.
const (
	storeCallTimeout = 3 * time.Second
	requestTimeout   = 4 * time.Second
	longTimeout      = 10 * time.Minute // imports and exports
)

// bounded applies the request deadline d to the collector's handler
// (imports and exports: longTimeout).
func bounded(h http.Handler, d time.Duration) http.Handler {
	return server.WithDeadline(h, d, longTimeout, console.Prefix+"import", console.Prefix+"export/download", console.Prefix+"audit")
}

// newMetrics makes the collector's metrics; a PostgreSQL store's pool is
// among them.
func newMetrics(st store.Store, c Config) *metrics.Metrics {
	o := metrics.Options{SilentAfter: c.SilentAfter}
	if pg, ok := st.(*pgstore.Store); ok {
		o.Pool = func() metrics.PoolStat { return metrics.PoolStat(pg.Pool()) }
	}
	return metrics.New(st, o)
}
