package escpos

import (
	"fmt"
	"image"
	"image/draw"
	"os"
	"sync"

	"github.com/mattn/go-runewidth"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// DefaultFontPaths are tried in order by DefaultFont. The first comes from
// the Debian package fonts-ipafont-gothic; the second is the alternatives
// link the fonts-japanese-gothic virtual package maintains.
var DefaultFontPaths = []string{
	"/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
	"/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
}

// Font draws text at the printer's cell pitch (12 dots half-width, 24 dots
// full-width, 24 dots high). A nil *Font falls back to basicfont, which
// has ASCII only: other characters come out as boxes.
type Font struct {
	otf *opentype.Font
}

// LoadFont reads a TrueType/OpenType font.
func LoadFont(path string) (*Font, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("escpos: load font: %w", err)
	}
	f, err := opentype.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("escpos: parse font %s: %w", path, err)
	}
	return &Font{otf: f}, nil
}

// defaultFont loads once and is immutable afterwards; it is a cache of a
// read-only file, not mutable state.
var defaultFont = sync.OnceValue(func() *Font {
	for _, p := range DefaultFontPaths {
		if f, err := LoadFont(p); err == nil {
			return f
		}
	}
	return nil
})

// DefaultFont returns the first loadable font of DefaultFontPaths, or nil.
func DefaultFont() *Font { return defaultFont() }

// eastAsian measures width the way a Japanese printer does: every character
// that Shift_JIS encodes in two bytes (including ambiguous ones like ○) is
// full width. Read-only after construction.
var eastAsian = &runewidth.Condition{EastAsianWidth: true}

// runeCells is the number of half-width cells r occupies (0 for controls),
// measured as printed: after JISForm, so ¢ (narrow in Unicode) counts the
// two cells its JIS X 0208 form takes on paper.
func runeCells(r rune) int {
	if r < 0x20 {
		return 0
	}
	return eastAsian.RuneWidth(jisRune(r))
}

// textCells is the display width of s in half-width cells.
func textCells(s string) int {
	n := 0
	for _, r := range s {
		n += runeCells(r)
	}
	return n
}

// lineBitmap draws s on one line at normal size: width in cells × 12 dots,
// 24 dots high. Glyphs sit on cell positions, as on the printer.
func (f *Font) lineBitmap(s string, bold bool) *Bitmap {
	w := max(textCells(s)*cellW, 8)
	a := image.NewAlpha(image.Rect(0, 0, w, cellH))
	face, ascent := f.face()
	if c, ok := face.(interface{ Close() error }); ok {
		defer c.Close()
	}
	x := 0
	for _, r := range s {
		cw := runeCells(r) * cellW
		if cw == 0 {
			continue
		}
		dr, mask, mp, _, ok := face.Glyph(fixed.P(x, ascent), r)
		if ok && !dr.Empty() {
			draw.DrawMask(a, dr, image.Opaque, image.Point{}, mask, mp, draw.Over)
		} else if r != ' ' && r != '\u3000' {
			// Tofu: a box says "something was here" rather than hiding it.
			drawBox(a, x+2, 3, cw-4, cellH-6)
		}
		x += cw
	}
	b := NewBitmap(w, cellH)
	for y := 0; y < cellH; y++ {
		for x := 0; x < w; x++ {
			if a.AlphaAt(x, y).A >= 0x80 {
				b.Set(x, y)
				if bold {
					b.Set(x+1, y)
				}
			}
		}
	}
	return b
}

// face returns a drawing face and the baseline offset in dots. A face is
// created per call because opentype faces are not safe for concurrent use.
func (f *Font) face() (font.Face, int) {
	if f != nil && f.otf != nil {
		face, err := opentype.NewFace(f.otf, &opentype.FaceOptions{Size: cellH, DPI: 72, Hinting: font.HintingFull})
		if err == nil {
			m := face.Metrics()
			asc, desc := m.Ascent.Ceil(), m.Descent.Ceil()
			return face, cellH * asc / max(asc+desc, 1)
		}
	}
	return basicfont.Face7x13, 18
}

func drawBox(a *image.Alpha, x, y, w, h int) {
	for i := x; i < x+w; i++ {
		a.Pix[a.PixOffset(i, y)] = 0xff
		a.Pix[a.PixOffset(i, y+h-1)] = 0xff
	}
	for j := y; j < y+h; j++ {
		a.Pix[a.PixOffset(x, j)] = 0xff
		a.Pix[a.PixOffset(x+w-1, j)] = 0xff
	}
}

// blit copies src into dst at x, y, scaling each dot by sw × sh.
func blit(dst, src *Bitmap, x, y, sw, sh int) {
	for sy := 0; sy < src.H; sy++ {
		for sx := 0; sx < src.W; sx++ {
			if !src.At(sx, sy) {
				continue
			}
			for dy := 0; dy < sh; dy++ {
				for dx := 0; dx < sw; dx++ {
					dst.Set(x+sx*sw+dx, y+sy*sh+dy)
				}
			}
		}
	}
}
