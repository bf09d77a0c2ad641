package kiosk

import (
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// ParseCertValidity reads the serial number and the validity of an X.509
// certificate from a DER prefix that reaches at least the end of the
// validity (a whole certificate will do). Nothing after the validity is
// looked at. It also returns the offset where the validity ends, which is
// how far a reader needs to read.
//
//	Certificate ::= SEQUENCE { tbsCertificate SEQUENCE {
//	    version [0] EXPLICIT INTEGER OPTIONAL, serialNumber INTEGER,
//	    signature AlgorithmIdentifier, issuer Name, validity Validity, … } … }
func ParseCertValidity(prefix []byte) (*CertValidity, int, error) {
	fail := func(what string, err error) (*CertValidity, int, error) {
		if err == nil {
			err = ErrBadResponse
		}
		return nil, 0, fmt.Errorf("certificate %s: %w", what, err)
	}
	off := 0
	// The two outer SEQUENCE headers: only their headers, since the
	// prefix may stop long before their ends.
	for _, what := range []string{"header", "tbsCertificate header"} {
		h, err := derHeader(prefix[off:])
		if err != nil || h.tag != 0x30 {
			return fail(what, err)
		}
		off += h.hdr
	}
	var v CertValidity
	// version [0], optional
	if off < len(prefix) && prefix[off] == 0xA0 {
		n, err := derWhole(prefix[off:])
		if err != nil {
			return fail("version", err)
		}
		off += n
	}
	n, err := derWhole(prefix[off:])
	if err != nil || prefix[off] != 0x02 {
		return fail("serial number", err)
	}
	var serial *big.Int
	if _, err := asn1.Unmarshal(prefix[off:off+n], &serial); err != nil {
		return fail("serial number", err)
	}
	v.Serial = serial
	off += n
	for _, what := range []string{"signature algorithm", "issuer"} {
		n, err := derWhole(prefix[off:])
		if err != nil || prefix[off] != 0x30 {
			return fail(what, err)
		}
		off += n
	}
	n, err = derWhole(prefix[off:])
	if err != nil || prefix[off] != 0x30 {
		return fail("validity", err)
	}
	var validity struct{ NotBefore, NotAfter time.Time }
	rest, err := asn1.Unmarshal(prefix[off:off+n], &validity)
	if err != nil || len(rest) != 0 {
		return fail("validity", err)
	}
	v.NotBefore, v.NotAfter = validity.NotBefore, validity.NotAfter
	return &v, off + n, nil
}

type derHdr struct {
	tag      byte
	hdr, len int // header bytes, content bytes
}

var errDERShort = errors.New("DER cut off")

// derHeader decodes one DER tag and length (single-byte tags only, which
// is all X.509 uses up to the validity).
func derHeader(b []byte) (derHdr, error) {
	if len(b) < 2 {
		return derHdr{}, fmt.Errorf("%w: %w", errDERShort, ErrBadResponse)
	}
	h := derHdr{tag: b[0]}
	if b[0]&0x1F == 0x1F {
		return derHdr{}, fmt.Errorf("multi-byte DER tag: %w", ErrBadResponse)
	}
	l := int(b[1])
	if l < 0x80 {
		h.hdr, h.len = 2, l
		return h, nil
	}
	n := l & 0x7F
	if n == 0 || n > 3 {
		return derHdr{}, fmt.Errorf("DER length of %d bytes: %w", n, ErrBadResponse)
	}
	if len(b) < 2+n {
		return derHdr{}, fmt.Errorf("%w: %w", errDERShort, ErrBadResponse)
	}
	v := 0
	for _, x := range b[2 : 2+n] {
		v = v<<8 | int(x)
	}
	if v < 0x80 || (n > 1 && b[2] == 0) {
		return derHdr{}, fmt.Errorf("non-minimal DER length: %w", ErrBadResponse)
	}
	h.hdr, h.len = 2+n, v
	return h, nil
}

// derWhole returns the length of the complete element at the start of b.
func derWhole(b []byte) (int, error) {
	h, err := derHeader(b)
	if err != nil {
		return 0, err
	}
	if len(b) < h.hdr+h.len {
		return 0, fmt.Errorf("%w: %w", errDERShort, ErrBadResponse)
	}
	return h.hdr + h.len, nil
}
