package console

import (
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/revoke"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/sync/pki"
)

// A revoked staff certificate is refused in Japanese, and the attempt is in
// the audit log (who, which certificate, what was asked) — on the console
// and on the staff API alike; a kiosk's revoked certificate at the
// console too; another site's request through a revoked browser is not.
func TestRevokedStaffRefusalAudited(t *testing.T) {
	st := sampleStore(t)
	s := newSite(t, st, nil, nil)
	gone, _, _ := s.issue("staff-gone")
	kiosk, _, _ := s.issue("K01")
	crlPEM, err := s.ca.CRL(24*time.Hour, gone.Cert, kiosk.Cert)
	if err != nil {
		t.Fatal(err)
	}
	list, err := revoke.Open(s.write("village.crl", crlPEM), s.caPE, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{Store: st, Now: func() time.Time { return day0 }})
	if err != nil {
		t.Fatal(err)
	}
	api := http.NewServeMux()
	api.Handle(Prefix, c.Handler())
	api.HandleFunc("/api/records", func(w http.ResponseWriter, r *http.Request) { t.Error("the staff API answered a revoked certificate") })
	srvCert, _ := s.ca.Server()
	srv := httptest.NewUnstartedServer(list.GuardWith(api, c.RefusedRevoked))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{srvCert.TLS()}, ClientCAs: s.ca.Pool(), ClientAuth: tls.RequireAndVerifyClientCert}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)

	good, _, _ := s.issue("staff-tanaka")
	do := func(id *pki.Issued, path, site string) (int, string, http.Header) {
		t.Helper()
		cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.ca.Pool(), Certificates: []tls.Certificate{id.TLS()}}}}
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	code, body, hdr := do(gone, "/console/followups", "same-origin")
	if code != http.StatusForbidden || hdr.Get(ksync.HeaderRefused) != ksync.RefusedRevoked {
		t.Fatalf("revoked staff: %d %q", code, hdr.Get(ksync.HeaderRefused))
	}
	mustContain(t, "revoked page", body, "この証明書は使えなくなっています", "操作記録に残りました")
	if strings.Contains(body, "staff-gone") || strings.Contains(body, "revoked by the village CA") {
		t.Error("the refusal page names the certificate or speaks English")
	}
	do(gone, "/api/records?after_seq=0", "")
	do(kiosk, "/console/", "same-origin")
	do(gone, "/console/audit", "cross-site")
	es, err := st.Audit(t.Context(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		if e.Action != store.ActRevoked {
			t.Errorf("unexpected entry %+v", e)
		}
		got = append(got, e.Staff+" "+e.Detail)
		if e.Staff == "staff-gone" && e.Cert != gone.Cert.SerialNumber.Text(16) {
			t.Errorf("entry names serial %s, want %s", e.Cert, gone.Cert.SerialNumber.Text(16))
		}
	}
	want := "staff-gone GET /console/followups|staff-gone GET /api/records?after_seq=0|K01 GET /console/"
	if strings.Join(got, "|") != want {
		t.Errorf("audit:\n got %s\nwant %s", strings.Join(got, "|"), want)
	}
	// A good staff certificate is not touched.
	if code, _, _ := do(good, "/console/followups", "same-origin"); code != http.StatusOK {
		t.Errorf("a good staff certificate: %d", code)
	}
}
