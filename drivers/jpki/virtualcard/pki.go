package virtualcard

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// PKI is the fake JPKI: two CAs with the real DN layout but O=JPKI-TEST,
// and one key pair per certificate kind that every virtual card shares.
type PKI struct {
	AuthCA, SignCA       *x509.Certificate
	AuthCAKey, SignCAKey *rsa.PrivateKey
	AuthKey, SignKey     *rsa.PrivateKey
}

var (
	oidC  = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidL  = asn1.ObjectIdentifier{2, 5, 4, 7}
	oidO  = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOU = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidCN = asn1.ObjectIdentifier{2, 5, 4, 3}
)

// rawName encodes a DN with one attribute per RDN, in the given order, as
// JPKI certificates do (pkix.Name would merge repeated OU or L values
// into one multi-valued RDN).
func rawName(pairs ...any) []byte {
	var seq pkix.RDNSequence
	for i := 0; i < len(pairs); i += 2 {
		seq = append(seq, pkix.RelativeDistinguishedNameSET{{Type: pairs[i].(asn1.ObjectIdentifier), Value: pairs[i+1]}})
	}
	b, err := asn1.Marshal(seq)
	if err != nil {
		panic(err) // static shapes only: a failure is a programming error
	}
	return b
}

func caName(ou string) []byte {
	return rawName(oidC, "JP", oidO, "JPKI-TEST", oidOU, ou, oidOU, "Japan Agency for Local Authority Information Systems")
}

var pkiFiles = []string{"auth-ca.key", "sign-ca.key", "auth-user.key", "sign-user.key", "auth-ca.crt", "sign-ca.crt"}

// GeneratePKI writes a new test PKI into dir (RSA-2048, sha256WithRSA).
func GeneratePKI(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files, err := newPKIFiles()
	if err != nil {
		return err
	}
	for i, name := range pkiFiles {
		if err := os.WriteFile(filepath.Join(dir, name), files[i], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// NewPKI makes a test PKI in memory, for a simulator that must not depend on
// the repository's files (nor carry their keys in its binary).
func NewPKI() (*PKI, error) {
	files, err := newPKIFiles()
	if err != nil {
		return nil, err
	}
	return parsePKI(func(i int) ([]byte, error) { return files[i], nil })
}

// newPKIFiles returns the PEM of each of pkiFiles, in order.
func newPKIFiles() ([][]byte, error) {
	out := make([][]byte, len(pkiFiles))
	keys := make([]*rsa.PrivateKey, 4)
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		keys[i] = k
		b, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, err
		}
		out[i] = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: b})
	}
	for i, ou := range []string{"JPKI for user authentication", "JPKI for digital signature"} {
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(int64(i + 1)),
			RawSubject:            caName(ou),
			NotBefore:             time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC),
			NotAfter:              time.Date(2043, 1, 1, 0, 0, 0, 0, time.UTC),
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
			BasicConstraintsValid: true,
			IsCA:                  true,
			SignatureAlgorithm:    x509.SHA256WithRSA,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &keys[i].PublicKey, keys[i])
		if err != nil {
			return nil, err
		}
		out[4+i] = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	return out, nil
}

// LoadPKI reads what GeneratePKI wrote.
func LoadPKI(dir string) (*PKI, error) {
	return parsePKI(func(i int) ([]byte, error) { return os.ReadFile(filepath.Join(dir, pkiFiles[i])) })
}

