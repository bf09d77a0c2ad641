package server_test

import (
	"context"
	"io"
	stdlog "log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/revoke"
	"github.com/villagehall/kiosk/cmd/collector/internal/server"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/sync/pki"
)

// TestRefusedCertificateSaysSo: a kiosk whose certificate the collector
// refuses — revoked by the town hall, or not from the village CA at all —
// gets a sync error that says so and what to do, with the full URL, every
// time (it once said "broken pipe" one run in five: issue 21), and keeps
// every record. The collector is the real one: its TLS config, its
// listener, its revocation guard, its handler.
func TestRefusedCertificateSaysSo(t *testing.T) {
	e := newEnv(t, false)
	revoked := e.cert(t, "K07")
	stranger, err := pki.NewCA("test village CA", pki.ECDSA) // same name, not the village's key
	if err != nil {
		t.Fatal(err)
	}
	forged, err := stranger.Client("K08")
	if err != nil {
		t.Fatal(err)
	}
	crl, err := e.ca.CRL(time.Hour, revoked.Cert)
	if err != nil {
		t.Fatal(err)
	}
	crlFile, caFile := filepath.Join(e.dir, "crl.pem"), filepath.Join(e.dir, "ca.pem")
	if err := os.WriteFile(crlFile, crl, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caFile, e.ca.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	list, err := revoke.Open(crlFile, caFile, e.log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(list.Guard(e.f))
	sc, err := e.ca.Server()
	if err != nil {
		t.Fatal(err)
	}
	srv.TLS = server.NewTLSConfig(sc.TLS(), e.ca.Pool())
	srv.Listener = server.GentleRefusals(srv.Listener)
	srv.Config.ErrorLog = stdlog.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()

	for _, tc := range []struct {
		name   string
		kiosk  string
		issued *pki.Issued
		why    string
	}{
		{"revoked", "K07", revoked, "the town hall revoked it"},
		{"not from the village CA", "K08", forged, "not from the village CA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := ksync.NewIdentity(tc.issued.TLS())
			if err != nil {
				t.Fatal(err)
			}
			j := e.journal(t, tc.kiosk, tc.kiosk+".db")
			appendRecords(t, j, 3)
			s, err := ksync.New(ksync.Config{BaseURL: "https://" + srv.Listener.Addr().String(), KioskID: tc.kiosk,
				Client: ksync.NewHTTPClient(id.ClientTLS(e.ca.Pool()), 5*time.Second), Signer: id.Signer, Outbox: j, Logger: e.log})
			if err != nil {
				t.Fatal(err)
			}
			_, released, err := s.SyncOnce(context.Background())
			if err == nil || released != 0 {
				t.Fatalf("released %d, err %v", released, err)
			}
			for _, want := range []string{"refused this kiosk's certificate", tc.why, "kiosk-keys", srv.Listener.Addr().String() + ksync.PathBatch} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if n, _ := j.Pending(100); len(n) != 4 { // journal_new + 3
				t.Errorf("%d records pending, want 4", len(n))
			}
		})
	}
	if _, ok := list.RefusedAt("K07"); !ok {
		t.Error("the console is not told that K07 was refused")
	}
}
