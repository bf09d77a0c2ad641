package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/villagehall/kiosk/drivers/speaker"
	"github.com/villagehall/kiosk/drivers/speaker/speakertest"
)

// The earphone self-test on a gpiotest line: it waits for a plug, says
// v.EarOn into the earphone (nothing to any other output), waits for the
// plug to leave; a jack that never changes fails within --timeout.
func TestSelftestEarphone(t *testing.T) {
	pin := &gpiotest.Pin{N: "GPIO26"}
	jack, err := speaker.NewJack(pin, false, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	set := func(l gpio.Level) { pin.Lock(); pin.L = l; pin.Unlock() }
	ear := &speakertest.Recorder{}
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- listenEarphone(context.Background(), jack, ear, true, time.Minute, &out) }()
	waitOutput(t, &out, "plug an earphone in")
	set(gpio.Low)
	waitOutput(t, &out, "pull it out")
	set(gpio.High)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
	case <-time.After(bound):
		t.Fatalf("the test never ended:\n%s", out.String())
	}
	if p := ear.Played(); len(p) != 1 || p[0].String() != "ja vol=2 v.EarOn" {
		t.Errorf("played %v", p)
	}
	if !strings.Contains(out.String(), "earphone out: the jack works") {
		t.Errorf("output:\n%s", out.String())
	}

	// Nobody plugs in: a clear failure at the timeout.
	err = listenEarphone(context.Background(), jack, ear, true, 200*time.Millisecond, &out)
	if err == nil || !strings.Contains(err.Error(), "never read a plug in") {
		t.Errorf("no plug: %v", err)
	}
	var eb strings.Builder
	// Like every device the configuration leaves out: skipped, saying why.
	if err := selftestCmd(context.Background(), []string{"earphone"}, &eb, &eb); err != nil || !strings.Contains(eb.String(), "skipped (no earphone jack") {
		t.Errorf("no pin configured: %v\n%s", err, eb.String())
	}
}
