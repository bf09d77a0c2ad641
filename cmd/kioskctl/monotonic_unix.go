//go:build unix

package main

import (
	"time"

	"golang.org/x/sys/unix"
)

// monotonicNow is CLOCK_MONOTONIC, the clock systemd's *TimestampMonotonic
// properties count in.
func monotonicNow() (time.Duration, bool) {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
