package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

const journalUsage = `usage: kioskctl journal COMMAND [--db PATH]

  status                      journal ID, unsent records, how sync is going (last error with its URL), chain check
  export --to DIR             write unsent records (records.jsonl + a manifest signed with the kiosk's key) to DIR,
                              e.g. a USB stick; the town hall brings it in with: collector import DIR
  verify DIR                  check an export: edited, missing or reordered records and a wrong signature fail
  ack --manifest FILE         once the town hall has an export: release its records (signature checked; no network)
  diverge                     when the town hall's import refuses this kiosk's records as a conflict (a kiosk restored
                              from a backup, a cloned card): start a new journal carrying the unsent records over
                              (the kiosk does it by itself on sync); then export again
  salvage --db FILE --to DIR  a journal file too damaged to open (the kiosk moved it aside as journal.db.corrupt-…):
                              every record in it whose hash matches its content, as signed exports DIR/run-NN,
                              one per unbroken run, for collector import; damaged records are counted, never exported

The kiosk's key and certificate (to sign an export, and to check one) come from its configuration
(--config, default ` + defaultConfig + `: sync.cert, sync.key), or give --cert FILE [--key FILE];
verify also takes --ca FILE (the village CA) to trust the certificate an export carries.
While the kiosk runs, these commands reach its journal through the kiosk.
`

const (
	defaultJournalDB = "/var/lib/kiosk/journal/journal.db" // where provisioning puts it on the image
	defaultConfig    = dataDir + "/config.toml"            // the applied provisioning file
)

// journalCmd handles `kioskctl journal ...`.
func journalCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, journalUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("journal "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", defaultJournalDB, "journal file")
	to := fs.String("to", "", "export: target directory")
	man := fs.String("manifest", "", "ack: manifest.json of a delivered export")
	var id idFlags
	fs.StringVar(&id.config, "config", defaultConfig, "the kiosk's configuration: its sync certificate and key")
	fs.StringVar(&id.cert, "cert", "", "the kiosk's certificate (PEM): signs an export with --key; checks one")
	fs.StringVar(&id.key, "key", "", "export: the kiosk's private key (PEM)")
	fs.StringVar(&id.ca, "ca", "", "verify: the village CA (PEM), to trust the certificate an export carries")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	fs.Visit(func(f *flag.Flag) { id.configSet = id.configSet || f.Name == "config" })
	switch args[0] {
	case "status":
		return journalStatus(*db, stdout)
	case "export":
		if *to == "" {
			return errors.New("journal export: --to DIR required")
		}
		return journalExport(*db, *to, id, stdout)
	case "verify":
		if fs.NArg() != 1 {
			return errors.New("journal verify: DIR required")
		}
		ex, how, err := verifyExport(fs.Arg(0), id)
		if err != nil {
			return fmt.Errorf("journal verify: %w", err)
		}
		m := ex.Manifest
		fmt.Fprintf(stdout, "OK: %d records of kiosk %s, journal %s, seq %d..%d, chain intact, signed by the kiosk (%s)\n",
			m.Count, m.KioskID, m.JournalID, m.FirstSeq, m.LastSeq, how)
		return nil
	case "diverge":
		return journalDiverge(*db, stdout)
	case "salvage":
		if *to == "" || !dbSet(fs) {
			return errors.New("journal salvage: --db FILE (the damaged file) and --to DIR required")
		}
		return journalSalvage(*db, *to, id, stdout)
	case "ack":
		if *man == "" {
			return errors.New("journal ack: --manifest FILE required")
		}
		return journalAck(*db, *man, id, stdout)
	}
	fmt.Fprint(stderr, journalUsage)
	return errUsage
}

func journalDiverge(path string, w io.Writer) error {
	j, err := openJournal(path, false)
	if err != nil {
		return err
	}
	defer j.Close()
	d, err := j.Diverge("kioskctl journal diverge")
	if err != nil {
		return fmt.Errorf("journal diverge: %w", err)
	}
	fmt.Fprintf(w, "journal %s ended; journal %s started with %d unsent records carried over (seq %d..%d of the old one); "+
		"the old file is copied to %s\nnow export again: kioskctl journal export --to DIR\n", d.Previous, d.JournalID, d.Carried, d.FromSeq, d.ToSeq, d.SavedTo)
	return nil
}

func dbSet(fs *flag.FlagSet) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "db" })
	return set
}

