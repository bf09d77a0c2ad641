package kiosk_test

import (
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

func TestClockTrust(t *testing.T) {
	build := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		observe []time.Time
		now     time.Time
		want    bool
	}{
		{"after build", nil, build.Add(24 * time.Hour), true},
		{"boot in 1970", nil, time.Unix(0, 0), false},
		{"before build", nil, build.Add(-time.Hour), false},
		{"within slack of build", nil, build.Add(-time.Minute), true},
		{"behind latest journal record", []time.Time{build.AddDate(0, 1, 0)}, build.AddDate(0, 0, 10), false},
		{"after latest sync", []time.Time{build.AddDate(0, 1, 0)}, build.AddDate(0, 1, 1), true},
		{"older observation ignored", []time.Time{build.AddDate(0, 2, 0), build.AddDate(0, 1, 0)}, build.AddDate(0, 1, 15), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := kiosk.NewClockTrust(build)
			for _, o := range tt.observe {
				c.Observe(o)
			}
			if got := c.Trusted(tt.now); got != tt.want {
				t.Errorf("Trusted(%s) = %v, want %v (floor %s)", tt.now, got, tt.want, c.Floor())
			}
		})
	}
	var nilClock *kiosk.ClockTrust
	if !nilClock.Trusted(time.Unix(0, 0)) {
		t.Error("nil ClockTrust must trust")
	}
}
