// Package virtualcard is a virtual My Number Card: the JPKI applet's files,
// access conditions and PIN counters, faithful to jpki-card.md. It
// answers APDUs in process (as a jpki.Transport) and plugs into pcscd
// through vpcd (cmd/vcard), so every test can run without hardware.
package virtualcard

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"time"
)

// Status words the applet answers.
const (
	swOK             = 0x9000
	swEndOfFile      = 0x6B00
	swSecurity       = 0x6982
	swBlocked        = 0x6984
	swNoEF           = 0x6986
	swNotFound       = 0x6A82
	swWrongP1P2      = 0x6A86
	swWrongLength    = 0x6700
	swINSNotSupp     = 0x6D00
	swCLANotSupp     = 0x6E00
	swConditions     = 0x6985
	swWrongPINPrefix = 0x63C0
)

var aidJPKI = []byte{0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01}

type pinState struct {
	value    []byte
	tries    int
	max      int
	verified bool
}

func (p *pinState) blocked() bool { return p.tries == 0 }

// Card is the virtual card. It is safe for concurrent use (vpcd serves
// one APDU at a time, but tests also peek at counters).
type Card struct {
	mu       sync.Mutex
	p        *Profile
	hasAP    bool
	files    map[uint16][]byte
	keys     map[uint16]*rsa.PrivateKey
	pins     map[uint16]*pinState
	selAP    bool
	selEF    uint16
	nAPDU    int
	sleep    func(time.Duration)
	apduHook func(n int) []byte // quirk: garbage answers
}

// New builds a card from a loaded profile.
func New(p *Profile) *Card {
	c := &Card{p: p, hasAP: p.JPKI, files: map[uint16][]byte{}, keys: map[uint16]*rsa.PrivateKey{}, pins: map[uint16]*pinState{}, sleep: time.Sleep}
	pad := func(der []byte, filler int) []byte {
		// Real cards keep filler after the DER object; clients must size
		// reads from the DER header, never from the file.
		f := bytes.Repeat([]byte{0xFF}, filler)
		return append(append([]byte{}, der...), f...)
	}
	label := make([]byte, 160)
	copy(label, bytes.Repeat([]byte{' '}, 32))
	copy(label, p.TokenLabel)
	c.files[0x0006] = label
	flags := []byte{0, 0, 0}
	if p.Sign.Present {
		flags[0] = 0x8F
		c.files[0x0001] = pad(p.Sign.cert, p.Filler)
		c.keys[0x001A] = p.Sign.key
	}
	if p.Auth.Present {
		flags[1] = 0x8F
		c.files[0x000A] = pad(p.Auth.cert, p.Filler)
		c.keys[0x0017] = p.Auth.key
	}
	c.files[0x0008] = flags
	c.files[0x0002] = pad(p.signCA, p.Filler)
	c.files[0x000B] = pad(p.authCA, p.Filler)
	c.pins[0x0018] = &pinState{value: []byte(p.Auth.PIN), tries: p.Auth.Tries, max: 3}
	c.pins[0x001B] = &pinState{value: []byte(p.Sign.PIN), tries: p.Sign.Tries, max: 5}
	return c
}

// ATR is the answer to reset from the profile.
func (c *Card) ATR() []byte { return append([]byte{}, c.p.atr...) }

// Reset drops volatile state, as power off, power on and reset do on a
// real card: selection and verified PINs. Counters and PINs persist.
func (c *Card) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.selAP, c.selEF = false, 0
	for _, p := range c.pins {
		p.verified = false
	}
}

// Tries returns a PIN's counter (test helper): fid 0x0018 auth, 0x001B sign.
func (c *Card) Tries(fid uint16) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pins[fid].tries
}

// PINMatches says whether the card now holds pin (test helper for PIN changes).
func (c *Card) PINMatches(fid uint16, pin []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Equal(c.pins[fid].value, pin)
}

// Transmit makes the card a jpki.Transport in process.
func (c *Card) Transmit(cmd []byte) ([]byte, error) { return c.Process(cmd), nil }

