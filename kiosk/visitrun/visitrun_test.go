package visitrun_test

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
	"sync/atomic"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/jpki"
	"github.com/villagehall/kiosk/drivers/jpki/virtualcard"
	"github.com/villagehall/kiosk/drivers/pcsc/pcsctest"
	"github.com/villagehall/kiosk/drivers/pcsc/vpcd"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/visitrun"
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

func (p *memPrinter) all() []kiosk.Slip {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]kiosk.Slip(nil), p.slips...)
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

type lockedWriter struct {
	mu sync.Mutex
	w  bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

type rig struct {
	t       *testing.T
	cards   chan visitrun.CardEvent
	input   chan kiosk.Input
	views   chan kiosk.View
	ticks   chan time.Time
	clock   *clock
	journal *memJournal
	printer *memPrinter
	logs    *lockedWriter
	last    kiosk.View
	seen    []kiosk.View
	stop    func() // stops the runner and waits for it (once)
}

func newRig(t *testing.T) *rig { return newRigWith(t, nil) }

// newRigWith is newRig with its configuration changed by set first.
func newRigWith(t *testing.T, set func(*visitrun.Config)) *rig {
	r := &rig{
		t: t, cards: make(chan visitrun.CardEvent), input: make(chan kiosk.Input), views: make(chan kiosk.View, 1),
		ticks: make(chan time.Time), clock: &clock{t: time.Now()}, journal: &memJournal{}, printer: &memPrinter{},
		logs: &lockedWriter{},
	}
	// No timestamps: their nanoseconds would now and then spell the
	// 4-digit canary PIN and fail the search for no fault of the kiosk.
	log := slog.New(slog.NewJSONHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		}}))
	flows := &kiosk.Flows{Journal: r.journal, Printer: r.printer, KioskID: "K01", Now: r.clock.Now, Log: log,
		Municipality: testMunicipality()}
	cfg := visitrun.Config{Visit: kiosk.VisitConfig{IdleTimeout: 60 * time.Second, IdleWarning: 20 * time.Second},
		Flows: flows, Now: r.clock.Now, Log: log, Ticks: r.ticks}
	if set != nil {
		set(&cfg)
	}
	s := visitrun.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx, r.cards, r.input, r.views) }()
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(r.stop)
	r.screen(kiosk.ScreenWaiting)
	return r
}

func testMunicipality() kiosk.Municipality {
	return kiosk.Municipality{Name: "〇〇村", NameEN: "Sample Village", Office: "住民福祉課", Counter: "1番窓口",
		Phone: "0000-00-0000", Hours: "平日 8:30〜17:15", ETax: true}
}

// await reads views until one satisfies ok.
func (r *rig) await(what string, ok func(kiosk.View) bool) kiosk.View {
	r.t.Helper()
	deadline := time.After(5 * time.Second)
	if len(r.seen) > 0 && ok(r.last) {
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
			r.t.Fatalf("timed out waiting for %s; last view: %s %+v", what, r.last.Screen, r.last.PIN)
		}
	}
}

func (r *rig) screen(s kiosk.Screen) kiosk.View {
	r.t.Helper()
	return r.await(s.String(), func(v kiosk.View) bool { return v.Screen == s })
}

func (r *rig) send(in kiosk.Input) { r.input <- in }

func (r *rig) press(k kiosk.InputKind) { r.send(kiosk.Input{Kind: k}) }

func (r *rig) choose(a kiosk.Action) { r.send(kiosk.Input{Kind: kiosk.InputChoose, Action: a}) }

func loadCard(t testing.TB, name string, now time.Time) *virtualcard.Card {
	t.Helper()
	p, err := virtualcard.LoadProfile(filepath.Join("..", "..", "testdata", "cards", name+".json"), now)
	if err != nil {
		t.Fatal(err)
	}
	return virtualcard.New(p)
}

func (r *rig) insert(name string) *virtualcard.Card {
	r.t.Helper()
	vc := loadCard(r.t, name, r.clock.Now())
	r.cards <- visitrun.CardEvent{Kind: visitrun.CardInserted, Card: jpki.New(vc)}
	return vc
}

