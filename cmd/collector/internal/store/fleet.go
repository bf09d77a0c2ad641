package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// Fleet is what the town hall keeps about its own kiosks and its staff's
// mail: the kiosks it installed (so one that never connected is missed,
// not invisible) and the alerts waiting to be mailed (so a restart or a
// mail server that is down loses none and sends none twice).
type Fleet interface {
	// Install adds a kiosk to the installed list, or replaces its entry.
	Install(ctx context.Context, k Installed) error
	// Uninstall removes a kiosk from the list (ErrNotFound when absent).
	// Its records stay.
	Uninstall(ctx context.Context, kioskID string) error
	// Installed lists the installed kiosks by ID.
	Installed(ctx context.Context) ([]Installed, error)

	// QueueAlert keeps a once by its Key: false (and no error) when an
	// alert with that key was queued before, sent or not.
	QueueAlert(ctx context.Context, a Alert) (bool, error)
	// DueAlerts returns unsent alerts whose NextTry is not after now,
	// oldest first, at most limit (0: all).
	DueAlerts(ctx context.Context, now time.Time, limit int) ([]Alert, error)
	// Alerts returns the newest alerts, sent or not, newest first, at most
	// limit (0: all): what the console shows.
	Alerts(ctx context.Context, limit int) ([]Alert, error)
	// AlertDone records the outcome of one try: sent (at) or failed (why,
	// next try at next). ErrNotFound for an unknown key.
	AlertDone(ctx context.Context, key string, try AlertTry) error
}

// Installed is one kiosk the town hall installed, as staff entered it.
type Installed struct {
	KioskID string    `json:"kiosk_id"`
	Place   string    `json:"place,omitempty"` // where it stands: 本庁舎1階ロビー
	Note    string    `json:"note,omitempty"`
	Since   time.Time `json:"since"` // when it was put on the list
	By      string    `json:"by"`    // who put it there (staff name, "kioskctl", "collector pki")
}

// Check reports what is wrong with k, in words for staff.
func (k Installed) Check() error {
	switch {
	case !kiosk.ValidKioskID(k.KioskID):
		return fmt.Errorf("kiosk ID %q: 1 to 6 characters of A-Z and 0-9, as in the kiosk's configuration (e.g. K01)", k.KioskID)
	case len([]rune(k.Place)) > 100:
		return errors.New("the place is longer than 100 characters")
	case len([]rune(k.Note)) > 500:
		return errors.New("the note is longer than 500 characters")
	case strings.ContainsAny(k.Place+k.Note, "\x00\r\n"):
		return errors.New("the place and note must be one line each")
	}
	return nil
}

// Audit actions of the installed list.
const (
	ActInstall    = "install_kiosk"
	ActUninstall  = "uninstall_kiosk"
	ActViewFleet  = "view_installed"
	ActViewAlerts = "view_alerts"
)

// Alert kinds.
const (
	AlertSilent   = "silent"    // a kiosk stopped reporting, or never did
	AlertPaperOut = "paper_out" // a kiosk's printer is out of paper
	AlertFollowUp = "followup"  // a record needs staff (an office-bound follow-up)
	AlertDaily    = "daily"     // the day's summary
)

// Alert is one mail to staff, kept until it is sent.
type Alert struct {
	// Key makes an alert once: the same condition at the same place (a
	// kiosk silent since a given heartbeat, a record's follow-up, a day's
	// summary) is queued once however often it is seen.
	Key     string    `json:"key"`
	Kind    string    `json:"kind"`
	KioskID string    `json:"kiosk_id,omitempty"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	Queued  time.Time `json:"queued"`
	// NextTry: not before then (backoff after a failure).
	NextTry   time.Time `json:"next_try"`
	Tries     int       `json:"tries"`
	Sent      time.Time `json:"sent,omitzero"`
	LastError string    `json:"last_error,omitempty"`
}

// AlertTry is the outcome of one attempt to send an alert.
type AlertTry struct {
	Sent  time.Time // non-zero: delivered to the mail server
	Error string    // otherwise: why not
	Next  time.Time // and when to try again
}

// Apply is a after try: every store records a try the same way.
func (a Alert) Apply(t AlertTry) Alert {
	a.Tries++
	if !t.Sent.IsZero() {
		a.Sent, a.LastError = t.Sent, ""
		return a
	}
	a.LastError, a.NextTry = t.Error, t.Next
	return a
}
