package kiosk_test

import (
	"testing"

	"github.com/villagehall/kiosk/kiosk"
)

// The status summary says what the status screen shows: each page's
// headline as the screen words it (StatusPages and RetryPage reword some of
// Guide's), the lead's caveats when it is within its dates, and the lead's
// next step. Checked by text, not by ID, so a rewording on either side
// without the other fails here.
func TestStatusSummarySaysTheScreensWords(t *testing.T) {
	m := kiosk.Municipality{Name: "〇〇村", Office: "住民福祉課", Phone: "0000", Hours: "平日"}
	base := kiosk.Assessment{Card: kiosk.CardMyNumber, Code: kiosk.CodeValid, Conditions: []kiosk.Code{kiosk.CodeValid},
		HasAuth: true, HasSign: true, AuthTries: 3, SignTries: 5, Auth: kiosk.CertAssessment{Verdict: kiosk.CodeValid}}
	with := func(f func(*kiosk.Assessment)) kiosk.Assessment { a := base; f(&a); return a }
	tests := map[string]kiosk.Assessment{
		"valid": base,
		"valid, auth PIN locked": with(func(a *kiosk.Assessment) {
			a.Code, a.Conditions, a.AuthLocked, a.AuthTries = kiosk.CodeAuthLocked, []kiosk.Code{kiosk.CodeAuthLocked, kiosk.CodeValid}, true, 0
		}),
		"valid, sign PIN locked": with(func(a *kiosk.Assessment) {
			a.Code, a.Conditions, a.SignLocked, a.SignTries = kiosk.CodeSignLocked, []kiosk.Code{kiosk.CodeSignLocked, kiosk.CodeValid}, true, 0
		}),
		"valid, last try": with(func(a *kiosk.Assessment) {
			a.Conditions, a.AuthTries = []kiosk.Code{kiosk.CodeValid, kiosk.CodeAuthLastTry}, 1
		}),
		"expired": with(func(a *kiosk.Assessment) {
			a.Code, a.Conditions, a.Auth.Verdict = kiosk.CodeExpired, []kiosk.Code{kiosk.CodeExpired}, kiosk.CodeExpired
		}),
		"renewal": with(func(a *kiosk.Assessment) {
			a.Code, a.Conditions, a.Auth.Verdict = kiosk.CodeRenewal, []kiosk.Code{kiosk.CodeRenewal}, kiosk.CodeRenewal
		}),
		"unreadable, first time": {Card: kiosk.CardUnknown, Code: kiosk.CodeUnreadable, Conditions: []kiosk.Code{kiosk.CodeUnreadable}, Retry: true},
		"unreadable, again":      {Card: kiosk.CardUnknown, Code: kiosk.CodeUnreadable, Conditions: []kiosk.Code{kiosk.CodeUnreadable}},
		"not JPKI, first time":   {Card: kiosk.CardUnknown, Code: kiosk.CodeNotJPKI, Conditions: []kiosk.Code{kiosk.CodeNotJPKI}, Retry: true},
	}
	prompts := kiosk.Prompts()
	for name, a := range tests {
		t.Run(name, func(t *testing.T) {
			pages := kiosk.StatusPages(a, m)
			v := kiosk.View{Screen: kiosk.ScreenStatus, CardIn: true, Assessment: &a, Pages: pages}
			parts, _ := kiosk.ScreenSpeech(v)
			said := kiosk.Speak(kiosk.Japanese, kiosk.VolumeMedium, parts...).Prompts()
			var texts []string
			for _, id := range said {
				p, ok := prompts[id]
				if !ok {
					t.Fatalf("%s is no prompt", id)
				}
				texts = append(texts, p.JA)
			}
			for i, p := range pages {
				if i >= len(texts) || texts[i] != p.Title.JA {
					t.Errorf("headline %d: said %q, the screen shows %q", i, textAt(texts, i), p.Title.JA)
				}
			}
			if lead := pages[0]; texts[len(texts)-1] != lead.Next.JA {
				t.Errorf("next step: said %q, the screen shows %q", texts[len(texts)-1], lead.Next.JA)
			}
			if lead := pages[0]; !lead.Office && !lead.Retry {
				for _, w := range lead.What {
					if !containsText(texts, w.JA) {
						t.Errorf("the screen's %q under the headline is not said", w.JA)
					}
				}
			}
		})
	}
}

func textAt(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

func containsText(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}