// pin waits for the entry screen of kind and step, then types s there.
func (r *rig) pin(kind kiosk.PINKind, step kiosk.PINStep, s string) kiosk.View {
	r.t.Helper()
	v := r.await(fmt.Sprintf("PIN entry %v step %d", kind, step), func(v kiosk.View) bool {
		return v.Screen == kiosk.ScreenPIN && v.PIN.Kind == kind && v.PIN.Step == step
	})
	r.send(kiosk.Input{Kind: kiosk.InputSubmit, PIN: []byte(s), Serial: v.PIN.Serial})
	return v
}

// toMenu goes from the status through its office pages to the menu.
func (r *rig) toMenu() {
	r.t.Helper()
	r.screen(kiosk.ScreenStatus)
	for page := 1; ; page++ {
		r.press(kiosk.InputNext)
		v := r.await("menu or the next guidance page", func(v kiosk.View) bool {
			return v.Screen == kiosk.ScreenMenu || v.Screen == kiosk.ScreenGuidance && v.GuideNo == page
		})
		if v.Screen == kiosk.ScreenMenu {
			return
		}
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

func TestStatusAndGuidance(t *testing.T) {
	tests := []struct {
		profile string
		code    kiosk.Code
		office  []kiosk.Code // the guidance pages after the status, in order
		menu    bool
	}{
		{"fresh", kiosk.CodeValid, nil, true},
		{"renewal", kiosk.CodeRenewal, []kiosk.Code{kiosk.CodeRenewal}, true},
		{"expired", kiosk.CodeExpired, []kiosk.Code{kiosk.CodeExpired}, true},
		{"auth-locked", kiosk.CodeAuthLocked, []kiosk.Code{kiosk.CodeAuthLocked}, true},
		{"sign-locked", kiosk.CodeSignLocked, []kiosk.Code{kiosk.CodeSignLocked}, true},
		{"no-sign", kiosk.CodeValid, []kiosk.Code{kiosk.CodeNoSignCert}, true},
		{"juki", kiosk.CodeJuki, []kiosk.Code{kiosk.CodeJuki}, false},
		{"not-jpki", kiosk.CodeNotJPKI, []kiosk.Code{kiosk.CodeNotJPKI}, false},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			r := newRig(t)
			r.insert(tt.profile)
			v := r.screen(kiosk.ScreenStatus)
			records := 1
			if tt.code == kiosk.CodeNotJPKI {
				// It may be a My Number Card upside down: the first time
				// it is asked for again, with no slip.
				if !v.Assessment.Retry || v.Pages[0].Office {
					t.Fatalf("first read of an unknown card: %+v", v.Pages[0])
				}
				waitRecords(t, r.journal, 1)
				r.press(kiosk.InputNext)
				r.screen(kiosk.ScreenTakeCard)
				if len(r.printer.all()) != 0 {
					t.Fatal("a slip before the card was asked for again")
				}
				r.cards <- visitrun.CardEvent{Kind: visitrun.CardRemoved}
				r.screen(kiosk.ScreenWaiting)
				r.insert(tt.profile)
				v = r.screen(kiosk.ScreenStatus)
				records = 2
			}
			if v.Assessment.Code != tt.code || v.Pages[0].Code != tt.code {
				t.Fatalf("code %s (page %s), want %s", v.Assessment.Code, v.Pages[0].Code, tt.code)
			}
			recs := waitRecords(t, r.journal, records)[records-1:]
			if recs[0].Kind != kiosk.TxStatus && recs[0].Kind != kiosk.TxCardError || recs[0].Status != string(tt.code) {
				t.Fatalf("record %+v", recs[0])
			}
			for i, want := range tt.office {
				r.press(kiosk.InputNext)
				// The page tells the slip once the record is durable and printed.
				g := r.await("guidance with its slip", func(v kiosk.View) bool {
					return v.Screen == kiosk.ScreenGuidance && v.GuideNo == i+1 && v.Note.State == kiosk.SlipPrinted
				})
				if g.Page.Code != want || g.GuideOf != len(tt.office) || g.Note.Reference == "" {
					t.Fatalf("guidance %d: %s %d/%d ref %q", i, g.Page.Code, g.GuideNo, g.GuideOf, g.Note.Reference)
				}
				slips := r.printer.all()
				if len(slips) != 1 || slips[0].Reference != g.Note.Reference || len(slips[0].Sections) != len(tt.office) {
					t.Fatalf("slips %+v, want one with %d sections and reference %s", slips, len(tt.office), g.Note.Reference)
				}
			}
			if tt.office == nil && len(r.printer.all()) != 0 {
				t.Fatal("a slip printed for a status that needs no office")
			}
			r.press(kiosk.InputNext)
			want := kiosk.ScreenTakeCard
			if tt.menu {
				want = kiosk.ScreenMenu
			}
			end := r.screen(want)
			if want == kiosk.ScreenTakeCard && !end.SlipTaken {
				t.Fatal("take-card screen does not mention the slip")
			}
			r.cards <- visitrun.CardEvent{Kind: visitrun.CardRemoved}
			w := r.screen(kiosk.ScreenWaiting)
			if w.Assessment != nil || w.Page != nil || w.Result != nil {
				t.Fatalf("waiting screen remembers the visit: %+v", w)
			}
		})
	}
}

