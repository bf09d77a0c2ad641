package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
)

const journalUsage = `usage: kioskctl journal COMMAND [--db PATH] [--hmac-key-file FILE]

  status                      depth, oldest unsent record, last sync, chain check, file size
  export --to DIR             write unsent records (records.jsonl + manifest.json) to DIR, e.g. a USB stick
  verify DIR                  check an export: edited, missing or reordered records fail
  ack --manifest FILE         release the records of a verified export (no network at all)

The journal file is locked while the kiosk runs: stop it first (systemctl stop kiosk).
`

const (
	defaultJournalDB = "/var/lib/kiosk/journal/journal.db" // where provisioning puts it on the image
	exportRecords    = "records.jsonl"
	exportManifest   = "manifest.json"
)

// manifest describes one export; verify and ack trust nothing else.
type manifest struct {
	KioskID       string    `json:"kiosk_id"`
	Count         int       `json:"count"`
	FirstSeq      uint64    `json:"first_seq"`
	LastSeq       uint64    `json:"last_seq"`
	PrevHash      string    `json:"prev_hash"`  // the chain link before FirstSeq
	ChainHead     string    `json:"chain_head"` // hash of LastSeq
	HashAlg       string    `json:"hash_alg"`
	RecordsFile   string    `json:"records_file"`
	RecordsSHA256 string    `json:"records_sha256"`
	ExportedAt    time.Time `json:"exported_at"`
}

// journalCmd handles `kioskctl journal ...`.
func journalCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, journalUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("journal "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", defaultJournalDB, "journal file")
	keyFile := fs.String("hmac-key-file", "", "HMAC key the kiosk chains with, if any")
	to := fs.String("to", "", "export: target directory")
	man := fs.String("manifest", "", "ack: manifest.json of a verified export")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	var key []byte
	if *keyFile != "" {
		b, err := os.ReadFile(*keyFile)
		if err != nil {
			return fmt.Errorf("read HMAC key: %w", err)
		}
		key = []byte(strings.TrimSpace(string(b)))
	}
	switch args[0] {
	case "status":
		return journalStatus(*db, key, stdout)
	case "export":
		if *to == "" {
			return errors.New("journal export: --to DIR required")
		}
		return journalExport(*db, key, *to, stdout)
	case "verify":
		if fs.NArg() != 1 {
			return errors.New("journal verify: DIR required")
		}
		m, err := verifyExport(fs.Arg(0), key)
		if err != nil {
			return fmt.Errorf("journal verify: %w", err)
		}
		fmt.Fprintf(stdout, "OK: %d records of kiosk %s, seq %d..%d, chain intact\n", m.Count, m.KioskID, m.FirstSeq, m.LastSeq)
		return nil
	case "ack":
		if *man == "" {
			return errors.New("journal ack: --manifest FILE required")
		}
		return journalAck(*db, key, *man, stdout)
	}
	fmt.Fprint(stderr, journalUsage)
	return errUsage
}

// openJournal reaches a running kiosk through its control socket, or
// opens the file when no kiosk runs (bbolt allows one process).
func openJournal(path string, key []byte, readOnly bool) (journal.Handle, error) {
	if _, err := os.Stat(journal.ControlSocket(path)); err == nil {
		if r, err := journal.Dial(path); err == nil {
			return r, nil
		}
		// A socket nobody answers on: a kiosk that did not stop cleanly.
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	j, err := journal.Open(path, journal.Options{HMACKey: key, ReadOnly: readOnly, NoReset: true, LockTimeout: time.Second})
	if errors.Is(err, journal.ErrInUse) {
		return nil, fmt.Errorf("%w: another program holds it and no kiosk answers on %s", err, journal.ControlSocket(path))
	}
	return j, err
}

func journalStatus(path string, key []byte, w io.Writer) error {
	j, err := openJournal(path, key, true)
	if err != nil {
		return err
	}
	defer j.Close()
	st, err := j.Status()
	if err != nil {
		return err
	}
	ts := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.Local().Format(time.DateTime)
	}
	chain := "ok"
	switch {
	case st.ChainUnchecked != "":
		chain = "not checked: " + st.ChainUnchecked
	case !st.ChainOK:
		chain = "BROKEN: " + st.ChainBreak.Error()
	}
	fmt.Fprintf(w, "kiosk:          %s\n", st.KioskID)
	fmt.Fprintf(w, "file:           %s (%d KiB)\n", st.Path, st.FileSize/1024)
	fmt.Fprintf(w, "unsent records: %d\n", st.Depth)
	if st.Depth > 0 {
		fmt.Fprintf(w, "oldest unsent:  seq %d at %s\n", st.OldestSeq, ts(st.OldestTime))
	}
	fmt.Fprintf(w, "newest seq:     %d\n", st.HeadSeq)
	fmt.Fprintf(w, "last sync:      %s\n", ts(st.LastSync))
	fmt.Fprintf(w, "chain:          %s\n", chain)
	if !st.ChainOK && st.ChainUnchecked == "" {
		return errors.New("journal chain is broken")
	}
	return nil
}

