package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"sort"
	"strings"
)

// The colours the kiosk draws with: tcell's named colours 0–15 as foot
// renders them with the palette set in images/rootfs/etc/xdg/foot/foot.ini
// (the same values tcell gives those names), and xterm's 256-colour cube
// and grey ramp, which tcell falls back to for other named colours.
var palette = func() map[color.RGBA]bool {
	p := map[color.RGBA]bool{}
	for _, v := range []uint32{
		0x000000, 0x800000, 0x008000, 0x808000, 0x000080, 0x800080, 0x008080, 0xc0c0c0,
		0x808080, 0xff0000, 0x00ff00, 0xffff00, 0x0000ff, 0xff00ff, 0x00ffff, 0xffffff,
	} {
		p[rgb(v)] = true
	}
	steps := []uint8{0, 95, 135, 175, 215, 255}
	for _, r := range steps {
		for _, g := range steps {
			for _, b := range steps {
				p[color.RGBA{r, g, b, 255}] = true
			}
		}
	}
	for i := 0; i < 24; i++ {
		v := uint8(8 + 10*i)
		p[color.RGBA{v, v, v, 255}] = true
	}
	// X11 colours the kiosk names that tcell sends as 24-bit RGB.
	for _, v := range []uint32{0xd3d3d3, 0xffffe0} {
		p[rgb(v)] = true
	}
	return p
}()

func rgb(v uint32) color.RGBA { return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255} }

// facts are what the structure check looks at in one screendump.
type facts struct {
	W, H         int
	Top          color.RGBA // the most common colour
	TopShare     float64
	BlackShare   float64
	PaletteShare float64 // pixels in exactly a kiosk colour (the rest: text anti-aliasing)
	Regions      int     // kiosk colours each covering at least 1% of the screen
}

func analyse(img image.Image) facts {
	b := img.Bounds()
	hist := map[color.RGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			hist[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}]++
		}
	}
	n := float64(b.Dx() * b.Dy())
	f := facts{W: b.Dx(), H: b.Dy()}
	top := 0
	inPalette := 0
	for c, k := range hist {
		if k > top {
			top, f.Top = k, c
		}
		if palette[c] {
			inPalette += k
			if float64(k) >= 0.01*n {
				f.Regions++
			}
		}
	}
	f.TopShare = float64(top) / n
	f.BlackShare = float64(hist[color.RGBA{0, 0, 0, 255}]) / n
	f.PaletteShare = float64(inPalette) / n
	return f
}

// kioskScreen says why a screendump is not a screen the kiosk drew ("" if
// it is): blank (one colour), the Linux console (mostly black), or not in
// the kiosk's colours.
func (f facts) kioskScreen() string {
	switch {
	case f.W == 0 || f.H == 0:
		return "no picture"
	case f.TopShare > 0.97:
		return fmt.Sprintf("blank: #%02x%02x%02x covers %.1f%%", f.Top.R, f.Top.G, f.Top.B, 100*f.TopShare)
	case f.BlackShare > 0.5:
		return fmt.Sprintf("a console: %.0f%% black", 100*f.BlackShare)
	case f.PaletteShare < 0.6:
		return fmt.Sprintf("not the kiosk's colours: only %.0f%% of the pixels are", 100*f.PaletteShare)
	case f.Regions < 3:
		return fmt.Sprintf("%d coloured regions, a kiosk screen has 3 or more (background, header, buttons)", f.Regions)
	}
	return ""
}

func (f facts) String() string {
	return fmt.Sprintf("%dx%d, top #%02x%02x%02x %.0f%%, black %.0f%%, kiosk colours %.0f%%, %d regions",
		f.W, f.H, f.Top.R, f.Top.G, f.Top.B, 100*f.TopShare, 100*f.BlackShare, 100*f.PaletteShare, f.Regions)
}

// Goldens are compared block by block, so that anti-aliasing and a date
// or clock on the screen do not count, while a different screen does.
const (
	blocksX, blocksY = 64, 40
	blockTolerance   = 0.12 // a block differs when a mean channel moves more than this
	// maxDiffering is the share of blocks that may differ from the golden:
	// about a line of changed text (a date) on a 1280x800 screen.
	maxDiffering = 0.03
)

// differing returns the share of blocks whose mean colour differs, or an
// error when the sizes differ.
func differing(a, b image.Image) (float64, error) {
	if a.Bounds().Size() != b.Bounds().Size() {
		return 1, fmt.Errorf("size %v, golden %v", a.Bounds().Size(), b.Bounds().Size())
	}
	ma, mb := blockMeans(a), blockMeans(b)
	n := 0
	for i := range ma {
		for c := 0; c < 3; c++ {
			d := ma[i][c] - mb[i][c]
			if d < 0 {
				d = -d
			}
			if d > blockTolerance {
				n++
				break
			}
		}
	}
	return float64(n) / float64(len(ma)), nil
}

