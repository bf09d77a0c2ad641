package sync

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"
)

// ClientTLS builds the kiosk side's TLS config: trust only the village CA
// and present the kiosk's certificate (CN = kiosk ID).
func ClientTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	pool, err := LoadCAPool(caFile)
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load client certificate: %w", err)
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
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

// NewHTTPClient returns a client for the syncer; timeout bounds each request.
func NewHTTPClient(tc *tls.Config, timeout time.Duration) *http.Client {
	tr := &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: true, TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConns: 2, IdleConnTimeout: 90 * time.Second}
	return &http.Client{Transport: tr, Timeout: timeout}
}
