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
// and staff endpoints of api; refused is what the revocation guard tells
// the console (the audit log, the refusal page).
func withConsole(api http.Handler, st store.Store, pool *x509.CertPool, crl *revoke.List, admins []string, log *slog.Logger, silentAfter time.Duration) (h http.Handler, refused revoke.Refused, err error) {
	opts := console.Options{Store: st, Logger: log, Admins: admins}
	opts.Health.SilentAfter = silentAfter // the same threshold as the alerts and the metrics
	if len(admins) == 0 {
		log.Warn("console: no administrator named (console_admins): only certificates with OU " + console.DefaultAdminOU + " may import, export or read the audit log")
	}
	iopts := importer.Options{CAPool: pool}
	if crl != nil {
		iopts.Revoked, opts.Health.RefusedAt = crl.Revoked, crl.RefusedAt
	}
	opts.Importer = console.Importing(st, iopts)
	c, err := console.New(opts)
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", console.RefuseOtherSites(api, log)) // the staff API answers a staff certificate too
	ch := c.Handler()
	mux.Handle("/console", ch)
	mux.Handle(console.Prefix, ch)
	mux.Handle("GET /{$}", ch) // the collector's bare address leads to the console
	return mux, c.RefusedRevoked, nil
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
