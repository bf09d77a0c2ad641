package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/villagehall/kiosk/kiosk"
)

// provision write sets the voice up: the speaker by its card ID, its
// volume and the earphone jack; what check refuses is named by field.
func TestProvisionWriteSpeaker(t *testing.T) {
	pad := []string{"--keypad-layout", "123A,456B,789C,*0#D", "--keypad-cols", "GPIO12,GPIO16,GPIO20,GPIO21"}
	tests := []struct {
		name    string
		args    []string
		want    kiosk.SpeakerConfig
		checkEr string // "": provision check passes
	}{
		{"voice off by default", nil, kiosk.SpeakerConfig{Mode: kiosk.ModeNone, Volume: kiosk.VolumeMedium}, ""},
		{"USB speaker and an earphone jack", append([]string{"--speaker", "alsa", "--speaker-card", "Audio", "--speaker-volume", "3",
			"--earphone-pin", "GPIO26", "--earphone-card", "Headphones", "--earphone-plugged", "high"}, pad...),
			kiosk.SpeakerConfig{Mode: kiosk.ModeALSA, Card: "Audio", Volume: 3, EarphonePin: "GPIO26", EarphoneCard: "Headphones", EarphonePlugged: "high"}, ""},
		{"a card number", append([]string{"--speaker", "alsa", "--speaker-card", "1"}, pad...),
			kiosk.SpeakerConfig{Mode: kiosk.ModeALSA, Card: "1", Volume: 2}, "devices.speaker.card"},
		{"earphone on the speaker's card", append([]string{"--speaker", "alsa", "--speaker-card", "Audio", "--earphone-pin", "GPIO26", "--earphone-card", "Audio"}, pad...),
			kiosk.SpeakerConfig{Mode: kiosk.ModeALSA, Card: "Audio", Volume: 2, EarphonePin: "GPIO26", EarphoneCard: "Audio", EarphonePlugged: "low"}, "devices.speaker.earphone_card"},
		{"voice on a 4x3 pad", []string{"--speaker", "alsa", "--speaker-card", "Audio"},
			kiosk.SpeakerConfig{Mode: kiosk.ModeALSA, Card: "Audio", Volume: 2}, "devices.keypad.keys: no key does repeat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "kiosk-provision.toml")
			args := append(append([]string{"write", "--out", out}, fullWrite...), tt.args...)
			_, stderr, err := runProvision(t, args...)
			if tt.checkEr != "" {
				// Written, and refused naming the field, by write and by check.
				if err == nil || !strings.Contains(stderr, tt.checkEr) {
					t.Errorf("write = %v, want %q in:\n%s", err, tt.checkEr, stderr)
				}
			} else if err != nil {
				t.Fatalf("write: %v\n%s", err, stderr)
			}
			stdout, _, err := runProvision(t, "check", out)
			if tt.checkEr == "" {
				if err != nil {
					t.Fatalf("check: %v\n%s", err, stdout)
				}
				cfg, err := kiosk.LoadConfig(out)
				if err != nil {
					t.Fatal(err)
				}
				got := cfg.Devices.Speaker
				got.Prompts, got.Path = "", ""
				if got.Mode == kiosk.ModeNone {
					got.EarphonePlugged = ""
				}
				if got != tt.want {
					t.Errorf("speaker = %+v, want %+v", got, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(stdout, tt.checkEr) {
				t.Errorf("check = %v, want %q in:\n%s", err, tt.checkEr, stdout)
			}
		})
	}
}
