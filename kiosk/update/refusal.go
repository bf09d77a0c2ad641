package update

import (
	"errors"
	"fmt"
)

// Reason says, in one word, why a bundle was refused. It goes into the log,
// the heartbeat and the update state; Words gives the screen's sentences.
type Reason string

const (
	ReasonUnsigned     Reason = "unsigned"      // no signature in the bundle
	ReasonBadSignature Reason = "bad_signature" // signed, but by no release key this kiosk trusts, or altered
	ReasonTruncated    Reason = "truncated"     // the file ends early (a copy cut short, a pulled stick)
	ReasonCorrupt      Reason = "corrupt"       // a payload's size or SHA-256 differs from the signed manifest
	ReasonMalformed    Reason = "malformed"     // not a bundle this kiosk can read
	ReasonDowngrade    Reason = "downgrade"     // not newer than what runs or was committed
	ReasonWrongBoard   Reason = "wrong_board"   // made for another board
	ReasonReadBack     Reason = "read_back"     // the slot read back differs from what was written
	ReasonNoTryboot    Reason = "no_tryboot"    // this kiosk cannot ask the firmware for a trial boot (a kiosk's fault, not the bundle's)
)

// Refusal is a bundle this kiosk will not install, and why.
type Refusal struct {
	Reason Reason
	Detail string
}

func (r *Refusal) Error() string { return fmt.Sprintf("update refused (%s): %s", r.Reason, r.Detail) }

func refuse(why Reason, format string, a ...any) *Refusal {
	return &Refusal{Reason: why, Detail: fmt.Sprintf(format, a...)}
}

// ReasonOf returns the refusal's reason, or "" for any other error.
func ReasonOf(err error) Reason {
	var r *Refusal
	if errors.As(err, &r) {
		return r.Reason
	}
	return ""
}

// Words are the screen's sentences for a refusal, Japanese then English: a
// resident may be standing there, so they say what happens to the kiosk, and
// the technician reads the reason beside them.
func (r Reason) Words() (ja, en string) {
	switch r {
	case ReasonUnsigned, ReasonBadSignature:
		return "この更新ファイルは正しい署名がないため、使いませんでした。", "This update file is not signed by the town's release key. It was not installed."
	case ReasonTruncated, ReasonCorrupt, ReasonReadBack:
		return "この更新ファイルはこわれているため、使いませんでした。", "This update file is damaged or incomplete. It was not installed."
	case ReasonDowngrade:
		return "この更新ファイルは、いまの版より新しくありません。", "This update is not newer than the version running. It was not installed."
	case ReasonWrongBoard:
		return "この更新ファイルは、この機械用ではありません。", "This update is for another kind of machine. It was not installed."
	case ReasonNoTryboot:
		return "この機械は、いまは更新できない状態のため、何も変えていません。", "This machine cannot be updated right now, so nothing was changed."
	default:
		return "この更新ファイルは読めませんでした。", "This update file could not be read. It was not installed."
	}
}
