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

// postAny posts to path at each collector in turn until one answers 200;
// it returns the URL that did. The one that answered last is tried first
// (sticky): a dead first host would otherwise cost the client's timeout
// on every sync. Then Config.BaseURL and Config.MoreURLs, in order. A
// collector's 4xx is its answer to this kiosk (a refused certificate, a
// malformed batch): the others would answer the same, so it ends the
// attempt. No answer, or a 5xx (its database down), moves on: batches are
// acknowledged by journal, sequence and hash, so one taken by two
// collectors sharing a database is stored once. body makes what to send
// to each base URL (its protocol decides the fields).
func (s *Syncer) postAny(ctx context.Context, path string, body func(base string) any, out *Reply) (string, error) {
	var errs []error
	for _, base := range s.order() {
		url := base + path
		err := s.post(ctx, url, body(base), out)
		if err != nil && refusedField(err) && s.protocol(base) >= ProtocolAcked {
			// An older collector answers here now: speak version 1 to it.
			s.setProtocol(base, 0)
			err = s.post(ctx, url, body(base), out)
		}
		if err == nil {
			s.mu.Lock()
			s.preferred = base
			s.protocols[base] = out.Protocol
			s.mu.Unlock()
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

// order is the collectors to try: the one that answered last, then the
// configured order.
func (s *Syncer) order() []string {
	s.mu.Lock()
	pref := s.preferred
	s.mu.Unlock()
	all := append([]string{s.cfg.BaseURL}, s.cfg.MoreURLs...)
	if pref == "" || pref == all[0] {
		return all
	}
	out := []string{pref}
	for _, u := range all {
		if u != pref {
			out = append(out, u)
		}
	}
	return out
}
