package console

import (
	"sort"
	"strings"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// Level is how much a kiosk needs looking at.
type Level int

const (
	LevelOK Level = iota
	LevelWarn
	LevelBad
)

func (l Level) key() string { return [...]string{"ok", "warn", "bad"}[l] }

// Problem is one thing wrong with a kiosk, in words.
type Problem struct {
	Level Level
	Text  string
}

// Health thresholds.
type Health struct {
	// SilentAfter: a kiosk whose last heartbeat is older is silent (off,
	// cable pulled, crashed). Default 15 minutes.
	SilentAfter time.Duration
	// UnsentWarn: more records than this waiting on a kiosk means its sync
	// is stuck. Default 50.
	UnsentWarn int
	// RecentRecreation: a journal re-created within this is shown. Default 7 days.
	RecentRecreation time.Duration
	// RefusedAt, when set, is when the collector last refused a kiosk's
	// certificate as revoked: such a kiosk is on and trying, not silent.
	RefusedAt func(kioskID string) (time.Time, bool)
}

func (h Health) withDefaults() Health {
	if h.SilentAfter <= 0 {
		h.SilentAfter = 15 * time.Minute
	}
	if h.UnsentWarn <= 0 {
		h.UnsentWarn = 50
	}
	if h.RecentRecreation <= 0 {
		h.RecentRecreation = 7 * 24 * time.Hour
	}
	return h
}

// assess lists what is wrong with k at now, worst first.
func (h Health) assess(l Lang, k store.KioskState, now time.Time) (Level, []Problem) {
	var ps []Problem
	add := func(lv Level, key string, args ...any) { ps = append(ps, Problem{lv, text(l, key, args...)}) }
	var refused time.Time
	if h.RefusedAt != nil {
		if at, ok := h.RefusedAt(k.KioskID); ok && at.After(k.HeartbeatAt) {
			refused = at
		}
	}
	switch {
	case !refused.IsZero():
		add(LevelBad, "problem.revoked", ago(l, now, refused))
	case k.HeartbeatAt.IsZero():
		add(LevelBad, "problem.never")
	case now.Sub(k.HeartbeatAt) > h.SilentAfter:
		add(LevelBad, "problem.silent", ago(l, now, k.HeartbeatAt))
	}
	fault := k.Fault()
	for _, t := range faultProblems(l, fault) {
		ps = append(ps, Problem{LevelBad, t})
	}
	for _, d := range k.Devices() {
		if fault != nil {
			break // a kiosk that did not start runs no device: none is reported
		}
		if d.State == ksync.StateOK {
			continue
		}
		lv := LevelBad
		if d.State == "unknown" || d.State == "" {
			lv = LevelWarn
		}
		add(lv, "problem.device", label(l, "dev.", d.Name), label(l, "st.", d.State))
	}
	if len(k.Flags) > 0 {
		add(LevelBad, "problem.flags", len(k.Flags))
	}
	if k.SyncError() != "" {
		add(LevelWarn, "problem.syncerr", k.SyncError())
	}
	if k.JournalDepth() > h.UnsentWarn {
		add(LevelWarn, "problem.unsent", k.JournalDepth())
	}
	if u := k.Update(); u != nil && u.Phase == "failed" {
		add(LevelWarn, "problem.update", u.Version, label(l, "upr.", u.Reason))
	}
	if n := k.Gaps(); n > 0 {
		add(LevelWarn, "problem.gaps", n)
	}
	for _, e := range k.Events {
		if e.Kind == store.EventJournalRecreated && now.Sub(e.Time) < h.RecentRecreation {
			add(LevelWarn, "problem.recreate", label(l, "rs.", e.Reason))
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Level > ps[j].Level })
	worst := LevelOK
	if len(ps) > 0 {
		worst = ps[0].Level
	}
	return worst, ps
}

// faultProblems are the words for a kiosk up on its cannot-start screen:
// why, and what staff do about it. One line per older journal, each with
// its own export command.
func faultProblems(l Lang, f *ksync.FaultStatus) []string {
	if f == nil {
		return nil
	}
	switch f.Kind {
	case ksync.FaultOldJournal:
		var out []string
		for _, j := range f.Journals {
			out = append(out, text(l, "problem.fault.old_journal", j.Path, j.Unsent, j.Path))
		}
		if len(out) == 0 {
			out = append(out, text(l, "problem.fault.old_journal_nofile", f.Unsent()))
		}
		return out
	case ksync.FaultConfig:
		if len(f.Fields) == 0 {
			return []string{text(l, "problem.fault.config_nofield")}
		}
		return []string{text(l, "problem.fault.config", strings.Join(f.Fields, ", "))}
	}
	return []string{text(l, "problem.fault.other", f.Kind)}
}
