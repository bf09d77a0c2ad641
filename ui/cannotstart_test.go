package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/villagehall/kiosk/kiosk"
)

// The lines kiosk-provision gives for the image test's bad file.
var badWidth = []string{
	"/boot/firmware/kiosk-provision.toml: devices.printer.width_mm: must be 58 or 80, got 70",
}

// The cannot-start screen at the Linux console's size and at foot's on
// the kiosk's 1280×800 panel (91×27 cells), for each kind of fault: the
// head in both languages, the field, what to do, nothing cut.
func TestCannotStartScreens(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		ssh   []string
		want  []string
	}{
		{"field", badWidth, []string{"root@10.0.2.15"}, []string{"この機械は、ただいま使えません", "This machine is out of service",
			"役場の窓口にお声がけください",
			"直す項目 / Field to fix: devices.printer.width_mm", "must be 58 or 80, got 70",
			"kioskctl provision check", "ssh: root@10.0.2.15"}},
		{"data", []string{"data partition KIOSKDATA is not mounted at /var/lib/kiosk", "(reflash the card, or check it with fsck.ext4 on a PC)"}, nil,
			[]string{"データ領域（KIOSKDATA）が読めません", "Reflash the SD card"}},
		{"txt", []string{"no kiosk-provision.toml on KIOSKBOOT, but kiosk-provision.toml.txt is there: rename it to kiosk-provision.toml"}, nil,
			[]string{"kiosk-provision.toml.txt", "Rename it to kiosk-provision.toml"}},
	}
	for _, tt := range tests {
		for _, sz := range [][2]int{{80, 24}, {91, 27}} {
			name := fmt.Sprintf("%s_%dx%d", tt.name, sz[0], sz[1])
			t.Run(name, func(t *testing.T) {
				cs := CannotStart{Reason: kiosk.NewCannotStart(tt.lines), SSH: tt.ssh, Version: "2026.12.1+ee11cf2"}
				got, c := simulateCannotStart(t, cs, sz[0], sz[1])
				if len(c.Overflow) > 0 {
					t.Errorf("cut: %q", c.Overflow)
				}
				flat := strings.ReplaceAll(got, "\n", "")
				for _, w := range tt.want {
					if !strings.Contains(strings.ReplaceAll(flat, " ", ""), strings.ReplaceAll(w, " ", "")) {
						t.Errorf("screen lacks %q:\n%s", w, got)
					}
				}
				compareGolden(t, filepath.Join(goldenDir, "cannotstart", name+".txt"), got)
			})
		}
	}
}

// simulateCannotStart runs the screen on a simulated terminal, resized
// once as cage resizes foot, and returns what it shows.
func simulateCannotStart(t *testing.T, cs CannotStart, w, h int) (string, *Canvas) {
	t.Helper()
	scr := tcell.NewSimulationScreen("UTF-8")
	if err := scr.Init(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(scr.Fini)
	scr.SetSize(40, 12)
	ctx, cancel := context.WithCancel(context.Background())
	sizes := make(chan [2]int, 8)
	done := make(chan error, 1)
	go func() {
		done <- runCannotStart(ctx, scr, cs, nil, CannotStartLoop{}, func(w, h int) { sizes <- [2]int{w, h} })
	}()
	<-sizes           // the first frame, at 40×12
	scr.SetSize(w, h) // as cage resizes foot
	if err := scr.PostEvent(tcell.NewEventResize(w, h)); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-sizes:
		if got != [2]int{w, h} {
			t.Errorf("redrawn at %v, want %dx%d", got, w, h)
		}
	case <-time.After(10 * time.Second):
		t.Error("not redrawn after the resize")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := renderCannotStart(cs, w, h)
	got := (&harness{t: t, scr: scr}).dump()
	if got != canvasText(want) {
		t.Errorf("the terminal does not show the screen:\n%s", got)
	}
	return got, want
}

// canvasText is the canvas as harness.dump shows a screen.
func canvasText(c *Canvas) string {
	var b strings.Builder
	for y := 0; y < c.H; y++ {
		for x := 0; x < c.W; x++ {
			if cell := c.Cells[y*c.W+x]; !cell.Cont {
				if cell.Str == "" {
					b.WriteString(" ")
				} else {
					b.WriteString(cell.Str)
				}
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}
