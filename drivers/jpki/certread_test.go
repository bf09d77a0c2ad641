package jpki_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/jpki"
	"github.com/villagehall/kiosk/drivers/jpki/virtualcard"
	"github.com/villagehall/kiosk/kiosk"
)

// datedProfile writes a profile whose certificates carry fixed dates (a
// date from 2050 on is a GeneralizedTime, two bytes longer than UTCTime)
// and loads it.
func datedProfile(t testing.TB, nb, na string) (*virtualcard.Profile, *virtualcard.Card) {
	t.Helper()
	pki, err := filepath.Abs(filepath.Join("..", "..", "testdata", "pki"))
	if err != nil {
		t.Fatal(err)
	}
	spec := fmt.Sprintf(`{"present": true, "not_before": %q, "not_after": %q`, nb, na)
	js := fmt.Sprintf(`{"name": "dated", "pki": %q, "filler": 100, "auth": %s, "pin": "1234"}, "sign": %s, "pin": "ABC123"}}`, pki, spec, spec)
	path := filepath.Join(t.TempDir(), "dated.json")
	if err := os.WriteFile(path, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := virtualcard.LoadProfile(path, now)
	if err != nil {
		t.Fatal(err)
	}
	return p, virtualcard.New(p)
}

// TestCertReadsStopAtValidity: the card sends each certificate exactly up
// to the end of its validity, so neither the subject (the signing
// certificate's holds the resident's name and address) nor the public key
// leaves it, in the APDU budgets of issue 15.
func TestCertReadsStopAtValidity(t *testing.T) {
	tests := []struct {
		name         string
		nb, na       string // empty: the fresh profile
		reads, extra int    // READ BINARYs per certificate, APDUs above the budgets
	}{
		{"UTCTime, test PKI", "", "", 2, 0},
		{"notAfter a GeneralizedTime", "2049-04-01T00:00:00Z", "2051-03-31T14:59:59Z", 3, 1},
		{"both GeneralizedTime", "2050-04-01T00:00:00Z", "2055-03-31T14:59:59Z", 3, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p *virtualcard.Profile
			var vc *virtualcard.Card
			if tt.nb == "" {
				p, vc = load(t, "fresh")
			} else {
				p, vc = datedProfile(t, tt.nb, tt.na)
			}
			for _, op := range []struct {
				fid    uint16
				der    []byte
				budget int
				run    func(*jpki.Card) (*kiosk.CertValidity, error)
			}{
				{jpki.EFAuthCert, p.Auth.Cert(), statusAPDUs, func(c *jpki.Card) (*kiosk.CertValidity, error) {
					st, err := c.ReadStatus()
					if err != nil {
						return nil, err
					}
					return st.Auth, nil
				}},
				{jpki.EFSignCert, p.Sign.Cert(), signCertAPDUs, func(c *jpki.Card) (*kiosk.CertValidity, error) {
					return c.ReadSignCert(5, []byte("ABC123"))
				}},
			} {
				vc.Reset()
				rec := &recorder{t: vc}
				v, err := op.run(jpki.New(rec))
				if err != nil {
					t.Fatal(err)
				}
				if !sameValidity(t, v, op.der) {
					t.Fatalf("EF %04X: validity %+v differs from the certificate's", op.fid, v)
				}
				subject, publicKey := certLayout(t, op.der)
				sent := rec.reads.extent(t, op.fid, op.der)
				if sent != subject {
					t.Fatalf("EF %04X: the card sent %d bytes; the validity ends (the subject starts) at %d", op.fid, sent, subject)
				}
				if sent >= publicKey {
					t.Fatalf("EF %04X: read into the public key at %d", op.fid, publicKey)
				}
				if n := rec.reads.reads[op.fid]; n != tt.reads {
					t.Fatalf("EF %04X: %d READ BINARYs, want %d", op.fid, n, tt.reads)
				}
				if len(rec.cmds) != op.budget+tt.extra {
					t.Fatalf("EF %04X: %d APDUs, want %d", op.fid, len(rec.cmds), op.budget+tt.extra)
				}
				t.Logf("EF %04X: %d APDUs, %d of %d bytes read (subject at %d, public key at %d)", op.fid, len(rec.cmds), sent, len(op.der), subject, publicKey)
			}
		})
	}
}

