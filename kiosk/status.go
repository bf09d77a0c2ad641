package kiosk

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"time"
)

// jst is Japan Standard Time as a fixed +09:00 zone. Japan has no daylight
// saving, and a fixed zone keeps the kiosk independent of tzdata on the
// image. It is never reassigned.
var jst = time.FixedZone("JST", 9*60*60)

// JST returns the fixed +09:00 zone every calendar computation here uses.
func JST() *time.Location { return jst }

// Code is a stable machine code for a verdict or a condition. It is written
// into journal records (Record.Status), used as the key for guidance and
// appears in UI golden files: never rename a value.
type Code string

// Certificate verdicts (one per certificate).
const (
	CodeValid       Code = "valid"         // valid, renewal window not open yet
	CodeRenewal     Code = "renewal"       // valid, renewal window open (from 3 months before expiry)
	CodeExpired     Code = "expired"       // past not_after
	CodeNotYetValid Code = "not_yet_valid" // before not_before
	CodeDateUnknown Code = "date_unknown"  // kiosk clock not trustworthy: no date verdict
	CodeCertBad     Code = "cert_unreadable"
)

// Card-level conditions.
const (
	CodeAuthLocked   Code = "auth_locked"
	CodeSignLocked   Code = "sign_locked"
	CodeAuthLastTry  Code = "auth_last_try"
	CodeSignLastTry  Code = "sign_last_try"
	CodeNoAuthCert   Code = "no_auth_cert"
	CodeNoSignCert   Code = "no_sign_cert" // under 15, declined, or a face-authentication card: not an error
	CodeJuki         Code = "juki"         // old 住基カード
	CodeNotJPKI      Code = "not_jpki"     // not a My Number card
	CodeUnreadable   Code = "unreadable"   // the card could not be read
	CodeChangeUnsure Code = "pin_change_unknown"
)

// Outcome codes of the PIN flows (guidance and slips).
const (
	CodePINChanged Code = "pin_changed"
	CodeWrongPIN   Code = "wrong_pin"    // refused, tries remain, nothing changed
	CodeRemoved    Code = "card_removed" // card taken out before anything changed
)

// CertAssessment is the verdict for one certificate. It keeps only the
// validity dates and the serial (for CertRef); nothing personal.
type CertAssessment struct {
	Verdict   Code
	NotBefore time.Time // in JST
	NotAfter  time.Time // in JST
	// RenewalFrom is the first JST calendar day (00:00) renewal is accepted.
	RenewalFrom time.Time
	// DaysLeft counts JST calendar days from today to the expiry date:
	// 0 on the last valid day. Meaningful for CodeValid and CodeRenewal only.
	DaysLeft int
	serial   *big.Int
}

// Ref is the keyed hash of the certificate's serial for journal records
// ("" when there is no certificate or no key).
func (c CertAssessment) Ref(key []byte) string { return CertRef(key, c.serial) }

// Assessment is what a status check tells the resident about a card.
type Assessment struct {
	Card       CardKind
	Code       Code   // the most important condition: what Record.Status says
	Conditions []Code // every condition that applies, most important first
	// Auth is the authentication certificate's verdict; zero when the card
	// has none or could not be read.
	Auth         CertAssessment
	HasAuth      bool
	HasSign      bool
	AuthTries    int
	SignTries    int
	AuthLocked   bool
	SignLocked   bool
	ClockTrusted bool
	// Retry: a card that could not be read, the first time: the resident
	// is asked to insert it again, and no slip is printed yet.
	Retry bool
	// Err is the read error for CodeUnreadable / CodeNotJPKI, for logs only.
	Err error
}

// Has reports whether condition c applies.
func (a Assessment) Has(c Code) bool {
	for _, x := range a.Conditions {
		if x == c {
			return true
		}
	}
	return false
}

// CanChange reports whether the kiosk may offer a PIN change of kind k.
func (a Assessment) CanChange(k PINKind) bool {
	if a.Card != CardMyNumber {
		return false
	}
	if k == PINSign {
		return a.HasSign && !a.SignLocked
	}
	return a.HasAuth && !a.AuthLocked
}

// CanCheckSign reports whether the signing certificate check may be offered.
func (a Assessment) CanCheckSign() bool { return a.CanChange(PINSign) }

// Assess turns what a card said without a PIN into a verdict. now is the
// kiosk clock; clock says whether it can be believed (nil: no evidence
// against it). st must not be nil; use AssessError for a failed read.
func Assess(st *CardStatus, now time.Time, clock *ClockTrust) Assessment {
	a := Assessment{
		Card:         st.Kind,
		HasAuth:      st.HasAuth,
		HasSign:      st.HasSign,
		AuthTries:    st.AuthTries,
		SignTries:    st.SignTries,
		AuthLocked:   st.AuthLocked || (st.HasAuth && st.AuthTries == 0),
		SignLocked:   st.SignLocked || (st.HasSign && st.SignTries == 0),
		ClockTrusted: clock.Trusted(now),
	}
	switch st.Kind {
	case CardJuki:
		a.Conditions = []Code{CodeJuki}
		a.Code = CodeJuki
		return a
	case CardMyNumber:
	default:
		a.Conditions = []Code{CodeNotJPKI}
		a.Code = CodeNotJPKI
		return a
	}

	switch {
	case !st.HasAuth:
	case st.Auth == nil:
		// EF 0008 says it exists, but the driver brought nothing back.
		a.Err = errors.New("auth certificate: flagged present but not read")
		a.Auth.Verdict = CodeCertBad
	default:
		a.Auth = AssessCert(*st.Auth, now, a.ClockTrusted)
	}
	a.derive()
	return a
}