func TestChangeAuthPIN(t *testing.T) {
	r := newRig(t)
	vc := r.insert("fresh")
	r.toMenu()
	r.choose(kiosk.ActionChangeAuth)
	v := r.pin(kiosk.PINAuth, kiosk.StepCurrent, "1234")
	if v.PIN.TriesLeft != 3 {
		t.Fatalf("tries shown %d, want 3", v.PIN.TriesLeft)
	}
	r.pin(kiosk.PINAuth, kiosk.StepNew, "5678")
	r.pin(kiosk.PINAuth, kiosk.StepConfirm, "5679")
	// Mismatch: back to the new PIN, nothing sent.
	r.await("mismatch", func(v kiosk.View) bool {
		return v.Screen == kiosk.ScreenPIN && v.PIN.Step == kiosk.StepNew && v.PIN.Mismatch
	})
	if !vc.PINMatches(jpki.EFAuthPIN, []byte("1234")) {
		t.Fatal("card changed on a mismatch")
	}
	r.pin(kiosk.PINAuth, kiosk.StepNew, "5678")
	r.pin(kiosk.PINAuth, kiosk.StepConfirm, "5678")
	res := r.screen(kiosk.ScreenResult)
	if res.Result.Code != kiosk.CodePINChanged || res.Note.State != kiosk.SlipPrinted || res.Note.Reference == "" {
		t.Fatalf("result %+v note %+v", res.Result.Code, res.Note)
	}
	if !vc.PINMatches(jpki.EFAuthPIN, []byte("5678")) {
		t.Fatal("card does not hold the new PIN")
	}
	r.press(kiosk.InputNext)
	r.screen(kiosk.ScreenMenu)
}

func TestChangeSignPINLowercase(t *testing.T) {
	r := newRig(t)
	vc := r.insert("fresh")
	r.toMenu()
	r.choose(kiosk.ActionChangeSign)
	r.pin(kiosk.PINSign, kiosk.StepCurrent, "abc123")
	r.pin(kiosk.PINSign, kiosk.StepNew, "new2026pin")
	r.pin(kiosk.PINSign, kiosk.StepConfirm, "NEW2026PIN")
	if res := r.screen(kiosk.ScreenResult); res.Result.Code != kiosk.CodePINChanged {
		t.Fatalf("result %+v", res.Result)
	}
	if !vc.PINMatches(jpki.EFSignPIN, []byte("NEW2026PIN")) {
		t.Fatal("sign PIN not stored upper-case")
	}
}

