package visitrun

import (
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// checkUpdate tells the visit when an update starts, moves on or ends.
func (r *Runner) checkUpdate(now time.Time) {
	if r.cfg.Update == nil {
		return
	}
	p := r.cfg.Update()
	switch {
	case p == nil && r.update == nil:
		return
	case p != nil && r.update != nil && *p == *r.update:
		return
	case p == nil:
		r.log.Info("update over: in service")
		if r.cfg.UpdateIdle != nil {
			r.cfg.UpdateIdle(false)
		}
	case r.update == nil:
		r.log.Info("update asked for: the kiosk gives way once no visit is under way", "version", p.Version)
	case p.Step != r.update.Step:
		r.log.Info("update", "step", string(p.Step), "version", p.Version)
	}
	if p != nil {
		c := *p
		p = &c
	}
	r.update = p
	r.handle(kiosk.Updating{At: now, Progress: p})
}

func (r *Runner) tellUpdateIdle() {
	if r.cfg.UpdateIdle != nil && r.update != nil {
		r.cfg.UpdateIdle(r.visit.UpdateIdle())
	}
}
