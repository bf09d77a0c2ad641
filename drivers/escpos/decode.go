package escpos

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"

	"golang.org/x/text/encoding/japanese"
)

// BlockKind says what a decoded block is.
type BlockKind int

const (
	TextBlock BlockKind = iota
	RasterBlock
	QRBlock
	FeedBlock
	CutBlock
)

// Block is one printed element, in paper order.
type Block struct {
	Kind   BlockKind
	Text   string // TextBlock: the line, decoded to UTF-8
	Dots   int    // TextBlock: the line's printed width in dots (never more than the paper's)
	Align  Align
	Bold   bool
	Size   int     // TextBlock: GS ! multiplier (square sizes only)
	Bitmap *Bitmap // RasterBlock
	QR     string  // QRBlock: stored data
	Module int     // QRBlock: module size in dots
	Lines  int     // FeedBlock
}

// Doc is a decoded slip.
type Doc struct {
	Width  Width
	Blocks []Block
}

// MaxPaperDots bounds a decoded document's length: 2 m of paper at 8
// dots/mm. Real slips are far shorter; a longer document is a stream gone
// wrong, and drawing it would take memory out of all proportion to its
// bytes (a 3-byte ESC d feeds 255 lines).
const MaxPaperDots = 16000

// paperDots is the paper a block takes when drawn. For a QR code it is an
// upper bound, as the symbol's size depends on the data: (n+4)·module
// dots with n·module within the paper width and n ≥ 21 (see QRBitmap).
func (bl Block) paperDots(width Width) int {
	switch bl.Kind {
	case TextBlock:
		return cellH*max(bl.Size, 1) + lineGap
	case RasterBlock:
		return bl.Bitmap.H
	case QRBlock:
		return (int(width)*25 + 20) / 21
	case FeedBlock:
		return bl.Lines * lineHeight
	case CutBlock:
		return lineHeight
	}
	return 0
}

