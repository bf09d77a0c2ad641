package session_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/jpki"
	"github.com/villagehall/kiosk/drivers/jpki/virtualcard"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/ui"
	"github.com/villagehall/kiosk/ui/session"
)

// memJournal is an in-memory kiosk.Journal that records what it was given.
type memJournal struct {
	mu   sync.Mutex
	recs []kiosk.Record
	fail error
}

func (j *memJournal) Append(_ context.Context, r kiosk.Record) (kiosk.Record, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.fail != nil {
		return kiosk.Record{}, j.fail
	}
	r.Seq, r.KioskID = uint64(len(j.recs)+1), "K01"
	j.recs = append(j.recs, r)
	return r, nil
}

func (j *memJournal) all() []kiosk.Record {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]kiosk.Record(nil), j.recs...)
}

type memPrinter struct {
	mu    sync.Mutex
	slips []kiosk.Slip
	err   error
}

func (p *memPrinter) Print(_ context.Context, s kiosk.Slip) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	p.slips = append(p.slips, s)
	return nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

type rig struct {
	t       *testing.T
	cards   chan session.CardEvent
	intents chan ui.Intent
	views   chan ui.View
	ticks   chan time.Time
	clock   *clock
	journal *memJournal
	printer *memPrinter
	logs    *bytes.Buffer
	last    ui.View
	seen    []ui.View
}

func newRig(t *testing.T) *rig {
	r := &rig{
		t: t, cards: make(chan session.CardEvent), intents: make(chan ui.Intent), views: make(chan ui.View, 1),
		ticks: make(chan time.Time), clock: &clock{t: time.Now()}, journal: &memJournal{}, printer: &memPrinter{},
		logs: &bytes.Buffer{},
	}
	log := slog.New(slog.NewJSONHandler(&lockedWriter{w: r.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	flows := &kiosk.Flows{Journal: r.journal, Printer: r.printer, KioskID: "K01", Now: r.clock.Now, Log: log,
		Municipality: kiosk.DefaultConfig().Municipality}
	s := session.New(session.Config{IdleTimeout: 60 * time.Second, IdleWarning: 20 * time.Second, Flows: flows,
		Now: r.clock.Now, Log: log, Ticks: r.ticks})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx, r.cards, r.intents, r.views) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	r.await("waiting", func(v ui.View) bool { return v.Page == ui.PageWaiting })
	return r
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// await reads views until one satisfies ok.
func (r *rig) await(what string, ok func(ui.View) bool) ui.View {
	r.t.Helper()
	deadline := time.After(5 * time.Second)
	if ok(r.last) && len(r.seen) > 0 {
		return r.last
	}
	for {
		select {
		case v := <-r.views:
			r.last = v
			r.seen = append(r.seen, v)
			if ok(v) {
				return v
			}
		case <-deadline:
			r.t.Fatalf("timed out waiting for %s; last view: page %s %+v", what, r.last.Page, r.last.PIN)
		}
	}
}

func (r *rig) page(p ui.Page) ui.View {
	r.t.Helper()
	return r.await(p.String(), func(v ui.View) bool { return v.Page == p })
}

func (r *rig) send(in ui.Intent) { r.intents <- in }

func (r *rig) insert(name string) *virtualcard.Card {
	r.t.Helper()
	p, err := virtualcard.LoadProfile(filepath.Join("..", "..", "testdata", "cards", name+".json"), r.clock.Now())
	if err != nil {
		r.t.Fatal(err)
	}
	vc := virtualcard.New(p)
	r.cards <- session.CardEvent{Kind: session.CardInserted, Card: jpki.New(vc)}
	return vc
}

func (r *rig) pin(kind kiosk.PINKind, step ui.PINStep, s string) {
	r.t.Helper()
	r.await(fmt.Sprintf("PIN entry %v step %d", kind, step), func(v ui.View) bool {
		return v.Page == ui.PagePIN && v.PIN.Kind == kind && v.PIN.Step == step
	})
	r.send(ui.Intent{Kind: ui.IntentSubmitPIN, PIN: []byte(s), PINKind: kind, Step: step})
}

func (r *rig) toMenu() {
	r.t.Helper()
	r.page(ui.PageStatus)
	r.send(ui.Intent{Kind: ui.IntentNext})
	r.page(ui.PageMenu)
}

func TestStatusPages(t *testing.T) {
	tests := []struct {
		profile string
		code    kiosk.Code
		page    ui.Page
	}{
		{"fresh", kiosk.CodeValid, ui.PageStatus},
		{"renewal", kiosk.CodeRenewal, ui.PageStatus},
		{"expired", kiosk.CodeExpired, ui.PageStatus},
		{"auth-locked", kiosk.CodeAuthLocked, ui.PageStatus},
		{"no-sign", kiosk.CodeValid, ui.PageStatus},
		{"juki", kiosk.CodeJuki, ui.PageStatus},
		{"not-jpki", kiosk.CodeNotJPKI, ui.PageStatus},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			r := newRig(t)
			r.insert(tt.profile)
			v := r.page(tt.page)
			if v.Assessment.Code != tt.code {
				t.Fatalf("code %s, want %s", v.Assessment.Code, tt.code)
			}
			recs := waitRecords(t, r.journal, 1)
			if recs[0].Kind != kiosk.TxStatus || recs[0].Status != string(tt.code) {
				t.Fatalf("record %+v", recs[0])
			}
			needsOffice := kiosk.Guide(tt.code, kiosk.PINAuth, kiosk.DefaultConfig().Municipality).NeedsOffice
			r.send(ui.Intent{Kind: ui.IntentNext})
			if needsOffice {
				// The reference appears once the status record is durable
				// (and its slip printed), a moment after the page itself.
				g := r.await("guidance with its reference", func(v ui.View) bool { return v.Page == ui.PageGuidance && v.Reference != "" })
				if g.Guidance != tt.code {
					t.Fatalf("guidance %s ref %q", g.Guidance, g.Reference)
				}
				if len(r.printer.slips) != 1 || r.printer.slips[0].Reference != g.Reference {
					t.Fatalf("slip not printed with the reference: %+v", r.printer.slips)
				}
			}
			r.cards <- session.CardEvent{Kind: session.CardRemoved}
			w := r.page(ui.PageWaiting)
			if w.Assessment.Code != "" || w.Reference != "" {
				t.Fatalf("waiting screen remembers the visit: %+v", w)
			}
		})
	}
}

func waitRecords(t *testing.T, j *memJournal, n int) []kiosk.Record {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if recs := j.all(); len(recs) >= n {
			return recs
		}
		time.Sleep(2 * time.Millisecond) // polling a fake's slice, not synchronising the code under test
	}
	t.Fatalf("journal has %d records, want %d", len(j.all()), n)
	return nil
}