// WithTries is a after a PIN operation told the tries left for k: the
// conditions are worked out again, so a lock made during the visit leads
// the status from then on. n < 0 (not known) leaves a as it is.
func (a Assessment) WithTries(k PINKind, n int) Assessment {
	if n < 0 || a.Card != CardMyNumber {
		return a
	}
	if k == PINSign {
		a.SignTries, a.SignLocked = n, n == 0
	} else {
		a.AuthTries, a.AuthLocked = n, n == 0
	}
	a.derive()
	return a
}

// derive sets Conditions and Code of a My Number card from its fields.
// Order: what blocks the resident most comes first, so Code is what the
// status screen leads with and what the journal records.
func (a *Assessment) derive() {
	certCode := CodeNoAuthCert
	if a.HasAuth {
		certCode = a.Auth.Verdict
	}
	a.Conditions = nil
	if a.AuthLocked {
		a.Conditions = append(a.Conditions, CodeAuthLocked)
	}
	if a.SignLocked {
		a.Conditions = append(a.Conditions, CodeSignLocked)
	}
	a.Conditions = append(a.Conditions, certCode)
	if !a.AuthLocked && a.HasAuth && a.AuthTries == 1 {
		a.Conditions = append(a.Conditions, CodeAuthLastTry)
	}
	if !a.SignLocked && a.HasSign && a.SignTries == 1 {
		a.Conditions = append(a.Conditions, CodeSignLastTry)
	}
	if !a.HasSign {
		a.Conditions = append(a.Conditions, CodeNoSignCert)
	}
	a.Code = a.Conditions[0]
}

// AssessError is the verdict for a card that could not be read: ErrNotJPKI
// gives CodeNotJPKI, anything else CodeUnreadable. Callers handle
// ErrCardRemoved themselves (the visit ends; nothing to assess).
func AssessError(err error) Assessment {
	c := CodeUnreadable
	kind := CardKind("")
	if errors.Is(err, ErrNotJPKI) {
		c, kind = CodeNotJPKI, CardUnknown
	}
	return Assessment{Card: kind, Code: c, Conditions: []Code{c}, Err: err}
}

// AssessCert judges a certificate's validity at now. With trusted false
// the dates are still returned but the verdict is CodeDateUnknown.
func AssessCert(v CertValidity, now time.Time, trusted bool) CertAssessment {
	c := CertAssessment{
		NotBefore:   v.NotBefore.In(jst),
		NotAfter:    v.NotAfter.In(jst),
		RenewalFrom: RenewalOpens(v.NotAfter),
	}
	if v.Serial != nil {
		c.serial = new(big.Int).Set(v.Serial)
	}
	if !trusted {
		c.Verdict = CodeDateUnknown
		return c
	}
	c.DaysLeft = daysBetween(now, c.NotAfter)
	switch {
	case now.Before(v.NotBefore):
		c.Verdict = CodeNotYetValid
	case now.After(v.NotAfter):
		c.Verdict = CodeExpired
	case !now.In(jst).Before(c.RenewalFrom):
		c.Verdict = CodeRenewal
	default:
		c.Verdict = CodeValid
	}
	return c
}

// RenewalOpens returns the JST day (00:00) from which renewal is accepted:
// the expiry date (in JST) minus three calendar months. When that month is
// shorter, the day is clamped to its last day, so the window never opens
// later than three months before: 2027-05-31 → 2027-02-28, 2028-05-31 →
// 2028-02-29, 2027-06-30 → 2027-03-30.
func RenewalOpens(notAfter time.Time) time.Time {
	t := notAfter.In(jst)
	y, m, d := t.Date()
	m -= 3
	if m < 1 {
		m += 12
		y--
	}
	if last := daysIn(y, m); d > last {
		d = last
	}
	return time.Date(y, m, d, 0, 0, 0, 0, jst)
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// daysBetween counts JST calendar days from a's date to b's date.
func daysBetween(a, b time.Time) int {
	ay, am, ad := a.In(jst).Date()
	by, bm, bd := b.In(jst).Date()
	da := time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)
	db := time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}

// CertRef is the keyed hash that stands for a certificate in the journal:
// HMAC-SHA256 over the serial in lowercase hex, truncated to 16 hex digits
// (64 bits: enough to tell one resident's visits apart at one office, too
// short to be a useful identifier elsewhere). Without a key or a serial it
// returns "": an unkeyed hash of a serial could be reversed by enumeration.
func CertRef(key []byte, serial *big.Int) string {
	if len(key) == 0 || serial == nil {
		return ""
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(serial.Text(16)))
	return hex.EncodeToString(m.Sum(nil))[:16]
}

// StatusRecord is the journal record of a status check (no PIN involved).
func StatusRecord(a Assessment, at time.Time, certRefKey []byte) Record {
	r := Record{
		Time:         at,
		ClockTrusted: a.ClockTrusted,
		Kind:         TxStatus,
		Outcome:      OutcomeOK,
		Card:         a.Card,
		Status:       string(a.Code),
		CertRef:      a.Auth.Ref(certRefKey),
	}
	switch a.Code {
	case CodeUnreadable:
		r.Kind, r.Outcome = TxCardError, OutcomeError
	case CodeNotJPKI, CodeJuki:
		r.Outcome = OutcomeNotPossible
	}
	if a.Card == CardMyNumber {
		at, st := a.AuthTries, a.SignTries
		if a.HasAuth {
			r.AuthTries = &at
		}
		if a.HasSign {
			r.SignTries = &st
		}
	}
	return r
}
