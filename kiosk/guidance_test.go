package kiosk_test

import (
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

func TestGuide(t *testing.T) {
	m := testMunicipality()
	tests := []struct {
		code        kiosk.Code
		cert        kiosk.PINKind
		needsOffice bool
		titleJA     string // substring
		fee         bool
		route       string // substring of a RoutesJA line, "" none required
	}{
		{kiosk.CodeAuthLocked, kiosk.PINAuth, true, "4けたの暗証番号（利用者証明用）", false, "パソコン"},
		{kiosk.CodeSignLocked, kiosk.PINAuth, true, "英数字6〜16けたの暗証番号（署名用）", false, "e-Tax"},
		{kiosk.CodeExpired, kiosk.PINAuth, true, "利用者証明用電子証明書の有効期限", false, ""},
		{kiosk.CodeExpired, kiosk.PINSign, true, "署名用電子証明書の有効期限", false, ""},
		{kiosk.CodeRenewal, kiosk.PINAuth, true, "更新", false, ""},
		{kiosk.CodeNotYetValid, kiosk.PINAuth, true, "まだ", false, ""},
		{kiosk.CodeNoSignCert, kiosk.PINAuth, false, "署名用電子証明書が入っていません", false, "e-Tax"},
		{kiosk.CodeNoAuthCert, kiosk.PINAuth, true, "利用者証明用電子証明書が入っていません", false, "コンビニ"},
		{kiosk.CodeJuki, kiosk.PINAuth, false, "住基カード", false, ""},
		{kiosk.CodeNotJPKI, kiosk.PINAuth, false, "使えません", false, ""},
		{kiosk.CodeUnreadable, kiosk.PINAuth, true, "読み取れません", true, ""},
		{kiosk.CodeChangeUnsure, kiosk.PINAuth, true, "確認できませんでした", false, "パソコン"},
		{kiosk.CodeAuthLastTry, kiosk.PINAuth, false, "あと1回", false, "パソコン"},
		{kiosk.CodeDateUnknown, kiosk.PINAuth, false, "判定", false, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.code)+"/"+tt.cert.String(), func(t *testing.T) {
			g := kiosk.Guide(tt.code, tt.cert, m)
			if g.NeedsOffice != tt.needsOffice || !strings.Contains(g.TitleJA, tt.titleJA) || g.TitleEN == "" {
				t.Errorf("guidance = %+v", g)
			}
			if len(g.WhatJA) != len(g.WhatEN) || len(g.BringJA) != len(g.BringEN) || len(g.RoutesJA) != len(g.RoutesEN) {
				t.Errorf("Japanese and English do not pair up: %+v", g)
			}
			if g.NeedsOffice && (len(g.BringJA) == 0 || g.Where.Phone != "0000-00-0000" || g.Where.OfficeJA != "〇〇村役場 住民福祉課") {
				t.Errorf("office needed but where/bring missing: %+v", g)
			}
			if (g.FeeJA != "") != tt.fee || (tt.fee && !strings.Contains(g.FeeJA, "200円")) {
				t.Errorf("fee = %q", g.FeeJA)
			}
			if tt.route != "" && !strings.Contains(strings.Join(g.RoutesJA, ""), tt.route) {
				t.Errorf("routes %v lack %q", g.RoutesJA, tt.route)
			}
		})
	}
	// Routes come from configuration.
	m.ETax, m.ConvenienceStore = false, true
	g := kiosk.Guide(kiosk.CodeNoSignCert, kiosk.PINSign, m)
	if strings.Contains(strings.Join(g.RoutesJA, ""), "e-Tax") {
		t.Error("e-Tax offered where the config says no")
	}
	g = kiosk.Guide(kiosk.CodeAuthLocked, kiosk.PINAuth, m)
	if strings.Contains(strings.Join(g.RoutesJA, ""), "コンビニ") {
		t.Error("convenience-store note shown where it is available")
	}
}

func TestReference(t *testing.T) {
	at := time.Date(2026, 11, 24, 15, 30, 0, 0, time.UTC) // 2026-11-25 00:30 JST
	tests := []struct {
		seq  uint64
		want string
	}{{42, "K01-20261125-0042"}, {1, "K01-20261125-0001"}, {123456, "K01-20261125-123456"}}
	for _, tt := range tests {
		ref := kiosk.FormatReference("K01", at, tt.seq)
		if ref != tt.want {
			t.Errorf("FormatReference(%d) = %q, want %q", tt.seq, ref, tt.want)
		}
		id, day, seq, err := kiosk.ParseReference(" " + strings.ToLower(ref) + " ")
		if err != nil || id != "K01" || seq != tt.seq || day.Day() != 25 {
			t.Errorf("ParseReference(%q) = %q %s %d %v", ref, id, day, seq, err)
		}
	}
	for _, bad := range []string{"", "K01-2026112-0042", "K01-20261125-42", "K01-20261125", "K 1-20261125-0042", "K01-20261325-0042"} {
		if _, _, _, err := kiosk.ParseReference(bad); err == nil {
			t.Errorf("ParseReference(%q) accepted", bad)
		}
	}
}

func TestSlipFor(t *testing.T) {
	cert := kiosk.AssessCert(*makeValidity(t, 5, jstDay(2022, 6, 1), jstDay(2027, 5, 31)), jstDay(2027, 3, 1), true)
	s := kiosk.SlipFor(kiosk.CodeRenewal, kiosk.PINAuth, testMunicipality(), "K01-20270301-0007", jstDay(2027, 3, 1), &cert)
	all := strings.Join(s.LinesJA, "\n")
	if s.Reference != "K01-20270301-0007" || s.Office != "〇〇村役場 住民福祉課" || s.Phone != "0000-00-0000" ||
		!strings.Contains(all, "2027年5月31日") || !strings.Contains(all, "2027年2月28日") || len(s.BringJA) == 0 {
		t.Errorf("slip = %+v", s)
	}
	if len(s.LinesJA) != len(s.LinesEN) {
		t.Errorf("lines do not pair: %d ja, %d en", len(s.LinesJA), len(s.LinesEN))
	}
}
