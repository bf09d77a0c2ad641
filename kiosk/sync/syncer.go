package sync

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
)

// Outbox is the part of the journal the syncer uses (*journal.Journal).
// Its methods run their own bbolt transactions, so they never hold up Append
// longer than one commit.
type Outbox interface {
	JournalID() string
	Pending(limit int) ([]kiosk.Record, error)
	// Release deletes, oldest first, the records acknowledged by journal,
	// sequence and hash, stopping at the first that was not.
	Release(journalID string, acks []Ack) (int, error)
	SetSynced(at, collectorTime time.Time) error
	SetSyncFailed(at time.Time, why string) error
	Depth() (int, error)
}

var _ Outbox = (*journal.Journal)(nil)

// ErrNotAcknowledged: the collector answered, but did not acknowledge every
// record sent; those stay in the journal and are sent again after a backoff.
var ErrNotAcknowledged = errors.New("not acknowledged by the collector: kept in the journal")

// maxReply bounds what the syncer reads of an answer (a 1,000-record
// batch's acknowledgements are about 90 KB).
const maxReply = 4 << 20

// Config configures a Syncer. Zero durations take the defaults noted.
type Config struct {
	BaseURL   string        // the collector's base URL, e.g. https://collector.village.local:8443 (kiosk.CheckCollectorURL)
	MoreURLs  []string      // other collectors (on the same database), tried in order when BaseURL does not take a batch
	Client    *http.Client  // with the identity's TLS: NewHTTPClient(id.ClientTLS(pool), 30s)
	KioskID   string        // the certificate's CN
	Signer    crypto.Signer // the client certificate's key: signs every batch's chain head
	Outbox    Outbox
	BatchSize int // default 200

	Idle           time.Duration // pause when nothing is pending (30 s)
	HeartbeatEvery time.Duration // (60 s)
	MinBackoff     time.Duration // first retry wait (1 s)
	MaxBackoff     time.Duration // cap (5 min)
	// MaxRetryAfter caps the wait a collector asks for with Retry-After
	// (60 s): a collector cannot hold kiosks off for longer.
	MaxRetryAfter time.Duration

	Health       func() Health                        // device state for heartbeats (optional)
	OnServerTime func(t time.Time)                    // the collector's clock, for clock trust (optional)
	Logger       *slog.Logger                         // optional
	Now          func() time.Time                     // default time.Now
	After        func(time.Duration) <-chan time.Time // default time.After; tests inject
	Jitter       func() float64                       // in [0,1); default math/rand/v2
}

// Syncer uploads the journal in the background.
type Syncer struct {
	cfg  Config
	log  *slog.Logger
	kick chan struct{}

	mu        gosync.Mutex
	state     journal.SyncState     // what the last attempts did, for heartbeats
	devSince  map[string]stateSince // when each device entered its current state
	preferred string                // the collector that answered last (tried first)
	protocols map[string]int        // each collector's protocol, from its last reply
}

type stateSince struct {
	state string
	since time.Time
}

// New checks cfg and fills defaults.
func New(cfg Config) (*Syncer, error) {
	switch {
	case cfg.BaseURL == "":
		return nil, errors.New("syncer: collector URL required")
	case cfg.Client == nil:
		return nil, errors.New("syncer: HTTP client required")
	case cfg.KioskID == "":
		return nil, errors.New("syncer: kiosk ID required")
	case cfg.Signer == nil:
		return nil, errors.New("syncer: the client certificate's key is required to sign batches")
	case cfg.Outbox == nil:
		return nil, errors.New("syncer: outbox required")
	}
	return newSyncer(cfg)
}