// TestLockRefreshesStatus: wrong PINs count down on screen, the last try
// asks first, and after the lock the status leads with it (no "valid",
// no change offered).
func TestLockRefreshesStatus(t *testing.T) {
	r := newRig(t)
	vc := r.insert("fresh")
	r.toMenu()
	for i, want := range []int{2, 1} {
		r.choose(kiosk.ActionChangeAuth)
		r.pin(kiosk.PINAuth, kiosk.StepCurrent, "9999")
		r.pin(kiosk.PINAuth, kiosk.StepNew, "1111")
		r.pin(kiosk.PINAuth, kiosk.StepConfirm, "1111")
		res := r.screen(kiosk.ScreenResult)
		if res.Result.Outcome != kiosk.OutcomeWrongPIN || res.Result.TriesLeft != want || res.Assessment.AuthTries != want {
			t.Fatalf("attempt %d: result %+v, status tries %d", i, res.Result, res.Assessment.AuthTries)
		}
		r.press(kiosk.InputNext)
		r.screen(kiosk.ScreenMenu)
	}
	// One try left: a separate warning screen before entry.
	r.choose(kiosk.ActionChangeAuth)
	r.screen(kiosk.ScreenLastTry)
	r.press(kiosk.InputBack)
	r.screen(kiosk.ScreenMenu)
	if vc.Tries(jpki.EFAuthPIN) != 1 {
		t.Fatal("a try was spent by cancelling")
	}
	r.choose(kiosk.ActionChangeAuth)
	r.screen(kiosk.ScreenLastTry)
	r.press(kiosk.InputConfirm)
	r.pin(kiosk.PINAuth, kiosk.StepCurrent, "9999")
	r.pin(kiosk.PINAuth, kiosk.StepNew, "1111")
	r.pin(kiosk.PINAuth, kiosk.StepConfirm, "1111")
	res := r.screen(kiosk.ScreenResult)
	if res.Result.Outcome != kiosk.OutcomeLocked || res.Page.Code != kiosk.CodeAuthLocked {
		t.Fatalf("result %+v, want locked", res.Result)
	}
	r.await("the lock's slip printed", func(v kiosk.View) bool { return v.Note.State == kiosk.SlipPrinted })
	r.press(kiosk.InputNext)
	m := r.screen(kiosk.ScreenMenu)
	for _, a := range m.Actions {
		if a == kiosk.ActionChangeAuth {
			t.Fatal("a locked PIN is still offered for change")
		}
	}
	r.choose(kiosk.ActionStatus)
	s := r.screen(kiosk.ScreenStatus)
	if s.Pages[0].Code != kiosk.CodeAuthLocked || strings.Contains(s.Pages[0].Next.JA, "このまま") {
		t.Fatalf("status after the lock leads with %s: %q", s.Pages[0].Code, s.Pages[0].Title.JA)
	}
	r.press(kiosk.InputNext)
	g := r.screen(kiosk.ScreenGuidance)
	if g.Page.Code != kiosk.CodeAuthLocked || g.Note.State != kiosk.SlipPrinted {
		t.Fatalf("guidance after the lock: %s, note %+v", g.Page.Code, g.Note)
	}
}

func TestSignCertCheck(t *testing.T) {
	r := newRig(t)
	r.insert("renewal")
	r.toMenu()
	r.choose(kiosk.ActionCheckSign)
	v := r.pin(kiosk.PINSign, kiosk.StepCurrent, "ABC123")
	if !v.PIN.ForSignCheck || v.PIN.TriesLeft != 5 {
		t.Fatalf("prompt %+v", v.PIN)
	}
	res := r.screen(kiosk.ScreenResult)
	if res.Result.Cert == nil || res.Result.Cert.Verdict != kiosk.CodeRenewal || res.Page.Subject != kiosk.PINSign {
		t.Fatalf("result %+v", res.Result)
	}
	if !strings.Contains(res.Page.Title.JA, "署名用電子証明書") {
		t.Errorf("the result does not say which certificate: %q", res.Page.Title.JA)
	}
}

// blockingCard lets a test pull the card while CHANGE is on its way.
type blockingCard struct {
	kiosk.Card
	reached, release chan struct{}
	err              error
}

func (b *blockingCard) ChangePIN(k kiosk.PINKind, shown int, old, new []byte) error {
	close(b.reached)
	<-b.release
	return b.err
}

