package store

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// ErrUnavailable: the store could not be reached or could not answer in
// time (database down or frozen, a lock held by a stuck peer, the
// connection limit, a full disk). Nothing was changed that a retry would
// not repeat safely: kiosks are told to come back (503, Retry-After) and
// staff are told to check the database, not shown a bug.
var ErrUnavailable = errors.New("the store cannot be reached")

// Classifier is implemented by stores that know their own outage errors
// (pgstore: connection refused, lock_timeout, too many connections…).
type Classifier interface {
	// Unavailable reports whether err means the store is out of reach.
	Unavailable(err error) bool
	// Retryable reports whether err came before anything was sent, and
	// will likely pass if tried again shortly (a connection limit).
	Retryable(err error) bool
}

// Observer is told how long each store call took and whether it failed
// (the collector's metrics). It must not block.
type Observer func(op string, took time.Duration, err error)

// BoundOptions configure Bounded.
type BoundOptions struct {
	// Call bounds one store call (default 3 s): a frozen database or a
	// peer holding a lock costs a kiosk or a staff page at most this.
	Call time.Duration
	// Bulk bounds calls that read or write much at once: Records without
	// a small limit (exports), Audit in full (default 60 s).
	Bulk     time.Duration
	Observer Observer
}

// Bounded wraps st so that every call ends within a deadline and an
// outage comes back as ErrUnavailable (wrapping the cause). Calls refused
// at a connection limit are tried again until the deadline: the pool
// waits, bounded, instead of failing the request.
func Bounded(st Store, o BoundOptions) Store {
	if o.Call <= 0 {
		o.Call = 3 * time.Second
	}
	if o.Bulk <= 0 {
		o.Bulk = time.Minute
	}
	c, _ := st.(Classifier)
	return &bounded{Store: st, o: o, c: c}
}

type bounded struct {
	Store // methods not listed below pass through unbounded
	o     BoundOptions
	c     Classifier
}

// IsUnavailable reports whether err means the store was out of reach.
func IsUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }

func (b *bounded) unavailable(err error) bool {
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT),
		errors.Is(err, syscall.EROFS), errors.Is(err, syscall.EIO):
		return true
	}
	return b.c != nil && b.c.Unavailable(err)
}

// do runs fn within d (and the caller's own deadline), again while it is
// refused at a connection limit.
func do[T any](b *bounded, ctx context.Context, op string, d time.Duration, fn func(context.Context) (T, error)) (T, error) {
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var v T
	var err error
	for wait := 20 * time.Millisecond; ; wait = min(wait*2, 500*time.Millisecond) {
		v, err = fn(cctx)
		if err == nil || b.c == nil || !b.c.Retryable(err) || cctx.Err() != nil {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-cctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	if b.o.Observer != nil {
		b.o.Observer(op, time.Since(start), err)
	}
	// The caller gone (canceled) is no outage; its deadline passing is one.
	if err != nil && !errors.Is(ctx.Err(), context.Canceled) && !errors.Is(err, ErrUnavailable) && b.unavailable(err) {
		err = fmt.Errorf("%w (%s, after %v): %w", ErrUnavailable, op, time.Since(start).Round(time.Millisecond), err)
	}
	return v, err
}

func do0(b *bounded, ctx context.Context, op string, d time.Duration, fn func(context.Context) error) error {
	_, err := do(b, ctx, op, d, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) })
	return err
}

func (b *bounded) Ingest(ctx context.Context, in Ingest) (Result, error) {
	return do(b, ctx, "ingest", b.o.Call, func(ctx context.Context) (Result, error) { return b.Store.Ingest(ctx, in) })
}

func (b *bounded) SaveHeartbeat(ctx context.Context, hb Heartbeat) error {
	return do0(b, ctx, "heartbeat", b.o.Call, func(ctx context.Context) error { return b.Store.SaveHeartbeat(ctx, hb) })
}

