package kiosk_test

import (
	"slices"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// An update never interrupts a resident: it waits for the visit to end,
// then holds the screen; a card inserted meanwhile is not read, and must be
// taken out before the next visit.
func TestUpdateWaitsForTheVisit(t *testing.T) {
	good := goodAssessment()
	up := func(sec int, step kiosk.UpdateStep, pct int) kiosk.Event {
		return kiosk.Updating{At: at(sec), Progress: &kiosk.UpdateProgress{Version: "v2", Step: step, Percent: pct}}
	}
	over := func(sec int) kiosk.Event { return kiosk.Updating{At: at(sec)} }
	U := kiosk.ScreenUpdating
	type upStep struct {
		step
		idle bool
	}
	tests := []struct {
		name  string
		steps []upStep
	}{
		{"idle kiosk: at once, with progress", []upStep{
			{step{up(0, kiosk.UpdateWaiting, 0), U, nil, nil}, true},
			{step{up(1, kiosk.UpdateWrite, 42), U, nil, func(t *testing.T, v kiosk.View) {
				if v.Update == nil || v.Update.Step != kiosk.UpdateWrite || v.Update.Percent != 42 {
					t.Errorf("update %+v", v.Update)
				}
			}}, true},
			{step{kiosk.CardInserted{At: at(2)}, U, nil, nil}, true},
			{step{kiosk.CardRemoved{At: at(3)}, U, nil, nil}, true},
			{step{over(4), W, nil, nil}, false},
			{step{kiosk.CardInserted{At: at(5)}, R, []string{"ReadStatus"}, nil}, false},
		}},
		{"visit under way: it goes on, the update waits for the card to leave", []upStep{
			{begin(good)[0], false}, {begin(good)[1], false},
			{step{up(2, kiosk.UpdateWaiting, 0), S, nil, nil}, false},
			{step{press(3, kiosk.InputNext), M, nil, nil}, false},
			{step{kiosk.CardRemoved{At: at(4)}, U, nil, nil}, true},
		}},
		{"a card inserted during the update is refused when it ends", []upStep{
			{step{up(0, kiosk.UpdateVerify, 10), U, nil, nil}, true},
			{step{kiosk.CardInserted{At: at(1)}, U, nil, nil}, true},
			{step{up(2, kiosk.UpdateRefused, 0), U, nil, nil}, true},
			{step{over(3), OS, nil, nil}, false},
			{step{kiosk.CardRemoved{At: at(4)}, W, nil, nil}, false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := kiosk.NewVisit(kiosk.VisitConfig{IdleTimeout: 60 * time.Second, IdleWarning: 20 * time.Second, Municipality: testMunicipality()})
			for i, s := range tt.steps {
				eff := v.Handle(withSession(s.ev, v))
				vw := v.View()
				if got := effectNames(eff); vw.Screen != s.screen || !slices.Equal(got, s.effects) || v.UpdateIdle() != s.idle {
					t.Fatalf("step %d %T: screen %s effects %v idle %v, want %s %v %v", i, s.ev, vw.Screen, got, v.UpdateIdle(), s.screen, s.effects, s.idle)
				}
				if s.check != nil {
					s.check(t, vw)
				}
				if vw.Screen == kiosk.ScreenUpdating && (vw.Assessment != nil || vw.Page != nil || vw.Result != nil) {
					t.Fatalf("step %d: the update screen carries a resident's data: %+v", i, vw)
				}
			}
		})
	}
}
