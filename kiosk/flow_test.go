package kiosk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// fakeCard behaves like the JPKI applet for the two PINs: a wrong VERIFY
// costs a try, the right one restores the counter, zero tries is blocked.
type fakeCard struct {
	pins     map[kiosk.PINKind]string
	tries    map[kiosk.PINKind]int
	signCert []byte

	triesErr  error // returned by TriesLeft
	changeErr error // returned by ChangePIN instead of acting (card removed, no answer)
	readErr   error
	panicking bool

	calls    []string
	received [][]byte // PIN slices handed to the card, to check they are wiped
}

func newCard(auth, sign string) *fakeCard {
	return &fakeCard{
		pins:  map[kiosk.PINKind]string{kiosk.PINAuth: auth, kiosk.PINSign: sign},
		tries: map[kiosk.PINKind]int{kiosk.PINAuth: 3, kiosk.PINSign: 5},
	}
}

func (c *fakeCard) ReadStatus() (*kiosk.CardStatus, error) {
	c.calls = append(c.calls, "status")
	return &kiosk.CardStatus{Kind: kiosk.CardMyNumber}, nil
}

func (c *fakeCard) TriesLeft(k kiosk.PINKind) (int, error) {
	c.calls = append(c.calls, "tries")
	if c.triesErr != nil {
		return 0, c.triesErr
	}
	return c.tries[k], nil
}

func (c *fakeCard) verify(k kiosk.PINKind, pin []byte) error {
	if c.tries[k] == 0 {
		return &kiosk.StatusWordError{Op: "verify", SW: 0x6984}
	}
	if string(pin) != c.pins[k] {
		c.tries[k]--
		return &kiosk.WrongPINError{PIN: k, Tries: c.tries[k]}
	}
	c.tries[k] = k.MaxTries()
	return nil
}

// guard is the driver's check inside the transaction: the count shown
// must still be the card's.
func (c *fakeCard) guard(k kiosk.PINKind, shown int) error {
	if c.tries[k] != shown {
		return &kiosk.TriesChangedError{PIN: k, Shown: shown, Tries: c.tries[k]}
	}
	return nil
}

func (c *fakeCard) ChangePIN(k kiosk.PINKind, shown int, old, new []byte) error {
	c.calls = append(c.calls, "change")
	c.received = append(c.received, old, new)
	if c.panicking {
		panic("reader driver bug")
	}
	if c.changeErr != nil {
		return c.changeErr
	}
	if err := c.guard(k, shown); err != nil {
		return err
	}
	if err := c.verify(k, old); err != nil {
		return err
	}
	c.pins[k] = string(new)
	return nil
}

func (c *fakeCard) ReadSignCert(shown int, pin []byte) (*kiosk.CertValidity, error) {
	c.calls = append(c.calls, "readsign")
	c.received = append(c.received, pin)
	if c.readErr != nil {
		return nil, c.readErr
	}
	if err := c.guard(kiosk.PINSign, shown); err != nil {
		return nil, err
	}
	if err := c.verify(kiosk.PINSign, pin); err != nil {
		return nil, err
	}
	v, _, err := kiosk.ParseCertValidity(c.signCert)
	return v, err
}

type fakeJournal struct {
	recs []kiosk.Record
	err  error
}

func (j *fakeJournal) Append(_ context.Context, r kiosk.Record) (kiosk.Record, error) {
	if j.err != nil {
		return kiosk.Record{}, j.err
	}
	r.Seq = uint64(len(j.recs) + 1)
	r.KioskID = "K01"
	j.recs = append(j.recs, r)
	return r, nil
}

type fakePrinter struct {
	j           *fakeJournal
	err         error
	slips       []kiosk.Slip
	journaledAt []int // journal length at each print: must be > 0
}

func (p *fakePrinter) Print(_ context.Context, s kiosk.Slip) error {
	p.journaledAt = append(p.journaledAt, len(p.j.recs))
	if p.err != nil {
		return p.err
	}
	p.slips = append(p.slips, s)
	return nil
}

var flowNow = time.Date(2026, 11, 25, 10, 0, 0, 0, kiosk.JST())

