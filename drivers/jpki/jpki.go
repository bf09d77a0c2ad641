// Package jpki speaks the My Number Card's JPKI applet protocol over any
// APDU transport: PC/SC on the kiosk, an in-process virtual card in tests.
//
// Each exported method is one user-level operation and runs inside one
// card transaction when the transport supports it, so no other PC/SC
// client can slip an APDU between a SELECT and the command that depends on
// it. Only short APDUs are sent.
package jpki

import (
	"fmt"
	"strings"

	"github.com/villagehall/kiosk/kiosk"
)

// Transport sends one command APDU and returns the response (data + SW1 SW2).
type Transport interface {
	Transmit(cmd []byte) ([]byte, error)
}

// Transactor is implemented by transports that can hold the card
// exclusively for the length of one operation (PC/SC SCardBeginTransaction).
type Transactor interface {
	BeginTransaction() error
	EndTransaction() error
}

// AID of the JPKI applet (公的個人認証AP).
var aidJPKI = []byte{0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01}

// Elementary files of the JPKI applet.
const (
	EFSignCert   uint16 = 0x0001
	EFSignCACert uint16 = 0x0002
	EFTokenInfo  uint16 = 0x0006
	EFCertFlags  uint16 = 0x0008
	EFAuthCert   uint16 = 0x000A
	EFAuthCACert uint16 = 0x000B
	EFAuthPIN    uint16 = 0x0018
	EFSignPIN    uint16 = 0x001B
)

// Token labels in EF 0006 (first 32 bytes, space padded).
const (
	LabelMyNumber = "JPKIAPICCTOKEN2"
	LabelJuki     = "JPKIAPICCTOKEN"
)

const (
	swOK         = 0x9000
	maxOffset    = 0x7FFF // P1 bit 8 must stay 0 in READ BINARY
	maxCertBytes = maxOffset + 1
)

// Card is a JPKI session over one transport.
type Card struct {
	t     Transport
	apdus int // round trips since New, for budgets and benchmarks
}

// New wraps a transport.
func New(t Transport) *Card { return &Card{t: t} }

// APDUs returns how many command APDUs were sent so far.
func (c *Card) APDUs() int { return c.apdus }

var _ kiosk.Card = (*Card)(nil)

// do runs fn inside a transaction if the transport offers one.
func (c *Card) do(fn func() error) error {
	tx, ok := c.t.(Transactor)
	if !ok {
		return fn()
	}
	if err := tx.BeginTransaction(); err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	err := fn()
	if eerr := tx.EndTransaction(); eerr != nil && err == nil {
		// The operation itself finished; a failed end (card just pulled)
		// is worth reporting only when nothing else went wrong.
		err = fmt.Errorf("end transaction: %w", eerr)
	}
	return err
}

// transmit sends cmd and splits the answer; a response shorter than a
// status word is ErrBadResponse.
func (c *Card) transmit(op string, cmd []byte) (data []byte, sw uint16, err error) {
	c.apdus++
	resp, err := c.t.Transmit(cmd)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	if len(resp) < 2 {
		return nil, 0, fmt.Errorf("%s: %d-byte response: %w", op, len(resp), kiosk.ErrBadResponse)
	}
	n := len(resp) - 2
	return resp[:n], uint16(resp[n])<<8 | uint16(resp[n+1]), nil
}

func (c *Card) selectApplet() error {
	cmd := append([]byte{0x00, 0xA4, 0x04, 0x0C, byte(len(aidJPKI))}, aidJPKI...)
	_, sw, err := c.transmit("select JPKI applet", cmd)
	if err != nil {
		return err
	}
	if sw != swOK {
		// 6A82 is the normal answer of a card without the applet; any
		// other refusal of SELECT also means we cannot talk JPKI to it.
		return fmt.Errorf("select JPKI applet: %w: %w", kiosk.ErrNotJPKI, &kiosk.StatusWordError{Op: "select applet", SW: sw})
	}
	return nil
}

func (c *Card) selectEF(fid uint16) error {
	op := fmt.Sprintf("select EF %04X", fid)
	_, sw, err := c.transmit(op, []byte{0x00, 0xA4, 0x02, 0x0C, 0x02, byte(fid >> 8), byte(fid)})
	if err != nil {
		return err
	}
	if sw != swOK {
		return &kiosk.StatusWordError{Op: op, SW: sw}
	}
	return nil
}

