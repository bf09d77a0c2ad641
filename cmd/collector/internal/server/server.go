// Package server is the collector's HTTPS interface: kiosks post batches
// and heartbeats with their client certificates (CN = kiosk ID); staff,
// with staff certificates (CN = staff-…), read kiosks and records, look up
// reference numbers and import USB exports.
package server

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/csvcell"
	"github.com/villagehall/kiosk/cmd/collector/internal/importer"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// Limits on what one request may carry.
const (
	DefaultMaxBatchBytes   = 16 << 20
	DefaultMaxBatchRecords = 5000
	DefaultMaxImportBytes  = 1 << 30
	maxHeartbeatBytes      = 64 << 10
	maxListLimit           = 100000
)

// Options configure a Server.
type Options struct {
	// StaffPrefix marks staff client certificates (CN prefix; default
	// "staff-"). Staff may read and import; they can never post as a kiosk.
	StaffPrefix string
	// CAPool is the village CA: an export's own certificate is trusted
	// when the CA issued it to that kiosk.
	CAPool *x509.CertPool
	// Revoked names revoked certificates (the --crl list): refused at the
	// TLS handshake already, and never trusted to verify an import.
	Revoked func(*x509.Certificate) bool
	// Admin says whether a staff certificate's holder administers: only
	// administrators read records in bulk and import, as on the console
	// (counter staff could otherwise export with curl what the console
	// refuses them). Nil: every staff certificate does (tests).
	Admin           func(*x509.Certificate) bool
	MaxBatchBytes   int64
	MaxBatchRecords int
	MaxImportBytes  int64
	Logger          *slog.Logger
	Now             func() time.Time
}

// Server answers kiosks and staff from a store.
type Server struct {
	st   store.Store
	opts Options
	log  *slog.Logger

	mu   gosync.Mutex
	seen map[[32]byte]bool // certificates already remembered in the store
}

// New serves st.
func New(st store.Store, opts Options) *Server {
	if opts.StaffPrefix == "" {
		opts.StaffPrefix = "staff-"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBatchBytes <= 0 {
		opts.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if opts.MaxBatchRecords <= 0 {
		opts.MaxBatchRecords = DefaultMaxBatchRecords
	}
	if opts.MaxImportBytes <= 0 {
		opts.MaxImportBytes = DefaultMaxImportBytes
	}
	return &Server{st: st, opts: opts, log: opts.Logger, seen: map[[32]byte]bool{}}
}

// TLSConfig requires client certificates signed by the village CA; it
// returns the CA pool too (for trusting certificates exports carry).
func TLSConfig(caFile, certFile, keyFile string) (*tls.Config, *x509.CertPool, error) {
	pool, err := ksync.LoadCAPool(caFile)
	if err != nil {
		return nil, nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("load server certificate: %w", err)
	}
	return NewTLSConfig(cert, pool), pool, nil
}

// NewTLSConfig presents cert and requires client certificates from pool.
// Serve it on GentleRefusals so that a refused certificate is always told
// to the client as such. A revoked certificate is not refused here: it
// completes the handshake and every request gets the reason
// (revoke.List.Guard), which a kiosk shows as it is.
func NewTLSConfig(cert tls.Certificate, pool *x509.CertPool) *tls.Config {
	tc := &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}
	markAccepted(tc)
	return tc
}

// Handler serves the kiosk and staff endpoints.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+ksync.PathBatch, s.handleBatch)
	mux.HandleFunc("POST "+ksync.PathHeartbeat, s.handleHeartbeat)
	mux.HandleFunc("POST "+ksync.PathImport, s.adminOnly(store.ActAPIImport, s.handleImport))
	mux.HandleFunc("GET "+ksync.PathRecords, s.adminOnly(store.ActAPIRecords, s.handleRecords))
	mux.HandleFunc("GET "+ksync.PathKiosks, s.staffOnly(store.ActAPIKiosks, s.handleKiosks))
	mux.HandleFunc("GET "+ksync.PathLookup, s.staffOnly(store.ActAPILookup, s.handleLookup))
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) refuse(w http.ResponseWriter, code int, format string, args ...any) {
	writeJSON(w, code, ksync.Reply{Error: fmt.Sprintf(format, args...), ServerTime: s.opts.Now().UTC()})
}

// peer is the verified client certificate (TLS already refused anything
// the CA did not sign; this is defence in depth).
func peer(r *http.Request) *x509.Certificate {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.PeerCertificates) == 0 {
		return nil
	}
	return r.TLS.PeerCertificates[0]
}