// newSyncer checks the collector URLs and fills defaults: what a Syncer
// and a FaultReporter (which has no journal) both need.
func newSyncer(cfg Config) (*Syncer, error) {
	if err := kiosk.CheckCollectorURL(cfg.BaseURL); err != nil {
		return nil, fmt.Errorf("syncer: collector URL: %w", err)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	cfg.MoreURLs = slices.Clone(cfg.MoreURLs)
	for i, u := range cfg.MoreURLs {
		if err := kiosk.CheckCollectorURL(u); err != nil {
			return nil, fmt.Errorf("syncer: collector URL %d: %w", i+2, err)
		}
		cfg.MoreURLs[i] = strings.TrimRight(u, "/")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Idle, 30*time.Second)
	def(&cfg.HeartbeatEvery, time.Minute)
	def(&cfg.MinBackoff, time.Second)
	def(&cfg.MaxBackoff, 5*time.Minute)
	def(&cfg.MaxRetryAfter, time.Minute)
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 200
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.Jitter == nil {
		cfg.Jitter = rand.Float64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Syncer{cfg: cfg, log: cfg.Logger, kick: make(chan struct{}, 1), devSince: map[string]stateSince{},
		protocols: map[string]int{}}
	// A restarted kiosk goes on telling how the upload went before it.
	if o, ok := cfg.Outbox.(interface {
		SyncState() (journal.SyncState, error)
	}); ok {
		if st, err := o.SyncState(); err == nil {
			s.state = st
		}
	}
	return s, nil
}

// Kick asks for an upload soon (after an Append). It never blocks.
func (s *Syncer) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// State is what the recent attempts did.
func (s *Syncer) State() journal.SyncState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Backoff is the wait before retry number attempt (1-based): doubling from
// min up to max, with "equal jitter" (half fixed, half random) so a village's
// kiosks do not all hammer the town hall the moment it comes back.
func Backoff(attempt int, minD, maxD time.Duration, jitter float64) time.Duration {
	d := minD
	for i := 1; i < attempt && d < maxD; i++ {
		d *= 2
	}
	d = min(d, maxD)
	return d/2 + time.Duration(jitter*float64(d/2))
}

// Run uploads until ctx ends, then returns ctx's error.
func (s *Syncer) Run(ctx context.Context) error {
	failures := 0
	nextHB := s.cfg.Now()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !s.cfg.Now().Before(nextHB) {
			if err := s.Heartbeat(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("heartbeat failed", "err", err, "url", s.cfg.BaseURL+PathHeartbeat)
			}
			nextHB = s.cfg.Now().Add(s.cfg.HeartbeatEvery)
		}
		sent, released, err := s.SyncOnce(ctx)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failures++
			wait = Backoff(failures, s.cfg.MinBackoff, s.cfg.MaxBackoff, s.cfg.Jitter())
			if rl := (*RetryLater)(nil); errors.As(err, &rl) {
				// Up to a second of jitter: the village's kiosks do not all
				// come back in the same instant.
				wait = min(rl.After+time.Duration(s.cfg.Jitter()*float64(time.Second)), s.cfg.MaxRetryAfter)
			}
			unsent, _ := s.cfg.Outbox.Depth()
			s.log.Warn("sync failed: records kept", "err", err, "url", s.cfg.BaseURL+PathBatch,
				"attempt", failures, "retry_in", wait, "unsent", unsent, "released", released)
		case sent == 0:
			if failures > 0 {
				s.log.Info("sync working again", "after_attempts", failures)
			}
			failures = 0
			wait = s.cfg.Idle
		default:
			if failures > 0 {
				s.log.Info("sync working again", "after_attempts", failures)
			}
			failures = 0
			s.log.Debug("synced", "sent", sent, "released", released)
			continue // drain the backlog without pausing
		}
		wait = min(wait, max(nextHB.Sub(s.cfg.Now()), 0))
		kick := s.kick
		if failures > 0 {
			kick = nil // a kick must not cut a backoff short
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.cfg.After(wait):
		case <-kick:
		}
	}
}

// SyncOnce uploads one batch of pending records and releases those the
// collector acknowledged by journal, sequence and hash. It returns how many
// it sent and released; any record sent and not released is an error.
func (s *Syncer) SyncOnce(ctx context.Context) (sent, released int, err error) {
	recs, err := s.cfg.Outbox.Pending(s.cfg.BatchSize)
	if err != nil {
		err = fmt.Errorf("read pending: %w", err)
		s.failed(err)
		return 0, 0, err
	}
	if len(recs) == 0 {
		return 0, 0, nil
	}
	released, serverTime, err := s.send(ctx, recs)
	if err != nil {
		if ctx.Err() == nil {
			s.failed(err)
		}
		return len(recs), released, err
	}
	now := s.cfg.Now()
	s.mu.Lock()
	s.state = journal.SyncState{LastAttempt: now.UTC(), LastSuccess: now.UTC()}
	s.mu.Unlock()
	if err := s.cfg.Outbox.SetSynced(now, serverTime); err != nil {
		s.log.Warn("record sync time", "err", err)
	}
	s.serverTime(serverTime)
	return len(recs), released, nil
}

