package main

import (
	"flag"

	"github.com/villagehall/kiosk/kiosk"
)

// speakerFlags are provision write's voice options: the speaker, its
// starting volume and the earphone jack (devices.speaker).
func speakerFlags(fs *flag.FlagSet, o *speakerOpts, def kiosk.SpeakerConfig) {
	fs.StringVar(&o.Mode, "speaker", def.Mode, "voice guidance: alsa (a USB speaker), sim or none (voice off)")
	fs.StringVar(&o.Card, "speaker-card", "", "the speaker's ALSA card ID (aplay -l: the name after \"card N:\", e.g. Audio), never its number")
	fs.IntVar(&o.Volume, "speaker-volume", def.Volume, "the volume each card starts at: 1, 2 or 3 (-12, -6, 0 dB)")
	fs.StringVar(&o.EarphonePin, "earphone-pin", "", "the earphone jack's GPIO line, e.g. GPIO26 (empty: no jack)")
	fs.StringVar(&o.EarphoneCard, "earphone-card", "", "the earphone's own ALSA card ID, e.g. Headphones (never the speaker's)")
	fs.StringVar(&o.EarphonePlugged, "earphone-plugged", "low", "the jack line's level with a plug in: low or high")
	o.Path = dataDir + "/voice"
}

// renderSpeaker writes [devices.speaker]: what is set, and the rest as
// comments a technician can fill in.
func renderSpeaker(p func(string, ...any), kv func(key, v, comment string), o speakerOpts) {
	if o.Mode == "" {
		o.Mode = kiosk.ModeNone
	}
	if o.Volume == 0 {
		o.Volume = kiosk.VolumeMedium
	}
	if o.Path == "" {
		o.Path = dataDir + "/voice"
	}
	p("[devices.speaker]")
	p("# Voice guidance in Japanese and English: alsa (a USB speaker named by its ALSA")
	p("# card ID), sim, or none (voice off for the whole kiosk). The voice needs a 4x4")
	p("# keypad: B repeats, C sets the volume. Test it: kioskctl selftest speaker.")
	kv("mode", o.Mode, "")
	if o.Mode == kiosk.ModeNone {
		p("# card = \"Audio\"")
		p("# volume = %d", o.Volume)
		return
	}
	switch o.Mode {
	case kiosk.ModeSim:
		kv("path", o.Path, "")
	default:
		kv("card", o.Card, "")
	}
	p("volume = %d  # each card starts at 1, 2 or 3 (-12, -6, 0 dB)", o.Volume)
	p("# An earphone jack with a switch contact on a GPIO line: with a plug in the")
	p("# voice goes to the earphone alone (its own ALSA card), and only there are the")
	p("# signing PIN's letters said.")
	if o.EarphonePin == "" {
		p("# earphone_pin = \"GPIO26\"")
		p("# earphone_card = \"Headphones\"")
		p("# earphone_plugged = \"low\"")
		return
	}
	kv("earphone_pin", o.EarphonePin, "")
	if o.Mode == kiosk.ModeALSA {
		kv("earphone_card", o.EarphoneCard, "")
	}
	kv("earphone_plugged", o.EarphonePlugged, "")
}