// kiosk returns the kiosk the request's certificate belongs to, or why it
// is none: a staff certificate is never a kiosk, and a kiosk's CN is a
// kiosk ID.
func (s *Server) kiosk(r *http.Request) (*x509.Certificate, string, error) {
	c := peer(r)
	if c == nil {
		return nil, "", errors.New("a kiosk client certificate is required")
	}
	cn := c.Subject.CommonName
	if strings.HasPrefix(cn, s.opts.StaffPrefix) {
		return nil, "", fmt.Errorf("the staff certificate %q cannot post kiosk data", cn)
	}
	if !kiosk.ValidKioskID(cn) {
		return nil, "", fmt.Errorf("the certificate %q is not a kiosk's (its CN must be a kiosk ID)", cn)
	}
	// The handshake checked the chain and the list already; the same rule
	// as for an export's certificate, once more, in one place.
	if s.opts.CAPool != nil {
		if err := importer.KioskCert(c, cn, s.opts.CAPool, s.opts.Revoked); err != nil {
			return nil, "", fmt.Errorf("the certificate of %q: %w", cn, err)
		}
	}
	return c, cn, nil
}

// staffOnly admits staff certificates and, as the console does, writes
// the audit entry before anything is answered: no entry, no answer.
func (s *Server) staffOnly(action string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := peer(r)
		if c == nil || !strings.HasPrefix(c.Subject.CommonName, s.opts.StaffPrefix) {
			s.refuse(w, http.StatusForbidden, "staff certificate required")
			return
		}
		if _, err := s.st.AppendAudit(r.Context(), store.AuditEntry{Time: s.opts.Now().UTC(), Staff: c.Subject.CommonName,
			Cert: c.SerialNumber.Text(16), Action: action, Detail: r.URL.RawQuery, Remote: r.RemoteAddr}); err != nil {
			s.log.Error("audit log write failed", "action", action, "staff", c.Subject.CommonName, "err", err)
			if store.IsUnavailable(err) {
				s.storeFailed(w, "", err)
				return
			}
			s.refuse(w, http.StatusServiceUnavailable, "the audit log cannot be written: nothing is answered")
			return
		}
		h(w, r)
	}
}

// adminOnly is staffOnly for an administrator's call: counter staff are
// refused (403) and the attempt is audited, as the console does.
func (s *Server) adminOnly(action string, h http.HandlerFunc) http.HandlerFunc {
	return s.staffOnly(action, func(w http.ResponseWriter, r *http.Request) {
		c := peer(r)
		if s.opts.Admin == nil || s.opts.Admin(c) {
			h(w, r)
			return
		}
		s.log.Warn("staff API: refused counter staff an administrator's call", "staff", c.Subject.CommonName, "action", action)
		if _, err := s.st.AppendAudit(r.Context(), store.AuditEntry{Time: s.opts.Now().UTC(), Staff: c.Subject.CommonName,
			Cert: c.SerialNumber.Text(16), Action: store.ActDeniedRole, Detail: action, Remote: r.RemoteAddr}); err != nil {
			s.log.Error("audit log write failed", "action", store.ActDeniedRole, "staff", c.Subject.CommonName, "err", err)
		}
		s.refuse(w, http.StatusForbidden, "%s: this staff certificate is counter staff; reading records in bulk and importing are for administrators (the collector's console_admins, or a certificate with OU console-admin)", action)
	})
}

// decode reads exactly one JSON value of at most limit bytes into v, every
// key exactly one of v's and once (ksync.DecodeStrict); on failure it
// answers (400 or 413) and returns false.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, limit int64, what string, v any) bool {
	err := ksync.DecodeStrict(http.MaxBytesReader(w, r.Body, limit), v)
	if err == nil {
		return true
	}
	if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
		s.refuse(w, http.StatusRequestEntityTooLarge, "%s larger than %d bytes", what, limit)
		return false
	}
	s.refuse(w, http.StatusBadRequest, "malformed %s: %v", what, err)
	return false
}

// remember keeps a kiosk's certificate in the store the first time this
// process sees it, for checking its exports later.
func (s *Server) remember(ctx context.Context, kioskID string, c *x509.Certificate) {
	fp := sha256.Sum256(c.Raw)
	s.mu.Lock()
	done := s.seen[fp]
	s.seen[fp] = true
	s.mu.Unlock()
	if done {
		return
	}
	if err := s.st.RememberCert(ctx, kioskID, c.Raw, s.opts.Now()); err != nil {
		s.log.Warn("remember kiosk certificate", "kiosk", kioskID, "err", err)
		s.mu.Lock()
		delete(s.seen, fp)
		s.mu.Unlock()
	}
}

