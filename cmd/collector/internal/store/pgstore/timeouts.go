package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// sessionDefaults bound what one collector's session can do to the others
// and to itself. Each is a server setting, set per connection unless the
// connection string sets it (?lock_timeout=5s, or options=-c …):
//   - lock_timeout: a peer collector frozen while it holds the audit table
//     or a kiosk's row makes the others wait this long, not for ever;
//   - statement_timeout: no statement runs away with a connection;
//   - idle_in_transaction_session_timeout: a collector frozen or cut off
//     inside a transaction loses it (and its locks) after this;
//   - tcp_keepalives_* and tcp_user_timeout: the server notices a
//     collector host that died in minutes, not the kernel's two hours.
var sessionDefaults = [][2]string{
	{"lock_timeout", "2s"},
	{"statement_timeout", "30s"},
	{"idle_in_transaction_session_timeout", "10s"},
	{"tcp_keepalives_idle", "10"},
	{"tcp_keepalives_interval", "5"},
	{"tcp_keepalives_count", "3"},
	{"tcp_user_timeout", "30000"},
}

// keepaliveParams are libpq's client-side keepalive settings (seconds).
// pgx would send them to the server as settings it does not know; they
// set this end's TCP keepalives instead.
var keepaliveParams = map[string]time.Duration{
	"keepalives_idle":     10 * time.Second,
	"keepalives_interval": 5 * time.Second,
	"keepalives_count":    3,
}

// configure applies the session defaults, this end's keepalives and a
// connect timeout to cfg. It fails on a keepalive setting that is not a
// number, naming it.
func configure(cfg *pgxpool.Config) error {
	rp := cfg.ConnConfig.RuntimeParams
	opts := rp["options"]
	for _, kv := range sessionDefaults {
		if _, set := rp[kv[0]]; !set && !strings.Contains(opts, kv[0]) {
			rp[kv[0]] = kv[1]
		}
	}
	ka := map[string]time.Duration{}
	for k, def := range keepaliveParams {
		ka[k] = def
		v, set := rp[k]
		if !set {
			continue
		}
		delete(rp, k)
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("%s=%q: want a whole number of seconds (count: of probes)", k, v)
		}
		ka[k] = time.Duration(n)
		if k != "keepalives_count" {
			ka[k] *= time.Second
		}
	}
	d := &net.Dialer{
		Timeout: cfg.ConnConfig.ConnectTimeout,
		KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: ka["keepalives_idle"],
			Interval: ka["keepalives_interval"], Count: int(ka["keepalives_count"])},
	}
	if d.Timeout <= 0 {
		d.Timeout = 5 * time.Second // a host that does not answer at all
	}
	cfg.ConnConfig.DialFunc = d.DialContext // every host of a multi-host string
	return nil
}

// pgCode is the SQLSTATE of a server error in err's chain, "" for none.
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// Unavailable implements store.Classifier: the server cannot be reached,
// refused the connection, is shutting down or out of resources, or a
// lock or statement timed out.
func (s *Store) Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch code := pgCode(err); {
	case errors.As(err, &ce), errors.As(err, &ne), pgconn.Timeout(err), pgconn.SafeToRetry(err),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return true
	case code == "55P03", code == "57014", code == "25P03": // lock_not_available, query_canceled, idle in transaction
		return true
	case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "53"), strings.HasPrefix(code, "57P"), strings.HasPrefix(code, "58"):
		return true // connection, insufficient resources (disk full, connection limit), shutdown, system I/O
	}
	return false
}

// Retryable implements store.Classifier: refused at connect, before any
// statement, by a connection limit or a server starting up.
func (s *Store) Retryable(err error) bool {
	switch pgCode(err) {
	case "53300", "57P03": // too_many_connections, cannot_connect_now
		return true
	}
	return false
}

// Ping checks that the server answers (readiness).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

// PoolStat is the connection pool's use, for metrics.
type PoolStat struct {
	Total, Idle, InUse, Max int32
	Waits                   int64
	WaitTime                time.Duration
}

// Pool reports the connection pool's use now.
func (s *Store) Pool() PoolStat {
	st := s.pool.Stat()
	return PoolStat{Total: st.TotalConns(), Idle: st.IdleConns(), InUse: st.AcquiredConns(), Max: st.MaxConns(),
		Waits: st.EmptyAcquireCount(), WaitTime: st.AcquireDuration()}
}