// journalSalvage writes what journal.Salvage verifies in a damaged file as
// signed exports, one per unbroken run, so the collector can import them.
func journalSalvage(path string, dir string, idf idFlags, w io.Writer) error {
	id, err := idf.identity()
	if err != nil {
		return fmt.Errorf("journal salvage: %w", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("journal salvage: %w", err)
	}
	s := journal.Salvage(data)
	fmt.Fprintf(w, "%s: %s\n", path, s)
	n := 0
	for _, run := range s.Runs {
		first, last := run[0], run[len(run)-1]
		if first.KioskID != id.Cert.Subject.CommonName {
			fmt.Fprintf(w, "skipped %d records of kiosk %q: the certificate is kiosk %q's\n", len(run), first.KioskID, id.Cert.Subject.CommonName)
			continue
		}
		jid := first.JournalID
		if jid == "" {
			jid = kiosk.LegacyJournalID
		}
		n++
		out := filepath.Join(dir, fmt.Sprintf("run-%02d", n))
		m, err := ksync.WriteExport(out, ksync.ExportSource{KioskID: first.KioskID, JournalID: jid, Records: run}, id, time.Now())
		if err != nil {
			return fmt.Errorf("journal salvage: %w", err)
		}
		fmt.Fprintf(w, "exported %d records (seq %d..%d) of journal %s to %s, signed\n", m.Count, first.Seq, last.Seq, jid, out)
	}
	if n > 0 {
		fmt.Fprintf(w, "at the town hall: collector import %s\n", filepath.Join(dir, "run-*"))
	}
	return nil
}

// idFlags say where the kiosk's certificate and key are.
type idFlags struct {
	config, cert, key, ca string
	configSet             bool // --config given (else a missing default is no error)
}

// fromConfig fills cert and key from the kiosk's configuration.
func (f idFlags) fromConfig() (cert, key string, err error) {
	if f.cert != "" || f.key != "" {
		return f.cert, f.key, nil
	}
	if f.config == "" {
		return "", "", nil
	}
	if _, err := os.Stat(f.config); err != nil && !f.configSet {
		return "", "", nil // not on a kiosk
	}
	cfg, err := kiosk.LoadConfig(f.config)
	if err != nil {
		return "", "", err
	}
	return cfg.Sync.Cert, cfg.Sync.Key, nil
}

// identity is the kiosk's key and certificate, to sign an export.
func (f idFlags) identity() (*ksync.Identity, error) {
	cert, key, err := f.fromConfig()
	if err != nil {
		return nil, err
	}
	if cert == "" || key == "" {
		return nil, errors.New("an export is signed with the kiosk's key, so that the town hall can tell an edited one: " +
			"give --cert FILE --key FILE (the kiosk's sync certificate), or --config with sync.cert and sync.key")
	}
	return ksync.LoadIdentity(cert, key)
}

// certs are the certificates an export may be checked with.
func (f idFlags) certs() ([]*x509.Certificate, error) {
	cert, _, err := f.fromConfig()
	if err != nil {
		return nil, err
	}
	if cert == "" {
		return nil, nil
	}
	c, _, err := ksync.ReadCertFile(cert)
	if err != nil {
		return nil, err
	}
	return []*x509.Certificate{c}, nil
}

// openJournal reaches a running kiosk through its control socket, or
// opens the file when no kiosk runs (bbolt allows one process).
func openJournal(path string, readOnly bool) (journal.Handle, error) {
	if _, err := os.Stat(journal.ControlSocket(path)); err == nil {
		if r, err := journal.Dial(path); err == nil {
			return r, nil
		}
		// A socket nobody answers on: a kiosk that did not stop cleanly.
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	j, err := journal.Open(path, journal.Options{ReadOnly: readOnly, NoReset: true, LockTimeout: time.Second})
	if errors.Is(err, journal.ErrInUse) {
		return nil, fmt.Errorf("%w: another program holds it and no kiosk answers on %s", err, journal.ControlSocket(path))
	}
	return j, err
}

func journalStatus(path string, w io.Writer) error {
	j, err := openJournal(path, true)
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
	if !st.ChainOK {
		chain = "BROKEN: " + st.ChainBreak.Error()
	}
	why := map[string]string{journal.DetailJournalNew: "new file", journal.DetailReset: "the old file was corrupt and was moved aside",
		journal.DetailDiverged: "the collector held other records under the old journal's numbers (restored from a backup? a cloned card?): unsent records carried over"}[st.CreatedReason]
	fmt.Fprintf(w, "kiosk:          %s\n", st.KioskID)
	fmt.Fprintf(w, "journal:        %s (references %s-%s-NNNN)\n", st.JournalID, st.KioskID, kiosk.JournalTag(st.JournalID))
	if !st.Created.IsZero() {
		fmt.Fprintf(w, "created:        %s (%s)\n", ts(st.Created), why)
	}
	fmt.Fprintf(w, "file:           %s (%d KiB)\n", st.Path, st.FileSize/1024)
	fmt.Fprintf(w, "unsent records: %d\n", st.Depth)
	if st.Depth > 0 {
		fmt.Fprintf(w, "oldest unsent:  seq %d at %s\n", st.OldestSeq, ts(st.OldestTime))
	}
	fmt.Fprintf(w, "newest seq:     %d\n", st.HeadSeq)
	fmt.Fprintf(w, "last sync:      %s\n", ts(st.Sync.LastSuccess))
	if s := st.Sync; s.Failures > 0 {
		fmt.Fprintf(w, "sync:           FAILING since %s, %d attempts, last at %s\n", ts(s.ErrorSince), s.Failures, ts(s.LastAttempt))
		fmt.Fprintf(w, "last error:     %s\n", s.LastError)
	}
	fmt.Fprintf(w, "chain:          %s\n", chain)
	if !st.ChainOK {
		return errors.New("journal chain is broken")
	}
	return nil
}

func journalExport(path, dir string, idf idFlags, w io.Writer) error {
	id, err := idf.identity()
	if err != nil {
		return fmt.Errorf("journal export: %w", err)
	}
	j, err := openJournal(path, true)
	if err != nil {
		return err
	}
	defer j.Close()
	if id.Cert.Subject.CommonName != j.KioskID() {
		return fmt.Errorf("journal export: the certificate is kiosk %q's, the journal kiosk %q's", id.Cert.Subject.CommonName, j.KioskID())
	}
	if b, err := j.Verify(); err != nil {
		return err
	} else if b != nil {
		return fmt.Errorf("journal export: refusing to export a broken chain: %w", b)
	}
	recs, err := j.Pending(0)
	if err != nil {
		return err
	}
	m, err := ksync.WriteExport(dir, ksync.ExportSource{KioskID: j.KioskID(), JournalID: j.JournalID(), Records: recs}, id, time.Now())
	if err != nil {
		return fmt.Errorf("journal export: %w", err)
	}
	fmt.Fprintf(w, "exported %d records (seq %d..%d) of kiosk %s, journal %s, to %s, signed\n", m.Count, m.FirstSeq, m.LastSeq, m.KioskID, m.JournalID, dir)
	if m.Count > 0 {
		fmt.Fprintf(w, "at the town hall: collector import %s\n", dir)
		fmt.Fprintf(w, "then, to free the kiosk: kioskctl journal ack --manifest %s\n", filepath.Join(dir, ksync.ExportManifest))
	}
	return nil
}

// verifyExport checks an export and its signature; it says which
// certificate the signature was checked with.
func verifyExport(dir string, idf idFlags) (*ksync.Export, string, error) {
	ex, err := ksync.ReadExport(dir)
	if err != nil {
		return nil, "", err
	}
	certs, err := idf.certs()
	if err != nil {
		return nil, "", err
	}
	how := "the certificate given"
	if idf.cert == "" {
		how = "the certificate in " + idf.config
	}
	if idf.ca != "" {
		pool, err := ksync.LoadCAPool(idf.ca)
		if err != nil {
			return nil, "", err
		}
		c, err := ex.SignerCert()
		if err != nil {
			return nil, "", err
		}
		if _, err := c.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			return nil, "", fmt.Errorf("the export's certificate is not the village CA's: %w", err)
		}
		certs, how = append(certs, c), "its certificate, issued by the village CA"
	}
	if len(certs) == 0 {
		return nil, "", errors.New("the signature cannot be checked: give --cert FILE (the kiosk's certificate) or --ca FILE (the village CA)")
	}
	if err := ex.CheckSignature(certs...); err != nil {
		return nil, "", err
	}
	return ex, how, nil
}

// journalAck releases the records of a delivered export: only if the
// export is the kiosk's own (its signature checks), and then exactly the
// records the journal holds with the exported hashes, oldest first.
func journalAck(path, manifestPath string, idf idFlags, w io.Writer) error {
	ex, _, err := verifyExport(filepath.Dir(manifestPath), idf)
	if err != nil {
		return fmt.Errorf("journal ack: export does not verify, nothing released: %w", err)
	}
	m := ex.Manifest
	if m.Count == 0 {
		fmt.Fprintln(w, "export is empty: nothing to release")
		return nil
	}
	j, err := openJournal(path, false)
	if err != nil {
		return err
	}
	defer j.Close()
	if j.KioskID() != m.KioskID || j.JournalID() != m.JournalID {
		return fmt.Errorf("journal ack: export is of kiosk %s journal %s, this is kiosk %s journal %s: nothing released",
			m.KioskID, m.JournalID, j.KioskID(), j.JournalID())
	}
	recs, err := j.Pending(0)
	if err != nil {
		return err
	}
	if len(recs) == 0 || recs[0].Seq > m.LastSeq {
		fmt.Fprintf(w, "records up to seq %d were already released\n", m.LastSeq)
		return nil
	}
	n, err := j.Release(m.JournalID, ex.Acks())
	if err != nil {
		return fmt.Errorf("journal ack: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("journal ack: record %d differs from the exported one: nothing released", recs[0].Seq)
	}
	fmt.Fprintf(w, "released %d records (seq %d..%d); the town hall closes the gap they leave with: collector import %s\n",
		n, recs[0].Seq, recs[n-1].Seq, filepath.Dir(manifestPath))
	return nil
}
