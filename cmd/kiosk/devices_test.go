package main

import (
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

func TestCanAnswer(t *testing.T) {
	const R, S, N = kiosk.ModeReal, kiosk.ModeSim, kiosk.ModeNone
	tests := []struct {
		keypad, touch string
		states        map[string]string // health of the devices that reported one
		want          string            // "" can answer, else in the error
	}{
		{R, N, map[string]string{"keypad": "ok"}, ""},
		{R, N, map[string]string{"keypad": "stuck"}, ""}, // one key held: the others work
		{R, N, map[string]string{"keypad": "error"}, "keypad error"},
		{R, N, nil, "keypad none"}, // never opened
		{R, R, map[string]string{"keypad": "error", "touch": "ok"}, ""},
		{R, R, map[string]string{"keypad": "ok", "touch": "absent"}, ""},
		{R, R, map[string]string{"keypad": "error", "touch": "absent"}, "keypad error, touchscreen absent"},
		{N, R, map[string]string{"touch": "error"}, "touchscreen error"},
		{S, N, nil, ""}, // the simulator's keyboard
		{N, S, nil, ""},
	}
	for _, tt := range tests {
		devs := &devices{}
		for name, st := range tt.states {
			h := kiosk.NewHealthCell(name, st, "", time.Now())
			devs.add(h.Get)
		}
		dc := kiosk.Devices{Keypad: kiosk.KeypadConfig{Mode: tt.keypad}, Touch: kiosk.TouchConfig{Mode: tt.touch}}
		err := canAnswer(dc, devs)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("keypad %s touch %s %v: %v, want none", tt.keypad, tt.touch, tt.states, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("keypad %s touch %s %v: %v, want %q", tt.keypad, tt.touch, tt.states, err, tt.want)
		}
	}
}