func (s *Server) handleBatch(w http.ResponseWriter, r *http.Request) {
	cert, id, err := s.kiosk(r)
	if err != nil {
		s.log.Warn("batch refused", "reason", err)
		s.refuse(w, http.StatusForbidden, "%v", err)
		return
	}
	var b ksync.Batch
	if !s.decode(w, r, s.opts.MaxBatchBytes, "batch", &b) {
		return
	}
	now := s.opts.Now().UTC()
	switch {
	case b.KioskID != id:
		s.log.Warn("batch refused: kiosk ID does not match certificate", "cert_cn", id, "claimed", b.KioskID)
		s.refuse(w, http.StatusForbidden, "a batch of kiosk %q on the certificate of %q", b.KioskID, id)
		return
	case !kiosk.ValidJournalID(b.JournalID):
		s.refuse(w, http.StatusBadRequest, "journal ID %q is not one", b.JournalID)
		return
	case len(b.Records) == 0:
		s.refuse(w, http.StatusBadRequest, "empty batch")
		return
	case len(b.Records) > s.opts.MaxBatchRecords:
		s.refuse(w, http.StatusRequestEntityTooLarge, "a batch of %d records, at most %d", len(b.Records), s.opts.MaxBatchRecords)
		return
	}
	for i := 1; i < len(b.Records); i++ {
		// Compared without Seq+1, which wraps at 2^64-1.
		switch prev := b.Records[i-1].Seq; {
		case prev >= kiosk.MaxSeq:
			s.refuse(w, http.StatusBadRequest, "record %d of the batch follows sequence %d: no journal goes beyond %d", i, prev, uint64(kiosk.MaxSeq))
			return
		case b.Records[i].Seq-1 != prev:
			s.refuse(w, http.StatusBadRequest, "gap inside the batch before record %d", b.Records[i].Seq)
			return
		}
	}
	if err := ksync.VerifyHead(cert, b.Head(), b.Signature); err != nil {
		kind, code := store.FlagBadSignature, http.StatusForbidden
		if errors.Is(err, ksync.ErrUnsigned) {
			kind, code = store.FlagUnsignedBatch, http.StatusBadRequest
		}
		if ferr := s.st.RaiseFlag(r.Context(), store.Flag{KioskID: id, JournalID: b.JournalID, Kind: kind, Seq: b.Head().LastSeq,
			Detail: err.Error(), Last: now}); ferr != nil {
			s.log.Error("raise flag", "kiosk", id, "err", ferr)
		}
		s.log.Warn("batch refused", "kiosk", id, "journal", b.JournalID, "reason", err)
		s.refuse(w, code, "batch signature: %v", err)
		return
	}
	s.remember(r.Context(), id, cert)
	res, err := s.st.Ingest(r.Context(), store.Ingest{KioskID: id, JournalID: b.JournalID, Records: b.Records, Source: store.SourceSync, At: now,
		Signed: &store.SignedHead{Head: b.Head(), Signature: *b.Signature, Source: store.SourceSync, At: now}})
	if err != nil {
		s.log.Error("store batch", "kiosk", id, "err", err)
		s.storeFailed(w, "store failed", err)
		return
	}
	if res.NewJournal {
		s.log.Warn("kiosk started a new journal", "kiosk", id, "journal", b.JournalID, "reason", res.Journal.Reason)
	}
	if len(res.Refused) > 0 {
		s.log.Warn("batch refused in part", "kiosk", id, "journal", b.JournalID, "acked", len(res.Acked),
			"seq", res.Refused[0].Seq, "reason", res.Refused[0].Reason)
	}
	resend, err := s.resendFrom(r.Context(), id, b.JournalID, b.Acked, &res.Journal)
	if err != nil {
		s.log.Error("compare the kiosk's acknowledged point", "kiosk", id, "err", err) // the batch itself is stored
	}
	writeJSON(w, http.StatusOK, ksync.Reply{JournalID: b.JournalID, Acked: res.Acked, Refused: res.Refused, ServerTime: now,
		Protocol: ksync.Protocol, ResendFrom: resend})
}

