package kiosk_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/villagehall/kiosk/kiosk"
)

// The lines kiosk-provision and the kiosk give become the fields to fix
// and the kind of fault that says what to do next.
func TestNewCannotStart(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		wantKind   kiosk.FaultKind
		wantFields []string
	}{
		{"two fields, line numbers", []string{
			"/boot/firmware/kiosk-provision.toml:12: devices.printer.width_mm: must be 58 or 80, got 70",
			"", "/boot/firmware/kiosk-provision.toml: sync.collector_url: remove \"/v1/batch\"",
			"/boot/firmware/kiosk-provision.toml:12: devices.printer.width_mm: again",
		}, kiosk.FaultConfig, []string{"devices.printer.width_mm", "sync.collector_url"}},
		{"encoding: no field", []string{"kiosk-provision.toml:4: the file is saved as Shift-JIS"}, kiosk.FaultConfig, nil},
		{"data partition", []string{"data partition KIOSKDATA is not mounted at /var/lib/kiosk"}, kiosk.FaultData, nil},
		{"txt", []string{"no kiosk-provision.toml on KIOSKBOOT, but kiosk-provision.toml.txt is there"}, kiosk.FaultTxt, nil},
		{"missing", []string{"no provisioning file: copy kiosk-provision.toml to the KIOSKBOOT partition"}, kiosk.FaultMissing, nil},
		{"older journal", []string{kiosk.OldJournalMark + ": /var/lib/kiosk/journal.db (kiosk K07, journal 9f3c) holds 12 records not yet at the town hall",
			"journal.path is /var/lib/kiosk/journal/journal.db, which does not exist yet: no new journal is started while they wait"}, kiosk.FaultOldJournal, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := kiosk.NewCannotStart(tt.lines)
			if cs.Kind != tt.wantKind || !slices.Equal(cs.Fields, tt.wantFields) {
				t.Errorf("kind %v fields %q, want %v %q", cs.Kind, cs.Fields, tt.wantKind, tt.wantFields)
			}
			for _, p := range cs.Problems {
				if p == "" {
					t.Error("an empty line kept")
				}
			}
			w := kiosk.CannotStartCatalogue(cs.Kind)
			if w.Problem.JA == "" || w.Problem.EN == "" || w.Next.JA == "" || w.Next.EN == "" {
				t.Errorf("words missing for kind %v", cs.Kind)
			}
		})
	}
}

// The cannot-start screen calls the kiosk what every other screen and the
// voice call it: この機械 (machine), never 端末, in words from the catalogue.
// It calls the office 役場 as the catalogue does (the kiosk serves a village,
// not a town), and the only card it speaks of is the SD card: a technician
// reading 「このカード」 beside a card reader thinks of a My Number Card.
func TestCannotStartOneNameForTheMachine(t *testing.T) {
	c := kiosk.Catalogue()
	for _, k := range []kiosk.FaultKind{kiosk.FaultConfig, kiosk.FaultData, kiosk.FaultTxt, kiosk.FaultMissing, kiosk.FaultOldJournal} {
		w := kiosk.CannotStartCatalogue(k)
		if w.Head != c.OutOfService || w.Residents != c.OutOfSvcWhat {
			t.Errorf("kind %d: head %q / %q, want the catalogue's %q / %q", k, w.Head, w.Residents, c.OutOfService, c.OutOfSvcWhat)
		}
		for _, tx := range []kiosk.Text{w.Title, w.Head, w.Residents, w.ForStaff, w.Fields, w.Problem, w.Next, w.SSH} {
			if strings.Contains(tx.JA, "端末") || strings.Contains(tx.EN, "kiosk cannot") {
				t.Errorf("kind %d: %q names the machine otherwise than the catalogue", k, tx.JA)
			}
			if strings.Contains(tx.JA, "町役場") {
				t.Errorf("kind %d: %q says 町役場; the catalogue says 役場", k, tx.JA)
			}
			if tx != w.Title && strings.Contains(strings.ReplaceAll(tx.JA, "SDカード", ""), "カード") || strings.Contains(strings.ReplaceAll(tx.EN, "SD card", ""), " card") {
				t.Errorf("kind %d: %q / %q speaks of a card that is not named the SD card", k, tx.JA, tx.EN)
			}
		}
	}
}
