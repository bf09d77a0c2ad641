package pgstore

import (
	"context"
	"strings"
	"testing"
	"time"

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