func (s *Server) handleHeartbeat(w http.ResponseWriter, r *http.Request) {
	cert, id, err := s.kiosk(r)
	if err != nil {
		s.refuse(w, http.StatusForbidden, "%v", err)
		return
	}
	var hb ksync.Heartbeat
	if !s.decode(w, r, maxHeartbeatBytes, "heartbeat", &hb) {
		return
	}
	if hb.KioskID != id {
		s.refuse(w, http.StatusForbidden, "a heartbeat of kiosk %q on the certificate of %q", hb.KioskID, id)
		return
	}
	if err := hb.Check(); err != nil {
		s.log.Warn("heartbeat refused", "kiosk", id, "reason", err)
		s.refuse(w, http.StatusBadRequest, "heartbeat: %v", err)
		return
	}
	now := s.opts.Now().UTC()
	s.remember(r.Context(), id, cert)
	if err := s.st.SaveHeartbeat(r.Context(), store.Heartbeat{HB: hb, ReceivedAt: now}); err != nil {
		s.log.Error("store heartbeat", "kiosk", id, "err", err)
		s.storeFailed(w, "store failed", err)
		return
	}
	resend, err := s.resendFrom(r.Context(), id, hb.JournalID, hb.Acked, nil)
	if err != nil {
		s.log.Error("compare the kiosk's acknowledged point", "kiosk", id, "err", err)
		s.storeFailed(w, "store failed", err)
		return
	}
	writeJSON(w, http.StatusOK, ksync.Reply{JournalID: hb.JournalID, ServerTime: now, Protocol: ksync.Protocol, ResendFrom: resend})
}

// handleImport takes a USB export through the staff interface.
func (s *Server) handleImport(w http.ResponseWriter, r *http.Request) {
	var req importer.Request
	if !s.decode(w, r, s.opts.MaxImportBytes, "import", &req) {
		return
	}
	opts := importer.Options{CAPool: s.opts.CAPool, Revoked: s.opts.Revoked, Now: s.opts.Now}
	if req.KioskCert != "" {
		c, err := ksync.ParseCertPEM([]byte(req.KioskCert))
		if err != nil {
			s.refuse(w, http.StatusBadRequest, "kiosk_cert: %v", err)
			return
		}
		opts.Certs = append(opts.Certs, c)
	}
	ex, err := importer.Parse(req.Manifest, []byte(req.Records), opts)
	if err != nil {
		s.refuse(w, http.StatusBadRequest, "export does not check: %v", err)
		return
	}
	res, err := importer.Import(r.Context(), s.st, ex, opts)
	staff := peer(r).Subject.CommonName
	switch {
	case errors.Is(err, importer.ErrNotVerified):
		s.log.Warn("import refused", "staff", staff, "kiosk", ex.Manifest.KioskID, "journal", ex.Manifest.JournalID, "err", err)
		s.refuse(w, http.StatusUnprocessableEntity, "%v", err)
		return
	case err != nil:
		s.log.Error("import", "staff", staff, "err", err)
		s.refuse(w, http.StatusInternalServerError, "import failed: %v", err)
		return
	}
	s.log.Info("export imported", "staff", staff, "kiosk", res.KioskID, "journal", res.JournalID, "records", res.Records,
		"stored", res.Stored, "duplicates", res.Duplicates, "gaps_left", len(res.Journal.Gaps), "verified_by", res.VerifiedBy)
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) handleKiosks(w http.ResponseWriter, r *http.Request) {
	if id := r.URL.Query().Get("kiosk"); id != "" {
		k, err := s.st.Kiosk(r.Context(), id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			s.refuse(w, http.StatusNotFound, "no kiosk %q", id)
		case err != nil:
			s.log.Error("read kiosk", "err", err)
			s.storeFailed(w, "read failed", err)
		default:
			writeJSON(w, http.StatusOK, k)
		}
		return
	}
	ks, err := s.st.Kiosks(r.Context())
	if err != nil {
		s.log.Error("read kiosks", "err", err)
		s.storeFailed(w, "read failed", err)
		return
	}
	writeJSON(w, http.StatusOK, ks)
}

// Found is a lookup's answer: the record and the reference it prints as.
type Found struct {
	Reference string `json:"reference"`
	store.Found
}

func (s *Server) handleLookup(w http.ResponseWriter, r *http.Request) {
	ref, err := kiosk.ParseReference(r.URL.Query().Get("ref"))
	if err != nil {
		s.refuse(w, http.StatusBadRequest, "%v", err)
		return
	}
	found, err := s.st.Lookup(r.Context(), ref)
	if err != nil {
		s.log.Error("lookup", "ref", ref.String(), "err", err)
		s.storeFailed(w, "lookup failed", err)
		return
	}
	if len(found) == 0 {
		s.refuse(w, http.StatusNotFound, "no record for %s (not synced or imported yet?)", ref)
		return
	}
	out := make([]Found, len(found))
	for i, f := range found {
		out[i] = Found{Reference: kiosk.ReferenceOf(f.Record), Found: f}
	}
	writeJSON(w, http.StatusOK, out)
}

