package kiosk

import (
	"fmt"
	"time"
)

// Slip is what a printed slip says, already decided by the domain from
// the same pages the screens show; the printer driver only lays it out.
// It never carries a PIN, anything personal, or a full expiry date (a
// certificate expires on the holder's birthday): the expiry is year and
// month, renewal the first day it is certainly open (1st, 11th or 21st).
type Slip struct {
	Time     time.Time
	Office   string // e.g. 〇〇村役場 住民福祉課
	Sections []SlipSection
	Counter  string
	Phone    string
	Hours    string
	// Whose says whom the office serves, OtherTown where everyone else
	// goes: certificates and PIN resets belong to the office where the
	// resident is registered (住所地), not necessarily this one.
	WhoseJA, WhoseEN         string
	OtherTownJA, OtherTownEN string
	// Reference is printed as text and as a QR code.
	Reference string
}

// SlipSection is one state's page on paper: Japanese, then English.
type SlipSection struct {
	TitleJA, TitleEN string
	LinesJA, LinesEN []string // what it means, what to do, dates
	BringJA, BringEN []string // paired: item i in both languages
}

// SectionOf is page p as printed. cert, when given, adds the dates of the
// certificate p is about, year and month only.
func SectionOf(p Page, cert *CertAssessment) SlipSection {
	s := SlipSection{TitleJA: p.Title.JA, TitleEN: p.Title.EN}
	for _, t := range p.What {
		s.LinesJA = append(s.LinesJA, t.JA)
		s.LinesEN = append(s.LinesEN, t.EN)
	}
	if cert != nil && !cert.NotAfter.IsZero() {
		// The screen's sentences (the catalogue's), without the day.
		name := CertName(p.Subject)
		for _, l := range []Lang{Japanese, English} {
			lines := []string{ExpiryLine(l, name, *cert, false)}
			if r := RenewalLine(l, *cert, false); r != "" {
				lines = append(lines, r)
			}
			if l == Japanese {
				s.LinesJA = append(s.LinesJA, lines...)
			} else {
				s.LinesEN = append(s.LinesEN, lines...)
			}
		}
	}
	for _, t := range p.Bring {
		s.BringJA = append(s.BringJA, t.JA)
		s.BringEN = append(s.BringEN, t.EN)
	}
	return s
}

// NewSlip is the slip for sections, with the office from m. What to bring
// is listed once, under the last section: a card locked and due for
// renewal needs one card, not two lists that both name it.
func NewSlip(secs []SlipSection, m Municipality, ref string, at time.Time) Slip {
	secs = bringOnce(secs)
	w := Catalogue()
	return Slip{
		Time:        at.In(jst),
		Office:      m.OfficeLine(),
		Sections:    secs,
		Counter:     m.Counter,
		Phone:       m.Phone,
		Hours:       m.Hours,
		WhoseJA:     whose(Japanese, m),
		WhoseEN:     whose(English, m),
		OtherTownJA: w.OtherTown.JA,
		OtherTownEN: w.OtherTown.EN,
		Reference:   ref,
	}
}

// whose is whom m's office serves: 「〇〇村に住民票のある方の窓口」.
func whose(l Lang, m Municipality) string {
	name := m.Name
	if l == English {
		name = orJA(m.NameEN, m.Name)
	}
	if name == "" {
		return ""
	}
	if l == English {
		return "For residents of " + name
	}
	return name + "に住民票のある方の窓口です"
}

// bringOnce moves every section's list of what to bring onto the last
// section, each item once; the plain card is dropped where the card is
// already asked for with its condition (not expired).
func bringOnce(secs []SlipSection) []SlipSection {
	if len(secs) < 2 {
		return secs
	}
	out := make([]SlipSection, len(secs))
	var ja, en []string
	seen := map[string]bool{}
	for i, s := range secs {
		for k, item := range s.BringJA {
			if !seen[item] {
				seen[item] = true
				ja, en = append(ja, item), append(en, s.BringEN[k])
			}
		}
		s.BringJA, s.BringEN = nil, nil
		out[i] = s
	}
	if seen[bringValidCard.JA] && seen[bringCard.JA] {
		for k, item := range ja {
			if item == bringCard.JA {
				ja, en = append(ja[:k:k], ja[k+1:]...), append(en[:k:k], en[k+1:]...)
				break
			}
		}
	}
	out[len(out)-1].BringJA, out[len(out)-1].BringEN = ja, en
	return out
}