func TestRemovalDuringChange(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want kiosk.Code
		slip bool
	}{
		{"answer lost: outcome unknown", fmt.Errorf("change: %w: %w", kiosk.ErrOutcomeUnknown, kiosk.ErrCardRemoved), kiosk.CodeChangeUnsure, true},
		{"removed before the change", fmt.Errorf("change: %w", kiosk.ErrCardRemoved), kiosk.CodeRemoved, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			bc := &blockingCard{Card: jpki.New(loadCard(t, "fresh", r.clock.Now())), reached: make(chan struct{}), release: make(chan struct{}), err: tt.err}
			r.cards <- visitrun.CardEvent{Kind: visitrun.CardInserted, Card: bc}
			r.toMenu()
			r.choose(kiosk.ActionChangeAuth)
			r.pin(kiosk.PINAuth, kiosk.StepCurrent, "1234")
			r.pin(kiosk.PINAuth, kiosk.StepNew, "5678")
			r.pin(kiosk.PINAuth, kiosk.StepConfirm, "5678")
			<-bc.reached
			r.cards <- visitrun.CardEvent{Kind: visitrun.CardRemoved}
			r.await("the notice awaiting the answer", func(v kiosk.View) bool { return v.Screen == kiosk.ScreenNotice && v.Awaiting })
			close(bc.release)
			v := r.await("the notice with the outcome", func(v kiosk.View) bool { return v.Screen == kiosk.ScreenNotice && !v.Awaiting })
			if v.Page.Code != tt.want {
				t.Fatalf("notice says %s, want %s", v.Page.Code, tt.want)
			}
			if tt.slip && (v.Note.State != kiosk.SlipPrinted || v.Note.Reference == "") {
				t.Fatalf("no slip and reference for an unknown outcome: %+v", v.Note)
			}
			recs := r.journal.all()
			if last := recs[len(recs)-1]; last.Kind != kiosk.TxChangeAuth {
				t.Fatalf("journaled %+v", last)
			}
			r.press(kiosk.InputNext)
			r.screen(kiosk.ScreenWaiting)
		})
	}
}

// TestRemovalMidEntry: a card pulled while a PIN is being typed says that
// nothing was changed, and the PIN typed so far is gone.
func TestRemovalMidEntry(t *testing.T) {
	r := newRig(t)
	vc := r.insert("fresh")
	r.toMenu()
	r.choose(kiosk.ActionChangeAuth)
	r.pin(kiosk.PINAuth, kiosk.StepCurrent, "1234")
	r.await("new PIN", func(v kiosk.View) bool { return v.Screen == kiosk.ScreenPIN && v.PIN.Step == kiosk.StepNew })
	r.cards <- visitrun.CardEvent{Kind: visitrun.CardRemoved}
	v := r.screen(kiosk.ScreenNotice)
	if v.Page.Code != kiosk.CodeRemoved || !strings.Contains(joinJA(v.Page.What), "変わっていません") {
		t.Fatalf("notice %+v", v.Page)
	}
	if vc.Tries(jpki.EFAuthPIN) != 3 || !vc.PINMatches(jpki.EFAuthPIN, []byte("1234")) {
		t.Fatal("the card was touched")
	}
	// The notice ends by itself when nobody reads it.
	r.ticks <- r.clock.Add(61 * time.Second)
	r.screen(kiosk.ScreenWaiting)
}

func joinJA(ts []kiosk.Text) string {
	var b strings.Builder
	for _, t := range ts {
		b.WriteString(t.JA)
	}
	return b.String()
}

func TestIdleTimeoutForgets(t *testing.T) {
	r := newRig(t)
	r.insert("fresh")
	r.screen(kiosk.ScreenStatus)
	r.send(kiosk.Input{Kind: kiosk.InputLang})
	r.await("English", func(v kiosk.View) bool { return v.Lang == kiosk.English })
	r.ticks <- r.clock.Add(45 * time.Second)
	v := r.await("idle warning", func(v kiosk.View) bool { return v.IdleLeft > 0 })
	if v.IdleLeft < 14*time.Second || v.IdleLeft > 20*time.Second {
		t.Fatalf("countdown %v", v.IdleLeft)
	}
	r.press(kiosk.InputActivity)
	r.await("warning dismissed", func(v kiosk.View) bool { return v.IdleLeft == 0 && v.Screen == kiosk.ScreenStatus })
	r.ticks <- r.clock.Add(61 * time.Second)
	v = r.screen(kiosk.ScreenTakeCard)
	if v.Assessment != nil {
		t.Fatal("the take-card screen still holds the status")
	}
	r.cards <- visitrun.CardEvent{Kind: visitrun.CardRemoved}
	if w := r.screen(kiosk.ScreenWaiting); w.Lang != kiosk.Japanese {
		t.Fatal("the next visit does not start in Japanese")
	}
}

