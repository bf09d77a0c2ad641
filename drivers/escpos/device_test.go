package escpos_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/escpos"
	"github.com/villagehall/kiosk/drivers/escpos/escpostest"
	"github.com/villagehall/kiosk/kiosk"
)

func TestDevicePrint(t *testing.T) {
	slip := sample("pin-changed")
	want := escpos.RenderSlip(slip, escpos.Width58, true)
	tests := []struct {
		name        string
		setup       func(p *escpostest.Printer)
		wantErr     bool
		wantPrinted bool
	}{
		{"healthy", func(p *escpostest.Printer) {}, false, true},
		{"paper out", func(p *escpostest.Printer) { p.PaperOut() }, true, false},
		{"cover open", func(p *escpostest.Printer) {
			p.SetStatus(escpostest.StatusOffline, escpostest.CauseCoverOpen, escpostest.PaperOK)
		}, true, false},
		{"paper near end still prints", func(p *escpostest.Printer) {
			p.SetStatus(escpostest.StatusOnline, escpostest.CauseNone, escpostest.PaperNearEnd)
		}, false, true},
		{"never answers: unknown, still printed", func(p *escpostest.Printer) { p.Silent() }, false, true},
		{"device gone", func(p *escpostest.Printer) { p.FailWrites(syscall.ENODEV) }, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := escpostest.New()
			tt.setup(p)
			d := escpos.New(p, escpos.Options{Width: escpos.Width58, Kanji: true, NativeQR: true, StatusTimeout: 20 * time.Millisecond})
			err := d.Print(context.Background(), slip)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Print error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, kiosk.ErrPrinterUnavailable) {
				t.Errorf("error %v does not wrap ErrPrinterUnavailable", err)
			}
			if got := bytes.Equal(p.Printed(), want); got != tt.wantPrinted {
				t.Errorf("slip printed = %v, want %v (%d bytes received)", got, tt.wantPrinted, len(p.Printed()))
			}
		})
	}
}

func TestDeviceStatus(t *testing.T) {
	p := escpostest.New()
	d := escpos.New(p, escpos.Options{StatusTimeout: 20 * time.Millisecond})
	p.PaperOut()
	st, err := d.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !st.Known || !st.PaperOut || !st.Offline || st.Ready() {
		t.Errorf("paper-out status = %+v", st)
	}
	p.Silent()
	st, err = d.Status(context.Background())
	if err != nil || st.Known || !st.Ready() {
		t.Errorf("silent printer: status %+v, err %v; want unknown and ready", st, err)
	}
}

// TestDeviceOnPipes runs the device over a real file pair (os.Pipe), so
// read deadlines go through Go's poller as with /dev/usb/lp0.
func TestDeviceOnPipes(t *testing.T) {
	toPrinter, hostW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	hostR, fromPrinter, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, f := range []*os.File{toPrinter, hostW, hostR, fromPrinter} {
			f.Close()
		}
	}()
	received := make(chan []byte, 1)
	go func() { // the printer: reads everything, answers nothing
		var all bytes.Buffer
		buf := make([]byte, 4096)
		for {
			n, err := toPrinter.Read(buf)
			all.Write(buf[:n])
			if err != nil {
				received <- all.Bytes()
				return
			}
		}
	}()
	d := escpos.New(pipePort{hostR, hostW}, escpos.Options{Kanji: true, NativeQR: true, StatusTimeout: 30 * time.Millisecond})
	slip := sample("renewal")
	start := time.Now()
	if err := d.Print(context.Background(), slip); err != nil {
		t.Fatalf("silent printer on pipes: %v", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("Print took %v despite a 30 ms status timeout", el)
	}
	hostW.Close()
	select {
	case got := <-received:
		if !bytes.Contains(got, escpos.RenderSlip(slip, escpos.Width58, true)) {
			t.Error("slip bytes did not reach the printer")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("printer side never saw EOF")
	}
}

type pipePort struct {
	r *os.File
	w *os.File
}

func (p pipePort) Read(b []byte) (int, error)        { return p.r.Read(b) }
func (p pipePort) Write(b []byte) (int, error)       { return p.w.Write(b) }
func (p pipePort) SetReadDeadline(t time.Time) error { return p.r.SetReadDeadline(t) }

func TestOpenMissingDevice(t *testing.T) {
	_, err := escpos.Open(filepath.Join(t.TempDir(), "lp9"), escpos.Options{Kanji: true})
	if !errors.Is(err, kiosk.ErrPrinterUnavailable) {
		t.Errorf("Open(missing) = %v, want ErrPrinterUnavailable", err)
	}
}

func TestDirPrinter(t *testing.T) {
	dir := t.TempDir()
	p, err := escpos.NewDirPrinter(dir, escpos.Layout{Width: escpos.Width80, Kanji: true, NativeQR: true})
	if err != nil {
		t.Fatal(err)
	}
	slip := sample("sign-locked")
	if err := p.Print(context.Background(), slip); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{".bin", ".txt", ".png"} {
		m, _ := filepath.Glob(filepath.Join(dir, "*"+slip.Reference+ext))
		if len(m) != 1 {
			t.Errorf("%s files: %v", ext, m)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o600); err != nil { // a file where the directory was
		t.Fatal(err)
	}
	if err := p.Print(context.Background(), slip); !errors.Is(err, kiosk.ErrPrinterUnavailable) {
		t.Errorf("Print into a missing dir = %v, want ErrPrinterUnavailable", err)
	}
}
