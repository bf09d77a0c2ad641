package sync

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// What a signed head is for: a batch's signature cannot be replayed as an
// export's, nor the other way round.
const (
	PurposeBatch  = "batch"
	PurposeExport = "export"
)

// Head is a run of one journal's records, named by its ends: the kiosk
// signs it with its client-certificate key. Each record's hash covers its
// content and the previous record's hash, so the signed HeadHash (with
// PrevHash and the sequence range) vouches for every record of the run;
// anyone who edits a record and recomputes the chain changes HeadHash and
// cannot sign the new one.
type Head struct {
	Purpose       string
	KioskID       string
	JournalID     string
	FirstSeq      uint64
	LastSeq       uint64
	PrevHash      string // the link before FirstSeq
	HeadHash      string // the hash of LastSeq
	Count         int
	RecordsSHA256 string    // exports: the records file
	At            time.Time // exports: when it was written
}

// headTag versions the signed encoding.
const headTag = "kiosk-signed-head-v1"

// bytes is the signed message: every field length-prefixed, in a fixed order.
func (h Head) bytes() []byte {
	var b []byte
	field := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	at := ""
	if !h.At.IsZero() {
		at = h.At.UTC().Format(time.RFC3339Nano)
	}
	for _, f := range []string{headTag, h.Purpose, h.KioskID, h.JournalID,
		strconv.FormatUint(h.FirstSeq, 10), strconv.FormatUint(h.LastSeq, 10), h.PrevHash, h.HeadHash,
		strconv.Itoa(h.Count), h.RecordsSHA256, at} {
		field(f)
	}
	return b
}

// Signature algorithms, one per key type the village PKI issues.
const (
	AlgECDSASHA256 = "ecdsa-sha256"
	AlgRSASHA256   = "rsa-pkcs1v15-sha256"
	AlgEd25519     = "ed25519"
)

// Signature is a kiosk's signature over a Head.
type Signature struct {
	Alg   string `json:"alg"`
	Value []byte `json:"value"` // base64 in JSON
}

// ErrBadSignature: the signature does not verify with the certificate.
var ErrBadSignature = errors.New("signature does not verify")

// ErrUnsigned: there is no signature to check.
var ErrUnsigned = errors.New("not signed")

// SignHead signs h with the kiosk's private key (ECDSA, RSA or Ed25519).
func SignHead(key crypto.Signer, h Head) (Signature, error) {
	if key == nil {
		return Signature{}, errors.New("sign: no key")
	}
	msg := h.bytes()
	var rnd io.Reader = rand.Reader
	switch key.Public().(type) {
	case ed25519.PublicKey:
		v, err := key.Sign(rnd, msg, crypto.Hash(0))
		return Signature{Alg: AlgEd25519, Value: v}, wrapSign(err)
	case *ecdsa.PublicKey:
		d := sha256.Sum256(msg)
		v, err := key.Sign(rnd, d[:], crypto.SHA256)
		return Signature{Alg: AlgECDSASHA256, Value: v}, wrapSign(err)
	case *rsa.PublicKey:
		d := sha256.Sum256(msg)
		v, err := key.Sign(rnd, d[:], crypto.SHA256) // PKCS #1 v1.5 for an rsa.PrivateKey
		return Signature{Alg: AlgRSASHA256, Value: v}, wrapSign(err)
	}
	return Signature{}, fmt.Errorf("sign: key type %T not supported (ECDSA, RSA or Ed25519)", key.Public())
}

func wrapSign(err error) error {
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	return nil
}

// VerifyHead checks sig over h with cert's public key. The algorithm must
// be the one that key type signs with: no choosing a weaker one.
func VerifyHead(cert *x509.Certificate, h Head, sig *Signature) error {
	if sig == nil || len(sig.Value) == 0 {
		return ErrUnsigned
	}
	msg := h.bytes()
	d := sha256.Sum256(msg)
	ok := false
	switch pub := cert.PublicKey.(type) {
	case ed25519.PublicKey:
		ok = sig.Alg == AlgEd25519 && ed25519.Verify(pub, msg, sig.Value)
	case *ecdsa.PublicKey:
		ok = sig.Alg == AlgECDSASHA256 && ecdsa.VerifyASN1(pub, d[:], sig.Value)
	case *rsa.PublicKey:
		ok = sig.Alg == AlgRSASHA256 && rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig.Value) == nil
	default:
		return fmt.Errorf("certificate key type %T not supported", cert.PublicKey)
	}
	if !ok {
		return fmt.Errorf("%w with the certificate of %q (%s)", ErrBadSignature, cert.Subject.CommonName, sig.Alg)
	}
	return nil
}