func TestJournalFullRefusesVisit(t *testing.T) {
	j := &memJournal{}
	full := errors.New("journal full")
	s := visitrun.New(visitrun.Config{Flows: &kiosk.Flows{Journal: j}, CanRecord: func() error { return full }})
	cards, views := make(chan visitrun.CardEvent), make(chan kiosk.View, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx, cards, make(chan kiosk.Input), views)
	cards <- visitrun.CardEvent{Kind: visitrun.CardInserted, Card: jpki.New(loadCard(t, "fresh", time.Now()))}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case v := <-views:
			if v.Screen == kiosk.ScreenOutOfService {
				if len(j.all()) != 0 {
					t.Fatal("records written")
				}
				return
			}
		case <-deadline:
			t.Fatal("no out-of-service screen")
		}
	}
}

// TestNoControlsOutOfService: a keypad-only kiosk whose keypad failed
// says so on the waiting screen and does not read a card it could not
// serve; it is back in service on the tick after the keypad is. The log
// says each change once.
func TestNoControlsOutOfService(t *testing.T) {
	var mu sync.Mutex
	broken := errors.New("keypad error")
	answer := func() error { mu.Lock(); defer mu.Unlock(); return broken }
	setBroken := func(err error) { mu.Lock(); broken = err; mu.Unlock() }
	var logs lockedWriter
	j := &memJournal{}
	ticks := make(chan time.Time)
	s := visitrun.New(visitrun.Config{Flows: &kiosk.Flows{Journal: j}, CanAnswer: answer, Ticks: ticks,
		Log: slog.New(slog.NewTextHandler(&logs, nil))})
	cards, views := make(chan visitrun.CardEvent), make(chan kiosk.View, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx, cards, make(chan kiosk.Input), views)
	want := func(sc kiosk.Screen) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case v := <-views:
				if v.Screen == sc {
					return
				}
			case <-deadline:
				t.Fatalf("no %s screen", sc)
			}
		}
	}
	want(kiosk.ScreenWaiting) // devices still opening: no verdict before the first tick
	for i := 0; i < 3; i++ {
		ticks <- time.Now()
	}
	want(kiosk.ScreenOutOfService)
	cards <- visitrun.CardEvent{Kind: visitrun.CardInserted, Card: jpki.New(loadCard(t, "fresh", time.Now()))}
	want(kiosk.ScreenOutOfService)
	cards <- visitrun.CardEvent{Kind: visitrun.CardRemoved}
	setBroken(nil)
	ticks <- time.Now()
	want(kiosk.ScreenWaiting)
	if n := len(j.all()); n != 0 {
		t.Errorf("%d records written for a card that was not read", n)
	}
	l := logs.String()
	if strings.Count(l, "out of service: no keypad or touchscreen works") != 1 || !strings.Contains(l, "keypad error") ||
		strings.Count(l, "works again: in service") != 1 {
		t.Errorf("log:\n%s", l)
	}
}

