package speaker

import "time"

// SetJackClock replaces the jack's clock (tests step it by hand).
func SetJackClock(j *Jack, now func() time.Time) { j.now = now }
