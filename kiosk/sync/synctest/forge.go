// Package synctest helps tests of sync and exports: it forges what an
// editor without the kiosk's key can, so tests can show it is caught.
package synctest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	gosync "sync"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// Rechain recomputes the hash of recs[from:] and their links, as an editor
// who changed one of them would.
func Rechain(recs []kiosk.Record, from int) {
	for i := max(from, 0); i < len(recs); i++ {
		if i > 0 {
			recs[i].PrevHash = recs[i-1].Hash
		}
		recs[i].Hash = journal.HashRecord(recs[i])
	}
}

// Forge copies the export in dir to out with edit applied to record i and
// everything an editor can recompute recomputed: the hashes, the chain, the
// checksum and the manifest's chain head. Only the signature is left as it
// was. The copy reads back as a consistent export (ReadExport succeeds).
func Forge(dir, out string, i int, edit func(*kiosk.Record)) error {
	ex, err := ksync.ReadExport(dir)
	if err != nil {
		return err
	}
	if i >= len(ex.Records) {
		return fmt.Errorf("forge: the export has %d records", len(ex.Records))
	}
	recs := ex.Records
	edit(&recs[i])
	Rechain(recs, i)
	var buf bytes.Buffer
	for _, r := range recs {
		line, err := json.Marshal(r)
		if err != nil {
			return err
		}
		buf.Write(append(line, '\n'))
	}
	m := ex.Manifest
	sum := sha256.Sum256(buf.Bytes())
	m.RecordsSHA256, m.ChainHead = hex.EncodeToString(sum[:]), recs[len(recs)-1].Hash
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, ksync.ExportManifest), mb, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, ksync.ExportRecords), buf.Bytes(), 0o600); err != nil {
		return err
	}
	if _, err := ksync.ReadExport(out); err != nil {
		return fmt.Errorf("forge: the copy is not consistent: %w", err)
	}
	return nil
}

// LogBuffer collects a logger's output for a test to read while others
// may still be writing.
type LogBuffer struct {
	mu gosync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
