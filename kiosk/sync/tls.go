package sync

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"
)

// Identity is the kiosk's client certificate and its key: the key logs in
// to the collector (TLS) and signs batches and exports.
type Identity struct {
	TLS    tls.Certificate
	Cert   *x509.Certificate // the leaf, CN = kiosk ID
	Signer crypto.Signer
}

// LoadIdentity reads a PEM certificate (chain) and its private key.
func LoadIdentity(certFile, keyFile string) (*Identity, error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load client certificate: %w", err)
	}
	return NewIdentity(c)
}

// NewIdentity wraps a TLS certificate whose key can sign.
func NewIdentity(c tls.Certificate) (*Identity, error) {
	leaf := c.Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
	}
	signer, ok := c.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("client key of type %T cannot sign", c.PrivateKey)
	}
	return &Identity{TLS: c, Cert: leaf, Signer: signer}, nil
}

// ClientTLS presents the identity and trusts only pool (the village CA).
func (id *Identity) ClientTLS(pool *x509.CertPool) *tls.Config {
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{id.TLS}, MinVersion: tls.VersionTLS12}
}

// ClientTLS builds the kiosk side's TLS config: trust only the village CA
// and present the kiosk's certificate (CN = kiosk ID).
func ClientTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	pool, err := LoadCAPool(caFile)
	if err != nil {
		return nil, err
	}
	id, err := LoadIdentity(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return id.ClientTLS(pool), nil
}

// LoadCAPool reads a PEM CA bundle.
func LoadCAPool(caFile string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("read CA %s: no certificate found", caFile)
	}
	return pool, nil
}

// ParseCertPEM reads the first certificate in PEM text (a file, the
// certificate an export's manifest carries, one a request gives): the one
// reader of single certificates, so every place refuses the same things.
func ParseCertPEM(b []byte) (*x509.Certificate, error) {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return nil, errors.New("no PEM certificate in it")
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM certificate: %w", err)
		}
		return c, nil
	}
}

// ReadCertFile reads a PEM certificate file: the certificate (ParseCertPEM)
// and the file's bytes.
func ReadCertFile(path string) (*x509.Certificate, []byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("certificate: %w", err)
	}
	c, err := ParseCertPEM(b)
	if err != nil {
		return nil, nil, fmt.Errorf("certificate %s: %w", path, err)
	}
	return c, b, nil
}

// NewHTTPClient returns a client for the syncer; timeout bounds each
// request. It follows no redirect: the collector answers at its one
// address, and a redirect's answer is no acknowledgement.
func NewHTTPClient(tc *tls.Config, timeout time.Duration) *http.Client {
	tr := &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: true, TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConns: 2, IdleConnTimeout: 90 * time.Second}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