func (b *bounded) RememberCert(ctx context.Context, kioskID string, der []byte, at time.Time) error {
	return do0(b, ctx, "remember_cert", b.o.Call, func(ctx context.Context) error { return b.Store.RememberCert(ctx, kioskID, der, at) })
}

func (b *bounded) Certs(ctx context.Context, kioskID string) ([][]byte, error) {
	return do(b, ctx, "certs", b.o.Call, func(ctx context.Context) ([][]byte, error) { return b.Store.Certs(ctx, kioskID) })
}

func (b *bounded) RaiseFlag(ctx context.Context, f Flag) error {
	return do0(b, ctx, "raise_flag", b.o.Call, func(ctx context.Context) error { return b.Store.RaiseFlag(ctx, f) })
}

func (b *bounded) Kiosks(ctx context.Context) ([]KioskState, error) {
	return do(b, ctx, "kiosks", b.o.Call, b.Store.Kiosks)
}

func (b *bounded) Kiosk(ctx context.Context, kioskID string) (KioskState, error) {
	return do(b, ctx, "kiosk", b.o.Call, func(ctx context.Context) (KioskState, error) { return b.Store.Kiosk(ctx, kioskID) })
}

func (b *bounded) Journal(ctx context.Context, kioskID, journalID string) (JournalState, error) {
	return do(b, ctx, "journal", b.o.Call, func(ctx context.Context) (JournalState, error) { return b.Store.Journal(ctx, kioskID, journalID) })
}

// bulkRows: a read of more rows than this may take the Bulk deadline.
const bulkRows = 1000

func (b *bounded) Records(ctx context.Context, q Query) ([]kiosk.Record, error) {
	d := b.o.Call
	if q.Limit == 0 || q.Limit > bulkRows {
		d = b.o.Bulk
	}
	return do(b, ctx, "records", d, func(ctx context.Context) ([]kiosk.Record, error) { return b.Store.Records(ctx, q) })
}

func (b *bounded) Lookup(ctx context.Context, ref kiosk.Ref) ([]Found, error) {
	return do(b, ctx, "lookup", b.o.Call, func(ctx context.Context) ([]Found, error) { return b.Store.Lookup(ctx, ref) })
}

func (b *bounded) Mark(ctx context.Context, m Mark) (Mark, error) {
	return do(b, ctx, "mark", b.o.Call, func(ctx context.Context) (Mark, error) { return b.Store.Mark(ctx, m) })
}

func (b *bounded) MarkOf(ctx context.Context, kioskID, journalID string, seq uint64) (*Mark, error) {
	return do(b, ctx, "mark_of", b.o.Call, func(ctx context.Context) (*Mark, error) { return b.Store.MarkOf(ctx, kioskID, journalID, seq) })
}

func (b *bounded) Marks(ctx context.Context, from, to time.Time) ([]Mark, error) {
	return do(b, ctx, "marks", b.o.Bulk, func(ctx context.Context) ([]Mark, error) { return b.Store.Marks(ctx, from, to) })
}

func (b *bounded) AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error) {
	return do(b, ctx, "append_audit", b.o.Call, func(ctx context.Context) (AuditEntry, error) { return b.Store.AppendAudit(ctx, e) })
}

func (b *bounded) Audit(ctx context.Context, afterSeq uint64, limit int) ([]AuditEntry, error) {
	d := b.o.Call
	if limit == 0 || limit > bulkRows {
		d = b.o.Bulk
	}
	return do(b, ctx, "audit", d, func(ctx context.Context) ([]AuditEntry, error) { return b.Store.Audit(ctx, afterSeq, limit) })
}

// Ping asks the store a trivial question within d (readiness): nil when
// it answered.
func Ping(ctx context.Context, st Store, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if p, ok := st.(interface{ Ping(context.Context) error }); ok {
		return p.Ping(ctx)
	}
	_, err := st.Journal(ctx, "", "")
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}
