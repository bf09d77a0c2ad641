package escpos

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// DirPrinter is the simulation printer for `make run` and --sim: each slip
// becomes NAME.bin (the exact ESC/POS bytes), NAME.txt and NAME.png (the
// decoder's view) in Dir. It implements kiosk.Printer.
type DirPrinter struct {
	Dir    string
	Layout Layout

	mu     sync.Mutex
	seq    int
	health *kiosk.HealthCell
}

var _ kiosk.Printer = (*DirPrinter)(nil)

// NewDirPrinter creates dir if needed.
func NewDirPrinter(dir string, l Layout) (*DirPrinter, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("escpos: sim printer dir: %w: %w", err, kiosk.ErrPrinterUnavailable)
	}
	if l.Width == 0 {
		l.Width = Width58
	}
	if l.Font == nil {
		l.Font = DefaultFont()
	}
	return &DirPrinter{Dir: dir, Layout: l, health: kiosk.NewHealthCell("printer", string(kiosk.PrinterOK), "simulated: slips in "+dir, time.Now())}, nil
}

// Health is ok, or error after a slip could not be written.
func (p *DirPrinter) Health() kiosk.DeviceHealth { return p.health.Get() }

// Print writes the slip's files. A write failure (disk full, directory
// gone) wraps kiosk.ErrPrinterUnavailable, like a real printer.
func (p *DirPrinter) Print(ctx context.Context, s kiosk.Slip) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("escpos: sim print: %w", err)
	}
	_, err := p.PrintFiles(s)
	if err != nil {
		p.health.Set(string(kiosk.PrinterFailed), err.Error(), time.Now())
	} else {
		p.health.Set(string(kiosk.PrinterOK), "simulated: slips in "+p.Dir, time.Now())
	}
	return err
}

// PrintFiles is Print returning the PNG path, for kioskctl.
func (p *DirPrinter) PrintFiles(s kiosk.Slip) (pngPath string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	data := p.Layout.Render(s)
	doc, err := Decode(data, p.Layout.Width)
	if err != nil { // e.g. a line wider than the paper: the layout is wrong, say so
		return "", fmt.Errorf("escpos: sim printer produced a slip a printer would not print as laid out: %w", err)
	}
	var img bytes.Buffer
	if err := doc.WritePNG(&img, p.Layout.Font); err != nil {
		return "", err
	}
	base := filepath.Join(p.Dir, fmt.Sprintf("slip-%s-%03d-%s", s.Time.In(kiosk.JST()).Format("20060102-150405"), p.seq, safeName(s.Reference)))
	for ext, b := range map[string][]byte{".bin": data, ".txt": []byte(doc.Text()), ".png": img.Bytes()} {
		if err := os.WriteFile(base+ext, b, 0o640); err != nil {
			return "", fmt.Errorf("escpos: sim print: %w: %w", err, kiosk.ErrPrinterUnavailable)
		}
	}
	return base + ".png", nil
}

func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-' {
			return r
		}
		return '_'
	}, s)
	if s == "" {
		return "noref"
	}
	return s
}
