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
	// PrintTimeout bounds one slip's printing (default 15 s): a stalled
	// printer must not hold a visit. The screen then shows the reference.
	PrintTimeout time.Duration
}

// Kept is what became of one record and the slip it was due: the record
// is durable before the slip exists and before the screen hears of it.
type Kept struct {
	Record    Record // as journaled
	Reference string // the slip's reference number ("" if journaling failed)
	Slip      *Slip  // the slip due (printed or not); nil if none was due
	Printed   bool
	// PrinterDetail is set when a slip was due but not printed (see
	// PrinterDetail: printer_stalled, printer_paper_out, …): the screen
	// shows Reference instead.
	PrinterDetail string
}

// Result is how a flow ended, already journaled.
type Result struct {
	Kind      TxKind
	PIN       PINKind
	Outcome   Outcome
	Code      Code // the page: pin_changed, wrong_pin, *_locked, a cert verdict, …
	TriesLeft int  // after the operation; -1 when unknown
	// Cert is the signing certificate's verdict (sign check, OK only).
	Cert *CertAssessment
	Kept
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

// ChangeRequest is one PIN change as typed. ChangePIN wipes Old, New and
// Repeat in every path; the caller must not reuse them.
type ChangeRequest struct {
	PIN              PINKind
	Old, New, Repeat []byte
	// Shown is the tries left the resident saw before typing Old; the
	// card refuses to VERIFY under any other count (*TriesChangedError).
	Shown            int
	ConfirmedLastTry bool
	// Auth is the visit's authentication certificate, which links the
	// record to the visit's status record (nil: no link).
	Auth *CertAssessment
}

// ChangePIN validates the form, then verifies and changes the PIN in one
// card transaction that first checks the tries left are still Shown.
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
		return f.finish(ctx, res, f.authRef(req.Auth), nil)
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
	return f.finish(ctx, res, f.authRef(req.Auth), nil)
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
		res.Outcome, res.Code = OutcomeLocked, lockedCode(PINSign)
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

func (f *Flows) authRef(a *CertAssessment) string {
	if a == nil {
		return ""
	}
	return a.Ref(f.CertRefKey)
}

// slipDue says which outcomes print a slip: the ones that need the office,
// and a changed PIN (the resident's receipt). A wrong PIN (the resident
// may try again), a removed card (the resident has gone) and a valid
// signing certificate print nothing.
func slipDue(res Result) bool {
	switch res.Outcome {
	case OutcomeWrongPIN, OutcomeRemoved, OutcomeCancelled:
		return false
	}
	return res.Code == CodePINChanged || OfficeBound(res.Code)
}

// finish journals a flow's result and prints its slip.
func (f *Flows) finish(ctx context.Context, res Result, certRef string, cert *CertAssessment) (Result, error) {
	now := f.now()
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
	var secs []SlipSection
	if slipDue(res) {
		secs = []SlipSection{SectionOf(Guide(res.Code, res.PIN, f.Municipality), cert)}
	}
	kept, err := f.keep(ctx, rec, secs)
	res.Kept = kept
	if err != nil {
		return res, fmt.Errorf("%s %s: %w", res.Kind, res.Outcome, err)
	}
	return res, nil
}

// RecordStatus journals a status check and, when any of its conditions
// needs the office, prints one slip with a section per such condition
// (the same pages the screen shows after the status).
func (f *Flows) RecordStatus(ctx context.Context, a Assessment) (Kept, error) {
	var secs []SlipSection
	for _, p := range StatusPages(a, f.Municipality) {
		if !p.Office {
			continue
		}
		var cert *CertAssessment
		if a.HasAuth && p.Code == a.Auth.Verdict {
			c := a.Auth
			cert = &c
		}
		secs = append(secs, SectionOf(p, cert))
	}
	kept, err := f.keep(ctx, StatusRecord(a, f.now(), f.CertRefKey), secs)
	if err != nil {
		return kept, fmt.Errorf("status check: %w", err)
	}
	return kept, nil
}

// StatusPages are the pages a status shows, most important first: one
// per condition. The certificate verdicts are about the authentication
// certificate; the PIN conditions name their PIN.
//
// Each page is made true for the whole card: a certificate within its
// dates under a locked PIN says it cannot be used; a last try leads a
// certificate within its dates, so the status never invites a change
// first; a card read for the first time without success asks to be
// inserted again.
func StatusPages(a Assessment, m Municipality) []Page {
	out := make([]Page, 0, len(a.Conditions))
	for _, c := range a.Conditions {
		if a.Retry && (c == CodeUnreadable || c == CodeNotJPKI) {
			out = append(out, RetryPage(c, m))
			continue
		}
		p := Guide(c, PINAuth, m)
		if c == CodeValid && a.AuthLocked {
			p.Title = Text{nameAuthCert.JA + "は有効期限内ですが、暗証番号がロックされているため使えません",
				"User-authentication certificate: in date, unusable while its PIN is locked"}
		}
		out = append(out, p)
	}
	if len(out) > 1 && out[0].Code == CodeValid {
		for i, p := range out {
			if p.Code == CodeAuthLastTry || p.Code == CodeSignLastTry {
				out = append(append([]Page{p}, out[:i]...), out[i+1:]...)
				break
			}
		}
	}
	return out
}

// keep journals rec, then prints the slip made of secs (none: no slip).
//
// A printer failure is journaled as a second record (Kind TxSystem, Detail
// printer_unavailable/printer_error, Reference = the slip's): the first
// record is already durable and the journal is append-only, and a separate
// kiosk event keeps counts of residents' transactions true.
func (f *Flows) keep(ctx context.Context, rec Record, secs []SlipSection) (Kept, error) {
	log := f.log().With("kind", rec.Kind, "outcome", rec.Outcome, "status", rec.Status)
	stored, err := f.Journal.Append(ctx, rec)
	if err != nil {
		log.Error("journal append failed", "err", err)
		return Kept{Record: rec}, fmt.Errorf("%w: %w", ErrJournal, err)
	}
	k := Kept{Record: stored}
	named := stored
	if named.KioskID == "" {
		named.KioskID = f.KioskID
	}
	k.Reference = ReferenceOf(named)
	log = log.With("ref", k.Reference)
	if len(secs) == 0 {
		log.Info("recorded")
		return k, nil
	}
	slip := NewSlip(secs, f.Municipality, k.Reference, stored.Time)
	k.Slip = &slip
	var perr error = ErrPrinterUnavailable
	if f.Printer != nil {
		timeout := f.PrintTimeout
		if timeout <= 0 {
			timeout = 15 * time.Second
		}
		pctx, cancel := context.WithTimeout(ctx, timeout)
		perr = f.Printer.Print(pctx, slip)
		cancel()
	}
	if perr == nil {
		k.Printed = true
		log.Info("recorded, slip printed")
		return k, nil
	}
	k.PrinterDetail = PrinterDetail(perr) // printer_stalled, printer_paper_out, …
	log.Warn("slip not printed", "detail", k.PrinterDetail, "err", perr)
	if _, err := f.Journal.Append(ctx, Record{
		Time:         f.now(),
		ClockTrusted: rec.ClockTrusted,
		Kind:         TxSystem,
		Outcome:      OutcomeError,
		Reference:    k.Reference,
		Detail:       k.PrinterDetail,
	}); err != nil {
		// The transaction itself is durable; only the printer note is lost.
		log.Error("journal append of printer note failed", "err", err)
	}
	return k, nil
}
