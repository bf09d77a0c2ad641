package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// errExportThere: the folder already holds an export. An export is never
// overwritten: once acknowledged, its records may exist nowhere else, and a
// technician with one USB stick types the same --to every visit.
var errExportThere = errors.New("already holds an export")

// checkExportTarget refuses a folder that already holds an export (either
// of its files), naming what is there and a new folder to use instead.
func checkExportTarget(dir string, now time.Time) error {
	var there []string
	for _, name := range []string{ksync.ExportManifest, ksync.ExportRecords} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil || !errors.Is(err, fs.ErrNotExist) {
			there = append(there, name)
		}
	}
	if len(there) == 0 {
		return nil
	}
	what := fmt.Sprintf("%v", there)
	if b, err := os.ReadFile(filepath.Join(dir, ksync.ExportManifest)); err == nil {
		var m ksync.Manifest
		if json.Unmarshal(b, &m) == nil && m.KioskID != "" {
			what = fmt.Sprintf("%d records of kiosk %s, seq %d..%d, written %s", m.Count, m.KioskID, m.FirstSeq, m.LastSeq,
				m.ExportedAt.Local().Format("2006-01-02 15:04"))
		}
	}
	return fmt.Errorf("%s %w (%s); it is never overwritten, as its records may be nowhere else: "+
		"export to a new folder, e.g. --to %s-%s (or move the old one away once the town hall has imported it)",
		dir, errExportThere, what, filepath.Clean(dir), now.Local().Format("20060102-1504"))
}
