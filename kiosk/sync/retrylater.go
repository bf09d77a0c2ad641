package sync

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// RetryLater is a collector's "503 Service Unavailable" with Retry-After:
// it is up but cannot store now (its database is down or busy). The
// syncer waits what it asks, capped by Config.MaxRetryAfter, instead of
// backing off further: syncing resumes seconds after the database does.
type RetryLater struct {
	After time.Duration
	Err   error
}

func (e *RetryLater) Error() string {
	return fmt.Sprintf("%v (the collector asks to retry in %v)", e.Err, e.After)
}

func (e *RetryLater) Unwrap() error { return e.Err }

// retryAfter reads a 503's Retry-After in seconds (the HTTP-date form is
// not used by the collector and is ignored, as is anything else).
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp.StatusCode != http.StatusServiceUnavailable {
		return 0, false
	}
	n, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || n < 0 {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}
