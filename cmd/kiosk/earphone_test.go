package main

import (
	"log/slog"
	"testing"

	"github.com/villagehall/kiosk/drivers/speaker"
	"github.com/villagehall/kiosk/kiosk"
)

// The earphone is wired when configured and in the heartbeat's devices; a
// jack that cannot be opened leaves the voice on the speaker alone (no
// Router, no jack: the voice then never says a letter) and says why.
func TestOpenVoiceEarphone(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name       string
		sc         kiosk.SpeakerConfig
		wantRouter bool
		wantState  string // the earphone's health; "" no earphone device
	}{
		{"no jack", kiosk.SpeakerConfig{Mode: kiosk.ModeSim, Path: dir, Prompts: dir}, false, ""},
		{"sim jack", kiosk.SpeakerConfig{Mode: kiosk.ModeSim, Path: dir, Prompts: dir, EarphonePin: "GPIO26"}, true, "ok"},
		{"no such GPIO", kiosk.SpeakerConfig{Mode: kiosk.ModeALSA, Card: "NoSuchCard", Prompts: dir,
			EarphonePin: "NO_SUCH_LINE", EarphoneCard: "NoSuchEar"}, false, speaker.StateFailed},
		{"voice off", kiosk.SpeakerConfig{Mode: kiosk.ModeNone, EarphonePin: "GPIO26"}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			devs := &devices{}
			out := openVoice(tt.sc, devs, slog.New(slog.DiscardHandler))
			if _, ok := out.speaker.(*speaker.Router); ok != tt.wantRouter || (out.jack != nil) != tt.wantRouter {
				t.Errorf("speaker %T, jack %v; want a Router and a jack: %v", out.speaker, out.jack, tt.wantRouter)
			}
			state := ""
			for _, h := range devs.List() {
				if h.Name == "earphone" {
					state = h.State
				}
			}
			if state != tt.wantState {
				t.Errorf("earphone health %q, want %q", state, tt.wantState)
			}
		})
	}
}
