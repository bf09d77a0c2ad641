package kiosk

import (
	"math/big"
	"sort"
	"time"
)

// SampleSlips are the slips the kiosk prints, one per state that prints
// one, worded by the catalogue exactly as a visit would word them, for a
// fictional card: `kioskctl receipt preview` shows them to staff and the
// printer's golden tests lay them out. Dates are relative to at.
func SampleSlips(m Municipality, at time.Time) map[string]Slip {
	ref := "K01-" + at.In(jst).Format("20060102") + "-0042"
	cert := func(notAfter time.Time) *CertAssessment {
		c := AssessCert(CertValidity{Serial: big.NewInt(1), NotBefore: notAfter.AddDate(-5, 0, 1), NotAfter: notAfter}, at, true)
		return &c
	}
	day := func(d int) time.Time {
		y, mo, dd := at.In(jst).AddDate(0, 0, d).Date()
		return time.Date(y, mo, dd, 23, 59, 59, 0, jst)
	}
	page := func(c Code, k PINKind) Page { return Guide(c, k, m) }
	slip := func(secs ...SlipSection) Slip { return NewSlip(secs, m, ref, at) }
	unsureCert := cert(day(900))
	unsureCert.Verdict = CodeDateUnknown
	return map[string]Slip{
		"renewal":           slip(SectionOf(page(CodeRenewal, PINAuth), cert(day(52)))),
		"expired":           slip(SectionOf(page(CodeExpired, PINAuth), cert(day(-40)))),
		"not-yet-valid":     slip(SectionOf(page(CodeNotYetValid, PINAuth), cert(day(2000)))),
		"date-unknown":      slip(SectionOf(page(CodeDateUnknown, PINAuth), unsureCert)),
		"auth-locked":       slip(SectionOf(page(CodeAuthLocked, PINAuth), nil)),
		"sign-locked":       slip(SectionOf(page(CodeSignLocked, PINSign), nil)),
		"no-auth-cert":      slip(SectionOf(page(CodeNoAuthCert, PINAuth), nil)),
		"no-sign-cert":      slip(SectionOf(page(CodeNoSignCert, PINSign), nil)),
		"juki":              slip(SectionOf(page(CodeJuki, PINAuth), nil)),
		"not-jpki":          slip(SectionOf(page(CodeNotJPKI, PINAuth), nil)),
		"unreadable":        slip(SectionOf(page(CodeUnreadable, PINAuth), nil)),
		"cert-unreadable":   slip(SectionOf(page(CodeCertBad, PINAuth), nil)),
		"pin-change-unsure": slip(SectionOf(page(CodeChangeUnsure, PINSign), nil)),
		"pin-changed":       slip(SectionOf(page(CodePINChanged, PINAuth), nil)),
		"sign-expired":      slip(SectionOf(page(CodeExpired, PINSign), cert(day(-3)))),
		// Two conditions at once: one slip, one section each.
		"sign-locked-and-renewal": slip(SectionOf(page(CodeSignLocked, PINSign), nil), SectionOf(page(CodeRenewal, PINAuth), cert(day(30)))),
	}
}

// SampleSlipNames lists SampleSlips' names in a stable order.
func SampleSlipNames() []string {
	s := SampleSlips(Municipality{}, time.Time{})
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
