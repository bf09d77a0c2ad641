package kiosk

import (
	"strings"
	"testing"
)

// TestCheckRecordOffice: the office conditions a record carries are
// checked on arrival like its other fixed-list fields; a record from
// before them (no office list) still passes.
func TestCheckRecordOffice(t *testing.T) {
	base := Record{Seq: 1, KioskID: "K1", Kind: TxStatus, Outcome: OutcomeOK, Card: CardMyNumber, Status: string(CodeValid)}
	tests := []struct {
		name   string
		office []Code
		want   string // "" accepted, else part of the error
	}{
		{"none (an old record)", nil, ""},
		{"no signing certificate", []Code{CodeNoSignCert}, ""},
		{"locked and expired", []Code{CodeAuthLocked, CodeExpired}, ""},
		{"every office-bound code", officeBoundCodes(), ""},
		{"unknown code", []Code{"free_text"}, "not a verdict code"},
		{"a code that needs no office", []Code{CodeValid}, "does not send anyone"},
		{"PIN changed is no office matter", []Code{CodePINChanged}, "does not send anyone"},
		{"given twice", []Code{CodeNoSignCert, CodeNoSignCert}, "twice"},
		{"empty code", []Code{""}, "not a verdict code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			r.Office = tt.office
			err := CheckRecord(r)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func officeBoundCodes() []Code {
	var out []Code
	for _, c := range Codes {
		if OfficeBound(c) {
			out = append(out, c)
		}
	}
	return out
}
