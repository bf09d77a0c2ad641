package sync

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
)

// A USB export: the journal's unsent records as JSON lines beside a
// manifest the kiosk signs, for the town hall to import (`collector import`)
// when the kiosk has no network.
const (
	ExportFormat   = "kiosk-journal-export-v2"
	ExportRecords  = "records.jsonl"
	ExportManifest = "manifest.json"
)

// Manifest describes one export; verify, ack and import trust nothing else,
// and trust it only once its signature checks.
type Manifest struct {
	Format        string    `json:"format"`
	KioskID       string    `json:"kiosk_id"`
	JournalID     string    `json:"journal_id"`
	Count         int       `json:"count"`
	FirstSeq      uint64    `json:"first_seq"`
	LastSeq       uint64    `json:"last_seq"`
	PrevHash      string    `json:"prev_hash"`  // the chain link before FirstSeq
	ChainHead     string    `json:"chain_head"` // hash of LastSeq
	HashAlg       string    `json:"hash_alg"`
	RecordsFile   string    `json:"records_file"`
	RecordsSHA256 string    `json:"records_sha256"`
	ExportedAt    time.Time `json:"exported_at"`
	// Certificate is the signer's certificate (PEM), for information: it is
	// trusted only when it is the kiosk's known certificate or chains to
	// the village CA.
	Certificate string     `json:"certificate,omitempty"`
	Signature   *Signature `json:"signature,omitempty"`
}

// Head is what the manifest's signature covers.
func (m Manifest) Head() Head {
	return Head{Purpose: PurposeExport, KioskID: m.KioskID, JournalID: m.JournalID, FirstSeq: m.FirstSeq, LastSeq: m.LastSeq,
		PrevHash: m.PrevHash, HeadHash: m.ChainHead, Count: m.Count, RecordsSHA256: m.RecordsSHA256, At: m.ExportedAt}
}

// Export is an export read back and checked against its manifest.
type Export struct {
	Manifest Manifest
	Records  []kiosk.Record
}

// Acks acknowledges the export's records: what a kiosk may release once
// the export is delivered.
func (e *Export) Acks() []Ack {
	out := make([]Ack, len(e.Records))
	for i, r := range e.Records {
		out[i] = Ack{Seq: r.Seq, Hash: r.Hash}
	}
	return out
}

// ExportSource is what WriteExport needs of the journal.
type ExportSource struct {
	KioskID, JournalID string
	Records            []kiosk.Record // oldest first, unbroken
}

// WriteExport writes src's records and a signed manifest into dir (fsynced),
// then reads them back and checks them before saying so.
func WriteExport(dir string, src ExportSource, id *Identity, now time.Time) (*Manifest, error) {
	if id == nil {
		return nil, errors.New("export: the kiosk's key is needed to sign it")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	h := sha256.New()
	err := writeSynced(filepath.Join(dir, ExportRecords), func(w io.Writer) error {
		enc := json.NewEncoder(io.MultiWriter(w, h))
		for _, r := range src.Records {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("export: write records: %w", err)
	}
	m := Manifest{Format: ExportFormat, KioskID: src.KioskID, JournalID: src.JournalID, Count: len(src.Records),
		HashAlg: journal.AlgSHA256, RecordsFile: ExportRecords, RecordsSHA256: hex.EncodeToString(h.Sum(nil)),
		ExportedAt: now.UTC().Round(0), Certificate: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: id.Cert.Raw}))}
	if n := len(src.Records); n > 0 {
		m.FirstSeq, m.PrevHash = src.Records[0].Seq, src.Records[0].PrevHash
		m.LastSeq, m.ChainHead = src.Records[n-1].Seq, src.Records[n-1].Hash
	}
	sig, err := SignHead(id.Signer, m.Head())
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	m.Signature = &sig
	if err := writeSynced(filepath.Join(dir, ExportManifest), func(w io.Writer) error {
		b, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}); err != nil {
		return nil, fmt.Errorf("export: write manifest: %w", err)
	}
	// Prove the stick holds what we meant before anyone acts on it.
	e, err := ReadExport(dir)
	if err != nil {
		return nil, fmt.Errorf("export: written files do not verify: %w", err)
	}
	if err := e.CheckSignature(id.Cert); err != nil {
		return nil, fmt.Errorf("export: written files do not verify: %w", err)
	}
	return &m, nil
}

func writeSynced(path string, fill func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	if err := fill(bw); err != nil {
		f.Close()
		return err
	}
	return errors.Join(bw.Flush(), f.Sync(), f.Close())
}

