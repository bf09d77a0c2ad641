package kiosk

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Reference numbers: "<kiosk ID>-<YYYYMMDD in JST>-<journal sequence>",
// e.g. K01-20261125-0042. Only A–Z, 0–9 and hyphens, the sequence at least
// four digits: short enough to read aloud at the counter, and it leads
// staff straight to the journal record (kiosk + sequence), the date being
// a check that the right kiosk's journal is open.

// FormatReference builds the reference number for a journal record.
func FormatReference(kioskID string, t time.Time, seq uint64) string {
	return fmt.Sprintf("%s-%s-%04d", kioskID, t.In(jst).Format("20060102"), seq)
}

// ParseReference splits a reference number typed by staff (case and
// surrounding spaces forgiven).
func ParseReference(ref string) (kioskID string, day time.Time, seq uint64, err error) {
	parts := strings.Split(strings.ToUpper(strings.TrimSpace(ref)), "-")
	if len(parts) != 3 || !kioskIDRe.MatchString(parts[0]) {
		return "", time.Time{}, 0, fmt.Errorf("reference %q: want KIOSK-YYYYMMDD-NNNN", ref)
	}
	day, err = time.ParseInLocation("20060102", parts[1], jst)
	if err != nil {
		return "", time.Time{}, 0, fmt.Errorf("reference %q: date: %w", ref, err)
	}
	seq, err = strconv.ParseUint(parts[2], 10, 64)
	if err != nil || len(parts[2]) < 4 {
		return "", time.Time{}, 0, fmt.Errorf("reference %q: sequence must be 4 or more digits", ref)
	}
	return parts[0], day, seq, nil
}