func testMunicipality() kiosk.Municipality {
	return kiosk.Municipality{Name: "〇〇村", NameEN: "Sample Village", Office: "住民福祉課", OfficeEN: "Resident Welfare Division",
		Counter: "1番窓口", Phone: "0000-00-0000", Hours: "平日 8:30〜17:15", ETax: true}
}

func newFlows(j *fakeJournal, p *fakePrinter, log *slog.Logger) *kiosk.Flows {
	f := &kiosk.Flows{Journal: j, Municipality: testMunicipality(), KioskID: "K01",
		CertRefKey: []byte("test key"), Now: func() time.Time { return flowNow }, Log: log}
	if p != nil {
		f.Printer = p
	}
	return f
}

func allZero(bufs ...[]byte) bool {
	for _, b := range bufs {
		for _, c := range b {
			if c != 0 {
				return false
			}
		}
	}
	return true
}

func TestChangePIN(t *testing.T) {
	tests := []struct {
		name             string
		kind             kiosk.PINKind
		old, new, repeat string
		shown            int // tries shown; 0: the card's count
		confirm          bool
		setup            func(*fakeCard, *fakeJournal, *fakePrinter)
		noPrinter        bool

		wantErr     error // input errors: nothing sent, nothing journaled
		wantField   string
		wantOutcome kiosk.Outcome
		wantCode    kiosk.Code
		wantTries   int
		wantCalls   string
		wantPIN     string // card's PIN afterwards
		wantPrinted bool
		wantSlip    bool
		wantDetail  string
		wantRecords int
	}{
		{name: "auth ok", kind: kiosk.PINAuth, old: "1234", new: "5678", repeat: "5678",
			wantOutcome: kiosk.OutcomeOK, wantCode: kiosk.CodePINChanged, wantTries: 3, wantCalls: "change",
			wantPIN: "5678", wantPrinted: true, wantSlip: true, wantRecords: 1},
		{name: "sign ok, lowercase upper-cased before sending", kind: kiosk.PINSign, old: "abc123", new: "newpin9", repeat: "NEWPIN9",
			wantOutcome: kiosk.OutcomeOK, wantCode: kiosk.CodePINChanged, wantTries: 5, wantCalls: "change",
			wantPIN: "NEWPIN9", wantPrinted: true, wantSlip: true, wantRecords: 1},
		{name: "old malformed", kind: kiosk.PINAuth, old: "123", new: "5678", repeat: "5678",
			wantErr: kiosk.ErrPINFormat, wantField: "old", wantCalls: "", wantPIN: "1234"},
		{name: "old has a letter", kind: kiosk.PINAuth, old: "12a4", new: "5678", repeat: "5678",
			wantErr: kiosk.ErrPINFormat, wantField: "old", wantCalls: "", wantPIN: "1234"},
		{name: "new sign without digit", kind: kiosk.PINSign, old: "ABC123", new: "ABCDEFG", repeat: "ABCDEFG",
			wantErr: kiosk.ErrPINFormat, wantField: "new", wantCalls: "", wantPIN: "ABC123"},
		{name: "new sign too long", kind: kiosk.PINSign, old: "ABC123", new: "ABCDEFGH123456789", repeat: "ABCDEFGH123456789",
			wantErr: kiosk.ErrPINFormat, wantField: "new", wantCalls: "", wantPIN: "ABC123"},
		{name: "repeat differs", kind: kiosk.PINAuth, old: "1234", new: "5678", repeat: "5679",
			wantErr: kiosk.ErrPINMismatch, wantField: "repeat", wantCalls: "", wantPIN: "1234"},
		{name: "last try needs confirmation", kind: kiosk.PINAuth, old: "1234", new: "5678", repeat: "5678",
			setup:   func(c *fakeCard, _ *fakeJournal, _ *fakePrinter) { c.tries[kiosk.PINAuth] = 1 },
			wantErr: kiosk.ErrConfirmLastTry, wantCalls: "", wantPIN: "1234"},
		{name: "tries changed since shown: only counted", kind: kiosk.PINAuth, old: "1234", new: "5678", repeat: "5678",
			shown: 3, setup: func(c *fakeCard, _ *fakeJournal, _ *fakePrinter) { c.tries[kiosk.PINAuth] = 2 },
			wantErr: new(kiosk.TriesChangedError), wantCalls: "change", wantPIN: "1234"},
		{name: "last try confirmed", kind: kiosk.PINAuth, old: "1234", new: "5678", repeat: "5678", confirm: true,
			setup:       func(c *fakeCard, _ *fakeJournal, _ *fakePrinter) { c.tries[kiosk.PINAuth] = 1 },
			wantOutcome: kiosk.OutcomeOK, wantCode: kiosk.CodePINChanged, wantTries: 3, wantCalls: "change",
			wantPIN: "5678", wantPrinted: true, wantSlip: true, wantRecords: 1},
		{name: "wrong PIN", kind: kiosk.PINAuth, old: "4321", new: "5678", repeat: "5678",
			wantOutcome: kiosk.OutcomeWrongPIN, wantCode: kiosk.CodeWrongPIN, wantTries: 2, wantCalls: "change",
			wantPIN: "1234", wantRecords: 1},
		{name: "wrong PIN on the last try locks", kind: kiosk.PINSign, old: "ZZZ999", new: "ABC456", repeat: "ABC456", confirm: true,
			setup:       func(c *fakeCard, _ *fakeJournal, _ *fakePrinter) { c.tries[kiosk.PINSign] = 1 },
			wantOutcome: kiosk.OutcomeLocked, wantCode: kiosk.CodeSignLocked, wantTries: 0, wantCalls: "change",
			wantPIN: "ABC123", wantPrinted: true, wantSlip: true, wantRecords: 1},
		{name: "already locked: nothing sent", kind: kiosk.PINAuth, old: "1234", new: "5678", repeat: "5678", confirm: true,
			setup:       func(c *fakeCard, _ *fakeJournal, _ *fakePrinter) { c.tries[kiosk.PINAuth] = 0 },
			wantOutcome: kiosk.OutcomeLocked, wantCode: kiosk.CodeAuthLocked, wantTries: 0, wantCalls: "",
			wantPIN: "1234", wantPrinted: true, wantSlip: true, wantRecords: 1},
		{name: "locked since shown", kind: kiosk.PINAuth, old: "1234", new: "5678", repeat: "5678",
			shown: 3, setup: func(c *fakeCard, _ *fakeJournal, _ *fakePrinter) { c.tries[kiosk.PINAuth] = 0 },
			wantOutcome: kiosk.OutcomeLocked, wantCode: kiosk.CodeAuthLocked, wantTries: 0, wantCalls: "change",
			wantPIN: "1234", wantPrinted: true, wantSlip: true, wantRecords: 1},
		{name: "card removed before change", kind: kiosk.PINAuth, old: "1234", new: "5678", repeat: "5678",
			setup: func(c *fakeCard, _ *fakeJournal, _ *fakePrinter) {
				c.changeErr = fmt.Errorf("change: %w", kiosk.ErrCardRemoved)
			},
			wantOutcome: kiosk.OutcomeRemoved, wantCode: kiosk.CodeRemoved, wantTries: -1, wantCalls: "change",
			wantPIN: "1234", wantRecords: 1},
		{name: "outcome unknown (wraps removal)", kind: kiosk.PINAuth, old: "1234", new: "5678", repeat: "5678",
			setup: func(c *fakeCard, _ *fakeJournal, _ *fakePrinter) {
				c.changeErr = fmt.Errorf("change: %w: %w", kiosk.ErrOutcomeUnknown, kiosk.ErrCardRemoved)
			},
			wantOutcome: kiosk.OutcomeUnknown, wantCode: kiosk.CodeChangeUnsure, wantTries: -1, wantCalls: "change",
			wantPIN: "1234", wantPrinted: true, wantSlip: true, wantRecords: 1},
		{name: "other card error", kind: kiosk.PINAuth, old: "1234", new: "5678", repeat: "5678",
			setup: func(c *fakeCard, _ *fakeJournal, _ *fakePrinter) {
				c.changeErr = &kiosk.StatusWordError{Op: "change", SW: 0x6F00}
			},
			wantOutcome: kiosk.OutcomeError, wantCode: kiosk.CodeUnreadable, wantTries: -1, wantCalls: "change",
			wantPIN: "1234", wantPrinted: true, wantSlip: true, wantRecords: 1},
		{name: "printer out of paper", kind: kiosk.PINAuth, old: "1234", new: "5678", repeat: "5678",
			setup: func(_ *fakeCard, _ *fakeJournal, p *fakePrinter) {
				p.err = fmt.Errorf("paper out: %w", kiosk.ErrPrinterUnavailable)
			},
			wantOutcome: kiosk.OutcomeOK, wantCode: kiosk.CodePINChanged, wantTries: 3, wantCalls: "change",
			wantPIN: "5678", wantSlip: true, wantDetail: kiosk.DetailPrinterUnavailable, wantRecords: 2},
		{name: "printer other error", kind: kiosk.PINAuth, old: "1234", new: "5678", repeat: "5678",
			setup:       func(_ *fakeCard, _ *fakeJournal, p *fakePrinter) { p.err = errors.New("usb write: broken pipe") },
			wantOutcome: kiosk.OutcomeOK, wantCode: kiosk.CodePINChanged, wantTries: 3, wantCalls: "change",
			wantPIN: "5678", wantSlip: true, wantDetail: kiosk.DetailPrinterError, wantRecords: 2},
		{name: "no printer configured", kind: kiosk.PINAuth, old: "1234", new: "5678", repeat: "5678", noPrinter: true,
			wantOutcome: kiosk.OutcomeOK, wantCode: kiosk.CodePINChanged, wantTries: 3, wantCalls: "change",
			wantPIN: "5678", wantSlip: true, wantDetail: kiosk.DetailPrinterUnavailable, wantRecords: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card := newCard("1234", "ABC123")
			j := &fakeJournal{}
			p := &fakePrinter{j: j}
			if tt.setup != nil {
				tt.setup(card, j, p)
			}
			pp := p
			if tt.noPrinter {
				pp = nil
			}
			f := newFlows(j, pp, nil)
			shown := tt.shown
			if shown == 0 {
				shown = card.tries[tt.kind]
			}
			req := kiosk.ChangeRequest{PIN: tt.kind, Old: []byte(tt.old), New: []byte(tt.new), Repeat: []byte(tt.repeat),
				Shown: shown, ConfirmedLastTry: tt.confirm}
			res, err := f.ChangePIN(context.Background(), card, req)

			if !allZero(req.Old, req.New, req.Repeat) {
				t.Error("PIN buffers not wiped")
			}
			if !allZero(card.received...) {
				t.Error("PIN slices the card saw not wiped")
			}
			if got := strings.Join(card.calls, ","); got != tt.wantCalls {
				t.Errorf("card calls = %q, want %q", got, tt.wantCalls)
			}
			if card.pins[tt.kind] != tt.wantPIN {
				t.Errorf("card PIN = %q, want %q", card.pins[tt.kind], tt.wantPIN)
			}
			if tt.wantErr != nil {
				if changed := new(kiosk.TriesChangedError); errors.As(tt.wantErr, &changed) {
					if !errors.As(err, &changed) {
						t.Fatalf("err = %v, want a TriesChangedError", err)
					}
				} else if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				var ie *kiosk.PINInputError
				if tt.wantField != "" && (!errors.As(err, &ie) || ie.Field != tt.wantField) {
					t.Errorf("err = %#v, want field %q", err, tt.wantField)
				}
				if len(j.recs) != 0 || len(p.journaledAt) != 0 {
					t.Errorf("input error journaled or printed: %v", j.recs)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if res.Outcome != tt.wantOutcome || res.Code != tt.wantCode || res.TriesLeft != tt.wantTries {
				t.Errorf("result = %s/%s tries %d, want %s/%s tries %d", res.Outcome, res.Code, res.TriesLeft, tt.wantOutcome, tt.wantCode, tt.wantTries)
			}
			if len(j.recs) != tt.wantRecords {
				t.Fatalf("records = %+v, want %d", j.recs, tt.wantRecords)
			}
			r := j.recs[0]
			wantKind := kiosk.TxChangeAuth
			if tt.kind == kiosk.PINSign {
				wantKind = kiosk.TxChangeSign
			}
			if r.Kind != wantKind || r.Outcome != tt.wantOutcome || r.Status != string(tt.wantCode) {
				t.Errorf("record = %+v", r)
			}
			if res.Reference != "K01-20261125-0001" {
				t.Errorf("reference = %q", res.Reference)
			}
			for _, n := range p.journaledAt {
				if n == 0 {
					t.Error("slip printed before the record was journaled")
				}
			}
			if res.Printed != tt.wantPrinted || (res.Slip != nil) != tt.wantSlip || res.PrinterDetail != tt.wantDetail {
				t.Errorf("printed %v slip %v detail %q, want %v %v %q", res.Printed, res.Slip != nil, res.PrinterDetail, tt.wantPrinted, tt.wantSlip, tt.wantDetail)
			}
			if res.Slip != nil && res.Slip.Reference != res.Reference {
				t.Errorf("slip reference %q", res.Slip.Reference)
			}
			if tt.wantDetail != "" {
				n := j.recs[1]
				if n.Kind != kiosk.TxSystem || n.Detail != tt.wantDetail || n.Reference != res.Reference {
					t.Errorf("printer record = %+v", n)
				}
			}
		})
	}
}

func TestChangePINWipesOnPanic(t *testing.T) {
	card := newCard("1234", "ABC123")
	card.panicking = true
	j := &fakeJournal{}
	req := kiosk.ChangeRequest{PIN: kiosk.PINAuth, Old: []byte("1234"), New: []byte("5678"), Repeat: []byte("5678"), Shown: 3}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic swallowed")
			}
		}()
		_, _ = newFlows(j, nil, nil).ChangePIN(context.Background(), card, req)
	}()
	if !allZero(req.Old, req.New, req.Repeat) {
		t.Error("PIN buffers not wiped after a panic")
	}
}