// TestValidityReachNeverPassesValidity walks certificates of many shapes
// the way readValidity does (a first read, then each length
// ValidityReach asks for) and checks that no step asks for a byte past
// the validity, whatever the serial's and the issuer's length and the
// time encoding, and that the walk ends exactly there.
func TestValidityReachNeverPassesValidity(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jpkiIssuer := pkix.Name{Country: []string{"JP"}, Organization: []string{"JPKI"},
		OrganizationalUnit: []string{"JPKI for digital signature", "Japan Agency for Local Authority Information Systems"}}
	issuers := map[string]pkix.Name{
		"empty issuer": {},
		"JPKI issuer":  jpkiIssuer,
		"long issuer":  {Organization: []string{strings.Repeat("Village hall ", 40)}},
	}
	serials := map[string]*big.Int{"1-byte serial": big.NewInt(1), "8-byte serial": new(big.Int).SetUint64(0x7E6A802B1EBD1B67)}
	serials["20-byte serial"], _ = new(big.Int).SetString(strings.Repeat("7F", 20), 16)
	dates := map[string][2]time.Time{
		"UTCTime":         {time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)},
		"GeneralizedTime": {time.Date(2051, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2056, 1, 1, 0, 0, 0, 0, time.UTC)},
		"mixed":           {time.Date(2049, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2054, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for in, issuer := range issuers {
		for sn, serial := range serials {
			for dn, d := range dates {
				t.Run(in+"/"+sn+"/"+dn, func(t *testing.T) {
					raw, err := asn1.Marshal(issuer.ToRDNSequence())
					if err != nil {
						t.Fatal(err)
					}
					parent := &x509.Certificate{RawSubject: raw, PublicKey: key.Public()}
					tmpl := &x509.Certificate{SerialNumber: serial, NotBefore: d[0], NotAfter: d[1],
						Subject: pkix.Name{Country: []string{"JP"}, CommonName: "TESTSIGN000000000001"}}
					der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), key)
					if err != nil {
						t.Fatal(err)
					}
					end, _ := certLayout(t, der)
					prefix := der[:min(jpki.FirstCertRead, len(der))]
					steps := 0
					for {
						n, exact, err := jpki.ValidityReach(prefix)
						if err != nil {
							t.Fatal(err)
						}
						if n > end {
							t.Fatalf("asks for %d bytes; the validity ends at %d", n, end)
						}
						if exact {
							if n != end {
								t.Fatalf("walk ends at %d, the validity at %d", n, end)
							}
							break
						}
						if n <= len(prefix) {
							t.Fatalf("no progress at %d", n)
						}
						prefix = der[:n]
						if steps++; steps > 5 {
							t.Fatal("walk does not end")
						}
					}
					if len(prefix) > end {
						t.Fatalf("first read of %d passes the validity's end at %d", len(prefix), end)
					}
				})
			}
		}
	}
}

// TestReadCertRefusesSignCert: the whole-certificate read is for the
// freely readable certificates; it never sends a byte for EF 0001.
func TestReadCertRefusesSignCert(t *testing.T) {
	_, vc := load(t, "fresh")
	rec := &recorder{t: vc}
	if _, err := jpki.New(rec).ReadCert(jpki.EFSignCert); !errors.Is(err, jpki.ErrPersonalData) {
		t.Fatalf("err = %v, want ErrPersonalData", err)
	}
	if len(rec.cmds) != 0 {
		t.Fatalf("%d APDUs sent", len(rec.cmds))
	}
}
