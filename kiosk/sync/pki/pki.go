// Package pki issues a throw-away village PKI: a CA, a loopback server
// certificate for the collector and client certificates for kiosks (CN =
// kiosk ID) and staff (CN = staff-NAME). `collector gen-test-pki` uses it
// for trying sync on one machine, tests and benchmarks for their own. A real
// village CA is made and kept offline by the town hall.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	gosync "sync"
	"time"
)

// KeyType is the kind of key pair issued. Kiosks sign batches and exports
// with theirs, so every type here is one the signature code supports.
type KeyType string

const (
	ECDSA   KeyType = "ecdsa" // P-256: fast enough for every test to make its own
	RSA     KeyType = "rsa"   // 2048 bits
	Ed25519 KeyType = "ed25519"
)

// KeyTypes lists what -key-type accepts.
var KeyTypes = []KeyType{ECDSA, RSA, Ed25519}

// Validity of everything issued here.
const Validity = 90 * 24 * time.Hour

// CA is a village CA held in memory.
type CA struct {
	Cert *x509.Certificate
	key  crypto.Signer
	kt   KeyType

	mu     gosync.Mutex
	serial int64
	now    time.Time
}

// Issued is one certificate and its key.
type Issued struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	CertPEM []byte
	KeyPEM  []byte
}

// TLS is the pair as a tls.Certificate.
func (i *Issued) TLS() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{i.Cert.Raw}, PrivateKey: i.Key, Leaf: i.Cert}
}

func newKey(kt KeyType) (crypto.Signer, error) {
	switch kt {
	case ECDSA, "":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case RSA:
		return rsa.GenerateKey(rand.Reader, 2048)
	case Ed25519:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return nil, fmt.Errorf("key type %q: want one of %v", kt, KeyTypes)
}

// NewCA makes a CA named name; everything it issues gets keys of type kt.
func NewCA(name string, kt KeyType) (*CA, error) {
	key, err := newKey(kt)
	if err != nil {
		return nil, fmt.Errorf("CA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(Validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("CA cert: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, key: key, kt: kt, serial: 1, now: now}, nil
}

// Pool trusts this CA alone.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// CRL is a revocation list signed by the CA naming revoked (PEM "X509
// CRL"), valid for next: what the town hall gives the collector (--crl)
// when a kiosk's SD card is stolen or a member of staff leaves.
func (ca *CA) CRL(next time.Duration, revoked ...*x509.Certificate) ([]byte, error) {
	now := time.Now()
	tmpl := &x509.RevocationList{Number: big.NewInt(now.UnixNano()), ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(next)}
	for _, c := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: c.SerialNumber, RevocationTime: now.Add(-time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.Cert, ca.key)
	if err != nil {
		return nil, fmt.Errorf("CRL: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), nil
}

// LoadCA reads a CA that Generate wrote (ca.pem, ca-key.pem), to issue
// more from it or revoke what it issued.
func LoadCA(certFile, keyFile string) (*CA, error) {
	cb, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	kb, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	cblk, _ := pem.Decode(cb)
	kblk, _ := pem.Decode(kb)
	if cblk == nil || kblk == nil {
		return nil, fmt.Errorf("%s, %s: not PEM", certFile, keyFile)
	}
	cert, err := x509.ParseCertificate(cblk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certFile, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(kblk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	key, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: not a signing key", keyFile)
	}
	kt := ECDSA
	switch key.(type) {
	case *rsa.PrivateKey:
		kt = RSA
	case ed25519.PrivateKey:
		kt = Ed25519
	}
	// Serials above any Generate gave (it counts from 2), so nothing
	// issued later collides with what a CRL already names.
	return &CA{Cert: cert, key: key, kt: kt, serial: time.Now().UnixNano(), now: time.Now()}, nil
}

// PEM is the CA certificate.
func (ca *CA) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
}

// Client issues a client certificate with CN = cn.
func (ca *CA) Client(cn string) (*Issued, error) {
	return ca.issue(cn, &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}

// Server issues the collector's certificate for loopback (127.0.0.1, ::1,
// localhost) and any further host names.
func (ca *CA) Server(hosts ...string) (*Issued, error) {
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "collector"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return ca.issue("collector", tmpl)
}

func (ca *CA) issue(name string, tmpl *x509.Certificate) (*Issued, error) {
	key, err := newKey(ca.kt)
	if err != nil {
		return nil, err
	}
	ca.mu.Lock()
	ca.serial++
	tmpl.SerialNumber = big.NewInt(ca.serial)
	ca.mu.Unlock()
	tmpl.NotBefore, tmpl.NotAfter = ca.now.Add(-time.Hour), ca.now.Add(Validity)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.key)
	if err != nil {
		return nil, fmt.Errorf("issue %s: %w", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &Issued{Cert: cert, Key: key,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})}, nil
}

// Files names the PEM files Generate wrote.
type Files struct {
	Dir        string
	CAFile     string
	CAKey      string // ca-key.pem: a test CA only; a village keeps its key offline
	ServerCert string // SAN 127.0.0.1, ::1, localhost
	ServerKey  string
	Clients    map[string]Pair // by CN (kiosk ID or staff name)
}

// Pair is one certificate file and its key file.
type Pair struct{ Cert, Key string }

// Generate writes a CA (ca.pem, and its key ca-key.pem for revoking or
// issuing more later: a test PKI only), a loopback server certificate (server.pem,
// server-key.pem) and one client certificate per name (client-NAME.pem,
// client-NAME-key.pem) into dir.
func Generate(dir string, kt KeyType, clientCNs ...string) (*Files, error) {
	return GenerateFor(dir, kt, nil, clientCNs...)
}

// GenerateFor is Generate with further names on the server certificate:
// a qemu guest reaches the host's loopback as 10.0.2.2 (update-test).
func GenerateFor(dir string, kt KeyType, serverHosts []string, clientCNs ...string) (*Files, error) {
	ca, err := NewCA("test village CA "+filepath.Base(dir), kt)
	if err != nil {
		return nil, err
	}
	f := &Files{Dir: dir, CAFile: filepath.Join(dir, "ca.pem"), CAKey: filepath.Join(dir, "ca-key.pem"), Clients: map[string]Pair{}}
	if err := writeFile(f.CAFile, ca.PEM()); err != nil {
		return nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(ca.key)
	if err != nil {
		return nil, err
	}
	if err := writeFile(f.CAKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})); err != nil {
		return nil, err
	}
	write := func(name string, is *Issued) (Pair, error) {
		p := Pair{Cert: filepath.Join(dir, name+".pem"), Key: filepath.Join(dir, name+"-key.pem")}
		if err := writeFile(p.Cert, is.CertPEM); err != nil {
			return Pair{}, err
		}
		return p, writeFile(p.Key, is.KeyPEM)
	}
	srv, err := ca.Server(serverHosts...)
	if err != nil {
		return nil, err
	}
	sp, err := write("server", srv)
	if err != nil {
		return nil, err
	}
	f.ServerCert, f.ServerKey = sp.Cert, sp.Key
	for _, cn := range clientCNs {
		c, err := ca.Client(cn)
		if err != nil {
			return nil, err
		}
		if f.Clients[cn], err = write("client-"+cn, c); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func writeFile(path string, b []byte) error {
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
