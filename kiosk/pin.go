package kiosk

import (
	"fmt"
	"runtime"
)

// PINProblem says, in a form a screen can translate, what is wrong with a PIN.
type PINProblem int

const (
	PINOK PINProblem = iota
	PINTooShort
	PINTooLong
	PINBadChar    // a character outside 0-9 (auth) or A-Z0-9 (sign)
	PINNeedLetter // sign PIN without any letter
	PINNeedDigit  // sign PIN without any digit
)

func (p PINProblem) String() string {
	return [...]string{"ok", "too short", "too long", "character not allowed", "needs a letter", "needs a digit"}[p]
}

// CheckPIN checks a PIN's format for kind k without upper-casing it.
// Signing PINs must already be normalised with NormalizeSignPIN.
func CheckPIN(k PINKind, pin []byte) PINProblem {
	if k == PINAuth {
		switch {
		case len(pin) < 4:
			return PINTooShort
		case len(pin) > 4:
			return PINTooLong
		}
		for _, c := range pin {
			if c < '0' || c > '9' {
				return PINBadChar
			}
		}
		return PINOK
	}
	letter, digit := false, false
	for _, c := range pin {
		switch {
		case c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9':
			digit = true
		default:
			return PINBadChar
		}
	}
	switch {
	case len(pin) < 6:
		return PINTooShort
	case len(pin) > 16:
		return PINTooLong
	case !letter:
		return PINNeedLetter
	case !digit:
		return PINNeedDigit
	}
	return PINOK
}

// NormalizeSignPIN upper-cases a–z in place: the card compares bytes, so a
// lowercase PIN would silently cost a try.
func NormalizeSignPIN(pin []byte) {
	for i, c := range pin {
		if c >= 'a' && c <= 'z' {
			pin[i] = c - 'a' + 'A'
		}
	}
}

// ValidatePIN normalises (sign) and checks a PIN, returning an error that
// wraps ErrPINFormat and never contains the PIN itself.
func ValidatePIN(k PINKind, pin []byte) error {
	if k == PINSign {
		NormalizeSignPIN(pin)
	}
	if p := CheckPIN(k, pin); p != PINOK {
		return fmt.Errorf("%s PIN: %s: %w", k, p, ErrPINFormat)
	}
	return nil
}

// Wipe overwrites b with zeros. KeepAlive stops the compiler from treating
// the stores as dead when b is not read again.
func Wipe(b []byte) {
	for i := range b {
		b[i] = 0
	}
	runtime.KeepAlive(b)
}