// Decode parses exactly the command set the encoder emits and fails on
// anything else, so a golden test notices a stray byte. It also fails on
// what a printer would not print as laid out: a text line or an image
// wider than the paper (the printer would wrap or cut it; this decoder
// never cuts silently), and a document longer than MaxPaperDots.
func Decode(b []byte, width Width) (*Doc, error) {
	d := &Doc{Width: width}
	paper := 0
	add := func(i int, bl Block) error {
		if paper += bl.paperDots(width); paper > MaxPaperDots {
			return errAt(i, "more than %d dots of paper (%d m): not a slip", MaxPaperDots, MaxPaperDots/8000)
		}
		d.Blocks = append(d.Blocks, bl)
		return nil
	}
	var (
		align     Align
		bold      bool
		size      = 1
		kanji     bool
		sjis      bool
		line      []byte
		dots      int // width of the line so far, at the size in force
		lineStart = true
		qrData    string
		qrModule  = 3
	)
	need := func(i, n int) error {
		if i+n > len(b) {
			return errAt(i, "truncated command")
		}
		return nil
	}
	for i := 0; i < len(b); {
		c := b[i]
		switch c {
		case esc:
			if err := need(i, 2); err != nil {
				return nil, err
			}
			switch b[i+1] {
			case '@':
				align, bold, size, kanji, sjis = Left, false, 1, false, false
				i += 2
			case 'a', 'E', 'd':
				if err := need(i, 3); err != nil {
					return nil, err
				}
				n := b[i+2]
				switch b[i+1] {
				case 'a':
					if n > 2 {
						return nil, errAt(i, "ESC a %d", n)
					}
					align = Align(n)
				case 'E':
					bold = n&1 == 1
				case 'd':
					if err := add(i, Block{Kind: FeedBlock, Lines: int(n)}); err != nil {
						return nil, err
					}
				}
				i += 3
			default:
				return nil, errAt(i, "unknown ESC %#02x", b[i+1])
			}
		case gs:
			if err := need(i, 2); err != nil {
				return nil, err
			}
			switch b[i+1] {
			case '!':
				if err := need(i, 3); err != nil {
					return nil, err
				}
				n := b[i+2]
				if n>>4 != n&0x0f {
					return nil, errAt(i, "GS ! %#02x: only square sizes are emitted", n)
				}
				size = int(n&0x0f) + 1
				i += 3
			case 'V':
				if err := need(i, 4); err != nil {
					return nil, err
				}
				if b[i+2] != 66 {
					return nil, errAt(i, "GS V %d", b[i+2])
				}
				if !lineStart {
					return nil, errAt(i, "cut in the middle of a line")
				}
				if err := add(i, Block{Kind: CutBlock, Lines: int(b[i+3])}); err != nil {
					return nil, err
				}
				i += 4
			case 'v':
				if err := need(i, 8); err != nil {
					return nil, err
				}
				if b[i+2] != '0' || b[i+3] != 0 {
					return nil, errAt(i, "GS v 0: unsupported mode")
				}
				stride := int(b[i+4]) | int(b[i+5])<<8
				h := int(b[i+6]) | int(b[i+7])<<8
				if err := need(i+8, stride*h); err != nil {
					return nil, err
				}
				if stride*8 > int(width) {
					return nil, errAt(i, "raster image %d dots wide on %d-dot paper", stride*8, width)
				}
				bm := &Bitmap{W: stride * 8, H: h, Stride: stride, Pix: append([]byte(nil), b[i+8:i+8+stride*h]...)}
				if err := add(i, Block{Kind: RasterBlock, Align: align, Bitmap: bm}); err != nil {
					return nil, err
				}
				i += 8 + stride*h
			case '(':
				if err := need(i, 5); err != nil {
					return nil, err
				}
				if b[i+2] != 'k' {
					return nil, errAt(i, "GS ( %c", b[i+2])
				}
				n := int(b[i+3]) | int(b[i+4])<<8
				if err := need(i+5, n); err != nil {
					return nil, err
				}
				p := b[i+5 : i+5+n]
				if n < 3 || p[0] != '1' {
					return nil, errAt(i, "GS ( k: not a QR function")
				}
				switch p[1] {
				case 'A', 'E':
				case 'C':
					qrModule = int(p[2])
				case 'P':
					qrData = string(p[3:])
				case 'Q':
					if err := add(i, Block{Kind: QRBlock, Align: align, QR: qrData, Module: qrModule}); err != nil {
						return nil, err
					}
				default:
					return nil, errAt(i, "GS ( k function %c", p[1])
				}
				i += 5 + n
			default:
				return nil, errAt(i, "unknown GS %#02x", b[i+1])
			}
		case fs:
			if err := need(i, 2); err != nil {
				return nil, err
			}
			switch b[i+1] {
			case 'C':
				if err := need(i, 3); err != nil {
					return nil, err
				}
				sjis = b[i+2] == 1 || b[i+2] == '1'
				i += 3
			case '&':
				if !sjis {
					return nil, errAt(i, "FS & before FS C 1")
				}
				kanji = true
				i += 2
			case '.':
				kanji = false
				i += 2
			default:
				return nil, errAt(i, "unknown FS %#02x", b[i+1])
			}
		case lf:
			text, err := japanese.ShiftJIS.NewDecoder().Bytes(line)
			if err != nil {
				return nil, errAt(i, "bad Shift_JIS: %v", err)
			}
			if dots > int(width) {
				return nil, errAt(i, "line %q is %d dots wide on %d-dot paper", text, dots, width)
			}
			// 0x8160 is JIS X 0208's WAVE DASH (〜), which the screens
			// show; the decoder's CP932 table names it FULLWIDTH TILDE.
			text = bytes.ReplaceAll(text, []byte("～"), []byte("〜"))
			if err := add(i, Block{Kind: TextBlock, Text: string(text), Dots: dots, Align: align, Bold: bold, Size: size}); err != nil {
				return nil, err
			}
			line, dots, lineStart = line[:0], 0, true
			i++
		default:
			// A printer lays a line out as it comes: a half-width cell per
			// ASCII byte (and per half-width katakana byte in kanji mode), a
			// full-width cell per two-byte character, at the size in force.
			switch {
			case c >= 0x20 && c < 0x7f, kanji && c >= 0xa1 && c <= 0xdf:
				line = append(line, c)
				dots += cellW * size
				i++
			case kanji && (c >= 0x81 && c <= 0x9f || c >= 0xe0 && c <= 0xfc):
				if err := need(i, 2); err != nil {
					return nil, err
				}
				if t := b[i+1]; t < 0x40 || t == 0x7f || t > 0xfc {
					return nil, errAt(i, "bad Shift_JIS trail byte %#02x", t)
				}
				line = append(line, c, b[i+1])
				dots += 2 * cellW * size
				i += 2
			default:
				return nil, errAt(i, "unexpected byte %#02x (kanji mode %v)", c, kanji)
			}
			lineStart = false
		}
	}
	if !lineStart {
		return nil, errAt(len(b), "unterminated line %q", line)
	}
	return d, nil
}

