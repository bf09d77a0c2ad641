package kiosk

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Errors returned before anything reaches the card. Nothing is journaled
// for them: the resident simply types again.
var (
	// ErrPINMismatch: the new PIN and its repetition differ.
	ErrPINMismatch = errors.New("new PIN and its repetition differ")
	// ErrConfirmLastTry: one try is left and the resident has not confirmed
	// using it. Ask, then collect the PIN again.
	ErrConfirmLastTry = errors.New("last try left: confirmation needed")
	// ErrJournal: the outcome could not be made durable. The Result is
	// still true and is returned with it; no slip was printed.
	ErrJournal = errors.New("journal append failed")
)

// PINInputError says which field of a PIN form is wrong. It matches
// ErrPINFormat or ErrPINMismatch with errors.Is, and never holds the PIN.
type PINInputError struct {
	Field   string     // "old", "new" or "repeat"
	Problem PINProblem // PINOK for a mismatch
	err     error
}

func (e *PINInputError) Error() string { return e.Field + " PIN: " + e.err.Error() }
func (e *PINInputError) Unwrap() error { return e.err }

// Detail codes for records about the printer.
const (
	DetailPrinterUnavailable = "printer_unavailable"
	DetailPrinterError       = "printer_error"
)

// Flows runs the PIN change and the signing-certificate check with the
// "never waste a try" rules. It holds no per-visit state and no PIN.
type Flows struct {
	Journal      Journal
	Printer      Printer // nil: no printer (the screen shows the reference)
	Municipality Municipality
	KioskID      string // for reference numbers if the journal leaves KioskID empty
	CertRefKey   []byte
	Clock        *ClockTrust
	Now          func() time.Time // nil: time.Now
	Log          *slog.Logger     // nil: discard
}

// Tries is what the screen shows before the resident types a PIN.
type Tries struct {
	PIN     PINKind
	Left    int
	LastTry bool // one left: ask for explicit confirmation before entry
	Locked  bool // none left: do not ask for the PIN; show Guide(auth/sign_locked)
}

// Result is how a flow ended, already journaled.
type Result struct {
	Kind      TxKind
	PIN       PINKind
	Outcome   Outcome
	Code      Code // guidance code: pin_changed, wrong_pin, *_locked, a cert verdict, …
	TriesLeft int  // after the operation; -1 when unknown
	// Cert is the signing certificate's verdict (sign check, OK only).
	Cert     *CertAssessment
	Guidance Guidance
	// Reference is the slip's reference number ("" if journaling failed).
	Reference string
	Slip      *Slip // the slip printed (or that would have been printed); nil if none
	Printed   bool
	// PrinterDetail is set when a slip was due but not printed (see
	// PrinterDetail: printer_stalled, printer_paper_out, …, or
	// DetailPrinterUnavailable / DetailPrinterError): show Reference on
	// screen instead.
	PrinterDetail string
	Record        Record // the journaled record
}