// ReadExport reads dir's manifest and records and checks them against each
// other: format, checksum, count, ends, the hash chain. It does not check
// the signature (CheckSignature).
func ReadExport(dir string) (*Export, error) {
	mb, err := os.ReadFile(filepath.Join(dir, ExportManifest))
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := DecodeOne(bytes.NewReader(mb), &m); err != nil {
		return nil, fmt.Errorf("manifest unreadable: %w", err)
	}
	if m.RecordsFile == "" || filepath.Base(m.RecordsFile) != m.RecordsFile {
		return nil, fmt.Errorf("manifest names an unexpected records file %q", m.RecordsFile)
	}
	data, err := os.ReadFile(filepath.Join(dir, m.RecordsFile))
	if err != nil {
		return nil, fmt.Errorf("read records: %w", err)
	}
	return ParseExport(mb, data)
}

// ParseExport is ReadExport on the two files' bytes (the staff interface
// receives them over HTTPS).
func ParseExport(manifest, records []byte) (*Export, error) {
	var m Manifest
	if err := DecodeStrict(bytes.NewReader(manifest), &m); err != nil {
		return nil, fmt.Errorf("manifest unreadable: %w", err)
	}
	switch {
	case m.Format == "":
		return nil, errors.New("export from an older kioskctl (no journal ID, not signed): export it again with this version")
	case m.Format != ExportFormat:
		return nil, fmt.Errorf("export format %q, this tool reads %q", m.Format, ExportFormat)
	case !kiosk.ValidJournalID(m.JournalID):
		return nil, fmt.Errorf("manifest journal ID %q is not one", m.JournalID)
	case m.HashAlg != journal.AlgSHA256:
		return nil, fmt.Errorf("records hashed with %q: this tool checks %s", m.HashAlg, journal.AlgSHA256)
	}
	var recs []kiosk.Record
	lines := bytes.Split(bytes.TrimSuffix(records, []byte("\n")), []byte("\n"))
	for i, line := range lines {
		if len(records) == 0 {
			break
		}
		var r kiosk.Record
		if err := DecodeStrict(bytes.NewReader(line), &r); err != nil {
			return nil, fmt.Errorf("line %d is not a record: %w", i+1, err)
		}
		if r.KioskID != m.KioskID {
			return nil, fmt.Errorf("line %d: record of kiosk %q in an export of %q", i+1, r.KioskID, m.KioskID)
		}
		if r.JournalID != m.JournalID && !(r.JournalID == "" && m.JournalID == kiosk.LegacyJournalID) {
			return nil, fmt.Errorf("line %d: record of journal %q in an export of %q", i+1, r.JournalID, m.JournalID)
		}
		recs = append(recs, r)
	}
	if b := journal.VerifyChain(recs, 0, m.PrevHash); b != nil {
		return nil, fmt.Errorf("line %d: %w", b.Index+1, b)
	}
	if len(recs) != m.Count {
		return nil, fmt.Errorf("%d records, manifest says %d (records missing or added)", len(recs), m.Count)
	}
	if len(recs) > 0 {
		first, last := recs[0], recs[len(recs)-1]
		if first.Seq != m.FirstSeq || last.Seq != m.LastSeq || last.Hash != m.ChainHead {
			return nil, fmt.Errorf("records run seq %d..%d ending in %.12s…, manifest says %d..%d ending in %.12s… (records missing at an end)",
				first.Seq, last.Seq, last.Hash, m.FirstSeq, m.LastSeq, m.ChainHead)
		}
	}
	sum := sha256.Sum256(records)
	if hex.EncodeToString(sum[:]) != m.RecordsSHA256 {
		return nil, errors.New("records file differs from the one exported (checksum mismatch)")
	}
	return &Export{Manifest: m, Records: recs}, nil
}

// CheckSignature verifies the manifest's signature with the first of certs
// that belongs to the export's kiosk (CN = kiosk ID) and verifies it.
func (e *Export) CheckSignature(certs ...*x509.Certificate) error {
	if e.Manifest.Signature == nil {
		return fmt.Errorf("export %w: the town hall cannot tell an edited one", ErrUnsigned)
	}
	var errs []error
	for _, c := range certs {
		if c.Subject.CommonName != e.Manifest.KioskID {
			errs = append(errs, fmt.Errorf("certificate of %q is not kiosk %s's", c.Subject.CommonName, e.Manifest.KioskID))
			continue
		}
		err := VerifyHead(c, e.Manifest.Head(), e.Manifest.Signature)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return errors.New("export signature: no certificate to check it with")
	}
	return fmt.Errorf("export signature: %w", errors.Join(errs...))
}

// SignerCert is the certificate the manifest carries (not trusted by itself).
func (e *Export) SignerCert() (*x509.Certificate, error) {
	c, err := ParseCertPEM([]byte(e.Manifest.Certificate))
	if err != nil {
		return nil, fmt.Errorf("the manifest's certificate: %w", err)
	}
	return c, nil
}
