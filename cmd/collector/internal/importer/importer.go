// Package importer brings a kiosk's USB export (kioskctl journal export)
// into the collector's store: it checks the export against its manifest and
// the manifest's signature against a certificate the town hall trusts for
// that kiosk, then stores the records as a sync would, closing the gap the
// kiosk left when it released them.
package importer

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// ErrNotVerified: the export's signature could not be checked or failed.
var ErrNotVerified = errors.New("export not verified: nothing imported")

// Options configure an import.
type Options struct {
	// CAPool is the village CA: no certificate vouches for a kiosk's
	// records unless it chains to it (without it nothing is imported).
	CAPool *x509.CertPool
	// Certs are certificates staff hand in (collector import --kiosk-cert):
	// candidates like any other, checked against CAPool.
	Certs []*x509.Certificate
	// Revoked, when set, names certificates the village CA revoked: none
	// of them verifies an export, however it reached the collector.
	Revoked   func(*x509.Certificate) bool
	ChunkSize int // records per store transaction (default 1,000)
	Now       func() time.Time
}

// Result is what an import did.
type Result struct {
	KioskID    string             `json:"kiosk_id"`
	JournalID  string             `json:"journal_id"`
	Records    int                `json:"records"`
	Stored     int                `json:"stored"`
	Duplicates int                `json:"duplicates"`
	Refused    []ksync.Refusal    `json:"refused,omitempty"`
	VerifiedBy string             `json:"verified_by"`
	Journal    store.JournalState `json:"journal"`
}

// ReadDir reads and checks an export directory (not its signature).
func ReadDir(dir string, opts Options) (*ksync.Export, error) {
	mb, err := os.ReadFile(filepath.Join(dir, ksync.ExportManifest))
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m ksync.Manifest
	if err := ksync.DecodeOne(bytes.NewReader(mb), &m); err != nil {
		return nil, fmt.Errorf("manifest unreadable: %w", err)
	}
	return ksync.ReadExport(dir)
}

// Parse checks an export given as the two files' bytes.
func Parse(manifest, records []byte, opts Options) (*ksync.Export, error) {
	var m ksync.Manifest
	if err := ksync.DecodeOne(bytes.NewReader(manifest), &m); err != nil {
		return nil, fmt.Errorf("manifest unreadable: %w", err)
	}
	return ksync.ParseExport(manifest, records)
}

// Verify checks ex's signature with the certificates that may vouch for
// its kiosk: those staff give, those the kiosk presented on sync, and the
// one the manifest carries. Each must chain to the village CA, be a client
// certificate, not be revoked and name that kiosk (KioskCert): whoever
// hands a certificate in, only the village CA makes it a kiosk's. It says
// which one verified.
func Verify(ctx context.Context, st store.Store, ex *ksync.Export, opts Options) (string, error) {
	id := ex.Manifest.KioskID
	if opts.CAPool == nil {
		return "", fmt.Errorf("%w: the village CA is needed to trust any certificate of kiosk %s (--ca)", ErrNotVerified, id)
	}
	type cand struct {
		c   *x509.Certificate
		why string
	}
	var cands []cand
	for _, c := range opts.Certs {
		cands = append(cands, cand{c, "the certificate given"})
	}
	ders, err := st.Certs(ctx, id)
	if err != nil {
		return "", err
	}
	for _, der := range ders {
		if c, err := x509.ParseCertificate(der); err == nil {
			cands = append(cands, cand{c, "kiosk " + id + "'s certificate as seen on sync"})
		}
	}
	if c, err := ex.SignerCert(); err == nil {
		cands = append(cands, cand{c, "the manifest's certificate, issued by the village CA"})
	}
	if len(cands) == 0 {
		return "", fmt.Errorf("%w: no certificate known for kiosk %s (give the kiosk's certificate with --kiosk-cert)", ErrNotVerified, id)
	}
	var errs []error
	for _, c := range cands {
		if err := KioskCert(c.c, id, opts.CAPool, opts.Revoked); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.why, err))
			continue
		}
		err := ex.CheckSignature(c.c)
		if err == nil {
			return c.why, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", c.why, err))
	}
	return "", fmt.Errorf("%w: %w", ErrNotVerified, errors.Join(errs...))
}

// KioskCert reports why c cannot vouch for kiosk kioskID's records, or nil:
// it must chain to the village CA (pool) as a client certificate, not be
// revoked, and carry the kiosk's ID as its CN.
func KioskCert(c *x509.Certificate, kioskID string, pool *x509.CertPool, revoked func(*x509.Certificate) bool) error {
	switch {
	case pool == nil:
		return errors.New("no village CA to check it against")
	case c.Subject.CommonName != kioskID:
		return fmt.Errorf("the certificate names %q, not kiosk %s", c.Subject.CommonName, kioskID)
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return fmt.Errorf("not issued by the village CA (serial %s): %w", c.SerialNumber.Text(16), err)
	}
	if revoked != nil && revoked(c) {
		return fmt.Errorf("serial %s is revoked by the village CA", c.SerialNumber.Text(16))
	}
	return nil
}

// Import verifies ex and stores its records.
func Import(ctx context.Context, st store.Store, ex *ksync.Export, opts Options) (Result, error) {
	m := ex.Manifest
	res := Result{KioskID: m.KioskID, JournalID: m.JournalID, Records: len(ex.Records)}
	if !kiosk.ValidKioskID(m.KioskID) {
		return res, fmt.Errorf("export of %q: not a kiosk ID", m.KioskID)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	why, err := Verify(ctx, st, ex, opts)
	if err != nil {
		if ex.Manifest.Signature != nil && errors.Is(err, ksync.ErrBadSignature) {
			_ = st.RaiseFlag(ctx, store.Flag{KioskID: m.KioskID, JournalID: m.JournalID, Kind: store.FlagBadSignature, Seq: m.LastSeq,
				Detail: "an export whose signature does not verify was offered for import", Last: now().UTC()})
		}
		return res, err
	}
	res.VerifiedBy = why
	chunk := opts.ChunkSize
	if chunk <= 0 {
		chunk = 1000
	}
	if len(ex.Records) == 0 {
		j, err := st.Journal(ctx, m.KioskID, m.JournalID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return res, err
		}
		res.Journal = j
		return res, nil
	}
	for lo := 0; lo < len(ex.Records); lo += chunk {
		hi := min(lo+chunk, len(ex.Records))
		in := store.Ingest{KioskID: m.KioskID, JournalID: m.JournalID, Records: ex.Records[lo:hi], Source: store.SourceImport,
			At: now().UTC()}
		if hi == len(ex.Records) {
			in.Signed = &store.SignedHead{Head: m.Head(), Signature: *m.Signature, Source: store.SourceImport, At: in.At}
		}
		r, err := st.Ingest(ctx, in)
		if err != nil {
			return res, err
		}
		res.Stored += r.Stored
		res.Duplicates += r.Duplicates
		res.Journal = r.Journal
		if len(r.Refused) > 0 {
			res.Refused = r.Refused
			break
		}
	}
	return res, nil
}

// Request is the staff interface's import body: the export's two files as
// they are on the stick, and optionally the kiosk's certificate (PEM).
type Request struct {
	Manifest  json.RawMessage `json:"manifest"`
	Records   string          `json:"records"`
	KioskCert string          `json:"kiosk_cert,omitempty"`
}
