package jpki

import (
	"errors"
	"fmt"

	"github.com/villagehall/kiosk/kiosk"
)

// Reading certificates. The kiosk needs a certificate's serial number and
// validity only, and in X.509 both come before the subject:
//
//	Certificate ::= SEQUENCE { tbsCertificate SEQUENCE {
//	    version [0] EXPLICIT OPTIONAL, serialNumber INTEGER,
//	    signature AlgorithmIdentifier, issuer Name, validity Validity,
//	    subject Name, subjectPublicKeyInfo, … extensions [3] }, … }
//
// so readValidity stops at the end of the validity: the signing
// certificate's subject and subjectAltName (name, address, birth date)
// never leave the card, and neither certificate is read as far as its
// public key. Whole reads (readDER) are for the CA certificates and tools.

const (
	// minValidity is the shortest validity RFC 5280 allows: a SEQUENCE
	// header and two UTCTimes of 2 + 13 bytes (YYMMDDHHMMSSZ; seconds
	// and Z are mandatory). GeneralizedTime (dates from 2050) is 2 bytes
	// longer each, so the content is 30, 32 or 34 bytes.
	minValidity = 2 + 2*(2+13)

	// FirstCertRead is the shortest any conforming certificate can be up to
	// the end of its validity: Certificate and tbsCertificate headers
	// (2 + 2), serialNumber (3), signature algorithm (2), issuer (2) and
	// the validity. A first READ of this size therefore never passes the
	// end of the validity, whatever the issuer's length, and it already
	// holds a JPKI certificate's headers up to the issuer's length (41
	// bytes with the test PKI's 8-byte serials; serials of up to 10 bytes
	// fit).
	FirstCertRead = 2 + 2 + 3 + 2 + 2 + minValidity
)

// errDERShort: the prefix ends inside a DER header.
var errDERShort = errors.New("DER header cut off")

// derHead decodes the DER tag and definite length at the start of b
// (single-byte tags, lengths of up to 3 bytes: all a certificate up to
// its validity uses). hdr is the header's size, n the content's.
func derHead(b []byte) (tag byte, hdr, n int, err error) {
	if len(b) < 2 {
		return 0, 0, 0, errDERShort
	}
	tag, l := b[0], int(b[1])
	if tag&0x1F == 0x1F {
		return 0, 0, 0, fmt.Errorf("DER header: multi-byte tag: %w", kiosk.ErrBadResponse)
	}
	if l < 0x80 {
		return tag, 2, l, nil
	}
	k := l & 0x7F
	if k == 0 || k > 3 {
		return 0, 0, 0, fmt.Errorf("DER header: length of %d bytes: %w", k, kiosk.ErrBadResponse)
	}
	if len(b) < 2+k {
		return 0, 0, 0, errDERShort
	}
	v := 0
	for _, x := range b[2 : 2+k] {
		v = v<<8 | int(x)
	}
	if v < 0x80 || (k > 1 && b[2] == 0) {
		return 0, 0, 0, fmt.Errorf("DER header: non-minimal length: %w", kiosk.ErrBadResponse)
	}
	return tag, 2 + k, v, nil
}

// DERLength returns the total length (header + content) of the DER
// SEQUENCE that starts b, from its header alone.
func DERLength(b []byte) (int, error) {
	tag, hdr, n, err := derHead(b)
	switch {
	case errors.Is(err, errDERShort):
		return 0, fmt.Errorf("DER header: %d bytes: %w", len(b), kiosk.ErrBadResponse)
	case err != nil:
		return 0, err
	case tag != 0x30:
		return 0, fmt.Errorf("DER header: tag %02X is not a SEQUENCE: %w", tag, kiosk.ErrBadResponse)
	}
	return hdr + n, nil
}

// ValidityReach says how far into a certificate's DER a reader must go,
// given the prefix it has. With exact true, n is the end of the
// validity: read to n and stop. Otherwise n is the next length to read
// to: it gets the walk further and never passes the end of the validity
// of any conforming certificate (an element that starts at or before
// the issuer is followed by at least an issuer and a validity, 2 +
// minValidity bytes). Errors wrap kiosk.ErrBadResponse.
func ValidityReach(prefix []byte) (n int, exact bool, err error) {
	bad := func(what string, err error) (int, bool, error) {
		if err == nil {
			err = kiosk.ErrBadResponse
		}
		return 0, false, fmt.Errorf("certificate %s: %w", what, err)
	}
	steps := []struct {
		what     string
		tag      byte
		optional bool
		enter    bool // a header to step into; else skip the element whole
	}{
		{"header", 0x30, false, true},
		{"tbsCertificate", 0x30, false, true},
		{"version", 0xA0, true, false},
		{"serial number", 0x02, false, false},
		{"signature algorithm", 0x30, false, false},
		{"issuer", 0x30, false, false},
	}
	off, total := 0, 0
	beyond := func(n int) bool { return total > 0 && n > total }
	for _, s := range steps {
		if off >= len(prefix) {
			return off + 2 + minValidity, false, nil
		}
		if s.optional && prefix[off] != s.tag {
			continue
		}
		tag, hdr, cn, err := derHead(prefix[off:])
		if errors.Is(err, errDERShort) {
			return off + 2 + minValidity, false, nil
		}
		if err != nil {
			return bad(s.what, err)
		}
		if tag != s.tag {
			return bad(s.what, fmt.Errorf("tag %02X, want %02X: %w", tag, s.tag, kiosk.ErrBadResponse))
		}
		if total == 0 {
			total = hdr + cn
			if total > maxCertBytes {
				return bad(s.what, fmt.Errorf("%d bytes exceed the short READ BINARY range: %w", total, kiosk.ErrBadResponse))
			}
		}
		off += hdr
		if !s.enter {
			off += cn
		}
		if beyond(off + minValidity) {
			return bad(s.what, fmt.Errorf("runs past the certificate's %d bytes: %w", total, kiosk.ErrBadResponse))
		}
	}
	// off is where the validity starts.
	if off+2 > len(prefix) {
		return off + minValidity, false, nil
	}
	tag, hdr, cn, err := derHead(prefix[off:])
	if err != nil || tag != 0x30 || hdr != 2 || (cn != 30 && cn != 32 && cn != 34) {
		return bad("validity", fmt.Errorf("header % X: %w", prefix[off:off+2], kiosk.ErrBadResponse))
	}
	if beyond(off + hdr + cn) {
		return bad("validity", fmt.Errorf("runs past the certificate's %d bytes: %w", total, kiosk.ErrBadResponse))
	}
	return off + hdr + cn, true, nil
}

