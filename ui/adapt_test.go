package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// TestVisitDrivesScreens runs a real kiosk.Visit through a status check,
// the menu, a flow and the idle timeout, drawing each snapshot.
func TestVisitDrivesScreens(t *testing.T) {
	h := newHarness(t, 80, 24, Japanese)
	v := kiosk.NewVisit(60*time.Second, 20*time.Second)
	at := testNow
	var flow FlowScreen
	step := func(ev kiosk.Event, want Page, text string) {
		t.Helper()
		if ev != nil {
			v.Handle(ev)
		}
		h.now = at
		h.show(FromVisit(v.View(), flow, at))
		if h.app.view.Page != want {
			t.Fatalf("page %s, want %s", h.app.view.Page, want)
		}
		if s := h.dump(); !strings.Contains(s, text) {
			t.Fatalf("%s: screen lacks %q:\n%s", want, text, s)
		}
	}
	// Intents from the screen go back through VisitEvent, as cmd/kiosk will.
	intent := func(want Page, text string) {
		t.Helper()
		for _, in := range h.intents {
			if ev := VisitEvent(in, h.app.view.Page, at); ev != nil {
				v.Handle(ev)
			}
		}
		h.intents = nil
		step(nil, want, text)
	}
	step(kiosk.CardInserted{At: at}, PageReading, "カードを読んでいます")
	step(kiosk.StatusRead{At: at, Assessment: statusCases[0].a}, PageStatus, "1193")
	h.click(h.find("つぎへ"))
	intent(PageMenu, "なにをしますか")
	h.click(h.find("4けたの暗証番号を変える"))
	flow = FlowScreen{Prompt: PINPrompt{Kind: kiosk.PINAuth, TriesLeft: 3}}
	intent(PagePIN, "あと 3 回")
	flow = FlowScreen{Working: true}
	step(kiosk.FlowBusy{At: at, Busy: true}, PageWorking, "抜かないで")
	step(kiosk.FlowDone{At: at, Result: kiosk.Result{Kind: kiosk.TxChangeAuth, PIN: kiosk.PINAuth, Outcome: kiosk.OutcomeWrongPIN, TriesLeft: 2}},
		PageResult, "あと 2 回")
	at = at.Add(41 * time.Second)
	step(kiosk.Tick{At: at}, PageResult, "あと 19 秒でおわります")
	at = at.Add(20 * time.Second)
	step(kiosk.Tick{At: at}, PageTakeCard, "カードをお取りください")
	step(kiosk.CardRemoved{At: at}, PageWaiting, "差しこんでください")
}

func TestFromResult(t *testing.T) {
	c := cert(kiosk.CodeValid, expiry, 10)
	tests := []struct {
		r    kiosk.Result
		want ResultKind
	}{
		{kiosk.Result{Kind: kiosk.TxChangeAuth, Outcome: kiosk.OutcomeOK}, ResultChanged},
		{kiosk.Result{Kind: kiosk.TxChangeSign, Outcome: kiosk.OutcomeWrongPIN, TriesLeft: 3}, ResultWrongPIN},
		{kiosk.Result{Kind: kiosk.TxChangeSign, Outcome: kiosk.OutcomeLocked}, ResultLocked},
		{kiosk.Result{Kind: kiosk.TxChangeAuth, Outcome: kiosk.OutcomeUnknown}, ResultUnknown},
		{kiosk.Result{Kind: kiosk.TxSignCheck, Outcome: kiosk.OutcomeOK, Cert: &c}, ResultSignCert},
		{kiosk.Result{Kind: kiosk.TxSignCheck, Outcome: kiosk.OutcomeError}, ResultFailed},
	}
	for _, tc := range tests {
		if got := FromResult(tc.r); got.Kind != tc.want {
			t.Errorf("%+v: kind %v, want %v", tc.r, got.Kind, tc.want)
		}
	}
	v := FromVisit(kiosk.View{State: kiosk.StateFinished, Result: &kiosk.Result{Outcome: kiosk.OutcomeLocked,
		Reference: "K01-7", PrinterDetail: kiosk.DetailPrinterUnavailable}}, FlowScreen{}, testNow)
	if v.Page != PagePaperOut || v.Reference != "K01-7" {
		t.Errorf("unprinted slip: page %s ref %q, want paper_out K01-7", v.Page, v.Reference)
	}
}
