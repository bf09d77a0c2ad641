package kiosk_test

import (
	"slices"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

type step struct {
	ev      kiosk.Event
	state   kiosk.State
	effects []kiosk.Effect
}

var vt0 = time.Date(2026, 11, 25, 10, 0, 0, 0, kiosk.JST())

func at(sec int) time.Time { return vt0.Add(time.Duration(sec) * time.Second) }

func goodAssessment() kiosk.Assessment {
	return kiosk.Assessment{Card: kiosk.CardMyNumber, Code: kiosk.CodeValid, Conditions: []kiosk.Code{kiosk.CodeValid},
		HasAuth: true, HasSign: true, AuthTries: 3, SignTries: 5, ClockTrusted: true}
}

func TestVisit(t *testing.T) {
	const (
		W  = kiosk.StateWaiting
		R  = kiosk.StateReading
		S  = kiosk.StateStatus
		M  = kiosk.StateMenu
		F  = kiosk.StateFlow
		D  = kiosk.StateFinished
		RC = kiosk.StateRemoveCard
		IW = kiosk.StateIdleWarning
	)
	var (
		read   = kiosk.EffectReadCard
		record = kiosk.EffectRecordStatus
		start  = kiosk.EffectStartFlow
		cancel = kiosk.EffectCancelFlow
		forget = kiosk.EffectForget
	)
	good := goodAssessment()
	juki := kiosk.Assessment{Card: kiosk.CardJuki, Code: kiosk.CodeJuki, Conditions: []kiosk.Code{kiosk.CodeJuki}}
	changed := kiosk.Result{Kind: kiosk.TxChangeAuth, PIN: kiosk.PINAuth, Outcome: kiosk.OutcomeOK, TriesLeft: 3}
	locked := kiosk.Result{Kind: kiosk.TxChangeSign, PIN: kiosk.PINSign, Outcome: kiosk.OutcomeLocked, TriesLeft: 0}
	begin := []step{
		{kiosk.CardInserted{At: at(0)}, R, []kiosk.Effect{read}},
		{kiosk.StatusRead{At: at(1), Assessment: good}, S, []kiosk.Effect{record}},
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"happy path", append(slices.Clone(begin),
			step{kiosk.Continue{At: at(5)}, M, nil},
			step{kiosk.Choose{At: at(6), Action: kiosk.ActionChangeAuth}, F, []kiosk.Effect{start}},
			step{kiosk.FlowBusy{At: at(20), Busy: true}, F, nil},
			step{kiosk.FlowDone{At: at(21), Result: changed}, D, nil},
			step{kiosk.Continue{At: at(25)}, RC, []kiosk.Effect{forget}},
			step{kiosk.Tick{At: at(500)}, RC, nil}, // no timeout while asking for the card
			step{kiosk.CardRemoved{At: at(501)}, W, []kiosk.Effect{forget}},
		)},
		{"removal while reading", []step{
			{kiosk.CardInserted{At: at(0)}, R, []kiosk.Effect{read}},
			{kiosk.CardRemoved{At: at(1)}, W, []kiosk.Effect{forget}},
			{kiosk.StatusRead{At: at(2), Assessment: good}, W, nil}, // late read is ignored
		}},
		{"removal in a flow cancels it", append(slices.Clone(begin),
			step{kiosk.Continue{At: at(2)}, M, nil},
			step{kiosk.Choose{At: at(3), Action: kiosk.ActionCheckSign}, F, []kiosk.Effect{start}},
			step{kiosk.CardRemoved{At: at(4)}, W, []kiosk.Effect{cancel, forget}},
			step{kiosk.FlowDone{At: at(5), Result: changed}, W, nil},
		)},
		{"removal at the menu", append(slices.Clone(begin),
			step{kiosk.Continue{At: at(2)}, M, nil},
			step{kiosk.CardRemoved{At: at(3)}, W, []kiosk.Effect{forget}},
		)},
		{"idle warning then activity resumes", append(slices.Clone(begin),
			step{kiosk.Tick{At: at(40)}, S, nil},
			step{kiosk.Tick{At: at(41)}, IW, nil}, // 60 s timeout, 20 s warning
			step{kiosk.Activity{At: at(50)}, S, nil},
			step{kiosk.Tick{At: at(89)}, S, nil},
			step{kiosk.Tick{At: at(90)}, IW, nil},
		)},
		{"idle timeout with card in asks for it", append(slices.Clone(begin),
			step{kiosk.Continue{At: at(2)}, M, nil},
			step{kiosk.Tick{At: at(42)}, IW, nil},
			step{kiosk.Tick{At: at(62)}, RC, []kiosk.Effect{forget}},
			step{kiosk.Continue{At: at(63)}, RC, nil},
			step{kiosk.CardRemoved{At: at(70)}, W, []kiosk.Effect{forget}},
		)},
		{"idle timeout in a flow cancels it", append(slices.Clone(begin),
			step{kiosk.Continue{At: at(2)}, M, nil},
			step{kiosk.Choose{At: at(3), Action: kiosk.ActionChangeSign}, F, []kiosk.Effect{start}},
			step{kiosk.Tick{At: at(43)}, IW, nil},
			step{kiosk.Tick{At: at(63)}, RC, []kiosk.Effect{cancel, forget}},
		)},
		{"no timeout while the card works", append(slices.Clone(begin),
			step{kiosk.Continue{At: at(2)}, M, nil},
			step{kiosk.Choose{At: at(3), Action: kiosk.ActionChangeSign}, F, []kiosk.Effect{start}},
			step{kiosk.FlowBusy{At: at(4), Busy: true}, F, nil},
			step{kiosk.Tick{At: at(300)}, F, nil},
			step{kiosk.FlowDone{At: at(301), Result: locked}, D, nil},
			step{kiosk.Back{At: at(302)}, M, nil},
		)},
		{"flow cancelled by the resident", append(slices.Clone(begin),
			step{kiosk.Continue{At: at(2)}, M, nil},
			step{kiosk.Choose{At: at(3), Action: kiosk.ActionChangeAuth}, F, []kiosk.Effect{start}},
			step{kiosk.Back{At: at(4)}, M, []kiosk.Effect{cancel}},
			step{kiosk.Back{At: at(5)}, S, nil},
		)},
		{"continue during warning dismisses it only", append(slices.Clone(begin),
			step{kiosk.Tick{At: at(45)}, IW, nil},
			step{kiosk.Continue{At: at(46)}, S, nil},
			step{kiosk.Continue{At: at(47)}, M, nil},
		)},
		{"juki card has no menu", []step{
			{kiosk.CardInserted{At: at(0)}, R, []kiosk.Effect{read}},
			{kiosk.StatusRead{At: at(1), Assessment: juki}, S, []kiosk.Effect{record}},
			{kiosk.Choose{At: at(2), Action: kiosk.ActionChangeAuth}, S, nil},
			{kiosk.Continue{At: at(3)}, RC, []kiosk.Effect{forget}},
		}},
		{"insert without a removal starts clean", append(slices.Clone(begin),
			step{kiosk.CardInserted{At: at(5)}, R, []kiosk.Effect{forget, read}},
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := kiosk.NewVisit(60*time.Second, 20*time.Second)
			for i, s := range tt.steps {
				eff := v.Handle(s.ev)
				vw := v.View()
				if vw.State != s.state || !slices.Equal(eff, s.effects) {
					t.Fatalf("step %d %T: state %s effects %v, want %s %v", i, s.ev, vw.State, eff, s.state, s.effects)
				}
				if vw.State == kiosk.StateWaiting && (vw.Assessment != nil || vw.Result != nil || vw.CardIn) {
					t.Fatalf("step %d: waiting but data kept: %+v", i, vw)
				}
			}
		})
	}
}

