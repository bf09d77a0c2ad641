package console

import (
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
)

// OfficeConditions is every condition r's slip sent the resident to the
// office for (store.OfficeConditions).
func OfficeConditions(r kiosk.Record) []kiosk.Code { return store.OfficeConditions(r) }

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
