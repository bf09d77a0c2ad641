package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/update"
)

// updateFetch asks the collector for its published release over the
// kiosk's own mutual-TLS identity and installs it when it is newer, meant
// for this kiosk, inside its window and not already failed here. The
// bundle is downloaded twice (verify, then write) rather than stored: the
// data partition is the journal's, and a second download is cheap at night.
func updateFetch(ctx context.Context, f updateFlags, stdout io.Writer) error {
	cfg, err := kiosk.LoadConfig(f.config)
	if err != nil {
		return err
	}
	if !cfg.Sync.Enabled() {
		fmt.Fprintln(stdout, "update fetch: sync is off in the configuration: no collector to ask")
		return nil
	}
	tc, err := ksync.ClientTLS(cfg.Sync.CA, cfg.Sync.Cert, cfg.Sync.Key)
	if err != nil {
		return err
	}
	client := ksync.NewHTTPClient(tc, time.Hour)
	base := cfg.Sync.CollectorURL
	o, ok, err := fetchOffer(ctx, client, base)
	if err != nil || !ok {
		if err == nil {
			fmt.Fprintln(stdout, "update fetch: no release published for this kiosk")
		}
		return err
	}
	running := runningSerial(f.release, f.state)
	st, err := update.StateStore{Dir: f.state}.Load()
	if err != nil {
		return err
	}
	switch {
	case o.Serial <= running:
		fmt.Fprintf(stdout, "update fetch: %s (serial %d) is not newer than this kiosk's %d\n", o.Version, o.Serial, running)
		return nil
	case st.Target.Serial == o.Serial && st.Phase == update.PhaseFailed && st.Reason != string(update.ReasonNoTryboot) && !f.force:
		fmt.Fprintf(stdout, "update fetch: %s already failed here (%s); not retried without --force\n", o.Version, st.Reason)
		return nil
	case st.Target.Serial == o.Serial && st.Phase == update.PhaseTrying:
		fmt.Fprintf(stdout, "update fetch: %s is being tried\n", o.Version)
		return nil
	case !o.Window.Contains(time.Now()):
		fmt.Fprintf(stdout, "update fetch: %s waits for its window %s\n", o.Version, o.Window)
		return nil
	}
	in, err := f.installer()
	if err != nil {
		return err
	}
	in.Offered = update.Release{Version: o.Version, Serial: o.Serial}
	url := base + update.PathBundle + strconv.FormatUint(o.Serial, 10)
	if _, err := applyWithScreen(ctx, f, in, func() (io.ReadCloser, error) { return get(ctx, client, url) }, "collector", stdout); err != nil {
		return refusalLine(err)
	}
	return nil
}

func fetchOffer(ctx context.Context, c *http.Client, base string) (update.Offer, bool, error) {
	var o update.Offer
	body, err := get(ctx, c, base+update.PathOffer)
	if err == errNoContent {
		return o, false, nil
	}
	if err != nil {
		return o, false, err
	}
	defer body.Close()
	if err := json.NewDecoder(io.LimitReader(body, 64<<10)).Decode(&o); err != nil {
		return o, false, fmt.Errorf("update offer: %w", err)
	}
	return o, true, nil
}

var errNoContent = fmt.Errorf("no content")

func get(ctx context.Context, c *http.Client, url string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("update: %w", err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return resp.Body, nil
	case http.StatusNoContent:
		resp.Body.Close()
		return nil, errNoContent
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	return nil, fmt.Errorf("update: GET %s: %s: %s", url, resp.Status, b)
}
