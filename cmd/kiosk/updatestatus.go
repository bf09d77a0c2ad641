package main

import (
	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/update"
)

// updateStatus is the updater's last word for the heartbeat: nil when no
// update ever ran (or the state cannot be read: the heartbeat goes anyway).
func updateStatus(dir string) *ksync.UpdateStatus {
	st, err := update.StateStore{Dir: dir}.Load()
	if err != nil || st.Phase == update.PhaseIdle {
		return nil
	}
	return &ksync.UpdateStatus{Phase: string(st.Phase), Version: st.Target.Version, Serial: st.Target.Serial,
		CommittedVersion: st.Committed.Version, Reason: st.Reason, Detail: st.Detail, Source: st.Source, At: st.At}
}
