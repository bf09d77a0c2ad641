package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html"
	"math/big"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/boltstore"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// slipCatcher is the printer: it keeps what a visit would print.
type slipCatcher struct{ slips []kiosk.Slip }

func (p *slipCatcher) Print(_ context.Context, s kiosk.Slip) error {
	p.slips = append(p.slips, s)
	return nil
}

// officeCard answers the two card calls that need a PIN with fixed
// results: the flows' office-bound outcomes (an unknown change, a blocked
// PIN, a signing certificate's verdict) without a PIN mattering.
type officeCard struct {
	changeErr error
	sign      *kiosk.CertValidity
	signErr   error
}

func (c officeCard) ReadStatus() (*kiosk.CardStatus, error)              { return nil, errors.New("not used") }
func (c officeCard) TriesLeft(k kiosk.PINKind) (int, error)              { return k.MaxTries(), nil }
func (c officeCard) ChangePIN(_ kiosk.PINKind, _ int, _, _ []byte) error { return c.changeErr }
func (c officeCard) ReadSignCert(_ int, _ []byte) (*kiosk.CertValidity, error) {
	return c.sign, c.signErr
}

// TestEveryOfficeSlipHasItsFollowUp walks every state that sends a
// resident to the office from the kiosk's visit (the status read, the
// visit's RecordStatus, the real journal and the slip's real text) to the
// console (what a kiosk sends, decoded strictly and checked on arrival,
// into a real store, the follow-up list and the record page): every slip
// has its follow-up, and the page shows each of the slip's headlines.
// It fails when a new office-bound code is added and not walked.
func TestEveryOfficeSlipHasItsFollowUp(t *testing.T) {
	now := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
	cert := func(from, to time.Time) *kiosk.CertValidity {
		return &kiosk.CertValidity{Serial: big.NewInt(7), NotBefore: from, NotAfter: to}
	}
	inDate := cert(now.AddDate(-1, 0, 0), now.AddDate(4, 0, 0))
	mine := func(mod func(*kiosk.CardStatus)) *kiosk.CardStatus {
		st := &kiosk.CardStatus{Kind: kiosk.CardMyNumber, HasAuth: true, HasSign: true, Auth: inDate, AuthTries: 3, SignTries: 5}
		mod(st)
		return st
	}
	type state struct {
		name   string
		status *kiosk.CardStatus // read at the kiosk (nil: readErr)
		read   error
		clock  bool // the kiosk's clock is trusted
		flow   func(f *kiosk.Flows) (kiosk.Result, error)
		want   FollowUpKind
	}
	states := []state{
		{name: "no signing certificate (F7)", status: mine(func(s *kiosk.CardStatus) { s.HasSign = false }), clock: true, want: FollowUpOffice},
		{name: "no authentication certificate", status: mine(func(s *kiosk.CardStatus) { s.HasAuth, s.Auth = false, nil }), clock: true, want: FollowUpOffice},
		{name: "expired", status: mine(func(s *kiosk.CardStatus) { s.Auth = cert(now.AddDate(-5, 0, 0), now.AddDate(0, 0, -3)) }), clock: true, want: FollowUpOffice},
		{name: "renewal due", status: mine(func(s *kiosk.CardStatus) { s.Auth = cert(now.AddDate(-5, 0, 0), now.AddDate(0, 1, 0)) }), clock: true, want: FollowUpOffice},
		{name: "not yet valid", status: mine(func(s *kiosk.CardStatus) { s.Auth = cert(now.AddDate(0, 0, 3), now.AddDate(5, 0, 0)) }), clock: true, want: FollowUpOffice},
		{name: "kiosk clock not trusted", status: mine(func(*kiosk.CardStatus) {}), clock: false, want: FollowUpOffice},
		{name: "certificate unreadable", status: mine(func(s *kiosk.CardStatus) { s.Auth = nil }), clock: true, want: FollowUpOffice},
		{name: "auth PIN locked", status: mine(func(s *kiosk.CardStatus) { s.AuthTries, s.AuthLocked = 0, true }), clock: true, want: FollowUpLocked},
		{name: "sign PIN locked", status: mine(func(s *kiosk.CardStatus) { s.SignTries, s.SignLocked = 0, true }), clock: true, want: FollowUpLocked},
		{name: "auth PIN last try", status: mine(func(s *kiosk.CardStatus) { s.AuthTries = 1 }), clock: true, want: FollowUpOffice},
		{name: "sign PIN last try", status: mine(func(s *kiosk.CardStatus) { s.SignTries = 1 }), clock: true, want: FollowUpOffice},
		{name: "both PINs locked, no signing certificate, expired", status: mine(func(s *kiosk.CardStatus) {
			s.AuthLocked, s.SignLocked, s.AuthTries, s.SignTries = true, true, 0, 0
			s.HasSign = false
			s.Auth = cert(now.AddDate(-5, 0, 0), now.AddDate(0, 0, -3))
		}), clock: true, want: FollowUpLocked},
		{name: "old 住基カード", status: &kiosk.CardStatus{Kind: kiosk.CardJuki}, clock: true, want: FollowUpOffice},
		{name: "not a My Number card", read: kiosk.ErrNotJPKI, clock: true, want: FollowUpOffice},
		{name: "unreadable card (twice)", read: errors.New("6A82"), clock: true, want: FollowUpOffice},
		{name: "PIN change with no answer", clock: true, want: FollowUpPINUnknown, flow: func(f *kiosk.Flows) (kiosk.Result, error) {
			return f.ChangePIN(context.Background(), officeCard{changeErr: kiosk.ErrOutcomeUnknown},
				kiosk.ChangeRequest{PIN: kiosk.PINAuth, Old: []byte("1234"), New: []byte("5678"), Repeat: []byte("5678"), Shown: 3})
		}},
		{name: "signing PIN blocked at the check", clock: true, want: FollowUpLocked, flow: func(f *kiosk.Flows) (kiosk.Result, error) {
			return f.CheckSignCert(context.Background(), officeCard{signErr: kiosk.ErrBlocked}, []byte("ABC123"), 5, false)
		}},
		{name: "signing certificate expired", clock: true, want: FollowUpOffice, flow: func(f *kiosk.Flows) (kiosk.Result, error) {
			return f.CheckSignCert(context.Background(), officeCard{sign: cert(now.AddDate(-5, 0, 0), now.AddDate(0, 0, -1))}, []byte("ABC123"), 5, false)
		}},
	}

	dir := t.TempDir()
	clock := func() time.Time { return now }
	j, err := journal.Open(dir+"/journal.db", journal.Options{KioskID: "K01", Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	printer := &slipCatcher{}
	flows := &kiosk.Flows{Journal: j, Printer: printer, Municipality: kiosk.Municipality{Name: "〇〇村", NameEN: "Sample Village", Office: "住民福祉課", Counter: "1番窓口"}, KioskID: "K01", CertRefKey: []byte("k"), Now: clock}
	type printed struct {
		state string
		want  FollowUpKind
		slip  kiosk.Slip
	}
	var slips []printed
	for _, s := range states {
		before := len(printer.slips)
		if s.flow != nil {
			if _, err := s.flow(flows); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		} else {
			visitStatus(t, flows, s.status, s.read, s.clock, now)
		}
		if len(printer.slips) != before+1 {
			t.Fatalf("%s: %d slips printed, want 1", s.name, len(printer.slips)-before)
		}
		slips = append(slips, printed{s.name, s.want, printer.slips[before]})
	}

	// What the kiosk sends, as the collector reads it.
	recs, err := j.Pending(0)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		b, _ := json.Marshal(r)
		var got kiosk.Record
		if err := ksync.DecodeStrict(bytes.NewReader(b), &got); err != nil {
			t.Fatalf("record %d: %v", r.Seq, err)
		}
		if err := kiosk.CheckRecord(got); err != nil {
			t.Fatalf("record %d refused on arrival: %v", r.Seq, err)
		}
		recs[i] = got
	}
	if b := journal.VerifyChain(recs, 0, journal.Genesis); b != nil {
		t.Fatal(b)
	}
	st, err := boltstore.Open(t.TempDir(), clock)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Ingest(context.Background(), store.Ingest{KioskID: "K01", JournalID: j.JournalID(), Records: recs, Source: store.SourceSync, At: now}); err != nil {
		t.Fatal(err)
	}
	fus, err := FollowUps(context.Background(), st, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	byRef := map[string]FollowUp{}
	for _, f := range fus {
		byRef[f.Record.Reference] = f
		byRef[f.Reference()] = f
	}
	site := newSite(t, st, nil, nil)
	staff := site.client("staff-tanaka")
	seen := map[kiosk.Code]bool{}
	for _, p := range slips {
		f, ok := byRef[p.slip.Reference]
		if !ok {
			t.Errorf("%s: slip %s has no follow-up", p.state, p.slip.Reference)
			continue
		}
		if f.Kind != p.want {
			t.Errorf("%s: follow-up %s, want %s", p.state, f.Kind, p.want)
		}
		// Every section of the slip is a condition of the record, in order,
		// in the words the resident holds.
		conds := OfficeConditions(f.Record)
		if len(conds) != len(p.slip.Sections) {
			t.Errorf("%s: record names %v, slip has %d sections", p.state, conds, len(p.slip.Sections))
			continue
		}
		_, body, _ := get(t, staff, site.url+"/console/record/K01/"+url.PathEscape(f.JournalID)+"/"+strconv.FormatUint(f.Record.Seq, 10))
		for i, sec := range p.slip.Sections {
			seen[conds[i]] = true
			if w := ResidentWords(LangJA, f.Record, conds[i]); w != sec.TitleJA {
				t.Errorf("%s: condition %s reads %q on the console, %q on the slip", p.state, conds[i], w, sec.TitleJA)
			}
			if w := ResidentWords(LangEN, f.Record, conds[i]); w != sec.TitleEN {
				t.Errorf("%s: condition %s reads %q on the console, %q on the slip", p.state, conds[i], w, sec.TitleEN)
			}
			mustContain(t, p.state+" record page", body, `id="followup"`, html.EscapeString(sec.TitleJA))
		}
	}
	for _, c := range kiosk.Codes {
		if kiosk.OfficeBound(c) && !seen[c] {
			t.Errorf("office-bound state %s was not walked from slip to follow-up", c)
		}
	}
}

// visitStatus is one card's status through the kiosk's visit: inserted,
// read (twice for a card that cannot be read: the first read only asks
// for it again), and journaled with its slip as the visit asks.
func visitStatus(t *testing.T, f *kiosk.Flows, st *kiosk.CardStatus, readErr error, trusted bool, now time.Time) {
	t.Helper()
	var a kiosk.Assessment
	if st != nil {
		var clock *kiosk.ClockTrust
		if !trusted {
			clock = kiosk.NewClockTrust(now.AddDate(1, 0, 0)) // built after now: the clock is wrong
		}
		a = kiosk.Assess(st, now, clock)
	} else {
		a = kiosk.AssessError(readErr)
	}
	v := kiosk.NewVisit(kiosk.VisitConfig{IdleTimeout: time.Minute, IdleWarning: 10 * time.Second, Municipality: f.Municipality})
	for try := 0; try < 2; try++ {
		v.Handle(kiosk.CardInserted{At: now})
		effs := v.Handle(kiosk.StatusRead{At: now, Gen: v.Session(), Assessment: a})
		var rs []kiosk.RecordStatus
		for _, e := range effs {
			if r, ok := e.(kiosk.RecordStatus); ok {
				rs = append(rs, r)
			}
		}
		if len(rs) != 1 {
			t.Fatalf("the visit asked to record %d statuses, want 1", len(rs))
		}
		if _, err := f.RecordStatus(context.Background(), rs[0].Assessment); err != nil {
			t.Fatal(err)
		}
		if !rs[0].Assessment.Retry {
			return
		}
		v.Handle(kiosk.CardRemoved{At: now})
	}
	t.Fatal("the card was asked for again twice")
}