func TestChangeAuthPIN(t *testing.T) {
	r := newRig(t)
	vc := r.insert("fresh")
	r.toMenu()
	r.send(ui.Intent{Kind: ui.IntentChoose, Action: ui.ActionChangeAuth})
	v := r.await("pin", func(v ui.View) bool { return v.Page == ui.PagePIN })
	if v.PIN.TriesLeft != 3 {
		t.Fatalf("tries shown %d, want 3", v.PIN.TriesLeft)
	}
	r.pin(kiosk.PINAuth, ui.StepCurrent, "1234")
	r.pin(kiosk.PINAuth, ui.StepNew, "5678")
	r.pin(kiosk.PINAuth, ui.StepConfirm, "5679")
	// Mismatch: back to the new PIN, nothing sent.
	v = r.await("mismatch", func(v ui.View) bool { return v.Page == ui.PagePIN && v.PIN.Step == ui.StepNew && v.PIN.Mismatch })
	if !vc.PINMatches(jpki.EFAuthPIN, []byte("1234")) {
		t.Fatal("card changed on a mismatch")
	}
	r.send(ui.Intent{Kind: ui.IntentSubmitPIN, PIN: []byte("5678"), PINKind: kiosk.PINAuth, Step: ui.StepNew})
	r.pin(kiosk.PINAuth, ui.StepConfirm, "5678")
	res := r.page(ui.PageResult)
	if res.Result.Kind != ui.ResultChanged || res.Reference == "" {
		t.Fatalf("result %+v", res.Result)
	}
	if !vc.PINMatches(jpki.EFAuthPIN, []byte("5678")) {
		t.Fatal("card does not hold the new PIN")
	}
	r.send(ui.Intent{Kind: ui.IntentNext})
	r.page(ui.PageMenu)
}

func TestChangeSignPINLowercase(t *testing.T) {
	r := newRig(t)
	vc := r.insert("fresh")
	r.toMenu()
	r.send(ui.Intent{Kind: ui.IntentChoose, Action: ui.ActionChangeSign})
	r.pin(kiosk.PINSign, ui.StepCurrent, "abc123")
	r.pin(kiosk.PINSign, ui.StepNew, "new2026pin")
	r.pin(kiosk.PINSign, ui.StepConfirm, "NEW2026PIN")
	if res := r.page(ui.PageResult); res.Result.Kind != ui.ResultChanged {
		t.Fatalf("result %+v", res.Result)
	}
	if !vc.PINMatches(jpki.EFSignPIN, []byte("NEW2026PIN")) {
		t.Fatal("sign PIN not stored upper-case")
	}
}