// readBinary reads up to le bytes (le 0 means 256) at offset.
func (c *Card) readBinary(offset int, le int) ([]byte, uint16, error) {
	if offset < 0 || offset > maxOffset {
		return nil, 0, fmt.Errorf("read binary: offset %d out of range: %w", offset, kiosk.ErrBadResponse)
	}
	data, sw, err := c.transmit("read binary", []byte{0x00, 0xB0, byte(offset >> 8), byte(offset), byte(le)})
	if err != nil {
		return nil, 0, err
	}
	want := le
	if want == 0 {
		want = 256
	}
	if len(data) > want {
		return nil, 0, fmt.Errorf("read binary: %d bytes for Le %d: %w", len(data), want, kiosk.ErrBadResponse)
	}
	return data, sw, nil
}

// readDER reads the DER object at the start of the selected EF, sized from
// its header: files carry filler after the certificate, so never a fixed
// size. The first READ of 256 bytes already holds the header.
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
	out := make([]byte, 0, total)
	if len(first) < min(total, 256) {
		return nil, fmt.Errorf("EF %04X: file ends at %d of %d DER bytes: %w", fid, len(first), total, kiosk.ErrBadResponse)
	}
	out = append(out, first[:min(len(first), total)]...)
	for len(out) < total {
		le := min(total-len(out), 256)
		chunk, sw, err := c.readBinary(len(out), le&0xFF)
		if err != nil {
			return nil, err
		}
		if sw != swOK {
			return nil, fmt.Errorf("EF %04X at offset %d: %w", fid, len(out), &kiosk.StatusWordError{Op: "read binary", SW: sw})
		}
		// A card answers short only at the end of the file: anything less
		// than asked means the certificate is cut off (and it bounds the
		// loop to ceil(N/256) reads whatever the card says).
		if len(chunk) < le {
			return nil, fmt.Errorf("EF %04X: file ends at %d of %d DER bytes: %w", fid, len(out)+len(chunk), total, kiosk.ErrBadResponse)
		}
		out = append(out, chunk...)
	}
	return out, nil
}

// DERLength returns the total length (header + content) of the DER
// SEQUENCE that starts b, from its header alone.
func DERLength(b []byte) (int, error) {
	if len(b) < 2 {
		return 0, fmt.Errorf("DER header: %d bytes: %w", len(b), kiosk.ErrBadResponse)
	}
	if b[0] != 0x30 {
		return 0, fmt.Errorf("DER header: tag %02X is not a SEQUENCE: %w", b[0], kiosk.ErrBadResponse)
	}
	l := int(b[1])
	if l < 0x80 {
		return 2 + l, nil
	}
	n := l & 0x7F
	if n == 0 || n > 3 || len(b) < 2+n {
		return 0, fmt.Errorf("DER header: length of %d bytes: %w", n, kiosk.ErrBadResponse)
	}
	v := 0
	for _, x := range b[2 : 2+n] {
		v = v<<8 | int(x)
	}
	if v < 0x80 || (n > 1 && b[2] == 0) {
		return 0, fmt.Errorf("DER header: non-minimal length: %w", kiosk.ErrBadResponse)
	}
	return 2 + n + v, nil
}

func pinEF(k kiosk.PINKind) uint16 {
	if k == kiosk.PINSign {
		return EFSignPIN
	}
	return EFAuthPIN
}

// triesSW interprets the answer of an empty VERIFY.
func triesSW(k kiosk.PINKind, sw uint16) (tries int, err error) {
	switch {
	case sw == swOK:
		// Already verified in this card session: a successful VERIFY
		// restored the counter to its maximum.
		return k.MaxTries(), nil
	case sw&0xFFF0 == 0x63C0:
		return int(sw & 0x0F), nil
	case sw == 0x6983 || sw == 0x6984:
		return 0, nil
	}
	return 0, &kiosk.StatusWordError{Op: fmt.Sprintf("%s PIN tries", k), SW: sw}
}

func (c *Card) triesLeft(k kiosk.PINKind) (int, error) {
	if err := c.selectEF(pinEF(k)); err != nil {
		return 0, err
	}
	_, sw, err := c.transmit("verify (tries left)", []byte{0x00, 0x20, 0x00, 0x80})
	if err != nil {
		return 0, err
	}
	return triesSW(k, sw)
}

