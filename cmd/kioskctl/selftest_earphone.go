package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/villagehall/kiosk/drivers/speaker"
	"github.com/villagehall/kiosk/kiosk"
)

// selftestEarphone opens the jack's line and the earphone's own card, then
// listens (listenEarphone).
func selftestEarphone(ctx context.Context, sc kiosk.SpeakerConfig, pcm string, timeout time.Duration, stdout io.Writer, log *slog.Logger) error {
	if sc.EarphonePin == "" {
		return errors.New("no earphone jack: set devices.speaker.earphone_pin in --config or pass --earphone-pin")
	}
	out := speaker.ALSA{Card: sc.EarphoneCard, PCM: pcm}
	fmt.Fprintf(stdout, "jack: %s (plugged reads %s), earphone: %s\n", sc.EarphonePin, map[bool]string{false: "low", true: "high"}[sc.PluggedHigh()], out.Device())
	if err := out.Present(); err != nil {
		return fmt.Errorf("%w (the earphone's own card: aplay -l lists them)", err)
	}
	jack, err := speaker.OpenJack(sc.EarphonePin, sc.PluggedHigh(), nil, log)
	if err != nil {
		return err
	}
	p := &speaker.Prompts{Dir: sc.Prompts}
	ear := &speaker.Device{Prompts: p, Sink: out, Health: kiosk.NewHealthCell("earphone_audio", "ok", "", time.Now()), Log: log}
	return listenEarphone(ctx, jack, ear, len(p.Missing()) == 0, timeout, stdout)
}

// listenEarphone waits for a plug, says where the voice now goes into the
// earphone (a click when the prompts are not installed), then waits for
// the plug to leave, within timeout: a technician hears the earphone and
// sees the jack's line work both ways.
func listenEarphone(ctx context.Context, jack *speaker.Jack, ear kiosk.Speaker, prompts bool, timeout time.Duration, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); jack.Run(ctx) }() // stopped by cancel, waited for below
	defer func() { cancel(); <-done }()
	wait := func(in bool) error {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for jack.Plugged() != in {
			select {
			case <-ctx.Done():
				return fmt.Errorf("the jack never read %s within %s (health: %s %s)", map[bool]string{true: "a plug in", false: "the plug out"}[in],
					timeout, jack.Health().Get().State, jack.Health().Get().Detail)
			case <-t.C:
			}
		}
		return nil
	}
	if jack.Plugged() {
		fmt.Fprintln(stdout, "an earphone is in already: pull it out")
		if err := wait(false); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout, "plug an earphone in")
	if err := wait(true); err != nil {
		return err
	}
	u := kiosk.Speak(kiosk.Japanese, kiosk.VolumeMedium, kiosk.Say("v.EarOn"))
	if !prompts {
		u = kiosk.Utterance{Click: true, Volume: kiosk.VolumeMedium}
	}
	fmt.Fprintf(stdout, "earphone in: playing %s\n", u)
	if err := ear.Play(ctx, u); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "pull it out")
	if err := wait(false); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "earphone out: the jack works")
	if !prompts {
		return errors.New("the prompts are not installed (make voice): only a click was played")
	}
	return nil
}
