// Package revoke is the collector's certificate revocation list: the
// village CA's CRL, naming the kiosk and staff certificates that may no
// longer connect (a stolen SD card carries its kiosk's key; a member of
// staff leaves) nor vouch for an export.
//
// The town hall replaces the file when it revokes another certificate;
// the list is read again when the file changes, without a restart. A
// replacement that cannot be read or is not signed by the village CA is
// logged and ignored: the last good list stays in force, so a mistake
// never lets a revoked certificate back in.
package revoke

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	gosync "sync"
	"time"

	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// ErrRevoked is the answer for a certificate the list names.
var ErrRevoked = errors.New("certificate revoked by the village CA")

// List holds the revoked serial numbers of each CA the collector trusts.
type List struct {
	path string
	cas  []*x509.Certificate
	log  *slog.Logger
	now  func() time.Time

	mu      gosync.Mutex
	mod     time.Time
	size    int64
	revoked map[*x509.Certificate]map[string]bool // CA → serial (decimal) → revoked
	bad     string                                // the last replacement refused, logged once
	refused map[string]time.Time                  // CN → the last handshake or request refused
	// verdicts caches Revoked per certificate (SHA-256 of its DER) for the
	// list in force: Guard asks on every request, and the answer needs a
	// signature check. Emptied whenever the list is read again.
	verdicts map[[32]byte]bool
}

// maxVerdicts bounds the cache; past it, it starts again.
const maxVerdicts = 10000

// Open reads the CRL file at path (PEM "X509 CRL" blocks, one per CA, or
// one DER CRL), each of which must be signed by a CA in caFile. A file
// that is missing, unreadable or badly signed at start is an error: the
// collector does not start with a revocation list it cannot apply.
func Open(path, caFile string, log *slog.Logger) (*List, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("revocation list: read CA: %w", err)
	}
	var cas []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("revocation list: CA %s: %w", caFile, err)
		}
		cas = append(cas, c)
	}
	if len(cas) == 0 {
		return nil, fmt.Errorf("revocation list: CA %s: no certificate found", caFile)
	}
	l := &List{path: path, cas: cas, log: log, now: time.Now}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("revocation list: %w", err)
	}
	rev, err := l.load()
	if err != nil {
		return nil, err
	}
	l.revoked, l.mod, l.size = rev, fi.ModTime(), fi.Size()
	return l, nil
}

// load reads and checks the file: every CRL in it must parse and be signed
// by one of the CAs.
func (l *List) load() (map[*x509.Certificate]map[string]bool, error) {
	b, err := os.ReadFile(l.path)
	if err != nil {
		return nil, fmt.Errorf("revocation list: %w", err)
	}
	var ders [][]byte
	if bytes.Contains(b, []byte("-----BEGIN")) {
		for {
			var blk *pem.Block
			blk, b = pem.Decode(b)
			if blk == nil {
				break
			}
			if blk.Type == "X509 CRL" {
				ders = append(ders, blk.Bytes)
			}
		}
	} else {
		ders = [][]byte{b}
	}
	if len(ders) == 0 {
		return nil, fmt.Errorf("revocation list %s: no X509 CRL in it", l.path)
	}
	rev := map[*x509.Certificate]map[string]bool{}
	for i, der := range ders {
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			return nil, fmt.Errorf("revocation list %s (CRL %d): %w", l.path, i+1, err)
		}
		var ca *x509.Certificate
		for _, c := range l.cas {
			if bytes.Equal(c.RawSubject, crl.RawIssuer) && crl.CheckSignatureFrom(c) == nil {
				ca = c
				break
			}
		}
		if ca == nil {
			return nil, fmt.Errorf("revocation list %s (CRL %d, issuer %q): not signed by the village CA", l.path, i+1, crl.Issuer.String())
		}
		if !crl.NextUpdate.IsZero() && l.now().After(crl.NextUpdate) {
			// Still applied: an old list revokes no less than it did.
			l.log.Warn("revocation list is past its next update: issue a new one", "path", l.path, "issuer", ca.Subject.CommonName, "next_update", crl.NextUpdate)
		}
		m := rev[ca]
		if m == nil {
			m = map[string]bool{}
			rev[ca] = m
		}
		for _, e := range crl.RevokedCertificateEntries {
			m[e.SerialNumber.String()] = true
		}
	}
	return rev, nil
}

