package kiosk_test

import (
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

func TestMaintenanceDay(t *testing.T) {
	tests := []struct {
		year  int
		month time.Month
		want  int // day of month
		note  string
	}{
		{2026, time.November, 22, "starts Sunday: 3rd Saturday 21st, Sunday after is the 4th Sunday"},
		{2026, time.August, 16, "starts Saturday: 3rd Saturday 15th"},
		{2026, time.February, 22, "starts Sunday"},
		{2026, time.March, 22, "starts Sunday"},
		{2026, time.January, 18, "starts Thursday"},
		{2025, time.November, 16, "starts Saturday"},
		{2026, time.December, 20, "starts Tuesday"},
		{2027, time.May, 16, "starts Saturday"},
		{2026, time.October, 18, "starts Thursday"},
		{2026, time.May, 17, "starts Friday: 3rd Saturday 16th"},
	}
	for _, tt := range tests {
		got := kiosk.MaintenanceDay(tt.year, tt.month)
		if got.Day() != tt.want || got.Month() != tt.month || got.Weekday() != time.Sunday || got.Location() != kiosk.JST() {
			t.Errorf("%d-%02d (%s): got %s, want day %d", tt.year, tt.month, tt.note, got, tt.want)
		}
		if sat := got.AddDate(0, 0, -1); (sat.Day()-1)/7 != 2 || sat.Weekday() != time.Saturday {
			t.Errorf("%d-%02d: day before %s is not the third Saturday", tt.year, tt.month, got)
		}
	}
}

func TestIsMaintenanceSoon(t *testing.T) {
	at := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, kiosk.JST()) }
	tests := []struct {
		name string
		now  time.Time
		day  time.Time
		soon bool
	}{
		{"on the day", at(2026, 11, 22, 9), at(2026, 11, 22, 0), true},
		{"7 days ahead", at(2026, 11, 15, 9), at(2026, 11, 22, 0), true},
		{"8 days ahead", at(2026, 11, 14, 9), at(2026, 11, 22, 0), false},
		{"day after: next month's", at(2026, 11, 23, 9), at(2026, 12, 20, 0), false},
		{"December rolls to January", at(2026, 12, 28, 9), at(2027, 1, 17, 0), false},
		{"January soon from December", at(2027, 1, 10, 9), at(2027, 1, 17, 0), true},
		// 2026-11-21 15:30Z is already the 22nd in Japan.
		{"JST decides the date", time.Date(2026, 11, 21, 15, 30, 0, 0, time.UTC), at(2026, 11, 22, 0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			day, soon := kiosk.IsMaintenanceSoon(tt.now)
			if !day.Equal(tt.day) || soon != tt.soon {
				t.Errorf("got %s %v, want %s %v", day, soon, tt.day, tt.soon)
			}
		})
	}
}
