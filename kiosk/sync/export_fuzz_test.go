package sync_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/sync/synctest"
)

// FuzzExport: whatever a USB stick holds as manifest and records, the
// export reader either refuses it or returns records that agree with the
// manifest (count, ends, an unbroken chain, the checksum), and the
// signature verifies only for the one head the kiosk's key signed. With
// forge set, the target first recomputes what an editor can (hashes,
// chain, checksum, manifest ends) so edited records reach the signature
// check. Seeds: a real export and pieces of it.
func FuzzExport(f *testing.F) {
	e := newKioskEnv(f)
	dir, signed := writeTestExport(f, e, 4)
	mb, err1 := os.ReadFile(filepath.Join(dir, ksync.ExportManifest))
	rb, err2 := os.ReadFile(filepath.Join(dir, ksync.ExportRecords))
	if err1 != nil || err2 != nil {
		f.Fatal(err1, err2)
	}
	f.Add(mb, rb, false)
	f.Add(mb, rb, true)
	f.Add(mb, rb[:bytes.IndexByte(rb, '\n')+1], true)
	f.Add(mb, append(append([]byte{}, rb...), rb[:bytes.IndexByte(rb, '\n')+1]...), true)
	f.Fuzz(func(t *testing.T, manifest, records []byte, forge bool) {
		if forge {
			manifest, records = reforge(manifest, records)
		}
		ex, err := ksync.ParseExport(manifest, records)
		if err != nil {
			return
		}
		m := ex.Manifest
		if len(ex.Records) != m.Count {
			t.Fatalf("%d records, manifest says %d", len(ex.Records), m.Count)
		}
		if b := journal.VerifyChain(ex.Records, 0, m.PrevHash); b != nil {
			t.Fatalf("accepted a broken chain: %v", b)
		}
		for i, a := range ex.Acks() {
			if r := ex.Records[i]; a.Seq != r.Seq || a.Hash != r.Hash || r.KioskID != m.KioskID {
				t.Fatalf("ack %+v for record %d (seq %d, kiosk %q)", a, i, r.Seq, r.KioskID)
			}
		}
		if sum := sha256.Sum256(records); hex.EncodeToString(sum[:]) != m.RecordsSHA256 {
			t.Fatal("accepted records whose checksum is not the manifest's")
		}
		if err := ex.CheckSignature(e.id.Cert); err == nil && !sameHead(m.Head(), signed.Head()) {
			t.Fatalf("a head the kiosk never signed verified: %+v", m.Head())
		}
		_, _ = ex.SignerCert()
	})
}

func sameHead(a, b ksync.Head) bool {
	at := a.At.Equal(b.At)
	a.At, b.At = time.Time{}, time.Time{}
	return at && a == b
}

// reforge recomputes, on whatever records parse, everything an editor
// without the kiosk's key can: the hash chain, then the manifest's count,
// ends and checksum. What does not parse is left as it is.
func reforge(manifest, records []byte) ([]byte, []byte) {
	var m ksync.Manifest
	if json.Unmarshal(manifest, &m) != nil {
		return manifest, records
	}
	var recs []kiosk.Record
	for _, line := range bytes.Split(records, []byte("\n")) {
		var r kiosk.Record
		if json.Unmarshal(line, &r) == nil {
			recs = append(recs, r)
		}
	}
	synctest.Rechain(recs, 0)
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	for _, r := range recs {
		if enc.Encode(r) != nil {
			return manifest, records
		}
	}
	m.Count, m.FirstSeq, m.LastSeq, m.PrevHash, m.ChainHead = len(recs), 0, 0, "", ""
	if n := len(recs); n > 0 {
		m.FirstSeq, m.PrevHash = recs[0].Seq, recs[0].PrevHash
		m.LastSeq, m.ChainHead = recs[n-1].Seq, recs[n-1].Hash
	}
	sum := sha256.Sum256(out.Bytes())
	m.RecordsSHA256 = hex.EncodeToString(sum[:])
	mb, err := json.Marshal(m)
	if err != nil {
		return manifest, records
	}
	return mb, out.Bytes()
}