func (f *Flows) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Flows) log() *slog.Logger {
	if f.Log != nil {
		return f.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Prepare reads the tries left for k. Call it, and show the count, before
// asking for the PIN; it spends nothing.
func (f *Flows) Prepare(c Card, k PINKind) (Tries, error) {
	n, err := c.TriesLeft(k)
	if err != nil {
		return Tries{}, fmt.Errorf("read %s PIN tries left: %w", k, err)
	}
	return Tries{PIN: k, Left: n, LastTry: n == 1, Locked: n <= 0}, nil
}

// ChangeRequest is one PIN change as typed. ChangePIN wipes Old, New and
// Repeat in every path; the caller must not reuse them.
type ChangeRequest struct {
	PIN              PINKind
	Old, New, Repeat []byte
	// Shown is the tries left the resident saw before typing Old; the
	// card refuses to VERIFY under any other count (*TriesChangedError).
	Shown            int
	ConfirmedLastTry bool
	// CertRef links the record to the visit's status record (optional:
	// Assessment.Auth.Ref(key)).
	CertRef string
}

// ChangePIN validates the form, reads the tries left, then changes the PIN.
//
// Errors with a zero Result mean nothing was sent to the card: a
// *PINInputError (ErrPINFormat, ErrPINMismatch) or ErrConfirmLastTry.
// Any other path returns a journaled Result; err is then nil, or wraps
// ErrJournal if the record could not be stored (Result is still true).
func (f *Flows) ChangePIN(ctx context.Context, c Card, req ChangeRequest) (Result, error) {
	defer Wipe(req.Old)
	defer Wipe(req.New)
	defer Wipe(req.Repeat)
	k := req.PIN
	if err := ValidatePIN(k, req.Old); err != nil {
		return Result{}, &PINInputError{Field: "old", Problem: CheckPIN(k, req.Old), err: err}
	}
	if err := ValidatePIN(k, req.New); err != nil {
		return Result{}, &PINInputError{Field: "new", Problem: CheckPIN(k, req.New), err: err}
	}
	if k == PINSign {
		NormalizeSignPIN(req.Repeat)
	}
	if subtle.ConstantTimeCompare(req.New, req.Repeat) != 1 {
		return Result{}, &PINInputError{Field: "repeat", err: ErrPINMismatch}
	}

	tx := TxChangeAuth
	if k == PINSign {
		tx = TxChangeSign
	}
	res := Result{Kind: tx, PIN: k, TriesLeft: -1}
	switch {
	case req.Shown <= 0:
		res.TriesLeft = 0
		res.Outcome, res.Code = OutcomeLocked, lockedCode(k)
		return f.finish(ctx, res, req.CertRef, nil)
	case req.Shown == 1 && !req.ConfirmedLastTry:
		return Result{}, ErrConfirmLastTry
	}

	err := c.ChangePIN(k, req.Shown, req.Old, req.New)
	var changed *TriesChangedError
	switch {
	case err == nil:
		res.Outcome, res.Code, res.TriesLeft = OutcomeOK, CodePINChanged, k.MaxTries()
	case errors.As(err, &changed) && changed.Tries > 0:
		// Only the count was read: show it and ask again.
		return Result{}, err
	default:
		f.classify(&res, err, true)
	}
	return f.finish(ctx, res, req.CertRef, nil)
}

// CheckSignCert verifies the signing PIN, reads the signing certificate's
// validity and judges it. shown is the tries left the resident saw. pin is
// wiped in every path; only the dates and the serial's keyed hash are
// kept. Errors are as for ChangePIN.
func (f *Flows) CheckSignCert(ctx context.Context, c Card, pin []byte, shown int, confirmedLastTry bool) (Result, error) {
	defer Wipe(pin)
	if err := ValidatePIN(PINSign, pin); err != nil {
		return Result{}, &PINInputError{Field: "old", Problem: CheckPIN(PINSign, pin), err: err}
	}
	res := Result{Kind: TxSignCheck, PIN: PINSign, TriesLeft: -1}
	switch {
	case shown <= 0:
		res.TriesLeft = 0
		res.Outcome, res.Code = OutcomeLocked, CodeSignLocked
		return f.finish(ctx, res, "", nil)
	case shown == 1 && !confirmedLastTry:
		return Result{}, ErrConfirmLastTry
	}

	v, err := c.ReadSignCert(shown, pin)
	var changed *TriesChangedError
	switch {
	case errors.As(err, &changed) && changed.Tries > 0:
		return Result{}, err
	case err != nil:
		f.classify(&res, err, false)
		return f.finish(ctx, res, "", nil)
	}
	res.TriesLeft = PINSign.MaxTries()
	now := f.now()
	ca := AssessCert(*v, now, f.Clock.Trusted(now))
	res.Outcome, res.Code, res.Cert = OutcomeOK, ca.Verdict, &ca
	return f.finish(ctx, res, ca.Ref(f.CertRefKey), &ca)
}

func lockedCode(k PINKind) Code {
	if k == PINSign {
		return CodeSignLocked
	}
	return CodeAuthLocked
}

// classify maps a card error to an outcome. changing says the command could
// have changed the card, so a lost answer is an unknown outcome. Order
// matters: ErrOutcomeUnknown wraps its cause, which may be ErrCardRemoved.
func (f *Flows) classify(res *Result, err error, changing bool) {
	var wrong *WrongPINError
	switch {
	case errors.Is(err, ErrOutcomeUnknown) && changing:
		res.Outcome, res.Code = OutcomeUnknown, CodeChangeUnsure
	case errors.Is(err, ErrOutcomeUnknown):
		// A VERIFY whose answer was lost may have spent a try, nothing more.
		res.Outcome, res.Code = OutcomeUnknown, CodeUnreadable
	case errors.Is(err, ErrBlocked):
		res.Outcome, res.Code, res.TriesLeft = OutcomeLocked, lockedCode(res.PIN), 0
	case errors.As(err, &wrong):
		res.Outcome, res.Code, res.TriesLeft = OutcomeWrongPIN, CodeWrongPIN, wrong.Tries
	case errors.Is(err, ErrCardRemoved), errors.Is(err, ErrNoCard):
		res.Outcome, res.Code = OutcomeRemoved, CodeRemoved
	default:
		res.Outcome, res.Code = OutcomeError, CodeUnreadable
	}
	f.log().Info("card refused or failed", "kind", res.Kind, "outcome", res.Outcome, "err", err)
}

// slipDue says which outcomes print a slip: a finished operation or one
// that needs the office. A wrong PIN (the resident tries again) and a
// removed card (the resident has gone) print nothing.
func slipDue(o Outcome) bool {
	switch o {
	case OutcomeWrongPIN, OutcomeRemoved, OutcomeCancelled:
		return false
	}
	return true
}

// finish journals the result, then prints its slip. The record is durable
// before the slip exists and before the caller (the UI) hears of it.
//
// A printer failure is journaled as a second record (Kind TxSystem, Detail
// printer_unavailable/printer_error, Reference = the slip's): the first
// record is already durable and the journal is append-only, and a separate
// kiosk event keeps counts of residents' transactions true.
func (f *Flows) finish(ctx context.Context, res Result, certRef string, cert *CertAssessment) (Result, error) {
	now := f.now()
	res.Guidance = Guide(res.Code, res.PIN, f.Municipality)
	rec := Record{
		Time:         now,
		ClockTrusted: f.Clock.Trusted(now),
		Kind:         res.Kind,
		Outcome:      res.Outcome,
		Card:         CardMyNumber,
		Status:       string(res.Code),
		CertRef:      certRef,
	}
	if res.TriesLeft >= 0 {
		n := res.TriesLeft
		if res.PIN == PINSign {
			rec.SignTries = &n
		} else {
			rec.AuthTries = &n
		}
	}
	log := f.log().With("kind", res.Kind, "outcome", res.Outcome, "status", res.Code)
	stored, err := f.Journal.Append(ctx, rec)
	if err != nil {
		log.Error("journal append failed", "err", err)
		res.Record = rec
		return res, fmt.Errorf("%s %s: %w: %w", res.Kind, res.Outcome, ErrJournal, err)
	}
	res.Record = stored
	id := stored.KioskID
	if id == "" {
		id = f.KioskID
	}
	res.Reference = FormatReference(id, stored.Time, stored.Seq)
	log = log.With("ref", res.Reference)
	if !slipDue(res.Outcome) {
		log.Info("flow finished")
		return res, nil
	}
	slip := SlipFor(res.Code, res.PIN, f.Municipality, res.Reference, now, cert)
	res.Slip = &slip
	var perr error = ErrPrinterUnavailable
	if f.Printer != nil {
		perr = f.Printer.Print(ctx, slip)
	}
	if perr == nil {
		res.Printed = true
		log.Info("flow finished, slip printed")
		return res, nil
	}
	res.PrinterDetail = PrinterDetail(perr) // printer_stalled, printer_paper_out, …
	log.Warn("slip not printed", "detail", res.PrinterDetail, "err", perr)
	if _, err := f.Journal.Append(ctx, Record{
		Time:         f.now(),
		ClockTrusted: rec.ClockTrusted,
		Kind:         TxSystem,
		Outcome:      OutcomeError,
		Reference:    res.Reference,
		Detail:       res.PrinterDetail,
	}); err != nil {
		// The transaction itself is durable; only the printer note is lost.
		log.Error("journal append of printer note failed", "err", err)
	}
	return res, nil
}
