package server_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/villagehall/kiosk/cmd/collector/internal/console"
	"github.com/villagehall/kiosk/cmd/collector/internal/server"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// The staff API keeps the console's roles: counter staff may look up a
// slip and see the kiosks, but reading records in bulk and importing are
// an administrator's, so what the console refuses cannot be had with curl.
// Each refusal is audited as denied_role.
func TestAPIRoles(t *testing.T) {
	e := newEnv(t, false)
	e.f.next = server.New(e.st, server.Options{CAPool: e.ca.Pool(), Logger: e.log,
		Admin: console.AdminOf([]string{"staff-kacho"}, "")}).Handler()
	e.srv.StartTLS()
	for _, tc := range []struct {
		staff, method, path string
		want                int
	}{
		{"staff-ana", "GET", ksync.PathKiosks, http.StatusOK},
		{"staff-ana", "GET", ksync.PathLookup + "?ref=K01-7Q3F-0001", http.StatusNotFound},
		{"staff-ana", "GET", ksync.PathRecords + "?kiosk=K01&format=csv", http.StatusForbidden},
		{"staff-ana", "POST", ksync.PathImport, http.StatusForbidden},
		{"staff-kacho", "GET", ksync.PathRecords + "?kiosk=K01&format=csv", http.StatusOK},
		{"staff-kacho", "POST", ksync.PathImport, http.StatusBadRequest}, // admitted: the empty body is what is refused
	} {
		req, _ := http.NewRequest(tc.method, e.url()+tc.path, nil)
		resp, err := e.client(t, tc.staff, 0).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s %s: %d, want %d", tc.staff, tc.method, tc.path, resp.StatusCode, tc.want)
		}
	}
	audit, err := e.st.Audit(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	denied := 0
	for _, a := range audit {
		if a.Action == store.ActDeniedRole {
			denied++
			if a.Staff != "staff-ana" {
				t.Errorf("denied_role for %s", a.Staff)
			}
		}
	}
	if denied != 2 {
		t.Errorf("%d denied_role entries, want 2: %+v", denied, audit)
	}
}