func TestWrongPINThenLastTryWarning(t *testing.T) {
	r := newRig(t)
	vc := r.insert("fresh")
	r.toMenu()
	for i, want := range []int{2, 1} {
		r.send(ui.Intent{Kind: ui.IntentChoose, Action: ui.ActionChangeAuth})
		r.pin(kiosk.PINAuth, ui.StepCurrent, "9999")
		r.pin(kiosk.PINAuth, ui.StepNew, "1111")
		r.pin(kiosk.PINAuth, ui.StepConfirm, "1111")
		res := r.page(ui.PageResult)
		if res.Result.Kind != ui.ResultWrongPIN || res.Result.TriesLeft != want {
			t.Fatalf("attempt %d: result %+v", i, res.Result)
		}
		r.send(ui.Intent{Kind: ui.IntentNext})
		r.page(ui.PageMenu)
	}
	// One try left: a separate warning screen before entry.
	r.send(ui.Intent{Kind: ui.IntentChoose, Action: ui.ActionChangeAuth})
	r.page(ui.PageLastTry)
	r.send(ui.Intent{Kind: ui.IntentCancel})
	r.page(ui.PageMenu)
	if vc.Tries(jpki.EFAuthPIN) != 1 {
		t.Fatal("a try was spent by cancelling")
	}
	r.send(ui.Intent{Kind: ui.IntentChoose, Action: ui.ActionChangeAuth})
	r.page(ui.PageLastTry)
	r.send(ui.Intent{Kind: ui.IntentConfirm})
	r.pin(kiosk.PINAuth, ui.StepCurrent, "9999")
	r.pin(kiosk.PINAuth, ui.StepNew, "1111")
	r.pin(kiosk.PINAuth, ui.StepConfirm, "1111")
	res := r.page(ui.PageResult)
	if res.Result.Kind != ui.ResultLocked {
		t.Fatalf("result %+v, want locked", res.Result)
	}
	if len(r.printer.slips) == 0 {
		t.Fatal("no slip for a lock")
	}
}

func TestSignCertCheck(t *testing.T) {
	r := newRig(t)
	r.insert("renewal")
	r.page(ui.PageStatus)
	r.send(ui.Intent{Kind: ui.IntentNext})
	r.page(ui.PageGuidance) // renewal: office guidance first
	r.send(ui.Intent{Kind: ui.IntentNext})
	r.page(ui.PageMenu)
	r.send(ui.Intent{Kind: ui.IntentChoose, Action: ui.ActionCheckSign})
	v := r.await("sign PIN", func(v ui.View) bool { return v.Page == ui.PagePIN })
	if !v.PIN.ForSignCheck || v.PIN.TriesLeft != 5 {
		t.Fatalf("prompt %+v", v.PIN)
	}
	r.send(ui.Intent{Kind: ui.IntentSubmitPIN, PIN: []byte("ABC123"), PINKind: kiosk.PINSign, Step: ui.StepCurrent})
	res := r.page(ui.PageResult)
	if res.Result.Kind != ui.ResultSignCert || res.Result.Sign.Verdict != kiosk.CodeRenewal {
		t.Fatalf("result %+v", res.Result)
	}
}

// blockingCard lets a test pull the card while CHANGE is on its way.
type blockingCard struct {
	kiosk.Card
	reached, release chan struct{}
}

func (b *blockingCard) ChangePIN(k kiosk.PINKind, shown int, old, new []byte) error {
	close(b.reached)
	<-b.release
	return fmt.Errorf("change: %w: %w", kiosk.ErrOutcomeUnknown, kiosk.ErrCardRemoved)
}

