package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/villagehall/kiosk/cmd/collector/internal/server"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/boltstore"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/sync/pki"
)

// FuzzKioskBodies posts any body as a batch or a heartbeat from kiosk
// K01's verified certificate to the real handler over a real bbolt
// store. The collector answers 200, 400, 403 or 413 (never 500, never a
// panic) with one JSON reply that says why when it refuses; a batch it
// takes acknowledges only records it was sent, with their hashes, and
// acknowledges them again when the same batch comes twice; a heartbeat it
// takes is the kiosk's last. With sign set, the target signs a batch
// that decodes with the kiosk's key first, so edited batches get past
// the signature to the store's rules. Seeds: a real signed batch and
// heartbeat.
func FuzzKioskBodies(f *testing.F) {
	ca, err := pki.NewCA("fuzz village CA", pki.ECDSA)
	if err != nil {
		f.Fatal(err)
	}
	cl, err := ca.Client(kioskID)
	if err != nil {
		f.Fatal(err)
	}
	// The store lives in RAM when it can: each batch commits with fsync.
	base := os.TempDir()
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		base = "/dev/shm"
	}
	dir, err := os.MkdirTemp(base, "fuzz-collector")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { os.RemoveAll(dir) })
	st, err := boltstore.Open(dir, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	h := server.New(st, server.Options{}).Handler()
	tlsState := &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cl.Cert}, VerifiedChains: [][]*x509.Certificate{{cl.Cert, ca.Cert}}}
	post := func(path string, body []byte) (int, ksync.Reply, error) {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.TLS = tlsState
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var reply ksync.Reply
		err := ksync.DecodeOne(rec.Body, &reply)
		return rec.Code, reply, err
	}

	j, err := journal.Open(filepath.Join(f.TempDir(), "journal.db"), journal.Options{KioskID: kioskID})
	if err != nil {
		f.Fatal(err)
	}
	for i := range 3 {
		if _, err := j.Append(context.Background(), kiosk.Record{Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Status: string(kiosk.Codes[i])}); err != nil {
			f.Fatal(err)
		}
	}
	recs, err := j.Pending(0)
	if err != nil {
		f.Fatal(err)
	}
	b := ksync.Batch{KioskID: kioskID, JournalID: j.JournalID(), Records: recs}
	sig, err := ksync.SignHead(cl.Key, b.Head())
	if err != nil {
		f.Fatal(err)
	}
	b.Signature = &sig
	batch, _ := json.Marshal(b)
	hb, _ := json.Marshal(ksync.Heartbeat{KioskID: kioskID, JournalID: j.JournalID(), ReaderPresent: true, PrinterState: ksync.StateOK, JournalDepth: 3, Version: "fuzz"})
	j.Close()
	f.Add(false, false, batch)
	f.Add(false, true, batch)
	f.Add(true, false, hb)
	f.Add(false, false, []byte(`{"kiosk_id":"K01"} {}`))

	f.Fuzz(func(t *testing.T, heartbeat, sign bool, body []byte) {
		path := ksync.PathBatch
		if heartbeat {
			path = ksync.PathHeartbeat
		}
		var sent ksync.Batch
		if !heartbeat && json.Unmarshal(body, &sent) == nil && sign {
			s, err := ksync.SignHead(cl.Key, sent.Head())
			if err != nil {
				t.Fatal(err)
			}
			sent.Signature = &s
			body, _ = json.Marshal(sent)
		}
		code, reply, err := post(path, body)
		if err != nil {
			t.Fatalf("%d: the reply is not one JSON value: %v", code, err)
		}
		switch code {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusForbidden, http.StatusRequestEntityTooLarge:
			if reply.Error == "" {
				t.Fatalf("%d without a reason", code)
			}
			return
		default:
			t.Fatalf("answered %d: %s", code, reply.Error)
		}
		if reply.ServerTime.IsZero() {
			t.Fatal("no server time")
		}
		if heartbeat {
			var got ksync.Heartbeat
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("took a heartbeat that does not decode: %v", err)
			}
			k, err := st.Kiosk(context.Background(), kioskID)
			if err != nil || k.LastHeartbeat == nil {
				t.Fatalf("heartbeat taken but not kept: %v", err)
			}
			want, _ := json.Marshal(got)
			kept, _ := json.Marshal(k.LastHeartbeat)
			if !bytes.Equal(want, kept) {
				t.Fatalf("kept heartbeat\n%s\nsent\n%s", kept, want)
			}
			return
		}
		if err := json.Unmarshal(body, &sent); err != nil {
			t.Fatalf("took a batch that does not decode: %v", err)
		}
		held := map[ksync.Ack]bool{}
		for _, r := range sent.Records {
			held[ksync.Ack{Seq: r.Seq, Hash: r.Hash}] = true
		}
		for _, a := range reply.Acked {
			if !held[a] {
				t.Fatalf("acknowledged %+v, which the batch did not carry", a)
			}
		}
		if len(reply.Acked)+len(reply.Refused) > len(sent.Records) {
			t.Fatalf("%d acked and %d refused of %d records", len(reply.Acked), len(reply.Refused), len(sent.Records))
		}
		code, again, err := post(path, body)
		if err != nil || code != http.StatusOK {
			t.Fatalf("the same batch again: %d %v %s", code, err, again.Error)
		}
		ackedAgain := map[ksync.Ack]bool{}
		for _, a := range again.Acked {
			ackedAgain[a] = true
		}
		for _, a := range reply.Acked {
			if !ackedAgain[a] {
				t.Fatalf("%+v acknowledged once, not when the same batch came again", a)
			}
		}
	})
}