// Process answers one command APDU.
func (c *Card) Process(cmd []byte) []byte {
	c.mu.Lock()
	c.nAPDU++
	n := c.nAPDU
	delay := c.p.Quirks.APDUDelay.Duration
	c.mu.Unlock()
	if delay > 0 {
		c.sleep(delay)
	}
	if g := c.p.Quirks.garbage(n); g != nil {
		return g
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	data, sw := c.process(cmd)
	return append(data, byte(sw>>8), byte(sw))
}

func (c *Card) process(cmd []byte) ([]byte, uint16) {
	if len(cmd) < 4 {
		return nil, swWrongLength
	}
	cla, ins, p1, p2 := cmd[0], cmd[1], cmd[2], cmd[3]
	body, le, ok := parseAPDU(cmd)
	if !ok {
		return nil, swWrongLength
	}
	if cla != 0x00 && cla != 0x80 {
		return nil, swCLANotSupp
	}
	switch ins {
	case 0xA4:
		return c.selectFile(p1, p2, body)
	case 0xB0:
		return c.readBinary(p1, p2, le)
	case 0x20:
		return c.verify(p1, p2, body)
	case 0x24:
		return c.change(p1, p2, body)
	case 0x2A:
		if cla != 0x80 {
			return nil, swCLANotSupp
		}
		return c.sign(p1, p2, body)
	}
	return nil, swINSNotSupp
}

// parseAPDU splits a short APDU into its body and Le (-1 when absent).
func parseAPDU(cmd []byte) (body []byte, le int, ok bool) {
	switch rest := cmd[4:]; {
	case len(rest) == 0:
		return nil, -1, true
	case len(rest) == 1:
		le = int(rest[0])
		if le == 0 {
			le = 256
		}
		return nil, le, true
	default:
		lc := int(rest[0])
		if lc == 0 || len(rest) < 1+lc || len(rest) > 2+lc {
			return nil, 0, false
		}
		body = rest[1 : 1+lc]
		le = -1
		if len(rest) == 2+lc {
			le = int(rest[1+lc])
			if le == 0 {
				le = 256
			}
		}
		return body, le, true
	}
}

func (c *Card) selectFile(p1, p2 byte, body []byte) ([]byte, uint16) {
	switch p1 {
	case 0x04:
		if !c.hasAP || !bytes.Equal(body, aidJPKI) {
			return nil, swNotFound
		}
		c.selAP, c.selEF = true, 0
		return nil, swOK
	case 0x02:
		if len(body) != 2 {
			return nil, swWrongLength
		}
		if !c.selAP {
			return nil, swNotFound
		}
		fid := uint16(body[0])<<8 | uint16(body[1])
		_, file := c.files[fid]
		_, key := c.keys[fid]
		_, pin := c.pins[fid]
		if !file && !key && !pin {
			return nil, swNotFound
		}
		c.selEF = fid
		return nil, swOK
	}
	return nil, swWrongP1P2
}

func (c *Card) readBinary(p1, p2 byte, le int) ([]byte, uint16) {
	if p1&0x80 != 0 {
		return nil, swWrongP1P2 // short-EF addressing is not used by this applet
	}
	if c.selEF == 0 {
		return nil, swNoEF
	}
	data, ok := c.files[c.selEF]
	if !ok {
		return nil, swConditions // keys and PINs are not readable
	}
	if c.selEF == 0x0001 && !c.pins[0x001B].verified {
		return nil, swSecurity
	}
	off := int(p1)<<8 | int(p2)
	if off >= len(data) {
		return nil, swEndOfFile
	}
	if le < 0 {
		le = 256
	}
	end := min(off+le, len(data))
	return append([]byte{}, data[off:end]...), swOK
}

// usablePIN checks P1/P2 and returns the selected PIN EF's state, or the
// status word refusing the command (6984 once blocked, for every try).
func (c *Card) usablePIN(p1, wantP1, p2 byte) (*pinState, uint16) {
	if p1 != wantP1 || p2 != 0x80 {
		return nil, swWrongP1P2
	}
	pin, ok := c.pins[c.selEF]
	if !ok {
		return nil, swConditions
	}
	if pin.blocked() {
		return nil, swBlocked
	}
	return pin, 0
}

func (c *Card) verify(p1, p2 byte, body []byte) ([]byte, uint16) {
	pin, sw := c.usablePIN(p1, 0x00, p2)
	if pin == nil {
		return nil, sw
	}
	if body == nil {
		if pin.verified && c.p.Quirks.VerifiedEmptyVerify9000 {
			return nil, swOK
		}
		return nil, swWrongPINPrefix | uint16(pin.tries)
	}
	if bytes.Equal(body, pin.value) {
		pin.tries, pin.verified = pin.max, true
		return nil, swOK
	}
	pin.tries--
	pin.verified = false
	return nil, swWrongPINPrefix | uint16(pin.tries)
}

func (c *Card) change(p1, p2 byte, body []byte) ([]byte, uint16) {
	pin, sw := c.usablePIN(p1, 0x01, p2)
	if pin == nil {
		return nil, sw
	}
	if !pin.verified {
		return nil, swSecurity
	}
	if len(body) < 4 || len(body) > 16 {
		return nil, swWrongLength
	}
	// The card stores the bytes as sent: no case folding.
	pin.value = append([]byte{}, body...)
	return nil, swOK
}

func (c *Card) sign(p1, p2 byte, body []byte) ([]byte, uint16) {
	key, ok := c.keys[c.selEF]
	if !ok {
		return nil, swConditions
	}
	pinFID := uint16(0x0018)
	if c.selEF == 0x001A {
		pinFID = 0x001B
	}
	if !c.pins[pinFID].verified {
		return nil, swSecurity
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.Hash(0), body)
	if err != nil {
		return nil, swConditions
	}
	return sig, swOK
}