// parseWhen reads a staff date: 2026-11-25 (the day in JST) or RFC 3339.
func parseWhen(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, v, kiosk.JST())
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want YYYY-MM-DD or RFC 3339", v)
	}
	return t, nil
}

// handleRecords lists records: ?kiosk=K01&journal=…&after=SEQ&from=DATE&to=DATE&kind=…&outcome=…&limit=N
// &order=oldest|newest&format=csv. Every answer is oldest first, and by default it starts at the oldest:
// one journal's records from after=SEQ (0 and absent alike: from its first), with HeaderNextAfter on a
// full page. The newest limit records (default 100) only when asked for, with order=newest. No value of
// after means "the newest" (issue 21: after=0 once did, and a client paging from 0 saw one page).
func (s *Server) handleRecords(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	query := store.Query{KioskID: q.Get("kiosk"), JournalID: q.Get("journal"), Kind: kiosk.TxKind(q.Get("kind")), Outcome: kiosk.Outcome(q.Get("outcome")), Limit: 100}
	var errs []string
	var err error
	if query.From, err = parseWhen(q.Get("from")); err != nil {
		errs = append(errs, "from: "+err.Error())
	}
	if query.To, err = parseWhen(q.Get("to")); err != nil {
		errs = append(errs, "to: "+err.Error())
	}
	if v := q.Get("to"); len(v) == len(time.DateOnly) && err == nil {
		query.To = query.To.AddDate(0, 0, 1) // a day given as "to" includes the day
	}
	after := q.Has("after")
	if after {
		if query.AfterSeq, err = strconv.ParseUint(q.Get("after"), 10, 64); err != nil {
			errs = append(errs, "after: not a sequence number")
		} else if q.Get("journal") == "" {
			errs = append(errs, "after: a sequence number within one journal (needs journal)")
		}
	}
	switch q.Get("order") {
	case "", "oldest":
	case "newest":
		query.Newest = true
		if after {
			errs = append(errs, "order=newest: pages from a cursor (after) go oldest first")
		}
	default:
		errs = append(errs, "order: oldest or newest")
	}
	if v := q.Get("limit"); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n <= 0 || n > maxListLimit {
			errs = append(errs, fmt.Sprintf("limit: 1 to %d", maxListLimit))
		} else {
			query.Limit = n
		}
	}
	if query.JournalID != "" && query.KioskID == "" {
		errs = append(errs, "journal: needs kiosk")
	}
	if len(errs) > 0 {
		http.Error(w, strings.Join(errs, "; "), http.StatusBadRequest)
		return
	}
	recs, err := s.st.Records(r.Context(), query)
	if err != nil {
		s.log.Error("read records", "kiosk", query.KioskID, "err", err)
		http.Error(w, "read failed", http.StatusInternalServerError)
		return
	}
	if query.JournalID != "" && !query.Newest && len(recs) == query.Limit {
		// A full page: the next one starts after its last record. No
		// header, no more records.
		w.Header().Set(ksync.HeaderNextAfter, strconv.FormatUint(recs[len(recs)-1].Seq, 10))
	}
	if q.Get("format") != "csv" {
		writeJSON(w, http.StatusOK, recs)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	writeCSV(w, recs)
}

// writeCSV writes the staff spreadsheet: the columns of the first
// collector, then the journal and the slip's reference number.
func writeCSV(w io.Writer, recs []kiosk.Record) {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"seq", "time", "clock_trusted", "kiosk_id", "kind", "outcome", "card", "status",
		"auth_tries", "sign_tries", "reference", "detail", "hash", "journal_id", "slip_reference"})
	opt := func(p *int) string {
		if p == nil {
			return ""
		}
		return strconv.Itoa(*p)
	}
	for _, rc := range recs {
		// Kiosks write these values: none may run as a formula.
		_ = cw.Write(csvcell.Row([]string{strconv.FormatUint(rc.Seq, 10), rc.Time.Format(time.RFC3339), strconv.FormatBool(rc.ClockTrusted),
			rc.KioskID, string(rc.Kind), string(rc.Outcome), string(rc.Card), rc.Status,
			opt(rc.AuthTries), opt(rc.SignTries), rc.Reference, rc.Detail, rc.Hash, rc.JournalID, kiosk.ReferenceOf(rc)}))
	}
	cw.Flush()
}