// refresh reads the file again when it changed since the last look.
func (l *List) refresh() {
	fi, err := os.Stat(l.path)
	if err != nil {
		l.refuse(err.Error())
		return
	}
	if fi.ModTime().Equal(l.mod) && fi.Size() == l.size {
		return
	}
	rev, err := l.load()
	if err != nil {
		l.refuse(err.Error())
		return
	}
	n := 0
	for _, m := range rev {
		n += len(m)
	}
	l.revoked, l.mod, l.size, l.bad, l.verdicts = rev, fi.ModTime(), fi.Size(), "", nil
	l.log.Info("revocation list read again", "path", l.path, "revoked", n)
}

func (l *List) refuse(why string) {
	if why != l.bad {
		l.log.Error("revocation list not replaced: the last good one stays in force", "path", l.path, "err", why)
		l.bad = why
	}
}

// Revoked says whether c is on the list of the CA that issued it. The
// issuer is the CA whose key signed c, not merely one with its name: two
// CAs may share a name, and serials are only unique within one.
func (l *List) Revoked(c *x509.Certificate) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refresh()
	fp := sha256.Sum256(c.Raw)
	if v, ok := l.verdicts[fp]; ok {
		return v
	}
	v := false // no CA of ours issued it: the TLS handshake or import refuses it anyway
	for _, ca := range l.cas {
		if bytes.Equal(c.RawIssuer, ca.RawSubject) && c.CheckSignatureFrom(ca) == nil {
			v = l.revoked[ca][c.SerialNumber.String()]
			break
		}
	}
	if l.verdicts == nil || len(l.verdicts) >= maxVerdicts {
		l.verdicts = map[[32]byte]bool{}
	}
	l.verdicts[fp] = v
	return v
}

// Check is Revoked as an error naming the certificate.
func (l *List) Check(c *x509.Certificate) error {
	if l.Revoked(c) {
		return fmt.Errorf("%q (serial %s): %w", c.Subject.CommonName, c.SerialNumber, ErrRevoked)
	}
	return nil
}

// admit is Check for a client: a refusal is logged and remembered for
// RefusedAt. Only village-CA certificates get here (TLS verified the chain),
// so what is remembered is bounded by what the town hall issued.
func (l *List) admit(c *x509.Certificate) error {
	err := l.Check(c)
	if err == nil {
		return nil
	}
	l.log.Warn("refused a client certificate", "err", err)
	l.mu.Lock()
	if l.refused == nil {
		l.refused = map[string]time.Time{}
	}
	l.refused[c.Subject.CommonName] = l.now()
	l.mu.Unlock()
	return err
}

// Guard refuses every request whose client certificate is revoked, says
// why (ksync.HeaderRefused, so a kiosk shows it in words) and closes the
// connection. The handshake of a revoked but genuine certificate is let
// through on purpose: refused at the handshake, a TLS 1.3 client may see
// only a reset connection (it writes its request before the server's
// verdict), and a revoked kiosk would say "network error" by chance.
// Guarding every request also covers a kiosk's keep-alive connection or a
// browser's HTTP/2 one opened before the revocation.
func (l *List) Guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			if err := l.admit(r.TLS.PeerCertificates[0]); err != nil {
				w.Header().Set("Connection", "close")
				w.Header().Set(ksync.HeaderRefused, ksync.RefusedRevoked)
				http.Error(w, "この証明書は村の認証局が失効させています。 "+err.Error(), http.StatusForbidden)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// RefusedAt is when the handshake or a request of a certificate named cn (a kiosk ID,
// a staff name) was last refused as revoked, since the collector started:
// the console tells a revoked kiosk from one that is off.
func (l *List) RefusedAt(cn string) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	at, ok := l.refused[cn]
	return at, ok
}