func (s *Syncer) send(ctx context.Context, recs []kiosk.Record) (released int, serverTime time.Time, err error) {
	jid := s.cfg.Outbox.JournalID()
	b := Batch{KioskID: s.cfg.KioskID, JournalID: jid, Records: recs}
	sig, err := SignHead(s.cfg.Signer, b.Head())
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("batch: %w", err)
	}
	b.Signature = &sig
	var reply Reply
	url, err := s.postAny(ctx, PathBatch, func(base string) any {
		b.Acked = s.ackedPoint(base)
		return b
	}, &reply)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("%w: %w", err, ErrNotAcknowledged)
	}

	if reply.JournalID != jid {
		return 0, time.Time{}, fmt.Errorf("%s acknowledged journal %q, the batch was of journal %s: %w", url, reply.JournalID, jid, ErrNotAcknowledged)
	}
	ours := make(map[uint64]string, len(recs))
	for _, r := range recs {
		ours[r.Seq] = r.Hash
	}
	var acks []Ack
	foreign := 0
	for _, a := range reply.Acked {
		if h, ok := ours[a.Seq]; ok && h == a.Hash {
			acks = append(acks, a)
		} else {
			foreign++ // a seq we did not send, or someone else's record
		}
	}
	n, err := s.cfg.Outbox.Release(jid, acks)
	if err != nil {
		return n, reply.ServerTime, fmt.Errorf("release acknowledged records: %w", err)
	}
	if err := s.afterReply(ctx, url, &reply, b.Acked); err != nil {
		return n, reply.ServerTime, err
	}
	if n < len(recs) {
		first := recs[n].Seq
		why := fmt.Sprintf("record %d was not acknowledged", first)
		for _, rf := range reply.Refused {
			if rf.Seq == first {
				why = fmt.Sprintf("record %d refused: %s", first, rf.Reason)
				if diverged(rf.Code) {
					err := s.diverge(url, why)
					if err == nil {
						return n, reply.ServerTime, nil // carried into a new journal: sent next
					}
					why += fmt.Sprintf(" (%v)", err)
				}
			}
		}
		if foreign > 0 {
			why += fmt.Sprintf(" (%d acknowledgements were not of records sent)", foreign)
		}
		return n, reply.ServerTime, fmt.Errorf("%s released %d of %d: %s: %w", url, n, len(recs), why, ErrNotAcknowledged)
	}
	return n, reply.ServerTime, nil
}

// Diverger is an Outbox that can start a new journal when the collector
// holds other records under its sequence numbers (*journal.Journal).
type Diverger interface {
	Diverge(why string) (journal.Diverged, error)
}

var _ Diverger = (*journal.Journal)(nil)

// diverged reports whether a refusal means the journal can never deliver
// the record: the collector holds another one at its place, or a neighbour
// it does not link to (a kiosk restored from a backup, a cloned card).
func diverged(code string) bool { return code == RefusedConflict || code == RefusedChainBreak }

// diverge carries the unsent records into a new journal. Who holds what
// stays explicit: what the collector acknowledged in the old journal is
// the collector's, everything else is in the new journal, unsent.
func (s *Syncer) diverge(url, why string) error {
	d, ok := s.cfg.Outbox.(Diverger)
	if !ok {
		return errors.New("this journal cannot start a new one")
	}
	info, err := d.Diverge(fmt.Sprintf("%s: %s", url, why))
	if err != nil {
		return err
	}
	s.log.Warn("the collector holds other records under this journal's numbers (restored from a backup? a cloned card?): "+
		"started a new journal and carried the unsent records over", "url", url, "refused", why, "previous", info.Previous,
		"journal_id", info.JournalID, "carried", info.Carried, "from_seq", info.FromSeq, "to_seq", info.ToSeq, "copy", info.SavedTo)
	return nil
}

// failed notes a failed attempt in memory and in the journal, for staff.
func (s *Syncer) failed(err error) {
	now := s.cfg.Now()
	s.mu.Lock()
	if s.state.Failures == 0 {
		s.state.ErrorSince = now.UTC()
	}
	s.state.LastAttempt, s.state.LastError = now.UTC(), err.Error()
	s.state.Failures++
	s.mu.Unlock()
	if err := s.cfg.Outbox.SetSyncFailed(now, err.Error()); err != nil {
		s.log.Warn("record sync failure", "err", err)
	}
}

