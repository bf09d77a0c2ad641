package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/escpos"
	"github.com/villagehall/kiosk/kiosk"
)

type captureJournal struct{ n uint64 }

func (j *captureJournal) Append(_ context.Context, r kiosk.Record) (kiosk.Record, error) {
	j.n++
	r.Seq, r.KioskID = j.n, "K01"
	return r, nil
}

type capturePrinter struct{ slips []kiosk.Slip }

func (p *capturePrinter) Print(_ context.Context, s kiosk.Slip) error {
	p.slips = append(p.slips, s)
	return nil
}

// squash drops spaces and line breaks and folds 〜 to ～ (one printer
// code): what is left is the words, wherever the lines broke.
func squash(s string) string {
	return strings.NewReplacer(" ", "", "\n", "", "\u301c", "\uff5e").Replace(s)
}

// TestScreenAndSlipAgree runs each office-bound state through the visit
// and the flows as a kiosk does — the status recorded and its slip
// printed, the guidance pages shown — and checks that the screen and the
// slip (decoded from its ESC/POS bytes at 58 mm) both say every sentence
// of what happened and what to do, where to go and what to bring, in
// Japanese and in English.
func TestScreenAndSlipAgree(t *testing.T) {
	at := testNow
	for _, sc := range statusCases {
		t.Run(sc.name, func(t *testing.T) {
			p := &capturePrinter{}
			f := &kiosk.Flows{Journal: &captureJournal{}, Printer: p, Municipality: muni, KioskID: "K01", Now: func() time.Time { return at }}
			v := kiosk.NewVisit(kiosk.VisitConfig{IdleTimeout: time.Minute, IdleWarning: 20 * time.Second, Municipality: muni})
			v.Handle(kiosk.CardInserted{At: at})
			eff := v.Handle(kiosk.StatusRead{At: at, Gen: v.Session(), Assessment: sc.a})
			rec, ok := eff[0].(kiosk.RecordStatus)
			if !ok {
				t.Fatalf("effects %v", eff)
			}
			kept, err := f.RecordStatus(context.Background(), rec.Assessment)
			v.Handle(kiosk.StatusKept{At: at, Gen: v.Session(), Kept: kept, Err: err})
			var pages []kiosk.View
			for {
				v.Handle(kiosk.Pressed{At: at, Input: kiosk.Input{Kind: kiosk.InputNext}})
				vw := v.View()
				if vw.Screen != kiosk.ScreenGuidance {
					break
				}
				pages = append(pages, vw)
			}
			if len(pages) == 0 {
				if len(p.slips) != 0 {
					t.Fatal("a slip without a guidance page")
				}
				return
			}
			if len(p.slips) != 1 || len(p.slips[0].Sections) != len(pages) {
				t.Fatalf("%d slips for %d guidance pages", len(p.slips), len(pages))
			}
			for _, w := range []escpos.Width{escpos.Width58, escpos.Width80} {
				doc, err := escpos.Decode(escpos.RenderSlip(p.slips[0], w, true), w)
				if err != nil {
					t.Fatal(err)
				}
				slip := squash(doc.Text())
				for _, lang := range []kiosk.Lang{kiosk.Japanese, kiosk.English} {
					for _, pg := range pages {
						pg.Lang = lang
						h := newHarness(t, 80, 24)
						h.show(pg)
						screen := squash(h.dump())
						for _, say := range sayings(*pg.Page, lang) {
							if !strings.Contains(screen, squash(say)) {
								t.Errorf("%s/%s: the screen does not say %q", pg.Page.Code, lang, say)
							}
							if !strings.Contains(slip, squash(say)) {
								t.Errorf("%s/%s at %d dots: the slip does not say %q", pg.Page.Code, lang, w, say)
							}
						}
						if !strings.Contains(screen, kept.Reference) || !strings.Contains(slip, kept.Reference) {
							t.Errorf("%s: the reference %s is not on both", pg.Page.Code, kept.Reference)
						}
					}
				}
			}
		})
	}
}

// sayings are what a page must say wherever it is shown: the headline,
// every sentence, every item to bring, and the office (the English slip
// names the office in Japanese: that is what is on the counter's sign).
func sayings(p kiosk.Page, l kiosk.Lang) []string {
	out := []string{p.Title.In(l)}
	for _, t := range p.What {
		out = append(out, t.In(l))
	}
	for _, t := range p.Bring {
		out = append(out, t.In(l))
	}
	if l == kiosk.Japanese {
		out = append(out, p.Where.Office.JA, p.Where.Counter.JA, p.Where.Hours.JA)
	}
	return append(out, p.Where.Phone)
}
