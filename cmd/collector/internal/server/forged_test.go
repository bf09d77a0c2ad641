package server_test

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/importer"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/sync/pki"
)

// TestForgedKioskCertificate: an export signed with a self-made
// certificate named like a kiosk is refused however it is handed in — by
// the staff API with kiosk_cert, by the importer with the certificate
// given (collector import --kiosk-cert), or carried in the manifest — so a
// forgery imported ahead of the kiosk's own records cannot make them
// undeliverable: the kiosk syncs them afterwards and every one is stored.
func TestForgedKioskCertificate(t *testing.T) {
	e := newEnv(t, true)
	ctx := context.Background()
	var own *pki.CA
	// The genuine kiosk, not yet synced: its journal's first records.
	j := e.journal(t, kioskID, "journal.db")
	appendRecords(t, j, 4)
	genuine, err := j.Pending(0) // the start record and the four
	if err != nil {
		t.Fatal(err)
	}

	// The forger: a CA of their own, a certificate with the kiosk's name,
	// and records under the genuine journal's ID and sequence numbers.
	own, err = pki.NewCA("test village CA", pki.ECDSA) // even the same name
	if err != nil {
		t.Fatal(err)
	}
	fake, err := own.Client(kioskID)
	if err != nil {
		t.Fatal(err)
	}
	fakeID, err := ksync.NewIdentity(fake.TLS())
	if err != nil {
		t.Fatal(err)
	}
	forged := make([]kiosk.Record, len(genuine))
	prev := journal.Genesis
	for i, r := range genuine {
		r.PrevHash = prev
		if i > 0 {
			r.Outcome = kiosk.OutcomeLocked
		}
		r.Hash = journal.HashRecord(r)
		forged[i], prev = r, r.Hash
	}
	dir := filepath.Join(t.TempDir(), "forged")
	if _, err := ksync.WriteExport(dir, ksync.ExportSource{KioskID: kioskID, JournalID: j.JournalID(), Records: forged},
		fakeID, time.Now()); err != nil {
		t.Fatal(err)
	}
	staff := e.client(t, "staff-ana", 5*time.Second)
	for _, tc := range []struct {
		name string
		cert []byte
	}{{"kiosk_cert given", fake.CertPEM}, {"the manifest's certificate alone", nil}} {
		code, rep := e.post(t, staff, ksync.PathImport, importBody(t, dir, tc.cert))
		if code != http.StatusUnprocessableEntity || !strings.Contains(rep.Error, "not issued by the village CA") {
			t.Fatalf("%s: %d %q", tc.name, code, rep.Error)
		}
	}
	ex, err := importer.ReadDir(dir, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []importer.Options{
		{CAPool: e.ca.Pool(), Certs: []*x509.Certificate{fake.Cert}}, // collector import --kiosk-cert
		{Certs: []*x509.Certificate{fake.Cert}},                      // without the village CA nothing is trusted
	} {
		if _, err := importer.Import(ctx, e.st, ex, o); !errors.Is(err, importer.ErrNotVerified) {
			t.Fatalf("import with %+v: %v", o, err)
		}
	}
	// A staff certificate, genuine from the village CA, is no kiosk's.
	if err := importer.KioskCert(e.cert(t, "staff-ana").Cert, kioskID, e.ca.Pool(), nil); err == nil {
		t.Fatal("a staff certificate vouches for a kiosk")
	}
	if _, err := e.st.Journal(ctx, kioskID, j.JournalID()); err == nil {
		t.Fatal("the forged export stored a journal")
	}
	// The kiosk's own records go through, all of them.
	drain(t, e.syncer(t, kioskID, j, nil))
	js, err := e.st.Journal(ctx, kioskID, j.JournalID())
	if err != nil || js.Records != 5 || !js.Complete() {
		t.Fatalf("genuine journal %+v %v", js, err)
	}
	recs, _ := e.st.Records(ctx, store.Query{KioskID: kioskID, JournalID: j.JournalID()})
	for i, r := range recs {
		if r.Hash != genuine[i].Hash {
			t.Fatalf("record %d is not the kiosk's", r.Seq)
		}
	}
}
