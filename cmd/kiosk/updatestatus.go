package main

import (
	"log/slog"
	"time"

	"github.com/villagehall/kiosk/kiosk"
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

// updateScreen reads the updater's progress for the screen and answers it
// once the update screen is up (no visit under way).
type updateScreen struct {
	sig    update.Signal
	log    *slog.Logger
	failed bool // the last answer could not be written (logged once)
}

func (u *updateScreen) progress() *kiosk.UpdateProgress {
	st := u.sig.Read(time.Now())
	if st == nil {
		return nil
	}
	p := &kiosk.UpdateProgress{Version: st.Version, Step: kiosk.UpdateStep(st.Step), Percent: st.Percent}
	if p.Step == kiosk.UpdateRefused {
		ja, en := st.Reason.Words()
		p.Refused = kiosk.Text{JA: ja, EN: en}
	}
	return p
}

func (u *updateScreen) idle(idle bool) {
	err := u.sig.SetIdle(idle, time.Now())
	if err != nil && !u.failed {
		u.log.Warn("update: cannot tell the updater the kiosk is idle", "err", err)
	}
	u.failed = err != nil
}
