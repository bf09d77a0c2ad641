package pki_test

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"slices"
	"testing"

	"github.com/villagehall/kiosk/kiosk/sync/pki"
)

// The server certificate always names loopback; GenerateFor adds the
// names a test bench reaches it by (a qemu guest: 10.0.2.2), and a client
// certificate never carries them.
func TestGenerateForServerHosts(t *testing.T) {
	tests := []struct {
		name    string
		hosts   []string
		wantIPs []string
		wantDNS []string
	}{
		{"loopback only", nil, []string{"127.0.0.1", "::1"}, []string{"localhost"}},
		{"qemu's host address and a name", []string{"10.0.2.2", "collector.test"}, []string{"127.0.0.1", "::1", "10.0.2.2"}, []string{"localhost", "collector.test"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := pki.GenerateFor(t.TempDir(), pki.ECDSA, tt.hosts, "T01")
			if err != nil {
				t.Fatal(err)
			}
			srv := readCert(t, f.ServerCert)
			var ips []string
			for _, ip := range srv.IPAddresses {
				ips = append(ips, ip.String())
			}
			if !slices.Equal(ips, tt.wantIPs) || !slices.Equal(srv.DNSNames, tt.wantDNS) {
				t.Errorf("server SANs %v %v, want %v %v", ips, srv.DNSNames, tt.wantIPs, tt.wantDNS)
			}
			if err := srv.VerifyHostname("10.0.2.2"); (err == nil) != slices.Contains(tt.hosts, "10.0.2.2") {
				t.Errorf("VerifyHostname(10.0.2.2): %v", err)
			}
			cl := readCert(t, f.Clients["T01"].Cert)
			if len(cl.IPAddresses) != 0 || len(cl.DNSNames) != 0 {
				t.Errorf("client certificate carries server names: %v %v", cl.IPAddresses, cl.DNSNames)
			}
		})
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
