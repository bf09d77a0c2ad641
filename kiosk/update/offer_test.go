package update

import (
	"testing"
	"time"
)

func TestWindow(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 12, 7, h, m, 0, 0, time.Local) }
	tests := []struct {
		spec string
		in   []time.Time
		out  []time.Time
		bad  bool
	}{
		{"", []time.Time{at(0, 0), at(13, 0)}, nil, false},
		{"02:00-05:00", []time.Time{at(2, 0), at(4, 59)}, []time.Time{at(1, 59), at(5, 0), at(14, 0)}, false},
		{"22:30-03:00", []time.Time{at(22, 30), at(0, 0), at(2, 59)}, []time.Time{at(3, 0), at(22, 29), at(12, 0)}, false},
		{"2:00-25:00", nil, nil, true},
		{"02:00", nil, nil, true},
		{"02:00-02:00", nil, nil, true},
		{"02:0-03:00", nil, nil, true},
	}
	for _, tt := range tests {
		w, err := ParseWindow(tt.spec)
		if (err != nil) != tt.bad {
			t.Fatalf("%q: %v", tt.spec, err)
		}
		for _, x := range tt.in {
			if !w.Contains(x) {
				t.Errorf("%q should contain %s", tt.spec, x.Format("15:04"))
			}
		}
		for _, x := range tt.out {
			if w.Contains(x) {
				t.Errorf("%q should not contain %s", tt.spec, x.Format("15:04"))
			}
		}
	}
}