// Heartbeat sends the kiosk's health once: devices, the journal and how
// the upload is going.
func (s *Syncer) Heartbeat(ctx context.Context) error {
	now := s.cfg.Now().UTC()
	hb := Heartbeat{KioskID: s.cfg.KioskID, JournalID: s.cfg.Outbox.JournalID(), Time: now, PrinterState: StateUnknown}
	if s.cfg.Health != nil {
		h := s.cfg.Health()
		hb.ReaderPresent, hb.PrinterState, hb.Version, hb.Update = h.ReaderPresent, h.PrinterState, h.Version, h.Update
		hb.Devices = s.since(h.Devices, now)
	}
	hb.Sync.SyncState = s.State()
	if d, err := s.cfg.Outbox.Depth(); err == nil {
		hb.JournalDepth, hb.Sync.Unsent = d, d
	}
	if h, ok := s.cfg.Outbox.(interface{ HeadSeq() (uint64, error) }); ok {
		hb.Sync.HeadSeq, _ = h.HeadSeq() // unknown reads as 0: the collector then counts every unsent record
	}
	if p, err := s.cfg.Outbox.Pending(1); err == nil && len(p) > 0 {
		hb.Sync.OldestUnsent = p[0].Time
	}
	hb.LastSync = hb.Sync.LastSuccess
	var reply Reply
	url, err := s.postAny(ctx, PathHeartbeat, func(base string) any {
		hb.Acked = s.ackedPoint(base)
		return hb
	}, &reply)
	if err != nil {
		return err
	}
	s.serverTime(reply.ServerTime)
	return s.afterReply(ctx, url, &reply, hb.Acked)
}

// since fills each device's Since with when the syncer first saw it in
// its current state, unless the device layer says.
func (s *Syncer) since(devs []DeviceHealth, now time.Time) []DeviceHealth {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]DeviceHealth, len(devs))
	for i, d := range devs {
		if d.Since.IsZero() {
			if prev, ok := s.devSince[d.Name]; ok && prev.state == d.State {
				d.Since = prev.since
			} else {
				d.Since = now
			}
		}
		s.devSince[d.Name] = stateSince{state: d.State, since: d.Since}
		out[i] = d
	}
	return out
}

func (s *Syncer) serverTime(t time.Time) {
	if !t.IsZero() && s.cfg.OnServerTime != nil {
		s.cfg.OnServerTime(t)
	}
}

// post sends v to url and decodes the one JSON value of a 200 answer into
// out. Anything else is an error naming the full URL: no status, another
// status, a cut-off or unreadable body.
func (s *Syncer) post(ctx context.Context, url string, v, out any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode for %s: %w", url, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("request %s: %w", url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		// *url.Error: says the method and the full URL. The TLS alert
		// alone ("bad certificate") does not tell a technician what to do.
		if refusedAtHandshake(err) {
			return fmt.Errorf("%w (the collector refused this kiosk's certificate: expired or not from the village CA; the town hall issues a new one, put in kiosk-keys/)", err)
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusForbidden && resp.Header.Get(HeaderRefused) == RefusedRevoked {
		return fmt.Errorf("%s answered %s: the collector refused this kiosk's certificate: the town hall revoked it; the town hall issues a new one, put in kiosk-keys/", url, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReply+1))
	if err != nil {
		return fmt.Errorf("%s answered %s, reply cut off: %w", url, resp.Status, err)
	}
	if len(data) > maxReply {
		return fmt.Errorf("%s answered %s with more than %d bytes", url, resp.Status, maxReply)
	}
	if resp.StatusCode != http.StatusOK {
		var r Reply
		msg := strings.TrimSpace(string(data))
		if DecodeOne(bytes.NewReader(data), &r) == nil && r.Error != "" {
			msg = r.Error
		}
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		err := &StatusError{Code: resp.StatusCode, Err: fmt.Errorf("%s answered %s: %q", url, resp.Status, msg)}
		if d, ok := retryAfter(resp); ok {
			return &RetryLater{After: d, Err: err}
		}
		return err
	}
	if err := DecodeOne(bytes.NewReader(data), out); err != nil {
		return fmt.Errorf("%s answered %s with no readable reply: %w", url, resp.Status, err)
	}
	return nil
}

// refusedAtHandshake: the collector's TLS alert says it did not take this
// kiosk's certificate. The collector closes such a connection so that the
// alert is what the kiosk reads, never a reset (its GentleRefusals).
func refusedAtHandshake(err error) bool {
	for _, a := range []string{"bad certificate", "certificate required", "unknown certificate authority",
		"certificate expired", "certificate revoked", "unsupported certificate"} {
		if strings.Contains(err.Error(), "remote error: tls: "+a) {
			return true
		}
	}
	return false
}