// Text renders the document as plain text at the paper's column count:
// text lines aligned as printed, other blocks as bracketed markers.
func (d *Doc) Text() string {
	var sb strings.Builder
	cols := d.Width.Cols()
	for _, bl := range d.Blocks {
		switch bl.Kind {
		case TextBlock:
			pad := 0
			used := textCells(bl.Text) * max(bl.Size, 1)
			switch bl.Align {
			case Center:
				pad = (cols - used) / 2
			case Right:
				pad = cols - used
			}
			sb.WriteString(strings.TrimRight(strings.Repeat(" ", max(pad, 0))+bl.Text, " "))
		case RasterBlock:
			fmt.Fprintf(&sb, "[raster %dx%d]", bl.Bitmap.W, bl.Bitmap.H)
		case QRBlock:
			fmt.Fprintf(&sb, "[QR module=%d %s]", bl.Module, bl.QR)
		case FeedBlock:
			fmt.Fprintf(&sb, "[feed %d]", bl.Lines)
		case CutBlock:
			sb.WriteString("[cut]")
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

// Render draws the document as the printer would, at its dot width.
func (d *Doc) Render(f *Font) *Bitmap {
	type placed struct {
		bl  Block
		bm  *Bitmap
		y   int
		h   int
		mul int
	}
	var items []placed
	y := 0
	for _, bl := range d.Blocks {
		p := placed{bl: bl, y: y, mul: 1, h: bl.paperDots(d.Width)}
		switch bl.Kind {
		case TextBlock:
			p.mul = max(bl.Size, 1)
			if bl.Text != "" {
				p.bm = f.lineBitmap(bl.Text, bl.Bold)
			}
		case RasterBlock:
			p.bm = bl.Bitmap
		case QRBlock:
			p.bm, p.h = QRBitmap(bl.QR, bl.Module, int(d.Width)), 0
			if p.bm != nil {
				p.h = p.bm.H
			}
		}
		items = append(items, p)
		y += p.h
	}
	page := NewBitmap(int(d.Width), max(y, 1))
	for _, p := range items {
		switch p.bl.Kind {
		case CutBlock:
			for x := 0; x < page.W; x += 8 {
				for dx := 0; dx < 4; dx++ {
					page.Set(x+dx, p.y+p.h/2)
				}
			}
		default:
			if p.bm == nil {
				continue
			}
			x := 0
			switch p.bl.Align {
			case Center:
				x = (page.W - p.bm.W*p.mul) / 2
			case Right:
				x = page.W - p.bm.W*p.mul
			}
			if p.bl.Kind == QRBlock {
				x = 0 // QRBitmap is already centred on the page
			}
			blit(page, p.bm, max(x, 0), p.y, p.mul, p.mul)
		}
	}
	return page
}

// Image converts the bitmap to a two-colour paletted image (small PNGs).
func (b *Bitmap) Image() *image.Paletted {
	img := image.NewPaletted(image.Rect(0, 0, b.W, b.H), color.Palette{color.White, color.Black})
	for y := 0; y < b.H; y++ {
		for x := 0; x < b.W; x++ {
			if b.At(x, y) {
				img.Pix[img.PixOffset(x, y)] = 1
			}
		}
	}
	return img
}

// WritePNG renders the document and writes it as PNG.
func (d *Doc) WritePNG(w io.Writer, f *Font) error {
	if err := png.Encode(w, d.Render(f).Image()); err != nil {
		return fmt.Errorf("escpos: encode png: %w", err)
	}
	return nil
}
