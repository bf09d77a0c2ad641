package kiosk

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/width"
)

// Reference numbers: "<kiosk ID>-<journal tag>-<journal sequence>", e.g.
// K01-7Q3F-0042. The tag is the first four characters of the journal's
// random ID, so a re-flashed SD card (a new journal, sequence from 1 again)
// does not repeat the references of the old one. Only A–Z, 0–9 and hyphens,
// the tag in Crockford's base32 (no I, L, O or U), the sequence at least
// four digits: short enough to read over the phone, and it leads staff
// straight to the record at the town hall (kiosk, journal, sequence).
//
// Records from before journals had an ID carry the old form
// "<kiosk>-<YYYYMMDD in JST>-<sequence>" (K01-20261125-0042); it still parses.

// crockford is Crockford's base32 alphabet: digits and letters minus I, L, O, U.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

var journalIDEnc = base32.NewEncoding(crockford).WithPadding(base32.NoPadding)

// JournalIDRe matches a journal ID: 26 characters of Crockford base32 (128 bits).
var JournalIDRe = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`)

var journalTagRe = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}$`)

// LegacyJournalID names the journal of a file created before journals had
// an ID: one per kiosk, kiosk and town hall agree on it without talking.
const LegacyJournalID = "00000000000000000000000000"

// journalTagLen is how much of the journal ID a reference carries.
const journalTagLen = 4

// NewJournalID returns a random journal ID whose tag is not the legacy one's.
func NewJournalID() string {
	for {
		var b [16]byte
		_, _ = rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
		id := journalIDEnc.EncodeToString(b[:])
		if JournalTag(id) != JournalTag(LegacyJournalID) {
			return id
		}
	}
}

// ValidJournalID reports whether id is a well-formed journal ID.
func ValidJournalID(id string) bool { return JournalIDRe.MatchString(id) }

// ValidKioskID reports whether id is a well-formed kiosk ID (1–6 of A–Z, 0–9).
func ValidKioskID(id string) bool { return kioskIDRe.MatchString(id) }

// JournalTag is the part of a journal ID printed in reference numbers.
func JournalTag(journalID string) string {
	if len(journalID) < journalTagLen {
		return journalID
	}
	return journalID[:journalTagLen]
}

// ReferenceOf is the reference number of a stored record (Seq, KioskID and
// JournalID filled in by the journal).
func ReferenceOf(r Record) string {
	if r.JournalID == "" {
		return fmt.Sprintf("%s-%s-%04d", r.KioskID, r.Time.In(jst).Format("20060102"), r.Seq)
	}
	return fmt.Sprintf("%s-%s-%04d", r.KioskID, JournalTag(r.JournalID), r.Seq)
}

// Ref is a parsed reference number.
type Ref struct {
	KioskID    string
	JournalTag string    // "" in the old, dated form
	Day        time.Time // the old form's JST day (midnight); zero otherwise
	Seq        uint64
}

func (r Ref) String() string {
	if r.JournalTag == "" {
		return fmt.Sprintf("%s-%s-%04d", r.KioskID, r.Day.In(jst).Format("20060102"), r.Seq)
	}
	return fmt.Sprintf("%s-%s-%04d", r.KioskID, r.JournalTag, r.Seq)
}

// Matches reports whether rec, stored in journal journalID, is the record
// this reference names.
func (r Ref) Matches(journalID string, rec Record) bool {
	if rec.KioskID != r.KioskID || rec.Seq != r.Seq {
		return false
	}
	if r.JournalTag == "" {
		return rec.JournalID == "" && rec.Time.In(jst).Format("20060102") == r.Day.Format("20060102")
	}
	return JournalTag(journalID) == r.JournalTag
}

// ParseReference reads a reference number as staff type it: case, spaces
// for hyphens, full-width characters and the look-alikes O/I/L in the tag
// are forgiven.
func ParseReference(s string) (Ref, error) {
	norm := strings.ToUpper(strings.TrimSpace(width.Fold.String(s)))
	parts := strings.FieldsFunc(norm, func(r rune) bool { return r == '-' || r == ' ' || r == '‐' || r == 'ー' })
	if len(parts) != 3 || !kioskIDRe.MatchString(parts[0]) {
		return Ref{}, fmt.Errorf("reference %q: want KIOSK-TAG-NNNN, e.g. K01-7Q3F-0042", s)
	}
	seq, err := strconv.ParseUint(parts[2], 10, 64)
	if err != nil || len(parts[2]) < 4 || seq == 0 {
		return Ref{}, fmt.Errorf("reference %q: the number at the end must be 4 or more digits", s)
	}
	ref := Ref{KioskID: parts[0], Seq: seq}
	switch mid := parts[1]; len(mid) {
	case 8: // the old dated form
		day, err := time.ParseInLocation("20060102", mid, jst)
		if err != nil {
			return Ref{}, fmt.Errorf("reference %q: date: %w", s, err)
		}
		ref.Day = day
	case journalTagLen:
		tag := strings.NewReplacer("O", "0", "I", "1", "L", "1").Replace(mid)
		if !journalTagRe.MatchString(tag) {
			return Ref{}, fmt.Errorf("reference %q: %q is not a journal tag (4 of 0-9 and A-Z without U)", s, mid)
		}
		ref.JournalTag = tag
	default:
		return Ref{}, fmt.Errorf("reference %q: the middle part must be a 4-character journal tag", s)
	}
	return ref, nil
}
