package kiosk_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

func TestGuide(t *testing.T) {
	m := testMunicipality()
	tests := []struct {
		code    kiosk.Code
		subject kiosk.PINKind
		office  bool
		title   string   // the headline starts with its subject
		says    []string // substrings of the page's sentences
		bring   int
	}{
		{kiosk.CodeAuthLocked, kiosk.PINSign, true, "4けたの暗証番号（利用者証明用）がロックされています", []string{"3回", "住民票のある市区町村の窓口でしか", "別々"}, 1},
		{kiosk.CodeSignLocked, kiosk.PINAuth, true, "英数字6〜16けたの暗証番号（署名用）がロックされています", []string{"5回", "住民票のある市区町村の窓口でしか"}, 1},
		{kiosk.CodeExpired, kiosk.PINAuth, true, "利用者証明用電子証明書の有効期限が切れています", []string{"申請", "照会書"}, 2},
		{kiosk.CodeExpired, kiosk.PINSign, true, "署名用電子証明書の有効期限が切れています", nil, 2},
		{kiosk.CodeRenewal, kiosk.PINAuth, true, "利用者証明用電子証明書は、有効期限が近づいています", []string{"3か月前", "照会書"}, 2},
		{kiosk.CodeNotYetValid, kiosk.PINAuth, true, "利用者証明用電子証明書の有効期間が", nil, 1},
		{kiosk.CodeDateUnknown, kiosk.PINAuth, true, "この機械の時計", []string{"不具合", "お知らせください"}, 1},
		{kiosk.CodeNoSignCert, kiosk.PINAuth, true, "このカードには署名用電子証明書が入っていません", []string{"15歳未満", "成年被後見人", "希望しなかった", "e-Tax"}, 2},
		{kiosk.CodeNoAuthCert, kiosk.PINAuth, true, "このカードには利用者証明用電子証明書が入っていません", []string{"法定代理人"}, 2},
		{kiosk.CodeJuki, kiosk.PINAuth, true, "このカードは住民基本台帳カード（住基カード）です", []string{"終了", "マイナンバーカードが必要"}, 0},
		{kiosk.CodeNotJPKI, kiosk.PINAuth, true, "このカードは、マイナンバーカードとして読み取れませんでした", nil, 1},
		{kiosk.CodeUnreadable, kiosk.PINAuth, true, "カードを読み取れませんでした", nil, 1},
		{kiosk.CodeChangeUnsure, kiosk.PINSign, true, "英数字6〜16けたの暗証番号（署名用）が変わったかどうか", []string{"初期化"}, 2},
		{kiosk.CodeAuthLastTry, kiosk.PINAuth, true, "4けたの暗証番号（利用者証明用）は、あと1回まちがえるとロックされます", []string{"入力しないで", "住民票のある市区町村の窓口"}, 1},
		{kiosk.CodePINChanged, kiosk.PINSign, false, "英数字6〜16けたの暗証番号（署名用）を変更しました", nil, 0},
		{kiosk.CodeValid, kiosk.PINSign, false, "署名用電子証明書は、有効期限内です", []string{"失効", "わかりません"}, 0},
		{kiosk.CodeValid, kiosk.PINAuth, false, "利用者証明用電子証明書は、有効期限内です", []string{"失効", "カードに記録されない"}, 0},
	}
	for _, tt := range tests {
		t.Run(string(tt.code)+"/"+tt.subject.String(), func(t *testing.T) {
			p := kiosk.Guide(tt.code, tt.subject, m)
			if p.Office != tt.office || p.Office != kiosk.OfficeBound(tt.code) || !strings.HasPrefix(p.Title.JA, tt.title) || p.Title.EN == "" || p.Next.JA == "" {
				t.Errorf("page = %+v", p)
			}
			all := allJA(p)
			for _, want := range tt.says {
				if !strings.Contains(all, want) {
					t.Errorf("page lacks %q: %s", want, all)
				}
			}
			if len(p.Bring) != tt.bring {
				t.Errorf("bring %v, want %d items", p.Bring, tt.bring)
			}
			if p.Office && (p.Where.Phone != "0000-00-0000" || p.Where.Office.JA != "〇〇村役場 住民福祉課") {
				t.Errorf("office needed but where missing: %+v", p.Where)
			}
			for _, x := range append(p.What, p.Title, p.Next) {
				if (x.JA == "") != (x.EN == "") {
					t.Errorf("Japanese and English do not pair: %+v", x)
				}
			}
		})
	}
	// e-Tax is said only where the configuration says it.
	m.ETax = false
	if strings.Contains(allJA(kiosk.Guide(kiosk.CodeNoSignCert, kiosk.PINSign, m)), "e-Tax") {
		t.Error("e-Tax offered where the config says no")
	}
}