func blockMeans(img image.Image) [][3]float64 {
	b := img.Bounds()
	out := make([][3]float64, blocksX*blocksY)
	for by := 0; by < blocksY; by++ {
		for bx := 0; bx < blocksX; bx++ {
			x0, x1 := b.Min.X+bx*b.Dx()/blocksX, b.Min.X+(bx+1)*b.Dx()/blocksX
			y0, y1 := b.Min.Y+by*b.Dy()/blocksY, b.Min.Y+(by+1)*b.Dy()/blocksY
			var s [3]float64
			k := 0
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					r, g, bl, _ := img.At(x, y).RGBA()
					s[0] += float64(r) / 0xffff
					s[1] += float64(g) / 0xffff
					s[2] += float64(bl) / 0xffff
					k++
				}
			}
			if k > 0 {
				for c := range s {
					s[c] /= float64(k)
				}
			}
			out[by*blocksX+bx] = s
		}
	}
	return out
}

// loadPPM decodes a binary PPM (P6, maxval 255), what qemu's screendump
// writes by default.
func loadPPM(path string) (image.Image, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// Four white-space separated fields: P6, width, height, maxval; then
	// exactly one white-space byte before the pixels.
	var fields []string
	n := 0
	for len(fields) < 4 && n < len(b) && n < 64 {
		for n < len(b) && (b[n] == ' ' || b[n] == '\n' || b[n] == '\t' || b[n] == '\r') {
			n++
		}
		start := n
		for n < len(b) && b[n] != ' ' && b[n] != '\n' && b[n] != '\t' && b[n] != '\r' {
			n++
		}
		fields = append(fields, string(b[start:n]))
	}
	n++
	var w, h, maxval int
	if len(fields) != 4 || fields[0] != "P6" {
		return nil, fmt.Errorf("%s: not a binary PPM", path)
	}
	if _, err := fmt.Sscan(fields[1], &w); err != nil {
		return nil, fmt.Errorf("%s: PPM width: %w", path, err)
	}
	if _, err := fmt.Sscan(fields[2], &h); err != nil {
		return nil, fmt.Errorf("%s: PPM height: %w", path, err)
	}
	if _, err := fmt.Sscan(fields[3], &maxval); err != nil {
		return nil, fmt.Errorf("%s: PPM maxval: %w", path, err)
	}
	if maxval != 255 || w <= 0 || h <= 0 || w > 1<<14 || h > 1<<14 || len(b) < n+3*w*h {
		return nil, fmt.Errorf("%s: PPM %dx%d maxval %d with %d bytes", path, w, h, maxval, len(b))
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	px := b[n:]
	for i := 0; i < w*h; i++ {
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = px[3*i], px[3*i+1], px[3*i+2], 255
	}
	return img, nil
}

func load(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// check prints the structure of the screendump at path and, with a golden,
// how far it is from it and from the goldens of the other screens; it
// returns the failures.
func check(path, golden string, others []string) (facts, []string, error) {
	img, err := load(path)
	if err != nil {
		return facts{}, nil, err
	}
	f := analyse(img)
	var fails []string
	if why := f.kioskScreen(); why != "" {
		fails = append(fails, why)
	}
	if golden == "" {
		return f, fails, nil
	}
	g, err := load(golden)
	if err != nil {
		return f, nil, err
	}
	own, err := differing(img, g)
	if err != nil {
		return f, append(fails, err.Error()), nil
	}
	if own > maxDiffering {
		fails = append(fails, fmt.Sprintf("%.1f%% of the screen differs from %s (at most %.0f%%)", 100*own, golden, 100*maxDiffering))
	}
	type dist struct {
		name string
		d    float64
	}
	var ds []dist
	for _, o := range others {
		og, err := load(o)
		if err != nil {
			return f, nil, err
		}
		d, err := differing(img, og)
		if err != nil {
			continue
		}
		ds = append(ds, dist{o, d})
		if d <= own {
			fails = append(fails, fmt.Sprintf("as close to %s (%.1f%%) as to its own golden (%.1f%%)", o, 100*d, 100*own))
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].d < ds[j].d })
	var sb strings.Builder
	fmt.Fprintf(&sb, "golden %.1f%% differs", 100*own)
	for _, d := range ds {
		fmt.Fprintf(&sb, ", %s %.0f%%", d.name[strings.LastIndex(d.name, "/")+1:], 100*d.d)
	}
	fmt.Println(sb.String())
	return f, fails, nil
}
