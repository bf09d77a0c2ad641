package revoke_test

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/revoke"
	"github.com/villagehall/kiosk/kiosk/sync/pki"
)

type village struct {
	dir            string
	ca, other      *pki.CA
	kiosk, staff   *pki.Issued
	caFile, crlDir string
}

func newVillage(t *testing.T) *village {
	t.Helper()
	v := &village{dir: t.TempDir()}
	var err error
	if v.ca, err = pki.NewCA("village", pki.ECDSA); err != nil {
		t.Fatal(err)
	}
	if v.other, err = pki.NewCA("village", pki.ECDSA); err != nil { // same name, other key
		t.Fatal(err)
	}
	if v.kiosk, err = v.ca.Client("K01"); err != nil {
		t.Fatal(err)
	}
	if v.staff, err = v.ca.Client("staff-sato"); err != nil {
		t.Fatal(err)
	}
	v.caFile = filepath.Join(v.dir, "ca.pem")
	write(t, v.caFile, v.ca.PEM())
	return v
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	// Through a rename, as a town hall's tools replace it; the new file
	// gets its own modification time even within the same second.
	if err := os.WriteFile(path+".tmp", b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	later := fi.ModTime().Add(time.Duration(len(b)) * time.Millisecond)
	_ = os.Chtimes(path, later, later)
}

func crl(t *testing.T, ca *pki.CA, next time.Duration, revoked ...*pki.Issued) []byte {
	t.Helper()
	var cs []*x509.Certificate
	for _, r := range revoked {
		cs = append(cs, r.Cert)
	}
	b, err := ca.CRL(next, cs...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpenRefusesWhatItCannotApply(t *testing.T) {
	v := newVillage(t)
	der := func(b []byte) []byte { p, _ := pem.Decode(b); return p.Bytes }
	tests := []struct {
		name string
		file []byte // nil: no file
		want string // "" opens
	}{
		{"PEM signed by the village CA", crl(t, v.ca, time.Hour, v.staff), ""},
		{"DER signed by the village CA", der(crl(t, v.ca, time.Hour, v.staff)), ""},
		{"past its next update: still applied", crl(t, v.ca, -time.Minute, v.staff), ""},
		{"no file", nil, "no such file"},
		{"another CA with the same name", crl(t, v.other, time.Hour, v.staff), "not signed by the village CA"},
		{"a certificate, not a CRL", v.ca.PEM(), "no X509 CRL"},
		{"garbage", []byte("not a CRL at all"), "revocation list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "crl")
			if tc.file != nil {
				write(t, path, tc.file)
			}
			l, err := revoke.Open(path, v.caFile, nil)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !l.Revoked(v.staff.Cert) || l.Revoked(v.kiosk.Cert) {
					t.Errorf("staff revoked %v (want true), kiosk %v (want false)", l.Revoked(v.staff.Cert), l.Revoked(v.kiosk.Cert))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// A serial number revoked by one CA says nothing about another CA's
// certificate with the same serial.
func TestSerialsBelongToTheirCA(t *testing.T) {
	v := newVillage(t)
	k2, err := v.other.Client("K01") // the other CA numbers from 2 too: same serial
	if err != nil {
		t.Fatal(err)
	}
	if k2.Cert.SerialNumber.Cmp(v.kiosk.Cert.SerialNumber) != 0 {
		t.Fatalf("serials %s and %s: the test needs them equal", k2.Cert.SerialNumber, v.kiosk.Cert.SerialNumber)
	}
	path := filepath.Join(v.dir, "crl.pem")
	write(t, path, crl(t, v.ca, time.Hour, v.kiosk))
	l, err := revoke.Open(path, v.caFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Revoked(v.kiosk.Cert) || l.Revoked(k2.Cert) {
		t.Errorf("village K01 revoked %v (want true); other CA's K01 %v (want false)", l.Revoked(v.kiosk.Cert), l.Revoked(k2.Cert))
	}
}

// The town hall replaces the file; the running collector follows, and a
// bad replacement never undoes a revocation.
func TestReplacedWhileRunning(t *testing.T) {
	v := newVillage(t)
	path := filepath.Join(v.dir, "crl.pem")
	write(t, path, crl(t, v.ca, time.Hour))
	var logs bytes.Buffer
	l, err := revoke.Open(path, v.caFile, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name        string
		file        []byte // nil: the file is removed
		staff, kios bool   // revoked after the step
		log         string
	}{
		{"empty list", nil, false, false, ""},
		{"staff revoked", crl(t, v.ca, time.Hour, v.staff), true, false, "read again"},
		{"a list signed by another CA", crl(t, v.other, time.Hour), true, false, "not signed by the village CA"},
		{"a truncated file", crl(t, v.ca, time.Hour)[:40], true, false, "last good one stays in force"},
		{"file removed", nil, true, false, "no such file"},
		{"kiosk added", crl(t, v.ca, time.Hour, v.staff, v.kiosk), true, true, "read again"},
		{"both reinstated", crl(t, v.ca, time.Hour), false, false, "read again"},
	}
	for i, st := range steps {
		logs.Reset()
		switch {
		case i == 0:
		case st.file == nil:
			os.Remove(path)
		default:
			write(t, path, st.file)
		}
		if got := l.Revoked(v.staff.Cert); got != st.staff {
			t.Errorf("%s: staff revoked %v, want %v", st.name, got, st.staff)
		}
		if got := l.Revoked(v.kiosk.Cert); got != st.kios {
			t.Errorf("%s: kiosk revoked %v, want %v", st.name, got, st.kios)
		}
		if !strings.Contains(logs.String(), st.log) {
			t.Errorf("%s: log %q, want %q", st.name, logs.String(), st.log)
		}
	}
}