// TestShutdownWipesPINs: a kiosk stopped between PIN steps leaves no PIN
// in memory: neither the one the visit holds nor one still queued.
func TestShutdownWipesPINs(t *testing.T) {
	r := newRig(t)
	r.insert("fresh")
	r.toMenu()
	r.choose(kiosk.ActionChangeAuth)
	v := r.await("current PIN", func(v kiosk.View) bool { return v.Screen == kiosk.ScreenPIN })
	held := []byte("1234")
	r.send(kiosk.Input{Kind: kiosk.InputSubmit, PIN: held, Serial: v.PIN.Serial})
	r.await("new PIN", func(v kiosk.View) bool { return v.Screen == kiosk.ScreenPIN && v.PIN.Step == kiosk.StepNew })
	r.stop()
	if !bytes.Equal(held, make([]byte, len(held))) {
		t.Errorf("the current PIN outlived the runner: %q", held)
	}

	// A PIN typed as the kiosk stops, never taken from the queue.
	s := visitrun.New(visitrun.Config{Flows: &kiosk.Flows{Journal: &memJournal{}}, Ticks: make(chan time.Time)})
	queued := []byte("5678")
	input := make(chan kiosk.Input, 1)
	input <- kiosk.Input{Kind: kiosk.InputSubmit, PIN: queued}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Run(ctx, make(chan visitrun.CardEvent), input, make(chan kiosk.View, 1)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(queued, make([]byte, len(queued))) {
		t.Errorf("a queued PIN outlived the runner: %q", queued)
	}
}

// TestCanaryPIN runs every flow with distinctive PINs and searches every
// byte the runner produced: logs, records, slips and views.
func TestCanaryPIN(t *testing.T) {
	const oldPIN, newAuth, newSign = "1234", "7391", "QZ7391CANARY"
	r := newRig(t)
	r.insert("fresh")
	r.toMenu()
	r.choose(kiosk.ActionChangeAuth)
	r.pin(kiosk.PINAuth, kiosk.StepCurrent, oldPIN)
	r.pin(kiosk.PINAuth, kiosk.StepNew, newAuth)
	r.pin(kiosk.PINAuth, kiosk.StepConfirm, newAuth)
	r.screen(kiosk.ScreenResult)
	r.press(kiosk.InputNext)
	r.screen(kiosk.ScreenMenu)
	r.choose(kiosk.ActionChangeSign)
	r.pin(kiosk.PINSign, kiosk.StepCurrent, "abc123")
	r.pin(kiosk.PINSign, kiosk.StepNew, strings.ToLower(newSign))
	r.pin(kiosk.PINSign, kiosk.StepConfirm, newSign)
	r.screen(kiosk.ScreenResult)
	r.press(kiosk.InputNext)
	r.screen(kiosk.ScreenMenu)
	r.choose(kiosk.ActionCheckSign)
	r.pin(kiosk.PINSign, kiosk.StepCurrent, "WRONG"+newAuth)
	r.screen(kiosk.ScreenResult)
	r.press(kiosk.InputNext)
	r.screen(kiosk.ScreenMenu)
	r.choose(kiosk.ActionChangeAuth)
	r.pin(kiosk.PINAuth, kiosk.StepCurrent, newAuth)
	r.cards <- visitrun.CardEvent{Kind: visitrun.CardRemoved} // mid-entry
	r.screen(kiosk.ScreenNotice)

	var all bytes.Buffer
	all.WriteString(r.logs.String())
	for _, rec := range r.journal.all() {
		b, _ := json.Marshal(rec)
		all.Write(b)
	}
	for _, s := range r.printer.all() {
		fmt.Fprintf(&all, "%+v", s)
	}
	for _, v := range r.seen {
		fmt.Fprintf(&all, "%+v", v)
	}
	for _, canary := range []string{newAuth, newSign, strings.ToLower(newSign), "WRONG" + newAuth, virtualcard.FakeName, virtualcard.FakeAddress, virtualcard.FakeBirth} {
		if bytes.Contains(all.Bytes(), []byte(canary)) {
			t.Errorf("canary %q found in the runner's output", canary)
		}
	}
	if all.Len() < 1000 {
		t.Fatalf("only %d bytes searched: the search would prove nothing", all.Len())
	}
}

// panickyCard blocks in ChangePIN until released, then panics: a driver
// bug that surfaces only after the resident has gone.
type panickyCard struct {
	kiosk.Card
	reached, release chan struct{}
}

func (p *panickyCard) ChangePIN(kiosk.PINKind, int, []byte, []byte) error {
	close(p.reached)
	<-p.release
	panic("driver bug after the card left")
}

// TestStalePanicLeavesNextVisitAlone: card work of an earlier visit that
// panics must not end the flow of the visit now at the screen.
func TestStalePanicLeavesNextVisitAlone(t *testing.T) {
	r := newRig(t)
	pc := &panickyCard{Card: jpki.New(loadCard(t, "fresh", r.clock.Now())), reached: make(chan struct{}), release: make(chan struct{})}
	r.cards <- visitrun.CardEvent{Kind: visitrun.CardInserted, Card: pc}
	r.toMenu()
	r.choose(kiosk.ActionChangeAuth)
	r.pin(kiosk.PINAuth, kiosk.StepCurrent, "1234")
	r.pin(kiosk.PINAuth, kiosk.StepNew, "5678")
	r.pin(kiosk.PINAuth, kiosk.StepConfirm, "5678")
	<-pc.reached
	r.cards <- visitrun.CardEvent{Kind: visitrun.CardRemoved}
	r.screen(kiosk.ScreenNotice)
	r.ticks <- r.clock.Add(61 * time.Second) // nobody reads the notice
	r.screen(kiosk.ScreenWaiting)

	// The next resident's PIN change is on the card when the old work
	// panics.
	next := &blockingCard{Card: jpki.New(loadCard(t, "fresh", r.clock.Now())), reached: make(chan struct{}), release: make(chan struct{})}
	released := false
	t.Cleanup(func() { // before the runner stops: it waits for the card call
		if !released {
			close(next.release)
		}
	})
	r.cards <- visitrun.CardEvent{Kind: visitrun.CardInserted, Card: next}
	r.toMenu()
	r.choose(kiosk.ActionChangeSign)
	r.pin(kiosk.PINSign, kiosk.StepCurrent, "ABC123")
	r.pin(kiosk.PINSign, kiosk.StepNew, "XYZ789")
	r.pin(kiosk.PINSign, kiosk.StepConfirm, "XYZ789")
	<-next.reached
	close(pc.release)
	for !strings.Contains(r.logs.String(), `"msg":"answer for an earlier card","answer":"kiosk.WorkPanicked"`) {
		time.Sleep(2 * time.Millisecond) // polling the log, not synchronising the code under test
	}
	// The loop took the panic's answer before this input.
	r.press(kiosk.InputActivity)
	if v := <-r.views; v.Screen != kiosk.ScreenWorking {
		t.Fatalf("the old visit's panic ended the new visit's flow: %s %+v", v.Screen, v.Result)
	}
	close(next.release)
	released = true
	res := r.screen(kiosk.ScreenResult)
	if res.Result.Code != kiosk.CodePINChanged || res.Result.PIN != kiosk.PINSign {
		t.Fatalf("the new visit's own result: %+v", res.Result)
	}
	if !strings.Contains(r.logs.String(), "card work panicked") {
		t.Fatalf("the panic was not logged:\n%s", r.logs.String())
	}
}

// TestPINChangeAPDUs counts, through pcscd, what a PIN change costs after
// the status read: the tries shown come from that read, and the driver
// re-checks them inside the VERIFY's own transaction.
func TestPINChangeAPDUs(t *testing.T) {
	pcsctest.StartPCSCD(t)
	var apdus atomic.Int64
	vc := loadCard(t, "fresh", time.Now())
	pcsctest.Insert(t, vc, vpcd.WithAPDULog(lineCounter{&apdus}))
	conn := pcsctest.Connect(t)

	r := newRig(t)
	r.cards <- visitrun.CardEvent{Kind: visitrun.CardInserted, Card: jpki.New(conn)}
	r.toMenu()
	for _, k := range []kiosk.PINKind{kiosk.PINAuth, kiosk.PINSign} {
		old, new := map[kiosk.PINKind][2]string{kiosk.PINAuth: {"1234", "4321"}, kiosk.PINSign: {"ABC123", "XYZ789"}}[k][0],
			map[kiosk.PINKind][2]string{kiosk.PINAuth: {"1234", "4321"}, kiosk.PINSign: {"ABC123", "XYZ789"}}[k][1]
		act := kiosk.ActionChangeAuth
		if k == kiosk.PINSign {
			act = kiosk.ActionChangeSign
		}
		before := apdus.Load()
		r.choose(act)
		r.pin(k, kiosk.StepCurrent, old)
		r.pin(k, kiosk.StepNew, new)
		r.pin(k, kiosk.StepConfirm, new)
		res := r.screen(kiosk.ScreenResult)
		if res.Result.Code != kiosk.CodePINChanged {
			t.Fatalf("%s: %+v", k, res.Result)
		}
		if n := apdus.Load() - before; n > 6 {
			t.Errorf("%s PIN change cost %d APDUs after the status read, budget 6", k, n)
		} else {
			t.Logf("%s PIN change: %d APDUs after the status read", k, n)
		}
		r.press(kiosk.InputNext)
		r.screen(kiosk.ScreenMenu)
	}
}

// lineCounter counts APDU log lines: one per round trip.
type lineCounter struct{ n *atomic.Int64 }

func (l lineCounter) Write(p []byte) (int, error) {
	l.n.Add(int64(bytes.Count(p, []byte{'\n'})))
	return len(p), nil
}