// parsePKI parses the PEM of each of pkiFiles, as read returns it by index.
func parsePKI(read func(i int) ([]byte, error)) (*PKI, error) {
	var blocks [6][]byte
	for i, name := range pkiFiles {
		b, err := read(i)
		if err != nil {
			return nil, fmt.Errorf("test PKI: %w", err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			return nil, fmt.Errorf("test PKI: %s: no PEM block", name)
		}
		blocks[i] = blk.Bytes
	}
	p := &PKI{}
	for i, dst := range []**rsa.PrivateKey{&p.AuthCAKey, &p.SignCAKey, &p.AuthKey, &p.SignKey} {
		k, err := x509.ParsePKCS8PrivateKey(blocks[i])
		if err != nil {
			return nil, fmt.Errorf("test PKI: %s: %w", pkiFiles[i], err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("test PKI: key is not RSA")
		}
		*dst = rk
	}
	var err error
	if p.AuthCA, err = x509.ParseCertificate(blocks[4]); err != nil {
		return nil, fmt.Errorf("test PKI: auth CA: %w", err)
	}
	if p.SignCA, err = x509.ParseCertificate(blocks[5]); err != nil {
		return nil, fmt.Errorf("test PKI: sign CA: %w", err)
	}
	return p, nil
}

func keyID(k *rsa.PublicKey) []byte {
	sum := sha1.Sum(x509.MarshalPKCS1PublicKey(k))
	return sum[:]
}

// IssueAuth issues an authentication certificate: subject C=JP plus an
// opaque serial-like CN, no personal data, keyUsage digitalSignature.
func (p *PKI) IssueAuth(serial uint64, nb, na time.Time) ([]byte, error) {
	tmpl := &x509.Certificate{
		SerialNumber: new(big.Int).SetUint64(serial),
		RawSubject:   rawName(oidC, "JP", oidCN, fmt.Sprintf("TEST%016d", serial%1e16)),
		NotBefore:    nb,
		NotAfter:     na,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		SubjectKeyId: keyID(&p.AuthKey.PublicKey),
		// The real profile's pointers, on hosts that cannot exist: they
		// give the certificate its real size (about 1.2 KB).
		PolicyIdentifiers:     []asn1.ObjectIdentifier{{1, 2, 392, 200149, 8, 5, 1, 3, 30}},
		CRLDistributionPoints: []string{"http://crl.jpki-test.invalid/crl/user-authentication.crl"},
		OCSPServer:            []string{"http://ocsp.jpki-test.invalid/user-authentication"},
		IssuingCertificateURL: []string{"http://ca.jpki-test.invalid/certs/user-authentication-ca.cer"},
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		SignatureAlgorithm:    x509.SHA256WithRSA,
	}
	return x509.CreateCertificate(rand.Reader, tmpl, p.AuthCA, &p.AuthKey.PublicKey, p.AuthCAKey)
}

// JPKI subjectAltName otherName types (1.2.392.200149.8.5.5.x).
var (
	oidSAN        = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidJPKIName   = asn1.ObjectIdentifier{1, 2, 392, 200149, 8, 5, 5, 1}
	oidJPKIBirth  = asn1.ObjectIdentifier{1, 2, 392, 200149, 8, 5, 5, 4}
	oidJPKISex    = asn1.ObjectIdentifier{1, 2, 392, 200149, 8, 5, 5, 3}
	oidJPKIAddr   = asn1.ObjectIdentifier{1, 2, 392, 200149, 8, 5, 5, 5}
	oidJPKIAltCh  = asn1.ObjectIdentifier{1, 2, 392, 200149, 8, 5, 5, 2}
	oidJPKIAltCh2 = asn1.ObjectIdentifier{1, 2, 392, 200149, 8, 5, 5, 6}
)

// Obviously fake personal data, so a test can prove the kiosk never
// shows, stores or sends it.
const (
	FakeName    = "試験　太郎"
	FakeBirth   = "E19800101"
	FakeAddress = "試験県試験村大字架空１番地"
)

func otherName(oid asn1.ObjectIdentifier, v any, params string) (asn1.RawValue, error) {
	inner, err := asn1.MarshalWithParams(v, params)
	if err != nil {
		return asn1.RawValue{}, err
	}
	body, err := asn1.Marshal(struct {
		Type  asn1.ObjectIdentifier
		Value asn1.RawValue `asn1:"explicit,tag:0"`
	}{oid, asn1.RawValue{FullBytes: inner}})
	if err != nil {
		return asn1.RawValue{}, err
	}
	// otherName is [0] IMPLICIT in GeneralName: re-tag the SEQUENCE.
	var seq asn1.RawValue
	if _, err := asn1.Unmarshal(body, &seq); err != nil {
		return asn1.RawValue{}, err
	}
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: seq.Bytes}, nil
}

// IssueSign issues a signing certificate with the JPKI subject and
// subjectAltName layout, carrying the fake personal data above.
func (p *PKI) IssueSign(serial uint64, nb, na time.Time) ([]byte, error) {
	var names []asn1.RawValue
	for _, e := range []struct {
		oid    asn1.ObjectIdentifier
		v      any
		params string
	}{
		{oidJPKIName, FakeName, "utf8"},
		{oidJPKIAltCh, "0", "printable"},
		{oidJPKISex, "1", "printable"},
		{oidJPKIBirth, FakeBirth, "printable"},
		{oidJPKIAddr, FakeAddress, "utf8"},
		{oidJPKIAltCh2, "0", "printable"},
	} {
		rv, err := otherName(e.oid, e.v, e.params)
		if err != nil {
			return nil, err
		}
		names = append(names, rv)
	}
	san, err := asn1.Marshal(names)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          new(big.Int).SetUint64(serial),
		RawSubject:            rawName(oidC, "JP", oidL, "Shiken-ken", oidL, "Shiken-mura", oidCN, fmt.Sprintf("TESTSIGN%012d", serial%1e12)),
		NotBefore:             nb,
		NotAfter:              na,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		SubjectKeyId:          keyID(&p.SignKey.PublicKey),
		PolicyIdentifiers:     []asn1.ObjectIdentifier{{1, 2, 392, 200149, 8, 5, 1, 1, 10}},
		CRLDistributionPoints: []string{"http://crl.jpki-test.invalid/crl/digital-signature.crl"},
		OCSPServer:            []string{"http://ocsp.jpki-test.invalid/digital-signature"},
		IssuingCertificateURL: []string{"http://ca.jpki-test.invalid/certs/digital-signature-ca.cer"},
		ExtraExtensions:       []pkix.Extension{{Id: oidSAN, Value: san}},
		SignatureAlgorithm:    x509.SHA256WithRSA,
	}
	return x509.CreateCertificate(rand.Reader, tmpl, p.SignCA, &p.SignKey.PublicKey, p.SignCAKey)
}
