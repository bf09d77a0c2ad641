package sync

import (
	"strings"
	"testing"
)

func TestDecodeStrict(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string // want "" = decodes
	}{
		{"every key its own", `{"kiosk_id":"K01","time":"2026-11-25T09:00:00Z","sync":{"last_error":"x","unsent":2,"head_seq":9},"devices":[{"name":"reader","state":"ok"}]}`, ""},
		{"nulls", `{"kiosk_id":"K01","devices":null,"sync":null}`, ""},
		{"an embedded struct's key in another case", `{"sync":{"Last_Error":"x"}}`, `unknown field "Last_Error" in sync`},
		{"a key in an array's object", `{"devices":[{"name":"reader"},{"Name":"printer"}]}`, `unknown field "Name" in devices[1]`},
		{"a key twice", `{"unsent":1,"journal_depth":1,"journal_depth":2}`, `unknown field "unsent"`},
		{"a key twice, both known", `{"journal_depth":1,"journal_depth":2}`, `"journal_depth" given twice`},
		{"two values", `{} {}`, "more than one JSON value"},
		{"a wrong type still says so", `{"devices":{}}`, "cannot unmarshal"},
	} {
		var hb Heartbeat
		err := DecodeStrict(strings.NewReader(tc.body), &hb)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