// verify sends VERIFY with the PIN. The APDU buffer holding the PIN is
// wiped before returning; the caller wipes pin itself.
func (c *Card) verify(k kiosk.PINKind, pin []byte) error {
	if err := kiosk.ValidatePIN(k, pin); err != nil {
		return err
	}
	cmd := make([]byte, 0, 5+len(pin))
	cmd = append(cmd, 0x00, 0x20, 0x00, 0x80, byte(len(pin)))
	cmd = append(cmd, pin...)
	_, sw, err := c.transmit("verify", cmd)
	kiosk.Wipe(cmd)
	if err != nil {
		return err
	}
	switch {
	case sw == swOK:
		return nil
	case sw&0xFFF0 == 0x63C0:
		return &kiosk.WrongPINError{PIN: k, Tries: int(sw & 0x0F)}
	}
	return &kiosk.StatusWordError{Op: fmt.Sprintf("verify %s PIN", k), SW: sw}
}

// ReadStatus reads, in one transaction, everything the kiosk shows
// without a PIN: card kind, which certificates exist, the authentication
// certificate and tries left for both PINs. Cost: 10 + ⌈N/256⌉ APDUs.
func (c *Card) ReadStatus() (*kiosk.CardStatus, error) {
	st := &kiosk.CardStatus{Kind: kiosk.CardUnknown}
	start := c.apdus
	err := c.do(func() error {
		if err := c.selectApplet(); err != nil {
			return err
		}
		if err := c.selectEF(EFTokenInfo); err != nil {
			return fmt.Errorf("token info: %w", err)
		}
		label, sw, err := c.readBinary(0, 32)
		if err != nil {
			return fmt.Errorf("token info: %w", err)
		}
		if sw != swOK {
			return &kiosk.StatusWordError{Op: "read token info", SW: sw}
		}
		st.Label = strings.TrimRight(string(label), " \x00")
		st.Kind = KindOf(st.Label)
		if st.Kind != kiosk.CardMyNumber {
			// The kiosk only explains these cards; reading on would only
			// cost the resident time.
			return nil
		}
		if err := c.selectEF(EFCertFlags); err != nil {
			return fmt.Errorf("certificate flags: %w", err)
		}
		flags, sw, err := c.readBinary(0, 3)
		if err != nil {
			return fmt.Errorf("certificate flags: %w", err)
		}
		if sw != swOK || len(flags) < 2 {
			return fmt.Errorf("certificate flags (%d bytes): %w", len(flags), &kiosk.StatusWordError{Op: "read certificate flags", SW: sw})
		}
		st.HasSign, st.HasAuth = flags[0] != 0, flags[1] != 0
		if st.HasAuth {
			if err := c.selectEF(EFAuthCert); err != nil {
				return fmt.Errorf("auth certificate: %w", err)
			}
			if st.Auth, err = c.readValidity(EFAuthCert); err != nil {
				return fmt.Errorf("auth certificate: %w", err)
			}
		}
		if st.AuthTries, err = c.triesLeft(kiosk.PINAuth); err != nil {
			return err
		}
		if st.SignTries, err = c.triesLeft(kiosk.PINSign); err != nil {
			return err
		}
		st.AuthLocked, st.SignLocked = st.AuthTries == 0, st.SignTries == 0
		return nil
	})
	st.APDUs = c.apdus - start
	if err != nil {
		return nil, fmt.Errorf("read card status: %w", err)
	}
	return st, nil
}

// KindOf maps a token label to a card kind.
func KindOf(label string) kiosk.CardKind {
	switch label {
	case LabelMyNumber:
		return kiosk.CardMyNumber
	case LabelJuki:
		return kiosk.CardJuki
	}
	return kiosk.CardUnknown
}

