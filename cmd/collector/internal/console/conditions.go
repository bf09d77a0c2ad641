package console

import (
	"slices"

	"github.com/villagehall/kiosk/kiosk"
)

// OfficeConditions is every condition r's slip sent the resident to the
// office for. A record from before the kiosk listed them (Record.Office)
// has only its leading status, when that needs the office.
func OfficeConditions(r kiosk.Record) []kiosk.Code {
	if len(r.Office) > 0 {
		return r.Office
	}
	if c := kiosk.Code(r.Status); r.Kind != kiosk.TxSystem && kiosk.OfficeBound(c) {
		return []kiosk.Code{c}
	}
	return nil
}

// hasOffice reports whether r's status or slip names any of codes.
func hasOffice(r kiosk.Record, codes ...kiosk.Code) bool {
	for _, c := range codes {
		if kiosk.Code(r.Status) == c || slices.Contains(r.Office, c) {
			return true
		}
	}
	return false
}

// subjectOf is the PIN (and so the certificate) a record is about: the
// slip's page was worded for it.
func subjectOf(r kiosk.Record) kiosk.PINKind {
	if r.Kind == kiosk.TxChangeSign || r.Kind == kiosk.TxSignCheck {
		return kiosk.PINSign
	}
	return kiosk.PINAuth
}

// ResidentWords is the headline the resident read on the slip for
// condition c of record r, from the kiosk's own catalogue: staff at the
// counter see the words the resident holds in their hand.
func ResidentWords(l Lang, r kiosk.Record, c kiosk.Code) string {
	kl := kiosk.Japanese
	if l == LangEN {
		kl = kiosk.English
	}
	return kiosk.Guide(c, subjectOf(r), kiosk.Municipality{}).Title.In(kl)
}

// officeLine is one condition of a record as the console lists it.
type officeLine struct {
	Code  kiosk.Code
	Words string // the slip's headline
	Label string // the console's short name
}

func officeLines(l Lang, r kiosk.Record) []officeLine {
	cs := OfficeConditions(r)
	out := make([]officeLine, 0, len(cs))
	for _, c := range cs {
		out = append(out, officeLine{Code: c, Words: ResidentWords(l, r, c), Label: label(l, "", string(c))})
	}
	return out
}

// FollowUpWords is what a follow-up kind asks staff to do, in l (mails).
func FollowUpWords(l Lang, k FollowUpKind) string { return label(l, "fu.", string(k)) }
