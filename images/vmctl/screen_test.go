package main

import (
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kioskLike draws a screen the way the kiosk's layout does: a navy header,
// a white body with black "text" strokes, a green and a silver button.
func kioskLike(headerH int, button color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 1280, 800))
	fill := func(r image.Rectangle, c color.Color) { draw.Draw(img, r, &image.Uniform{c}, image.Point{}, draw.Src) }
	fill(img.Bounds(), color.RGBA{255, 255, 255, 255})
	fill(image.Rect(0, 0, 1280, headerH), color.RGBA{0, 0, 128, 255})
	for y := 200; y < 500; y += 40 {
		fill(image.Rect(100, y, 900, y+4), color.RGBA{0, 0, 0, 255})
		// anti-aliased edge: not a palette colour
		fill(image.Rect(100, y+4, 900, y+5), color.RGBA{90, 91, 92, 255})
	}
	fill(image.Rect(100, 600, 500, 700), button)
	fill(image.Rect(700, 600, 1100, 700), color.RGBA{192, 192, 192, 255})
	return img
}

func TestKioskScreen(t *testing.T) {
	console := image.NewRGBA(image.Rect(0, 0, 1280, 800))
	draw.Draw(console, console.Bounds(), &image.Uniform{color.RGBA{0, 0, 0, 255}}, image.Point{}, draw.Src)
	for y := 10; y < 790; y += 16 { // a screenful of boot messages
		draw.Draw(console, image.Rect(0, y, 1000, y+3), &image.Uniform{color.RGBA{170, 170, 170, 255}}, image.Point{}, draw.Src)
	}
	blank := image.NewRGBA(image.Rect(0, 0, 1280, 800))
	draw.Draw(blank, blank.Bounds(), &image.Uniform{color.RGBA{255, 255, 255, 255}}, image.Point{}, draw.Src)
	// foot's own default palette: the kiosk's navy would be a pale grey-blue.
	offPalette := kioskLike(100, color.RGBA{0, 128, 0, 255})
	draw.Draw(offPalette, offPalette.Bounds(), &image.Uniform{color.RGBA{0xdc, 0xdc, 0xcc, 255}}, image.Point{}, draw.Src)
	draw.Draw(offPalette, image.Rect(0, 0, 1280, 100), &image.Uniform{color.RGBA{0x6c, 0xa0, 0xa3, 255}}, image.Point{}, draw.Src)
	for _, tc := range []struct {
		name string
		img  image.Image
		want string // "" = a kiosk screen; else a word of the reason
	}{
		{"kiosk", kioskLike(100, color.RGBA{0, 128, 0, 255}), ""},
		{"console", console, "console"},
		{"blank", blank, "blank"},
		{"foot's default colours", offPalette, "colours"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := analyse(tc.img)
			got := f.kioskScreen()
			if (got == "") != (tc.want == "") || !strings.Contains(got, tc.want) {
				t.Fatalf("kioskScreen() = %q, want %q (%v)", got, tc.want, f)
			}
		})
	}
}

func TestGoldenComparison(t *testing.T) {
	dir := t.TempDir()
	save := func(name string, img image.Image) string {
		p := filepath.Join(dir, name+".png")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		return p
	}
	waiting := save("waiting", kioskLike(100, color.RGBA{0, 128, 0, 255}))
	status := save("status", kioskLike(300, color.RGBA{128, 0, 0, 255}))

	// The same screen with one line of text changed (a date): passes.
	same := kioskLike(100, color.RGBA{0, 128, 0, 255})
	draw.Draw(same, image.Rect(100, 520, 400, 545), &image.Uniform{color.RGBA{0, 0, 0, 255}}, image.Point{}, draw.Src)
	if _, fails, err := check(save("same", same), waiting, []string{status}); err != nil || len(fails) != 0 {
		t.Fatalf("one changed line failed the golden: %v %v", fails, err)
	}
	// The status screen checked against the waiting golden: fails.
	if _, fails, err := check(status, waiting, nil); err != nil || len(fails) == 0 {
		t.Fatalf("the status screen passed as the waiting screen: %v", err)
	}
	// Another size: fails, not a panic.
	small := image.NewRGBA(image.Rect(0, 0, 800, 480))
	if _, fails, err := check(save("small", small), waiting, nil); err != nil || len(fails) == 0 {
		t.Fatal("a picture of another size passed")
	}
}

func TestLoadPPM(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.ppm")
	// qemu's screendump: "P6\n<w> <h>\n255\n" then RGB rows.
	data := append([]byte("P6\n2 1\n255\n"), 0, 0, 128, 255, 255, 255)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := loadPPM(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := img.At(0, 0); got != (color.RGBA{0, 0, 128, 255}) {
		t.Fatalf("pixel 0 = %v, want navy", got)
	}
	if got := img.At(1, 0); got != (color.RGBA{255, 255, 255, 255}) {
		t.Fatalf("pixel 1 = %v, want white", got)
	}
	if err := os.WriteFile(p, data[:len(data)-1], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadPPM(p); err == nil {
		t.Fatal("a short PPM was accepted")
	}
}
