package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/villagehall/kiosk/drivers/speaker"
	"github.com/villagehall/kiosk/kiosk"
)

// voiceOut is where the voice goes: the speaker, or with an earphone jack
// configured, a Router between the speaker and the earphone.
type voiceOut struct {
	speaker kiosk.Speaker         // nil: no voice
	jack    speaker.Plug          // nil: no jack
	run     func(context.Context) // polls the jack (nil: nothing to run)
}

// openVoice builds the speaker and, when devices.speaker.earphone_pin is
// set, the earphone: its jack (GPIO; in sim, the file earphone-plugged
// in the sim's directory) and its output (its own ALSA card; in sim, the
// same log, its lines marked "earphone"). A jack that cannot be opened is
// in the heartbeat and the log, and the kiosk speaks through the speaker
// alone, never saying the signing PIN's keys.
func openVoice(sc kiosk.SpeakerConfig, devs *devices, log *slog.Logger) voiceOut {
	sp := openSpeaker(sc, devs, log)
	if sp == nil || sc.EarphonePin == "" {
		return voiceOut{speaker: sp}
	}
	prompts := &speaker.Prompts{Dir: sc.Prompts}
	jh := kiosk.NewHealthCell("earphone", "ok", "no earphone", time.Now())
	devs.add(jh.Get)
	var out voiceOut
	switch sc.Mode {
	case kiosk.ModeSim:
		sim, ok := sp.(*speaker.SimDevice)
		if !ok {
			return voiceOut{speaker: sp}
		}
		ear := &speaker.SimDevice{Sim: sim.Sim, Prompts: prompts, Earphone: true}
		jack := speaker.FileJack{File: filepath.Join(sc.Path, "earphone-plugged")}
		jh.Set("ok", "simulated: "+jack.File, time.Now())
		out = voiceOut{speaker: &speaker.Router{Speaker: sp, Earphone: ear, Jack: jack}, jack: jack}
	case kiosk.ModeALSA:
		jack, err := speaker.OpenJack(sc.EarphonePin, sc.PluggedHigh(), jh, log)
		if err != nil {
			jh.Set(speaker.StateFailed, err.Error(), time.Now())
			log.Error("earphone jack: the voice stays on the speaker, and the signing PIN's keys are not said", "err", err)
			return voiceOut{speaker: sp}
		}
		card := speaker.ALSA{Card: sc.EarphoneCard}
		ah := kiosk.NewHealthCell("earphone_audio", "ok", card.Device(), time.Now())
		if err := card.Present(); err != nil {
			ah.Set(speaker.StateAbsent, err.Error(), time.Now())
		}
		devs.add(ah.Get)
		ear := &speaker.Device{Prompts: prompts, Sink: card, Health: ah, Log: log, Check: card.Present}
		out = voiceOut{speaker: &speaker.Router{Speaker: sp, Earphone: ear, Jack: jack}, jack: jack, run: jack.Run}
	}
	return out
}
