//go:build !unix

package main

import "time"

// monotonicNow: no systemd here (the Windows laptop build), so no unit's
// active time to measure.
func monotonicNow() (time.Duration, bool) { return 0, false }
