// Package kiosk is the domain of the village hall kiosk: a resident's visit,
// the JPKI certificate rules, PIN policy and transaction records. It imports
// no hardware or UI library; drivers implement the small interfaces it defines.
package kiosk

import (
	"errors"
	"fmt"
	"math/big"
	"time"
)

// CardKind says what the inserted card is, decided from the JPKI token label.
type CardKind string

const (
	CardMyNumber CardKind = "mynumber" // マイナンバーカード (token label JPKIAPICCTOKEN2)
	CardJuki     CardKind = "juki"     // old 住基カード (token label JPKIAPICCTOKEN)
	CardUnknown  CardKind = "unknown"  // no JPKI applet, or a token we do not serve
)

// PINKind names one of the two JPKI PINs.
type PINKind int

const (
	PINAuth PINKind = iota // 利用者証明用: 4 digits, 3 tries
	PINSign                // 署名用: 6–16 of A–Z0–9, 5 tries
)

func (k PINKind) String() string {
	if k == PINSign {
		return "sign"
	}
	return "auth"
}

// MaxTries is the counter a successful VERIFY restores.
func (k PINKind) MaxTries() int {
	if k == PINSign {
		return 5
	}
	return 3
}

// CardStatus is everything the kiosk learns from a card without a PIN.
type CardStatus struct {
	Kind    CardKind
	Label   string // token label as read, trimmed
	HasAuth bool   // EF 0008 says the auth certificate exists
	HasSign bool   // EF 0008 says the signing certificate exists
	// Auth is the authentication certificate's serial and validity (nil
	// when HasAuth is false). Nothing after the validity is read.
	Auth       *CertValidity
	AuthTries  int // tries left for the auth PIN
	SignTries  int // tries left for the sign PIN
	AuthLocked bool
	SignLocked bool
	APDUs      int // round trips the read cost
}

// CertValidity is all the kiosk takes from a certificate: its serial
// number (for CertRef) and its validity. In X.509 both come before the
// subject, so a driver can stop reading there: the signing certificate's
// personal fields never leave the card.
type CertValidity struct {
	Serial    *big.Int
	NotBefore time.Time
	NotAfter  time.Time
}

// Card is one connected card session, as the domain needs it. Each method
// is one user-level operation; implementations run it in one PC/SC
// transaction. PIN slices are only read; the caller wipes them.
//
// The two operations that VERIFY take shown, the tries left the resident
// was shown before typing the PIN. Inside the same transaction, before the
// VERIFY, the card's counter is read again (spending nothing); if it is
// not shown the operation stops there with a *TriesChangedError, so a
// VERIFY is never sent under a count the resident did not see. shown == 1
// means the caller has already had the last try confirmed.
type Card interface {
	ReadStatus() (*CardStatus, error)
	TriesLeft(k PINKind) (tries int, err error)
	// ChangePIN verifies old and replaces it with new.
	ChangePIN(k PINKind, shown int, old, new []byte) error
	// ReadSignCert verifies the signing PIN and returns the signing
	// certificate's serial and validity, read no further than that.
	ReadSignCert(shown int, pin []byte) (*CertValidity, error)
}

// TriesChangedError says the card's tries left were not the count the
// resident was shown: another program used the card, or the count on the
// screen was stale. Nothing was sent after the count was read. The caller
// shows Tries (and, at the last try, asks again) before any new attempt.
// With Tries == 0, errors.Is(err, ErrBlocked) is true.
type TriesChangedError struct {
	PIN   PINKind
	Shown int
	Tries int
}

func (e *TriesChangedError) Error() string {
	return fmt.Sprintf("%s PIN: %d tries left, %d shown: nothing sent", e.PIN, e.Tries, e.Shown)
}

func (e *TriesChangedError) Is(target error) bool { return target == ErrBlocked && e.Tries == 0 }

// Errors a UI can act on. Drivers wrap or return these; callers use errors.Is / errors.As.
var (
	ErrCardRemoved    = errors.New("card removed")
	ErrReaderGone     = errors.New("card reader not available")
	ErrNoCard         = errors.New("no card in the reader")
	ErrServiceDown    = errors.New("PC/SC service (pcscd) not running")
	ErrNotJPKI        = errors.New("not a JPKI card")
	ErrBlocked        = errors.New("PIN blocked")
	ErrSecurityStatus = errors.New("security status not satisfied")
	ErrNotFound       = errors.New("file not found on card")
	ErrBadResponse    = errors.New("malformed card response")
	ErrPINFormat      = errors.New("PIN format not accepted")
	// ErrOutcomeUnknown: a command that changes the card was sent but its
	// answer never came back (card yanked mid-command). Wraps the cause.
	ErrOutcomeUnknown = errors.New("card did not answer: outcome unknown")
)

// WrongPINError is a VERIFY refused with tries left (Tries == 0 means it
// just became blocked; errors.Is(err, ErrBlocked) is then true).
type WrongPINError struct {
	PIN   PINKind
	Tries int
}

func (e *WrongPINError) Error() string {
	return fmt.Sprintf("wrong %s PIN: %d tries left", e.PIN, e.Tries)
}

func (e *WrongPINError) Is(target error) bool { return target == ErrBlocked && e.Tries == 0 }

// StatusWordError is an answer the protocol did not expect; it keeps the SW.
type StatusWordError struct {
	Op string
	SW uint16
}

func (e *StatusWordError) Error() string {
	return fmt.Sprintf("%s: card answered status %04X", e.Op, e.SW)
}

// Status returns the status word.
func (e *StatusWordError) Status() uint16 { return e.SW }

// Is maps the few status words callers act on.
func (e *StatusWordError) Is(target error) bool {
	switch e.SW {
	case 0x6983, 0x6984:
		return target == ErrBlocked
	case 0x6982:
		return target == ErrSecurityStatus
	case 0x6A82:
		return target == ErrNotFound
	}
	return false
}