func TestChangePINJournalFailure(t *testing.T) {
	card := newCard("1234", "ABC123")
	j := &fakeJournal{err: errors.New("disk full")}
	p := &fakePrinter{j: j}
	res, err := newFlows(j, p, nil).ChangePIN(context.Background(), card,
		kiosk.ChangeRequest{PIN: kiosk.PINAuth, Old: []byte("1234"), New: []byte("5678"), Repeat: []byte("5678"), Shown: 3})
	if !errors.Is(err, kiosk.ErrJournal) {
		t.Fatalf("err = %v, want ErrJournal", err)
	}
	if res.Outcome != kiosk.OutcomeOK || res.Reference != "" || len(p.journaledAt) != 0 {
		t.Errorf("result %+v; prints %d: a slip without a durable record", res, len(p.journaledAt))
	}
}

func TestCheckSignCert(t *testing.T) {
	valid := makeCert(t, 501, jstDay(2022, 6, 1), jstDay(2029, 5, 31))
	renewal := makeCert(t, 502, jstDay(2022, 6, 1), jstDay(2027, 1, 31))
	expired := makeCert(t, 503, jstDay(2020, 6, 1), jstDay(2025, 5, 31))
	tests := []struct {
		name        string
		pin         string
		cert        []byte
		tries       int
		confirm     bool
		readErr     error
		wantErr     error
		wantOutcome kiosk.Outcome
		wantCode    kiosk.Code
		wantSlip    bool
		wantRef     bool
	}{
		{name: "valid: no slip", pin: "ABC123", cert: valid, tries: 5, wantOutcome: kiosk.OutcomeOK, wantCode: kiosk.CodeValid, wantRef: true},
		{name: "lowercase accepted", pin: "abc123", cert: valid, tries: 5, wantOutcome: kiosk.OutcomeOK, wantCode: kiosk.CodeValid, wantRef: true},
		{name: "renewal", pin: "ABC123", cert: renewal, tries: 5, wantOutcome: kiosk.OutcomeOK, wantCode: kiosk.CodeRenewal, wantSlip: true, wantRef: true},
		{name: "expired", pin: "ABC123", cert: expired, tries: 5, wantOutcome: kiosk.OutcomeOK, wantCode: kiosk.CodeExpired, wantSlip: true, wantRef: true},
		{name: "corrupt certificate", pin: "ABC123", cert: []byte{0x30, 0x01, 0x00}, tries: 5, readErr: fmt.Errorf("parse: %w", kiosk.ErrBadResponse), wantOutcome: kiosk.OutcomeError, wantCode: kiosk.CodeUnreadable, wantSlip: true},
		{name: "malformed", pin: "ABC12", cert: valid, tries: 5, wantErr: kiosk.ErrPINFormat},
		{name: "last try unconfirmed", pin: "ABC123", cert: valid, tries: 1, wantErr: kiosk.ErrConfirmLastTry},
		{name: "last try confirmed", pin: "ABC123", cert: valid, tries: 1, confirm: true, wantOutcome: kiosk.OutcomeOK, wantCode: kiosk.CodeValid, wantRef: true},
		{name: "wrong", pin: "ABC124", cert: valid, tries: 5, wantOutcome: kiosk.OutcomeWrongPIN, wantCode: kiosk.CodeWrongPIN},
		{name: "wrong locks", pin: "ABC124", cert: valid, tries: 1, confirm: true, wantOutcome: kiosk.OutcomeLocked, wantCode: kiosk.CodeSignLocked, wantSlip: true},
		{name: "removed", pin: "ABC123", cert: valid, tries: 5, readErr: kiosk.ErrCardRemoved, wantOutcome: kiosk.OutcomeRemoved, wantCode: kiosk.CodeRemoved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card := newCard("1234", "ABC123")
			card.signCert, card.tries[kiosk.PINSign], card.readErr = tt.cert, tt.tries, tt.readErr
			j := &fakeJournal{}
			p := &fakePrinter{j: j}
			pin := []byte(tt.pin)
			res, err := newFlows(j, p, nil).CheckSignCert(context.Background(), card, pin, tt.tries, tt.confirm)
			if !allZero(pin) || !allZero(card.received...) {
				t.Error("PIN not wiped")
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || len(j.recs) != 0 || strings.Contains(strings.Join(card.calls, ","), "readsign") {
					t.Errorf("err = %v, records %d, calls %v", err, len(j.recs), card.calls)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tt.wantOutcome || res.Code != tt.wantCode || (res.Slip != nil) != tt.wantSlip {
				t.Errorf("got %s/%s slip %v", res.Outcome, res.Code, res.Slip != nil)
			}
			if len(j.recs) != 1 || j.recs[0].Kind != kiosk.TxSignCheck || j.recs[0].Status != string(tt.wantCode) {
				t.Fatalf("records = %+v", j.recs)
			}
			if (j.recs[0].CertRef != "") != tt.wantRef {
				t.Errorf("cert ref = %q", j.recs[0].CertRef)
			}
			if tt.wantOutcome == kiosk.OutcomeOK && (res.Cert == nil || res.Cert.NotAfter.IsZero()) {
				t.Error("no certificate dates in result")
			}
		})
	}
}

// TestCanaryPIN runs every flow with distinctive PINs and looks for them in
// everything the kiosk writes: logs, records, slips, results, errors.
func TestCanaryPIN(t *testing.T) {
	const authOld, authNew, signOld, signNew = "8642", "9753", "QZ8642XJ", "WV9753KY"
	canaries := []string{authOld, authNew, signOld, signNew, strings.ToLower(signOld), strings.ToLower(signNew)}
	var logs bytes.Buffer
	// No time stamps, and no pointer addresses below: their digits held an
	// auth canary by chance about one run in a hundred.
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: noTime}))
	addr := regexp.MustCompile(`0x[0-9a-f]+`)
	var outputs []string
	j := &fakeJournal{}
	p := &fakePrinter{j: j}
	f := newFlows(j, p, log)
	f.CertRefKey = []byte("k")
	cert := makeCert(t, 777, jstDay(2022, 6, 1), jstDay(2029, 5, 31))

	run := func(name string, setup func(*fakeCard), do func(*fakeCard) (kiosk.Result, error)) {
		card := newCard(authOld, signOld)
		card.signCert = cert
		if setup != nil {
			setup(card)
		}
		res, err := do(card)
		if err != nil {
			outputs = append(outputs, name+" err: "+err.Error(), addr.ReplaceAllString(fmt.Sprintf("%+v", err), "0x…"))
		}
		outputs = append(outputs, addr.ReplaceAllString(fmt.Sprintf("%s: %+v", name, res), "0x…"))
	}
	change := func(k kiosk.PINKind, old, new, rep string, confirm bool) func(*fakeCard) (kiosk.Result, error) {
		return func(c *fakeCard) (kiosk.Result, error) {
			return f.ChangePIN(context.Background(), c, kiosk.ChangeRequest{PIN: k, Old: []byte(old), New: []byte(new), Repeat: []byte(rep), Shown: c.tries[k], ConfirmedLastTry: confirm})
		}
	}
	run("auth ok", nil, change(kiosk.PINAuth, authOld, authNew, authNew, false))
	run("sign ok lowercase", nil, change(kiosk.PINSign, strings.ToLower(signOld), strings.ToLower(signNew), signNew, false))
	run("auth wrong", nil, change(kiosk.PINAuth, authNew, authOld, authOld, false))
	run("auth mismatch", nil, change(kiosk.PINAuth, authOld, authNew, authOld, false))
	run("auth malformed new", nil, change(kiosk.PINAuth, authOld, authNew+"1", authNew+"1", false))
	run("sign malformed old", nil, change(kiosk.PINSign, signOld+"!", signNew, signNew, false))
	run("sign last try", func(c *fakeCard) { c.tries[kiosk.PINSign] = 1 }, change(kiosk.PINSign, signOld, signNew, signNew, false))
	run("sign locks", func(c *fakeCard) { c.tries[kiosk.PINSign] = 1 }, change(kiosk.PINSign, signNew, signOld, signOld, true))
	run("unknown", func(c *fakeCard) { c.changeErr = fmt.Errorf("%w: %w", kiosk.ErrOutcomeUnknown, kiosk.ErrCardRemoved) },
		change(kiosk.PINAuth, authOld, authNew, authNew, false))
	p.err = kiosk.ErrPrinterUnavailable
	run("printer out", nil, change(kiosk.PINAuth, authOld, authNew, authNew, false))
	p.err = nil
	run("sign check ok", nil, func(c *fakeCard) (kiosk.Result, error) {
		return f.CheckSignCert(context.Background(), c, []byte(signOld), c.tries[kiosk.PINSign], false)
	})
	run("sign check wrong", nil, func(c *fakeCard) (kiosk.Result, error) {
		return f.CheckSignCert(context.Background(), c, []byte(signNew), c.tries[kiosk.PINSign], false)
	})
	run("sign check malformed", nil, func(c *fakeCard) (kiosk.Result, error) {
		return f.CheckSignCert(context.Background(), c, []byte(signOld[:5]), c.tries[kiosk.PINSign], false)
	})

	recs, err := json.Marshal(j.recs)
	if err != nil {
		t.Fatal(err)
	}
	slips := addr.ReplaceAllString(fmt.Sprintf("%+v", p.slips), "0x…")
	if len(j.recs) != 9 || len(p.slips) != 4 || logs.Len() == 0 {
		t.Fatalf("flows did not run as expected: %d records, %d slips, %d log bytes", len(j.recs), len(p.slips), logs.Len())
	}
	for _, c := range canaries {
		for where, s := range map[string]string{"log": logs.String(), "journal": string(recs), "slips": slips, "results/errors": strings.Join(outputs, "\n")} {
			if strings.Contains(s, c) {
				t.Errorf("canary PIN %q found in %s", c, where)
			}
		}
	}
}