// readValidity reads the selected certificate EF up to the end of its
// validity and keeps the serial and validity: two READ BINARYs for a
// JPKI certificate (FirstCertRead bytes, then up to the end of the
// validity), one more only for GeneralizedTime dates or an unusually
// long serial. What was read is wiped.
func (c *Card) readValidity(fid uint16) (*kiosk.CertValidity, error) {
	buf := make([]byte, 0, 512)
	defer func() { kiosk.Wipe(buf) }()
	target := FirstCertRead
	for {
		var err error
		if buf, err = c.readOn(fid, buf, target); err != nil {
			return nil, err
		}
		n, exact, err := ValidityReach(buf)
		if err != nil {
			return nil, fmt.Errorf("EF %04X: %w", fid, err)
		}
		if exact && n <= len(buf) {
			v, _, err := kiosk.ParseCertValidity(buf[:n])
			if err != nil {
				return nil, fmt.Errorf("EF %04X: %w", fid, err)
			}
			return v, nil
		}
		if n <= len(buf) {
			// ValidityReach always asks for more until exact; guard the loop anyway.
			return nil, fmt.Errorf("EF %04X: certificate walk stalled at %d bytes: %w", fid, len(buf), kiosk.ErrBadResponse)
		}
		target = n
	}
}

// readDER reads the whole DER object at the start of the selected EF,
// sized from its header: files carry filler after the certificate, so
// never a fixed size. The first READ of 256 bytes already holds the
// header: ⌈N/256⌉ READ BINARYs in all.
func (c *Card) readDER(fid uint16) ([]byte, error) {
	first, sw, err := c.readBinary(0, 0)
	if err != nil {
		return nil, err
	}
	if sw != swOK {
		return nil, &kiosk.StatusWordError{Op: fmt.Sprintf("read EF %04X", fid), SW: sw}
	}
	total, err := DERLength(first)
	if err != nil {
		return nil, fmt.Errorf("EF %04X: %w", fid, err)
	}
	if total > maxCertBytes {
		return nil, fmt.Errorf("EF %04X: DER object of %d bytes exceeds short READ BINARY range: %w", fid, total, kiosk.ErrBadResponse)
	}
	if len(first) < min(total, 256) {
		return nil, fmt.Errorf("EF %04X: file ends at %d of %d DER bytes: %w", fid, len(first), total, kiosk.ErrBadResponse)
	}
	out := append(make([]byte, 0, total), first[:min(len(first), total)]...)
	kiosk.Wipe(first)
	return c.readOn(fid, out, total)
}

// readOn extends buf, the first len(buf) bytes of the selected EF, to n
// bytes in READ BINARYs of at most 256. A card answers short only at the
// end of its file, so a short answer means the object is cut off (and it
// bounds the loop to ⌈n/256⌉ reads whatever the card says). The card's
// answers are wiped once copied, and so is buf when it has to grow.
func (c *Card) readOn(fid uint16, buf []byte, n int) ([]byte, error) {
	if n > maxCertBytes {
		return buf, fmt.Errorf("EF %04X: %d bytes exceed short READ BINARY range: %w", fid, n, kiosk.ErrBadResponse)
	}
	if cap(buf) < n {
		grown := append(make([]byte, 0, n), buf...)
		kiosk.Wipe(buf)
		buf = grown
	}
	for len(buf) < n {
		le := min(n-len(buf), 256)
		chunk, sw, err := c.readBinary(len(buf), le&0xFF)
		if err != nil {
			return buf, err
		}
		if sw != swOK {
			op := fmt.Sprintf("read EF %04X at offset %d", fid, len(buf))
			return buf, &kiosk.StatusWordError{Op: op, SW: sw}
		}
		if len(chunk) < le {
			return buf, fmt.Errorf("EF %04X: file ends at %d of %d bytes: %w", fid, len(buf)+len(chunk), n, kiosk.ErrBadResponse)
		}
		buf = append(buf, chunk...)
		kiosk.Wipe(chunk)
	}
	return buf, nil
}
