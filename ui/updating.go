package ui

import (
	"fmt"
	"strings"

	"github.com/villagehall/kiosk/kiosk"
)

// updating draws an update of the kiosk in both languages at once: nobody
// may be there to switch, and a passer-by of either language should know
// the kiosk is busy on purpose, not broken.
func (r *renderer) updating() {
	u := r.in.view.Update
	if u == nil {
		return
	}
	if u.Step == kiosk.UpdateRefused {
		r.band(both(r.t.UpdateRefusedHead), stNotice)
		r.para(u.Refused.JA, stBody)
		r.para(u.Refused.EN, stBody)
		return
	}
	r.band(both(r.t.Updating), stNeutral)
	r.para(r.t.UpdatingWhat.JA, stBody)
	r.para(r.t.UpdatingWhat.EN, stBody)
	r.gap()
	st := r.t.Step(u.Step)
	pct := min(max(u.Percent, 0), 100)
	r.para(fmt.Sprintf("%s / %s  %d%%", st.JA, st.EN, pct), stStrong)
	if w := min(r.body.W-2, 60); w > 10 {
		n := w * pct / 100
		r.para("["+strings.Repeat("#", n)+strings.Repeat("-", w-n)+"]", stStrong)
	}
	if u.Version != "" {
		r.para(u.Version, stBody)
	}
}

func both(t kiosk.Text) string { return t.JA + "\n" + t.EN }
