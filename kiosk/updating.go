package kiosk

import "time"

// UpdateStep is how far a software update of the kiosk has come.
type UpdateStep string

const (
	UpdateWaiting  UpdateStep = "waiting"  // asked for; the kiosk finishes the visit under way first
	UpdateVerify   UpdateStep = "verify"   // checking the file's signature and every byte
	UpdateWrite    UpdateStep = "write"    // writing the other half of the SD card
	UpdateReadBack UpdateStep = "readback" // reading it back
	UpdateReboot   UpdateStep = "reboot"   // restarting into the new version
	UpdateRefused  UpdateStep = "refused"  // the file was refused: Refused says why
)

// UpdateProgress is an update under way, as the screen shows it.
type UpdateProgress struct {
	Version string
	Step    UpdateStep
	Percent int
	Refused Text // Step == UpdateRefused: why, in both languages
}

// Updating tells the visit that an update wants the kiosk (Progress set) or
// is over (nil). A visit under way goes on; from the moment no card is in,
// the kiosk shows the update and does not read a card inserted meanwhile.
type Updating struct {
	At       time.Time
	Progress *UpdateProgress
}

func (e Updating) at() time.Time { return e.At }

func (v *Visit) updating(p *UpdateProgress) {
	if p != nil {
		c := *p
		v.update = &c
		return
	}
	v.update = nil
	if v.heldOut {
		// A card went in during the update and was never read: it must
		// come out before the next visit, as after a refusal.
		v.heldOut, v.refused = false, true
	}
}

// updateShown: an update is asked for and no visit is under way.
func (v *Visit) updateShown() bool {
	return v.update != nil && (v.heldOut || (!v.cardIn && v.screen == ScreenWaiting))
}

// UpdateIdle says the update screen is up: no resident is in a visit, so
// the updater may go ahead.
func (v *Visit) UpdateIdle() bool { return v.updateShown() }

// Step is the screen's words for an update step.
func (w Words) Step(s UpdateStep) Text {
	switch s {
	case UpdateVerify:
		return w.UpdVerify
	case UpdateWrite:
		return w.UpdWrite
	case UpdateReadBack:
		return w.UpdReadBack
	case UpdateReboot:
		return w.UpdReboot
	case UpdateRefused:
		return w.UpdateRefusedHead
	}
	return w.UpdWaiting
}
