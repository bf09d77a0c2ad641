package migrate

import (
	"context"
	"fmt"
	"slices"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/pgstore"
)

// copyFleet copies the installed kiosks, the kiosks' histories and every
// alert, sent or not, and
// checks the counts: a kiosk dropped from the list would go unmissed, an
// alert dropped unsent would never reach staff.
func copyFleet(ctx context.Context, src store.Store, dst *pgstore.Store) error {
	ins, err := src.Installed(ctx)
	if err != nil {
		return err
	}
	for _, k := range ins {
		if err := dst.Install(ctx, k); err != nil {
			return err
		}
	}
	as, err := src.Alerts(ctx, 0)
	if err != nil {
		return err
	}
	if err := dst.LoadAlerts(ctx, as); err != nil {
		return err
	}
	ks, err := src.Kiosks(ctx)
	if err != nil {
		return err
	}
	for _, k := range ks {
		hs, err := src.History(ctx, k.KioskID, 0)
		if err != nil {
			return err
		}
		for _, h := range slices.Backward(hs) { // oldest first, as they came
			if err := dst.AddHistory(ctx, h); err != nil {
				return err
			}
		}
	}
	ins2, err := dst.Installed(ctx)
	if err != nil {
		return err
	}
	as2, err := dst.Alerts(ctx, 0)
	if err != nil {
		return err
	}
	if len(ins2) != len(ins) || len(as2) != len(as) {
		return fmt.Errorf("check: %d installed kiosks and %d alerts, the old store has %d and %d", len(ins2), len(as2), len(ins), len(as))
	}
	return nil
}
