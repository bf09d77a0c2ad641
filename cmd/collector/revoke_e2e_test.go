package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// TestWholeProgramRevokedCertificates: the town hall revokes a member of
// staff who left and a kiosk whose SD card was stolen by replacing the
// collector's --crl file; the running collector binary refuses every
// request of both from then on, saying why (the handshake goes through so
// that the reason always arrives: issue 21), keeps serving the others, and
// a broken replacement does not let them back in.
func TestWholeProgramRevokedCertificates(t *testing.T) {
	dir := t.TempDir()
	pkiDir := filepath.Join(dir, "pki")
	if out, err := runBin(t, "collector", "gen-test-pki", pkiDir, "T01", "staff-left", "staff-stays"); err != nil {
		t.Fatalf("gen-test-pki: %v\n%s", err, out)
	}
	pem := func(name string) string { return filepath.Join(pkiDir, name+".pem") }
	crl := filepath.Join(pkiDir, "crl.pem")
	if out, err := runBin(t, "collector", "gen-test-crl", pkiDir); err != nil {
		t.Fatalf("gen-test-crl (empty): %v\n%s", err, out)
	}
	logPath := filepath.Join(dir, "collector.log")
	clog, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer clog.Close()
	coll := &collectorProc{t: t, addr: freePort(t), log: clog,
		args: []string{"--ca", pem("ca"), "--cert", pem("server"), "--key", pem("server-key"),
			"--data", filepath.Join(dir, "collector"), "--crl", crl}}
	coll.start()
	defer coll.stop()
	base := "https://localhost:" + coll.addr[strings.LastIndex(coll.addr, ":")+1:]

	// status asks the kiosks page as cn: the HTTP status (revokedAnswer
	// for a 403 that says the certificate is revoked), or 0 when the TLS
	// handshake was refused. A fresh client each time: no connection from
	// before the revocation is reused.
	const revokedAnswer = 4030
	status := func(cn string) (int, string) {
		tc, err := ksync.ClientTLS(pem("ca"), pem("client-"+cn), pem("client-"+cn+"-key"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ksync.NewHTTPClient(tc, 5*time.Second).Get(base + ksync.PathKiosks)
		if err != nil {
			return 0, err.Error()
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusForbidden && resp.Header.Get(ksync.HeaderRefused) == ksync.RefusedRevoked {
			return revokedAnswer, ""
		}
		return resp.StatusCode, ""
	}
	want := func(step string, cases map[string]int) {
		t.Helper()
		for cn, code := range cases {
			if got, why := status(cn); got != code {
				t.Errorf("%s: %s got %d (%s), want %d", step, cn, got, why, code)
			}
		}
	}
	// T01 is a kiosk: through TLS, then refused the staff page (403).
	want("empty list", map[string]int{"staff-left": http.StatusOK, "staff-stays": http.StatusOK, "T01": http.StatusForbidden})
	heartbeat := func() error {
		tc, err := ksync.ClientTLS(pem("ca"), pem("client-T01"), pem("client-T01-key"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(ksync.Heartbeat{KioskID: "T01", ReaderPresent: true, PrinterState: "ok", Version: "test", Time: time.Now()})
		resp, err := ksync.NewHTTPClient(tc, 5*time.Second).Post(base+ksync.PathHeartbeat, "application/json", bytes.NewReader(b))
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("heartbeat: %s", resp.Status)
		}
		return nil
	}
	if err := heartbeat(); err != nil {
		t.Fatal(err)
	}
	// A connection that stays open across the revocation, as a kiosk's
	// keep-alive one and a browser's do.
	tc, err := ksync.ClientTLS(pem("ca"), pem("client-staff-left"), pem("client-staff-left-key"))
	if err != nil {
		t.Fatal(err)
	}
	kept := ksync.NewHTTPClient(tc, 5*time.Second)
	keptGet := func() int {
		resp, err := kept.Get(base + ksync.PathKiosks)
		if err != nil {
			return 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := keptGet(); code != http.StatusOK {
		t.Fatalf("kept connection before revoking: %d", code)
	}

	if out, err := runBin(t, "collector", "gen-test-crl", pkiDir, pem("client-staff-left"), pem("client-T01")); err != nil {
		t.Fatalf("gen-test-crl: %v\n%s", err, out)
	}
	want("after revoking", map[string]int{"staff-left": revokedAnswer, "staff-stays": http.StatusOK, "T01": revokedAnswer})
	if code := keptGet(); code != http.StatusForbidden {
		t.Errorf("a connection opened before the revocation: %d, want 403", code)
	}
	if err := heartbeat(); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("a revoked kiosk's heartbeat: %v, want refused with 403", err)
	}
	// Staff see why the kiosk went quiet: not power or network.
	tc, err = ksync.ClientTLS(pem("ca"), pem("client-staff-stays"), pem("client-staff-stays-key"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ksync.NewHTTPClient(tc, 5*time.Second).Get(base + "/console/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "証明書が失効しているため、接続を断っています") {
		t.Errorf("the kiosks page does not say T01 is revoked:\n%s", page)
	}

	if err := os.WriteFile(crl, []byte("-----BEGIN X509 CRL-----\nbroken\n-----END X509 CRL-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want("after a broken replacement", map[string]int{"staff-left": revokedAnswer, "staff-stays": http.StatusOK, "T01": revokedAnswer})

	coll.stop()
	b, _ := os.ReadFile(logPath)
	for _, s := range []string{`refused a client certificate`, `staff-left`, `certificate revoked by the village CA`, `last good one stays in force`} {
		if !strings.Contains(string(b), s) {
			t.Errorf("collector log lacks %q:\n%s", s, b)
		}
	}
	// Nor does the collector start on a list it cannot apply.
	if out, err := runBin(t, "collector", "serve", "--listen", freePort(t), "--ca", pem("ca"), "--cert", pem("server"),
		"--key", pem("server-key"), "--data", filepath.Join(dir, "collector"), "--crl", crl); err == nil || !strings.Contains(out, "revocation list") {
		t.Errorf("serve with a broken --crl: %v\n%s", err, out)
	}
}