// TestGuideSaysOnlyWhatThePageSays: phrases the village page does not
// support, or that are false, appear on no page.
func TestGuideSaysOnlyWhatThePageSays(t *testing.T) {
	forbidden := []string{
		"まちがえてよい",      // with N tries left the N-th mistake locks
		"パソコン",         // a locked PIN is reset only at the office
		"円",            // the only fee is the re-issue's, which no state here is about
		"コンビニ",         // not available in this village, and no state is about it
		"顔認証",          // not on the village page
		"本人確認書類（運転免許証", // the 住基 page asks for nothing of the sort
	}
	codes := []kiosk.Code{kiosk.CodeValid, kiosk.CodeRenewal, kiosk.CodeExpired, kiosk.CodeNotYetValid, kiosk.CodeDateUnknown,
		kiosk.CodeCertBad, kiosk.CodeAuthLocked, kiosk.CodeSignLocked, kiosk.CodeAuthLastTry, kiosk.CodeSignLastTry,
		kiosk.CodeNoAuthCert, kiosk.CodeNoSignCert, kiosk.CodeJuki, kiosk.CodeNotJPKI, kiosk.CodeUnreadable,
		kiosk.CodeChangeUnsure, kiosk.CodePINChanged, kiosk.CodeWrongPIN, kiosk.CodeRemoved}
	var everything strings.Builder
	for _, c := range codes {
		for _, k := range []kiosk.PINKind{kiosk.PINAuth, kiosk.PINSign} {
			everything.WriteString(allJA(kiosk.Guide(c, k, testMunicipality())))
		}
	}
	w := reflect.ValueOf(kiosk.Catalogue())
	for i := 0; i < w.NumField(); i++ {
		everything.WriteString(w.Field(i).Interface().(kiosk.Text).JA)
	}
	for _, f := range forbidden {
		if strings.Contains(everything.String(), f) {
			t.Errorf("the words say %q", f)
		}
	}
	// One name per PIN: every 暗証番号 named for a kind uses the full name.
	for _, short := range []string{"署名用の暗証番号", "利用者証明用の暗証番号", "署名用暗証番号"} {
		if strings.Contains(everything.String(), short) {
			t.Errorf("a second name for a PIN: %q", short)
		}
	}
}

func allJA(p kiosk.Page) string {
	var b strings.Builder
	for _, x := range append(append([]kiosk.Text{p.Title, p.Next}, p.What...), p.Bring...) {
		b.WriteString(x.JA)
	}
	return b.String()
}

// TestSectionOf: a slip carries the page, and a certificate's dates by
// year and month only: the expiry date is the holder's birthday.
func TestSectionOf(t *testing.T) {
	cert := kiosk.AssessCert(*makeValidity(t, 5, jstDay(2022, 6, 1), jstDay(2027, 5, 31)), jstDay(2027, 3, 1), true)
	p := kiosk.Guide(kiosk.CodeRenewal, kiosk.PINAuth, testMunicipality())
	s := kiosk.SectionOf(p, &cert)
	all := strings.Join(append(s.LinesJA, s.LinesEN...), "\n")
	// Open since 28 Feb: the slip, read later, says it already is.
	if !strings.Contains(all, "2027年5月") || !strings.Contains(all, "すでにできます") || !strings.Contains(all, "May 2027") {
		t.Errorf("dates missing: %s", all)
	}
	// Before the window: the first day it is certainly open, 1 Mar, which
	// says nothing closer about the birthday than "late February".
	before := kiosk.AssessCert(*makeValidity(t, 5, jstDay(2022, 6, 1), jstDay(2027, 5, 31)), jstDay(2026, 12, 1), true)
	sv := kiosk.SectionOf(kiosk.Guide(kiosk.CodeRenewal, kiosk.PINAuth, testMunicipality()), &before)
	if got := strings.Join(append(sv.LinesJA, sv.LinesEN...), "\n"); !strings.Contains(got, "2027年3月1日（月）にはできます") || !strings.Contains(got, "by 1 Mar 2027") {
		t.Errorf("renewal day missing: %s", got)
	}
	expired := kiosk.AssessCert(*makeValidity(t, 5, jstDay(2021, 6, 1), jstDay(2026, 5, 31)), jstDay(2026, 6, 10), true)
	se := kiosk.SectionOf(kiosk.Guide(kiosk.CodeExpired, kiosk.PINAuth, testMunicipality()), &expired)
	if got := strings.Join(se.LinesJA, "\n"); !strings.Contains(got, "2026年5月（切れています）") {
		t.Errorf("an expired month reads as valid: %s", got)
	}
	for _, day := range []string{"31日", "28日", "31 May", "28 Feb"} {
		if strings.Contains(all, day) {
			t.Errorf("the slip prints a day (%q): %s", day, all)
		}
	}
	if len(s.LinesJA) != len(s.LinesEN) || len(s.BringJA) != len(s.BringEN) || len(s.BringJA) != len(p.Bring) || s.TitleJA != p.Title.JA {
		t.Errorf("section does not pair or lost the page: %+v", s)
	}
	slip := kiosk.NewSlip([]kiosk.SlipSection{s}, testMunicipality(), "K01-20270301-0007", jstDay(2027, 3, 1))
	if slip.Reference != "K01-20270301-0007" || slip.Office != "〇〇村役場 住民福祉課" || slip.Phone != "0000-00-0000" {
		t.Errorf("slip = %+v", slip)
	}
}

