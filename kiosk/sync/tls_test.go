package sync_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/sync/pki"
)

// TestOneCertificateReader: the collector's --kiosk-cert, its import API,
// kioskctl's --cert and an export's manifest all read a PEM certificate
// through ParseCertPEM, so they take and refuse the same files — a key
// written before the certificate (a combined file) included; it was once
// refused by the collector and taken by kioskctl.
func TestOneCertificateReader(t *testing.T) {
	ca, err := pki.NewCA("test village CA", pki.ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ca.Client("K01")
	if err != nil {
		t.Fatal(err)
	}
	broken := "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
	for _, tc := range []struct {
		name, pem, err string
	}{
		{"certificate", string(k.CertPEM), ""},
		{"key, then certificate", string(k.KeyPEM) + string(k.CertPEM), ""},
		{"chain: the first is the leaf", string(k.CertPEM) + string(ca.PEM()), ""},
		{"key alone", string(k.KeyPEM), "no PEM certificate"},
		{"not PEM", "K01", "no PEM certificate"},
		{"empty", "", "no PEM certificate"},
		{"a certificate block that is not one", broken, "PEM certificate: x509"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "k.pem")
			if err := os.WriteFile(path, []byte(tc.pem), 0o600); err != nil {
				t.Fatal(err)
			}
			c, _, err := ksync.ReadCertFile(path)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), path) {
					t.Fatalf("err %v, want one naming %s and saying %q", err, path, tc.err)
				}
				return
			}
			if err != nil || c.Subject.CommonName != "K01" {
				t.Fatalf("got %v, %v; want K01's certificate", c, err)
			}
		})
	}
	if _, _, err := ksync.ReadCertFile(filepath.Join(t.TempDir(), "missing.pem")); err == nil {
		t.Error("a missing file was read")
	}
}