// TriesLeft reads the PIN's retry counter without spending a try.
func (c *Card) TriesLeft(k kiosk.PINKind) (int, error) {
	var n int
	err := c.do(func() error {
		if err := c.selectApplet(); err != nil {
			return err
		}
		var err error
		n, err = c.triesLeft(k)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("%s PIN tries left: %w", k, err)
	}
	return n, nil
}

// Verify checks the PIN's format, then verifies it.
func (c *Card) Verify(k kiosk.PINKind, pin []byte) error {
	if err := kiosk.ValidatePIN(k, pin); err != nil {
		return err
	}
	err := c.do(func() error {
		if err := c.selectApplet(); err != nil {
			return err
		}
		if err := c.selectEF(pinEF(k)); err != nil {
			return err
		}
		return c.verify(k, pin)
	})
	if err != nil {
		return fmt.Errorf("verify %s PIN: %w", k, err)
	}
	return nil
}

// guard reads the tries left of the selected PIN EF without spending one
// and refuses to go on unless they are the count the resident was shown.
func (c *Card) guard(k kiosk.PINKind, shown int) error {
	_, sw, err := c.transmit("verify (tries left)", []byte{0x00, 0x20, 0x00, 0x80})
	if err != nil {
		return err
	}
	tries, err := triesSW(k, sw)
	if err != nil {
		return err
	}
	if tries != shown {
		return &kiosk.TriesChangedError{PIN: k, Shown: shown, Tries: tries}
	}
	return nil
}

// ChangePIN checks the tries left against shown, verifies old and then
// sets new (CHANGE REFERENCE DATA), all in one transaction: 5 APDUs. Both
// PINs are format-checked before anything is sent. If the CHANGE command
// was sent but no answer came back, the error wraps
// kiosk.ErrOutcomeUnknown: the card may or may not hold the new PIN.
func (c *Card) ChangePIN(k kiosk.PINKind, shown int, old, new []byte) error {
	if err := kiosk.ValidatePIN(k, old); err != nil {
		return fmt.Errorf("current PIN: %w", err)
	}
	if err := kiosk.ValidatePIN(k, new); err != nil {
		return fmt.Errorf("new PIN: %w", err)
	}
	err := c.do(func() error {
		if err := c.selectApplet(); err != nil {
			return err
		}
		if err := c.selectEF(pinEF(k)); err != nil {
			return err
		}
		if err := c.guard(k, shown); err != nil {
			return err
		}
		if err := c.verify(k, old); err != nil {
			return err
		}
		cmd := make([]byte, 0, 5+len(new))
		cmd = append(cmd, 0x00, 0x24, 0x01, 0x80, byte(len(new)))
		cmd = append(cmd, new...)
		_, sw, err := c.transmit("change reference data", cmd)
		kiosk.Wipe(cmd)
		if err != nil {
			// The command may have reached the card: never claim either way.
			return fmt.Errorf("%w: %w", kiosk.ErrOutcomeUnknown, err)
		}
		if sw != swOK {
			return &kiosk.StatusWordError{Op: fmt.Sprintf("change %s PIN", k), SW: sw}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("change %s PIN: %w", k, err)
	}
	return nil
}

// ReadSignCert checks the tries left against shown, verifies the signing
// PIN and reads the signing certificate's serial and validity, in one
// transaction. The certificate's subject and subjectAltName hold personal
// data; only what comes before them is kept.
func (c *Card) ReadSignCert(shown int, pin []byte) (*kiosk.CertValidity, error) {
	if err := kiosk.ValidatePIN(kiosk.PINSign, pin); err != nil {
		return nil, err
	}
	var v *kiosk.CertValidity
	err := c.do(func() error {
		if err := c.selectApplet(); err != nil {
			return err
		}
		if err := c.selectEF(EFSignPIN); err != nil {
			return err
		}
		if err := c.guard(kiosk.PINSign, shown); err != nil {
			return err
		}
		if err := c.verify(kiosk.PINSign, pin); err != nil {
			return err
		}
		if err := c.selectEF(EFSignCert); err != nil {
			return err
		}
		var err error
		v, err = c.readValidity(EFSignCert)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read signing certificate: %w", err)
	}
	return v, nil
}

// readValidity reads the selected certificate EF and keeps its serial and
// validity only. The buffer is wiped: for the signing certificate it
// holds personal data.
//
// TODO(issue 15): read only up to the end of the validity.
func (c *Card) readValidity(fid uint16) (*kiosk.CertValidity, error) {
	der, err := c.readDER(fid)
	defer kiosk.Wipe(der)
	if err != nil {
		return nil, err
	}
	v, _, err := kiosk.ParseCertValidity(der)
	if err != nil {
		return nil, fmt.Errorf("EF %04X: %w", fid, err)
	}
	return v, nil
}

// ReadCert reads a freely readable certificate EF (auth cert, either CA).
func (c *Card) ReadCert(fid uint16) ([]byte, error) {
	var der []byte
	err := c.do(func() error {
		if err := c.selectApplet(); err != nil {
			return err
		}
		if err := c.selectEF(fid); err != nil {
			return err
		}
		var err error
		der, err = c.readDER(fid)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read certificate EF %04X: %w", fid, err)
	}
	return der, nil
}