func TestCertainlyOpen(t *testing.T) {
	tests := []struct{ opens, want time.Time }{
		{jstDay(2027, 2, 1), jstDay(2027, 2, 1)},
		{jstDay(2027, 2, 2), jstDay(2027, 2, 11)},
		{jstDay(2027, 2, 11), jstDay(2027, 2, 11)},
		{jstDay(2027, 2, 15), jstDay(2027, 2, 21)},
		{jstDay(2027, 2, 21), jstDay(2027, 2, 21)},
		{jstDay(2027, 2, 28), jstDay(2027, 3, 1)},
		{jstDay(2027, 12, 31), jstDay(2028, 1, 1)},
	}
	for _, tt := range tests {
		if got := kiosk.CertainlyOpen(tt.opens); !got.Equal(tt.want) {
			t.Errorf("CertainlyOpen(%s) = %s, want %s", tt.opens.Format("2006-01-02"), got.Format("2006-01-02"), tt.want.Format("2006-01-02"))
		}
		if got := kiosk.CertainlyOpen(tt.opens); got.Before(tt.opens) {
			t.Errorf("CertainlyOpen(%s) is before the window opens", tt.opens)
		}
	}
}

func TestTimeLeft(t *testing.T) {
	tests := []struct {
		days   int
		ja, en string
	}{
		{0, "あと1か月足らず", "less than a month left"},
		{30, "あと1か月足らず", "less than a month left"},
		{52, "あと約2か月", "about 2 months left"},
		{365, "あと約1年", "about 1 year left"},
		{1193, "あと約3年3か月", "about 3 years 3 months left"},
		{1826, "あと約5年", "about 5 years left"},
	}
	for _, tt := range tests {
		if got := kiosk.TimeLeft(kiosk.Japanese, tt.days); got != tt.ja {
			t.Errorf("TimeLeft(ja, %d) = %q, want %q", tt.days, got, tt.ja)
		}
		if got := kiosk.TimeLeft(kiosk.English, tt.days); got != tt.en {
			t.Errorf("TimeLeft(en, %d) = %q, want %q", tt.days, got, tt.en)
		}
	}
}

// TestSlipBringsOnce: a card locked and due for renewal lists what to
// bring once, under the last section, the card with its condition only.
func TestSlipBringsOnce(t *testing.T) {
	m := testMunicipality()
	secs := []kiosk.SlipSection{
		kiosk.SectionOf(kiosk.Guide(kiosk.CodeAuthLocked, kiosk.PINAuth, m), nil),
		kiosk.SectionOf(kiosk.Guide(kiosk.CodeRenewal, kiosk.PINAuth, m), nil),
	}
	s := kiosk.NewSlip(secs, m, "K01-20270301-0007", jstDay(2027, 3, 1))
	if len(s.Sections[0].BringJA) != 0 || len(s.Sections[1].BringJA) != 2 || len(s.Sections[1].BringEN) != 2 {
		t.Fatalf("bring lists %q / %q", s.Sections[0].BringJA, s.Sections[1].BringJA)
	}
	if s.Sections[1].BringJA[0] == "マイナンバーカード" || !strings.Contains(s.WhoseJA, "〇〇村に住民票のある方") || s.OtherTownJA == "" {
		t.Errorf("slip = %+v", s)
	}
}
