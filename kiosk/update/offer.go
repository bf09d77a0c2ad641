package update

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The collector publishes one release at a time; kiosks ask for it over
// their mutual-TLS connection and fetch the bundle in the window staff chose.
const (
	PathOffer  = "/v1/update"         // GET: the Offer for this kiosk, or 204 when there is none
	PathBundle = "/v1/update/bundle/" // + serial: the bundle (Range requests answered)
)

// Offer is what the collector tells a kiosk about the published release.
// Nothing in it is trusted for installing: the bundle's own signature is.
type Offer struct {
	Version     string    `json:"version"`
	Serial      uint64    `json:"serial"`
	Board       string    `json:"board"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"` // of the bundle file, for the download only
	Window      Window    `json:"window"`
	Kiosks      []string  `json:"kiosks,omitempty"` // empty: every kiosk
	PublishedAt time.Time `json:"published_at"`
}

// Window is a daily span of kiosk local time, "02:00"–"05:00"; an end
// before the start spans midnight. Zero: any time.
type Window struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// ParseWindow reads "HH:MM-HH:MM" (empty: any time).
func ParseWindow(s string) (Window, error) {
	if s == "" {
		return Window{}, nil
	}
	a, b, ok := strings.Cut(s, "-")
	w := Window{Start: strings.TrimSpace(a), End: strings.TrimSpace(b)}
	if _, err := minuteOf(w.Start); !ok || err != nil {
		return Window{}, fmt.Errorf("window %q: want HH:MM-HH:MM", s)
	}
	if _, err := minuteOf(w.End); err != nil || w.Start == w.End {
		return Window{}, fmt.Errorf("window %q: want HH:MM-HH:MM with two different times", s)
	}
	return w, nil
}

func minuteOf(hhmm string) (int, error) {
	h, m, ok := strings.Cut(hhmm, ":")
	hi, err1 := strconv.Atoi(h)
	mi, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hi < 0 || hi > 23 || mi < 0 || mi > 59 {
		return 0, fmt.Errorf("%q is not HH:MM", hhmm)
	}
	return hi*60 + mi, nil
}

// Contains says whether t's local time of day is in the window.
func (w Window) Contains(t time.Time) bool {
	if w.Start == "" {
		return true
	}
	s, err1 := minuteOf(w.Start)
	e, err2 := minuteOf(w.End)
	if err1 != nil || err2 != nil {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	if s < e {
		return m >= s && m < e
	}
	return m >= s || m < e
}

func (w Window) String() string {
	if w.Start == "" {
		return "any time"
	}
	return w.Start + "-" + w.End
}

// For says whether the offer names this kiosk.
func (o Offer) For(kioskID string) bool {
	if len(o.Kiosks) == 0 {
		return true
	}
	for _, k := range o.Kiosks {
		if k == kioskID {
			return true
		}
	}
	return false
}