func TestRemovalDuringChangeSaysUnknown(t *testing.T) {
	r := newRig(t)
	p, err := virtualcard.LoadProfile(filepath.Join("..", "..", "testdata", "cards", "fresh.json"), r.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	bc := &blockingCard{Card: jpki.New(virtualcard.New(p)), reached: make(chan struct{}), release: make(chan struct{})}
	r.cards <- session.CardEvent{Kind: session.CardInserted, Card: bc}
	r.toMenu()
	r.send(ui.Intent{Kind: ui.IntentChoose, Action: ui.ActionChangeAuth})
	r.pin(kiosk.PINAuth, ui.StepCurrent, "1234")
	r.pin(kiosk.PINAuth, ui.StepNew, "5678")
	r.pin(kiosk.PINAuth, ui.StepConfirm, "5678")
	<-bc.reached
	r.cards <- session.CardEvent{Kind: session.CardRemoved}
	close(bc.release)
	v := r.await("unknown notice", func(v ui.View) bool { return v.Page == ui.PageResult && v.Result.Kind == ui.ResultUnknown })
	if v.Reference == "" {
		t.Fatal("no reference for an unknown outcome")
	}
	recs := r.journal.all()
	if last := recs[len(recs)-1]; last.Outcome != kiosk.OutcomeUnknown {
		t.Fatalf("journaled %s, want unknown", last.Outcome)
	}
	r.send(ui.Intent{Kind: ui.IntentNext})
	r.page(ui.PageWaiting)
}

func TestIdleTimeoutForgets(t *testing.T) {
	r := newRig(t)
	r.insert("fresh")
	r.page(ui.PageStatus)
	r.ticks <- r.clock.Add(45 * time.Second)
	v := r.await("idle warning", func(v ui.View) bool { return !v.IdleDeadline.IsZero() })
	if left := v.IdleDeadline.Sub(r.clock.Now()); left < 14*time.Second || left > 20*time.Second {
		t.Fatalf("countdown %v", left)
	}
	r.send(ui.Intent{Kind: ui.IntentContinue})
	r.await("warning dismissed", func(v ui.View) bool { return v.IdleDeadline.IsZero() && v.Page == ui.PageStatus })
	r.ticks <- r.clock.Add(61 * time.Second)
	v = r.page(ui.PageTakeCard)
	if v.Assessment.Code != "" {
		t.Fatal("the take-card screen still holds the status")
	}
}

func TestJournalFullRefusesVisit(t *testing.T) {
	j := &memJournal{}
	full := errors.New("journal full")
	s := session.New(session.Config{Flows: &kiosk.Flows{Journal: j}, CanRecord: func() error { return full }})
	cards, views := make(chan session.CardEvent), make(chan ui.View, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx, cards, make(chan ui.Intent), views)
	p, _ := virtualcard.LoadProfile(filepath.Join("..", "..", "testdata", "cards", "fresh.json"), time.Now())
	cards <- session.CardEvent{Kind: session.CardInserted, Card: jpki.New(virtualcard.New(p))}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case v := <-views:
			if v.Page == ui.PageOutOfService {
				if len(j.all()) != 0 {
					t.Fatal("records written")
				}
				return
			}
		case <-deadline:
			t.Fatal("no out-of-service page")
		}
	}
}

// TestCanaryPIN runs every flow with distinctive PINs and searches every
// byte the session produced: logs, records, slips and views.
func TestCanaryPIN(t *testing.T) {
	const oldPIN, newAuth, newSign = "1234", "7391", "QZ7391CANARY"
	r := newRig(t)
	r.insert("fresh")
	r.toMenu()
	r.send(ui.Intent{Kind: ui.IntentChoose, Action: ui.ActionChangeAuth})
	r.pin(kiosk.PINAuth, ui.StepCurrent, oldPIN)
	r.pin(kiosk.PINAuth, ui.StepNew, newAuth)
	r.pin(kiosk.PINAuth, ui.StepConfirm, newAuth)
	r.page(ui.PageResult)
	r.send(ui.Intent{Kind: ui.IntentNext})
	r.page(ui.PageMenu)
	r.send(ui.Intent{Kind: ui.IntentChoose, Action: ui.ActionChangeSign})
	r.pin(kiosk.PINSign, ui.StepCurrent, "abc123")
	r.pin(kiosk.PINSign, ui.StepNew, strings.ToLower(newSign))
	r.pin(kiosk.PINSign, ui.StepConfirm, newSign)
	r.page(ui.PageResult)
	r.send(ui.Intent{Kind: ui.IntentNext})
	r.page(ui.PageMenu)
	r.send(ui.Intent{Kind: ui.IntentChoose, Action: ui.ActionCheckSign})
	r.pin(kiosk.PINSign, ui.StepCurrent, "WRONG"+newAuth)
	r.page(ui.PageResult)
	r.cards <- session.CardEvent{Kind: session.CardRemoved}
	r.page(ui.PageWaiting)

	var all bytes.Buffer
	all.Write(r.logs.Bytes())
	for _, rec := range r.journal.all() {
		b, _ := json.Marshal(rec)
		all.Write(b)
	}
	for _, s := range r.printer.slips {
		fmt.Fprintf(&all, "%+v", s)
	}
	for _, v := range r.seen {
		fmt.Fprintf(&all, "%+v", v)
	}
	for _, canary := range []string{newAuth, newSign, strings.ToLower(newSign), "WRONG" + newAuth, virtualcard.FakeName, virtualcard.FakeAddress, virtualcard.FakeBirth} {
		if bytes.Contains(all.Bytes(), []byte(canary)) {
			t.Errorf("canary %q found in the session's output", canary)
		}
	}
	if all.Len() < 1000 {
		t.Fatalf("only %d bytes searched: the search would prove nothing", all.Len())
	}
}
