package kiosk

import "time"

// MaintenanceWarnDays is how many days ahead IsMaintenanceSoon warns.
const MaintenanceWarnDays = 7

// MaintenanceDay returns the monthly national maintenance day, when the
// office-side JPKI services stop: the Sunday after the third Saturday of
// the month (not always the third Sunday: in a month starting on a Sunday
// it is the fourth). The result is 00:00 JST.
func MaintenanceDay(year int, month time.Month) time.Time {
	first := time.Date(year, month, 1, 0, 0, 0, 0, jst)
	firstSat := 1 + (int(time.Saturday)-int(first.Weekday())+7)%7
	return time.Date(year, month, firstSat+14+1, 0, 0, 0, 0, jst)
}

// NextMaintenanceDay returns the first maintenance day on or after now's
// JST date.
func NextMaintenanceDay(now time.Time) time.Time {
	t := now.In(jst)
	y, m, d := t.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, jst)
	md := MaintenanceDay(y, m)
	if md.Before(today) {
		md = MaintenanceDay(y, m+1) // time.Date turns month 13 into next January
	}
	return md
}

// IsMaintenanceSoon reports whether the next maintenance day is today or
// within MaintenanceWarnDays days, and which day it is, so the screen can
// warn that office-side services stop that day.
func IsMaintenanceSoon(now time.Time) (day time.Time, soon bool) {
	day = NextMaintenanceDay(now)
	return day, daysBetween(now, day) <= MaintenanceWarnDays
}