func TestVisitView(t *testing.T) {
	v := kiosk.NewVisit(60*time.Second, 20*time.Second)
	v.Handle(kiosk.CardInserted{At: at(0)})
	a := goodAssessment()
	a.SignTries = 1
	v.Handle(kiosk.StatusRead{At: at(1), Assessment: a})
	vw := v.View()
	if !slices.Equal(vw.Actions, []kiosk.Action{kiosk.ActionChangeAuth, kiosk.ActionChangeSign, kiosk.ActionCheckSign}) {
		t.Errorf("actions = %v", vw.Actions)
	}
	vw.Assessment.Conditions[0] = "tampered"
	if v.View().Assessment.Conditions[0] != kiosk.CodeValid {
		t.Error("view shares the visit's data")
	}
	v.Handle(kiosk.Tick{At: at(45)})
	if vw := v.View(); vw.State != kiosk.StateIdleWarning || vw.Paused != kiosk.StateStatus || vw.WarningLeft != 16*time.Second {
		t.Errorf("warning view = %s paused %s left %s", vw.State, vw.Paused, vw.WarningLeft)
	}
	// A lock from a flow removes the sign actions from the menu.
	v.Handle(kiosk.Activity{At: at(46)})
	v.Handle(kiosk.Continue{At: at(46)})
	v.Handle(kiosk.Choose{At: at(47), Action: kiosk.ActionCheckSign})
	v.Handle(kiosk.FlowDone{At: at(48), Result: kiosk.Result{PIN: kiosk.PINSign, Outcome: kiosk.OutcomeLocked, TriesLeft: 0}})
	v.Handle(kiosk.Back{At: at(49)})
	if vw := v.View(); vw.State != kiosk.StateMenu || !slices.Equal(vw.Actions, []kiosk.Action{kiosk.ActionChangeAuth}) {
		t.Errorf("after lock: %s %v", vw.State, vw.Actions)
	}
}
