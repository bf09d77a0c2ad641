package kiosk

import (
	"errors"
	"sync"
	"time"
)

// PrinterState is what the printer was last seen doing, as the screen, the
// journal and the heartbeat name it.
type PrinterState string

const (
	PrinterOK        PrinterState = "ok"
	PrinterPaperOut  PrinterState = "paper_out"
	PrinterCoverOpen PrinterState = "cover_open"
	PrinterOffline   PrinterState = "offline" // offline for another reason (button, error recovery)
	PrinterStalled   PrinterState = "stalled" // stopped taking data: a write made no progress in time
	PrinterUnknown   PrinterState = "unknown" // prints, but never says how it is (no DLE EOT answer, unidirectional)
	PrinterAbsent    PrinterState = "absent"  // no device at the path, or not a printer
	PrinterFailed    PrinterState = "error"   // the device refused a write or a read
)

// PrinterError is a slip that was not printed, with the printer's state.
// It matches ErrPrinterUnavailable with errors.Is, so callers that only
// need "show the reference instead" keep working.
type PrinterError struct {
	State PrinterState
	Err   error // the cause, with the driver's context
}

func (e *PrinterError) Error() string {
	if e.Err == nil {
		return "printer " + string(e.State)
	}
	return "printer " + string(e.State) + ": " + e.Err.Error()
}

func (e *PrinterError) Unwrap() []error { return []error{ErrPrinterUnavailable, e.Err} }

// ErrPrinterStalled is the cause of a PrinterError in state stalled.
var ErrPrinterStalled = errors.New("printer stopped taking data")

// PrinterStateOf says which state a Print error reports: the typed state
// when the driver gave one, else absent for ErrPrinterUnavailable and
// error for anything else.
func PrinterStateOf(err error) PrinterState {
	var pe *PrinterError
	switch {
	case err == nil:
		return PrinterOK
	case errors.As(err, &pe):
		return pe.State
	case errors.Is(err, ErrPrinterStalled):
		return PrinterStalled
	case errors.Is(err, ErrPrinterUnavailable):
		return PrinterAbsent
	}
	return PrinterFailed
}

// PrinterDetail is the journal's Detail for a slip that was not printed:
// printer_<state> when the driver said why (printer_stalled,
// printer_paper_out, …), else the two older codes.
func PrinterDetail(err error) string {
	var pe *PrinterError
	switch {
	case errors.As(err, &pe):
		return "printer_" + string(pe.State)
	case errors.Is(err, ErrPrinterUnavailable):
		return DetailPrinterUnavailable
	}
	return DetailPrinterError
}

// DeviceHealth is one device's state for the log and the heartbeat.
type DeviceHealth struct {
	Name   string    // reader, printer, keypad, touch
	State  string    // ok, or the device's own word: paper_out, stuck, absent, error, …
	Detail string    // for a technician: which key, which errno, what the node is
	Since  time.Time // when State last changed
}

// HealthCell holds one device's health; drivers update it, the heartbeat
// reads it. Safe for concurrent use. The zero value is usable.
type HealthCell struct {
	mu sync.Mutex
	h  DeviceHealth
}

// NewHealthCell starts a device in state at now.
func NewHealthCell(name, state, detail string, now time.Time) *HealthCell {
	return &HealthCell{h: DeviceHealth{Name: name, State: state, Detail: detail, Since: now}}
}

// Set records the state; Since moves only when State changes. It reports
// whether State or Detail changed, so the caller logs transitions once.
func (c *HealthCell) Set(state, detail string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h.State == state && c.h.Detail == detail {
		return false
	}
	if c.h.State != state {
		c.h.Since = now
	}
	c.h.State, c.h.Detail = state, detail
	return true
}

// Get returns a copy.
func (c *HealthCell) Get() DeviceHealth {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.h
}