func journalExport(path string, key []byte, dir string, w io.Writer) error {
	j, err := openJournal(path, key, true)
	if err != nil {
		return err
	}
	defer j.Close()
	if b, err := j.Verify(); err != nil && !errors.Is(err, journal.ErrNeedKey) {
		return err
	} else if b != nil {
		return fmt.Errorf("journal export: refusing to export a broken chain: %w", b)
	}
	recs, err := j.Pending(0)
	if err != nil {
		return err
	}
	st, err := j.Status()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("journal export: %w", err)
	}
	h := sha256.New()
	f, err := os.Create(filepath.Join(dir, exportRecords))
	if err != nil {
		return fmt.Errorf("journal export: %w", err)
	}
	bw := bufio.NewWriter(io.MultiWriter(f, h))
	enc := json.NewEncoder(bw)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return fmt.Errorf("journal export: %w", err)
		}
	}
	if err := errors.Join(bw.Flush(), f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("journal export: write records: %w", err)
	}
	m := manifest{KioskID: j.KioskID(), Count: len(recs), HashAlg: st.HashAlg, RecordsFile: exportRecords,
		RecordsSHA256: hex.EncodeToString(h.Sum(nil)), ExportedAt: time.Now().UTC()}
	if len(recs) > 0 {
		m.FirstSeq, m.LastSeq = recs[0].Seq, recs[len(recs)-1].Seq
		m.PrevHash, m.ChainHead = recs[0].PrevHash, recs[len(recs)-1].Hash
	}
	mb, _ := json.MarshalIndent(m, "", "  ")
	mf, err := os.Create(filepath.Join(dir, exportManifest))
	if err != nil {
		return fmt.Errorf("journal export: %w", err)
	}
	if _, err := mf.Write(append(mb, '\n')); err != nil {
		mf.Close()
		return fmt.Errorf("journal export: write manifest: %w", err)
	}
	if err := errors.Join(mf.Sync(), mf.Close()); err != nil {
		return fmt.Errorf("journal export: write manifest: %w", err)
	}
	// Prove the stick holds what we meant before anyone acks it.
	if _, err := verifyExport(dir, key); err != nil {
		return fmt.Errorf("journal export: written files do not verify: %w", err)
	}
	fmt.Fprintf(w, "exported %d records (seq %d..%d) of kiosk %s to %s\n", m.Count, m.FirstSeq, m.LastSeq, m.KioskID, dir)
	if m.Count > 0 {
		fmt.Fprintf(w, "after delivering them: kioskctl journal ack --manifest %s\n", filepath.Join(dir, exportManifest))
	}
	return nil
}

// verifyExport checks an export directory against its manifest.
func verifyExport(dir string, key []byte) (*manifest, error) {
	mb, err := os.ReadFile(filepath.Join(dir, exportManifest))
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, fmt.Errorf("manifest unreadable: %w", err)
	}
	if m.HashAlg == journal.AlgHMACSHA256 && len(key) == 0 {
		return nil, errors.New("export is HMAC-chained: give --hmac-key-file")
	}
	if m.RecordsFile == "" || filepath.Base(m.RecordsFile) != m.RecordsFile {
		return nil, fmt.Errorf("manifest names an unexpected records file %q", m.RecordsFile)
	}
	data, err := os.ReadFile(filepath.Join(dir, m.RecordsFile))
	if err != nil {
		return nil, fmt.Errorf("read records: %w", err)
	}
	var recs []kiosk.Record
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if line == "" && len(data) == 0 {
			break
		}
		var r kiosk.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, fmt.Errorf("line %d is not a record: %w", i+1, err)
		}
		if r.KioskID != m.KioskID {
			return nil, fmt.Errorf("line %d: record of kiosk %q in an export of %q", i+1, r.KioskID, m.KioskID)
		}
		recs = append(recs, r)
	}
	if b := journal.VerifyChain(recs, 0, m.PrevHash, key); b != nil {
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
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != m.RecordsSHA256 {
		return nil, errors.New("records file differs from the one exported (checksum mismatch)")
	}
	return &m, nil
}

func journalAck(path string, key []byte, manifestPath string, w io.Writer) error {
	m, err := verifyExport(filepath.Dir(manifestPath), key)
	if err != nil {
		return fmt.Errorf("journal ack: export does not verify, nothing released: %w", err)
	}
	if m.Count == 0 {
		fmt.Fprintln(w, "export is empty: nothing to release")
		return nil
	}
	j, err := openJournal(path, key, false)
	if err != nil {
		return err
	}
	defer j.Close()
	if j.KioskID() != m.KioskID {
		return fmt.Errorf("journal ack: export is of kiosk %s, this journal is %s", m.KioskID, j.KioskID())
	}
	recs, err := j.Pending(0)
	if err != nil {
		return err
	}
	// Release only if the journal's record at LastSeq is the exported one.
	found := false
	for _, r := range recs {
		if r.Seq == m.LastSeq {
			if r.Hash != m.ChainHead {
				return fmt.Errorf("journal ack: record %d differs from the exported one: not releasing", r.Seq)
			}
			found = true
			break
		}
	}
	if !found {
		if len(recs) == 0 || recs[0].Seq > m.LastSeq {
			fmt.Fprintf(w, "records up to seq %d were already released\n", m.LastSeq)
			return nil
		}
		return fmt.Errorf("journal ack: record %d is not in this journal: not releasing", m.LastSeq)
	}
	n, err := j.Ack(m.LastSeq)
	if err != nil {
		return fmt.Errorf("journal ack: %w", err)
	}
	fmt.Fprintf(w, "released %d records (up to seq %d); the town hall will see a gap it must fill from the export\n", n, m.LastSeq)
	return nil
}
