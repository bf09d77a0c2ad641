package sync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// StatusError is a collector's answer other than 200: it was reached.
type StatusError struct {
	Code int
	Err  error
}

func (e *StatusError) Error() string { return e.Err.Error() }
func (e *StatusError) Unwrap() error { return e.Err }

// postAny posts to path at each collector in turn (Config.BaseURL, then
// Config.MoreURLs, in order) until one answers 200; it returns the URL
// that did. A collector's 4xx is its answer to this kiosk (a refused
// certificate, a malformed batch): the others would answer the same, so
// it ends the attempt. No answer, or a 5xx (its database down), moves on:
// batches are acknowledged by journal, sequence and hash, so one taken by
// two collectors sharing a database is stored once.
func (s *Syncer) postAny(ctx context.Context, path string, v, out any) (string, error) {
	var errs []error
	for _, base := range append([]string{s.cfg.BaseURL}, s.cfg.MoreURLs...) {
		url := base + path
		err := s.post(ctx, url, v, out)
		if err == nil {
			return url, nil
		}
		errs = append(errs, err)
		var se *StatusError
		if ctx.Err() != nil || (errors.As(err, &se) && se.Code < http.StatusInternalServerError) {
			break
		}
	}
	if len(errs) == 1 {
		return s.cfg.BaseURL + path, errs[0]
	}
	return s.cfg.BaseURL + path, fmt.Errorf("no collector took it: %w", errors.Join(errs...))
}
