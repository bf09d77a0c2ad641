package virtualcard

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"flag"
	"testing"
)

var genPKI = flag.String("gen-pki", "", "write a new test PKI into this directory and stop")

// TestGeneratePKI regenerates testdata/pki when asked:
// go test ./drivers/jpki/virtualcard -run TestGeneratePKI -gen-pki ../../../testdata/pki
func TestGeneratePKI(t *testing.T) {
	dir := *genPKI
	if dir == "" {
		dir = t.TempDir()
	}
	if err := GeneratePKI(dir); err != nil {
		t.Fatal(err)
	}
	p, err := LoadPKI(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AuthCA.CheckSignatureFrom(p.AuthCA); err != nil {
		t.Fatalf("auth CA not self-signed: %v", err)
	}
	var rdns pkix.RDNSequence
	if _, err := asn1.Unmarshal(p.AuthCA.RawSubject, &rdns); err != nil {
		t.Fatal(err)
	}
	// One attribute per RDN, in JPKI's order: C, O, OU, OU.
	if got := rdns.String(); got != "OU=Japan Agency for Local Authority Information Systems,OU=JPKI for user authentication,O=JPKI-TEST,C=JP" || len(rdns) != 4 {
		t.Fatalf("auth CA DN = %s (%d RDNs)", got, len(rdns))
	}
}
