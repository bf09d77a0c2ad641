package pgstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// TestSessionTimeouts: every connection carries the collector's lock,
// statement and idle-in-transaction timeouts and keepalives, and each
// can be overridden in the connection string.
func TestSessionTimeouts(t *testing.T) {
	tests := []struct {
		name, extra string
		want        map[string]string
		wantErr     string
	}{
		{"defaults", "", map[string]string{"lock_timeout": "2s", "statement_timeout": "30s",
			"idle_in_transaction_session_timeout": "10s"}, ""},
		// (tcp_keepalives_* read 0 here: pgtest listens on a unix socket only.)
		{"overridden in the DSN", "&lock_timeout=5s&statement_timeout=1min&keepalives_idle=30",
			map[string]string{"lock_timeout": "5s", "statement_timeout": "1min", "idle_in_transaction_session_timeout": "10s"}, ""},
		{"a keepalive that is no number", "&keepalives_idle=soon", nil, `keepalives_idle="soon"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s, err := Open(ctx, pg.NewSchema(t)+tc.extra, nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Open: %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for k, v := range tc.want {
				var got string
				if err := s.pool.QueryRow(ctx, "SELECT current_setting($1)", k).Scan(&got); err != nil || got != v {
					t.Errorf("%s = %q (%v), want %q", k, got, err, v)
				}
			}
		})
	}
}

// TestLockTimeoutIsUnavailable: a statement that waits for a lock a
// stuck session holds ends at lock_timeout and is classified as the
// store being out of reach, within the bounded call's deadline.
func TestLockTimeoutIsUnavailable(t *testing.T) {
	ctx := context.Background()
	dsn := pg.NewSchema(t)
	raw, err := Open(ctx, dsn+"&lock_timeout=300ms", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	holder, err := raw.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx)
	if _, err := holder.Exec(ctx, `LOCK TABLE audit IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	st := store.Bounded(raw, store.BoundOptions{Call: 5 * time.Second})
	start := time.Now()
	_, err = st.AppendAudit(ctx, store.AuditEntry{Staff: "staff-a", Action: store.ActSearch})
	if !store.IsUnavailable(err) || !strings.Contains(err.Error(), "55P03") || time.Since(start) > 4*time.Second {
		t.Fatalf("append with the audit table locked: %v after %v", err, time.Since(start))
	}
}

// TestConnectionLimitWaits: at the role's connection limit a store call
// waits, within its deadline, for a connection to come free instead of
// failing at once; when none does, it ends as the store unavailable.
func TestConnectionLimitWaits(t *testing.T) {
	ctx := context.Background()
	dsn := pg.NewSchema(t)
	admin, err := Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var schemaName string
	if err := admin.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schemaName); err != nil {
		t.Fatal(err)
	}
	role := "limited_" + schemaName
	// A member of the owner (the collector's own role, as at a town hall),
	// not a superuser: the connection limit holds for it.
	for _, q := range []string{`CREATE ROLE ` + role + ` LOGIN NOSUPERUSER CONNECTION LIMIT 2`, `GRANT pgtest TO ` + role} {
		if _, err := admin.pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	limited := strings.Replace(dsn, "postgres://pgtest@", "postgres://"+role+"@", 1)
	raw, err := Open(ctx, limited, nil) // one connection, idle in its pool
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	other, err := pgx.Connect(ctx, limited) // another client takes the second
	if err != nil {
		t.Fatal(err)
	}
	busy := make(chan error, 1)
	go func() { _, err := raw.pool.Exec(ctx, `SELECT pg_sleep(1.5)`); busy <- err }() // the pool's one connection, busy
	time.Sleep(200 * time.Millisecond)                                                // let it take the connection
	freed := time.AfterFunc(500*time.Millisecond, func() { other.Close(ctx) })
	defer freed.Stop()
	st := store.Bounded(raw, store.BoundOptions{Call: 3 * time.Second})
	if _, err := st.Kiosks(ctx); err != nil {
		t.Fatalf("a call at the connection limit did not wait for a free connection: %v", err)
	}
	if err := <-busy; err != nil {
		t.Fatal(err)
	}
}