// YearMonth writes t's JST month: 2029年8月, Aug 2029.
func YearMonth(l Lang, t time.Time) string {
	t = t.In(jst)
	if l == English {
		return t.Format("Jan 2006")
	}
	return fmt.Sprintf("%d年%d月", t.Year(), int(t.Month()))
}

// DateText writes t's JST calendar day for a screen: 2029年8月15日（水）,
// 15 Aug 2029. Slips never carry it.
func DateText(l Lang, t time.Time) string {
	t = t.In(jst)
	if l == English {
		return t.Format("2 Jan 2006")
	}
	wd := [...]string{"日", "月", "火", "水", "木", "金", "土"}[t.Weekday()]
	return fmt.Sprintf("%d年%d月%d日（%s）", t.Year(), int(t.Month()), t.Day(), wd)
}

// ExpiryLine is a certificate's expiry as the first screen and the slip
// say it: year and month, with roughly how long is left (timeLeft, the
// screen) — or 「（切れています）」, so an expired month never reads as a
// valid one. The day is for DetailLines only.
func ExpiryLine(l Lang, name Text, ca CertAssessment, timeLeft bool) string {
	w := Catalogue()
	ym := YearMonth(l, ca.NotAfter)
	switch ca.Verdict {
	case CodeExpired:
		return w.ExpiredOn.F(l, name.In(l), ym)
	case CodeValid, CodeRenewal:
		if timeLeft {
			return w.ValidUntil.F(l, name.In(l), ym) + "  " + TimeLeft(l, ca.DaysLeft)
		}
	}
	return w.ValidUntil.F(l, name.In(l), ym)
}

// RenewalLine says when renewal can be done, without the day it opens
// (the birthday): "now" on the screen when the window is open, otherwise
// the first day it is certainly open ("" for a certificate past or before
// its dates). now: the screen, read while the card is in; the slip is
// read later, so it always gives the day.
func RenewalLine(l Lang, ca CertAssessment, now bool) string {
	w := Catalogue()
	switch ca.Verdict {
	case CodeRenewal:
		if now {
			return w.RenewOpen.In(l)
		}
		return w.RenewAlready.In(l) // read later: "now" would be the day it is read
	case CodeValid, CodeDateUnknown:
	default:
		return ""
	}
	return w.RenewBy.F(l, DateText(l, CertainlyOpen(ca.RenewalFrom)))
}

// DetailLines are a certificate's exact dates, for the くわしく screen the
// resident asks for: never printed, never spoken.
func DetailLines(l Lang, name Text, ca CertAssessment) []string {
	w := Catalogue()
	out := []string{w.ValidFrom.F(l, DateText(l, ca.NotBefore))}
	until := w.ValidUntil.F(l, name.In(l), DateText(l, ca.NotAfter))
	switch {
	case ca.Verdict != CodeValid && ca.Verdict != CodeRenewal:
	case ca.DaysLeft == 0:
		until += "  " + w.LastDay.In(l)
	default:
		until += "  " + w.DaysLeft.F(l, ca.DaysLeft)
	}
	out = append(out, until)
	if ca.Verdict == CodeValid || ca.Verdict == CodeRenewal || ca.Verdict == CodeDateUnknown {
		out = append(out, w.RenewFrom.F(l, DateText(l, ca.RenewalFrom)))
	}
	return out
}

// CertainlyOpen is the first day of a ten-day part of the month (上旬 1,
// 中旬 11, 下旬 21) on or after day: the day renewal is certainly open,
// which tells the birthday only to within ten days.
func CertainlyOpen(day time.Time) time.Time {
	t := day.In(jst)
	y, m, d := t.Date()
	switch {
	case d == 1:
	case d <= 11:
		d = 11
	case d <= 21:
		d = 21
	default:
		m, d = m+1, 1 // time.Date carries December into January
	}
	return time.Date(y, m, d, 0, 0, 0, 0, jst)
}
