package kiosk_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

func TestPrinterStateOf(t *testing.T) {
	stalled := &kiosk.PrinterError{State: kiosk.PrinterStalled, Err: fmt.Errorf("no byte for 3s: %w", kiosk.ErrPrinterStalled)}
	tests := []struct {
		err    error
		state  kiosk.PrinterState
		detail string
	}{
		{nil, kiosk.PrinterOK, kiosk.DetailPrinterError},
		{fmt.Errorf("slip: %w", stalled), kiosk.PrinterStalled, "printer_stalled"},
		{&kiosk.PrinterError{State: kiosk.PrinterPaperOut}, kiosk.PrinterPaperOut, "printer_paper_out"},
		{fmt.Errorf("old driver: %w", kiosk.ErrPrinterUnavailable), kiosk.PrinterAbsent, kiosk.DetailPrinterUnavailable},
		{errors.New("usb: broken pipe"), kiosk.PrinterFailed, kiosk.DetailPrinterError},
	}
	for _, tt := range tests {
		if got := kiosk.PrinterStateOf(tt.err); got != tt.state {
			t.Errorf("PrinterStateOf(%v) = %s, want %s", tt.err, got, tt.state)
		}
		if tt.err == nil {
			continue
		}
		if got := kiosk.PrinterDetail(tt.err); got != tt.detail {
			t.Errorf("PrinterDetail(%v) = %s, want %s", tt.err, got, tt.detail)
		}
	}
	if !errors.Is(stalled, kiosk.ErrPrinterUnavailable) || !errors.Is(stalled, kiosk.ErrPrinterStalled) {
		t.Error("a stalled PrinterError must match ErrPrinterUnavailable and ErrPrinterStalled")
	}
}

func TestHealthCell(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	c := kiosk.NewHealthCell("keypad", "ok", "", t0)
	if c.Set("ok", "", t0.Add(time.Second)) {
		t.Error("no change reported as a change")
	}
	if !c.Set("stuck", "key 5", t0.Add(2*time.Second)) || !c.Set("stuck", "keys 5, 8", t0.Add(3*time.Second)) {
		t.Error("a change went unreported")
	}
	if h := c.Get(); h.Name != "keypad" || h.State != "stuck" || h.Detail != "keys 5, 8" || !h.Since.Equal(t0.Add(2*time.Second)) {
		t.Errorf("health %+v: Since must move only with State", h)
	}
}
