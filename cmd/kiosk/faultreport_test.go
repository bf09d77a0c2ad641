package main

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
)

// TestCannotStartStopsItsReport: the heartbeats beside the cannot-start
// screen run while it is up and have ended by the time it returns (the
// screen stopped by systemctl stop): no goroutine is left sending.
func TestCannotStartStopsItsReport(t *testing.T) {
	newScreen = func() (tcell.Screen, error) { return tcell.NewSimulationScreen("UTF-8"), nil }
	t.Cleanup(func() { newScreen = tcell.NewScreen })
	started, ended := make(chan struct{}), make(chan struct{})
	report := func(ctx context.Context) {
		close(started)
		<-ctx.Done()
		time.Sleep(50 * time.Millisecond) // a heartbeat finishing: cannotStart must wait for it
		close(ended)
	}
	ctx, cancel := context.WithCancel(context.Background())
	returned := make(chan error, 1)
	go func() {
		returned <- cannotStart(ctx, []string{"kiosk.toml: idle_timout: unknown key (misspelt?)"}, false, report, io.Discard)
	}()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the report did not start beside the screen")
	}
	cancel()
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("cannotStart did not return when stopped")
	}
	select {
	case <-ended:
	default:
		t.Fatal("cannotStart returned while its report was still running")
	}
}
