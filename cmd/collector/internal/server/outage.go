package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// RetryAfter is how long a kiosk is asked to wait when the store cannot
// be reached: short, so syncing resumes within seconds of the database's
// return; the kiosk caps what it honours.
const RetryAfter = 5 * time.Second

// storeFailed answers a store error: 503 with Retry-After when the store
// is out of reach (the kiosk keeps its records and comes back), else 500
// with msg. Either way the cause goes to the log, not to the client.
func (s *Server) storeFailed(w http.ResponseWriter, msg string, err error) {
	if store.IsUnavailable(err) {
		w.Header().Set("Retry-After", strconv.Itoa(int(RetryAfter/time.Second)))
		s.refuse(w, http.StatusServiceUnavailable, "the collector's database cannot be reached: records are kept on the kiosk; try again later")
		return
	}
	s.refuse(w, http.StatusInternalServerError, "%s", msg)
}

// WithDeadline bounds every request's context to d (its store calls end
// by then: a frozen database costs a kiosk or a page d at most), except
// the paths in long (imports, exports), which take up to longD.
func WithDeadline(h http.Handler, d, longD time.Duration, long ...string) http.Handler {
	isLong := map[string]bool{ksync.PathImport: true, ksync.PathRecords: true}
	for _, p := range long {
		isLong[p] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := d
		if isLong[r.URL.Path] {
			limit = longD
		}
		ctx, cancel := context.WithTimeout(r.Context(), limit)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}
