package kiosk

import (
	"fmt"
	"time"
)

// Slip is what a printed slip says, already decided by the domain from
// the same pages the screens show; the printer driver only lays it out.
// It never carries a PIN, anything personal, or a full expiry date (a
// certificate expires on the holder's birthday): dates are year and month.
type Slip struct {
	Time     time.Time
	Office   string // e.g. 〇〇村役場 住民福祉課
	Sections []SlipSection
	Counter  string
	Phone    string
	Hours    string
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
		// The screen's sentences (the catalogue's), with year and month only.
		name, w := CertName(p.Subject), Catalogue()
		s.LinesJA = append(s.LinesJA, w.ValidUntil.F(Japanese, name.JA, YearMonth(Japanese, cert.NotAfter)))
		s.LinesEN = append(s.LinesEN, w.ValidUntil.F(English, name.EN, YearMonth(English, cert.NotAfter)))
		if cert.Verdict == CodeValid || cert.Verdict == CodeRenewal || cert.Verdict == CodeDateUnknown {
			s.LinesJA = append(s.LinesJA, w.RenewFrom.F(Japanese, YearMonth(Japanese, cert.RenewalFrom)))
			s.LinesEN = append(s.LinesEN, w.RenewFrom.F(English, YearMonth(English, cert.RenewalFrom)))
		}
	}
	for _, t := range p.Bring {
		s.BringJA = append(s.BringJA, t.JA)
		s.BringEN = append(s.BringEN, t.EN)
	}
	return s
}

// NewSlip is the slip for sections, with the office from m.
func NewSlip(secs []SlipSection, m Municipality, ref string, at time.Time) Slip {
	return Slip{
		Time:      at.In(jst),
		Office:    m.OfficeLine(),
		Sections:  secs,
		Counter:   m.Counter,
		Phone:     m.Phone,
		Hours:     m.Hours,
		Reference: ref,
	}
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
