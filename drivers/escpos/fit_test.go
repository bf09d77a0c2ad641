package escpos_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/escpos"
	"github.com/villagehall/kiosk/kiosk"
)

// Text a slip may carry: the kiosk's words, configuration the village
// writes (office names, hours with URLs), numbers with counters, brackets,
// long words, ambiguous-width symbols that are wide on the printer, and
// characters no Japanese printer font has (they go out as raster lines).
var slipPieces = []string{
	"利用者証明用電子証明書", "署名用電子証明書", "の", "を", "は", "有効期限", "が", "切れています", "。", "、",
	"役場の窓口", "で", "ください", "4けたの暗証番号（利用者証明用）", "英数字6〜16けたの暗証番号（署名用）",
	"（", "）", "「", "」", "3回", "200円", "平日8:30〜17:15", "（https://www.example.lg.jp/hours/）",
	" ", " ", "Please", "bring", "your", "My Number Card", "certificate", "renewal", "e-Tax",
	"K01-20261201-0042", "○", "※", "×", "①", "〇〇村役場 住民福祉課", "ｶﾀｶﾅ", "ー", "っ", "！",
	"Supercalifragilisticexpialidocious-and-then-some-more-words", "—", "–", "〜",
}

func randomLine(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := 0; i < 1+r.IntN(n); i++ {
		b.WriteString(slipPieces[r.IntN(len(slipPieces))])
	}
	return b.String()
}

func randomSlip(r *rand.Rand) kiosk.Slip {
	lines := func() []string {
		out := make([]string, r.IntN(4))
		for i := range out {
			out[i] = randomLine(r, 12)
		}
		return out
	}
	secs := make([]kiosk.SlipSection, 1+r.IntN(2))
	for i := range secs {
		secs[i] = kiosk.SlipSection{TitleJA: randomLine(r, 4), TitleEN: randomLine(r, 4),
			LinesJA: lines(), LinesEN: lines(), BringJA: lines(), BringEN: lines()}
	}
	return kiosk.Slip{
		Time:      time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC),
		Office:    randomLine(r, 3),
		Counter:   randomLine(r, 2),
		Phone:     "0000-00-0000",
		Hours:     randomLine(r, 3),
		Sections:  secs,
		Reference: "K01-20261201-0042",
	}
}

// TestSlipLinesFitThePaper lays out random mixed-width slips at 58 and
// 80 mm, on kanji printers and on printers that get everything as raster
// images, decodes the bytes the printer would get and checks every line:
// text lines by their Shift_JIS bytes (12 dots each, times the character
// size), raster lines by their width in dots.
func TestSlipLinesFitThePaper(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for i := 0; i < 300; i++ {
		s := randomSlip(r)
		for _, w := range []escpos.Width{escpos.Width58, escpos.Width80} {
			for _, kanji := range []bool{true, false} {
				doc, err := escpos.Decode(escpos.RenderSlip(s, w, kanji), w)
				if err != nil {
					t.Fatalf("slip %d at %d dots, kanji %v: decode: %v", i, w, kanji, err)
				}
				for _, bl := range doc.Blocks {
					switch bl.Kind {
					case escpos.TextBlock:
						if dots := escposCells(bl) * 12; dots > int(w) {
							t.Errorf("slip %d at %d dots, kanji %v: text line %q is %d dots", i, w, kanji, bl.Text, dots)
						}
					case escpos.RasterBlock:
						if bl.Bitmap.W > int(w) {
							t.Errorf("slip %d at %d dots, kanji %v: raster line %d dots wide", i, w, kanji, bl.Bitmap.W)
						}
					}
				}
			}
		}
	}
}

// The line that overflowed 58 mm paper (408 dots on 384) before the
// breakers were one: a full-width bracket carried next to a long word.
func TestHoursLineWithURLFits58mm(t *testing.T) {
	s := kiosk.Slip{Office: "〇〇村役場", Hours: "平日8:30（https://www.example.lg.jp/hours/）", Reference: "K01-20261201-0001"}
	doc := mustDecode(t, escpos.RenderSlip(s, escpos.Width58, true), escpos.Width58)
	var got []string
	for _, bl := range doc.Blocks {
		if bl.Kind == escpos.TextBlock {
			got = append(got, bl.Text)
			if dots := escposCells(bl) * 12; dots > 384 {
				t.Errorf("%q is %d dots on 384-dot paper", bl.Text, dots)
			}
		}
	}
	if !strings.Contains(squash(strings.Join(got, "")), squash("窓口の時間 Hours: "+s.Hours)) {
		t.Errorf("hours line lost: %q", got)
	}
}
