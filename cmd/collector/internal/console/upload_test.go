package console

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// recordingImporter is what the console hands an upload to: it records the
// directory's files as they arrived and answers as told.
type recordingImporter struct {
	got map[string]string
	err error
}

func (d *recordingImporter) Import(ctx context.Context, dir string) (ImportResult, error) {
	d.got = map[string]string{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return ImportResult{}, err
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return ImportResult{}, err
		}
		d.got[e.Name()] = string(b)
	}
	if d.err != nil {
		return ImportResult{}, d.err
	}
	return ImportResult{KioskID: "K07", JournalID: "J", Records: 5, Stored: 3, Duplicates: 2, FirstSeq: 1, LastSeq: 5}, nil
}

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, files[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type part struct{ field, name, body string }

func upload(t *testing.T, s *site, parts ...part) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		w, err := mw.CreateFormFile(p.field, p.name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p.body)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", s.url+"/console/import", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := s.client("staff-tanaka").Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestImportUpload(t *testing.T) {
	export := map[string]string{"records.jsonl": "{\"seq\":1}\n", "manifest.json": "{\"count\":1}"}
	tests := []struct {
		name     string
		parts    []part
		code     int
		want     string
		imported map[string]string
	}{
		{"the folder, as a browser sends it", []part{{"folder", "kiosk-K07/records.jsonl", export["records.jsonl"]}, {"folder", "kiosk-K07/manifest.json", export["manifest.json"]}, {"folder", "kiosk-K07/.DS_Store", "junk"}},
			200, "取り込みました：端末 K07、記録 5件（新しく届いたもの 3件、すでに届いていたもの 2件）", export},
		{"the files", []part{{"files", "records.jsonl", export["records.jsonl"]}, {"files", "manifest.json", export["manifest.json"]}}, 200, "取り込みました", export},
		{"a ZIP of the folder", []part{{"files", "K07.zip", string(zipOf(t, map[string]string{"kiosk-K07/records.jsonl": export["records.jsonl"], "kiosk-K07/manifest.json": export["manifest.json"]}))}}, 200, "取り込みました", export},
		{"a ZIP of the files", []part{{"files", "K07.ZIP", string(zipOf(t, export))}}, 200, "取り込みました", export},
		{"two folders in a ZIP", []part{{"files", "x.zip", string(zipOf(t, map[string]string{"a/records.jsonl": "1", "b/records.jsonl": "2"}))}}, 400, "more than one folder", nil},
		{"a path out of the folder", []part{{"files", "x.zip", string(zipOf(t, map[string]string{"../../etc/records.jsonl": "1"}))}}, 400, "more than one folder", nil},
		{"two exports at once", []part{{"folder", "a/records.jsonl", "1"}, {"folder", "b/records.jsonl", "2"}}, 400, "two files named", nil},
		{"an odd name", []part{{"files", "rec ords;rm.jsonl", "1"}}, 400, "is not a file name", nil},
		{"not a ZIP", []part{{"files", "x.zip", "PK garbage"}}, 400, "not a readable ZIP", nil},
		{"nothing chosen", nil, 400, "ファイルが選ばれていません", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			imp := &recordingImporter{}
			s := newSite(t, sampleStore(t), nil, imp)
			code, body := upload(t, s, tt.parts...)
			if code != tt.code || !strings.Contains(body, tt.want) {
				t.Fatalf("%d, want %d with %q\n%s", code, tt.code, tt.want, body)
			}
			if tt.imported == nil {
				if imp.got != nil {
					t.Errorf("a refused upload reached the importer: %v", imp.got)
				}
				return
			}
			if len(imp.got) != len(tt.imported) {
				t.Errorf("importer got %v, want %v", imp.got, tt.imported)
			}
			for n, b := range tt.imported {
				if imp.got[n] != b {
					t.Errorf("%s: %q, want %q", n, imp.got[n], b)
				}
			}
		})
	}
}

// The importer's refusal is what staff read, and the log keeps it.
func TestImportRefused(t *testing.T) {
	st := sampleStore(t)
	imp := &recordingImporter{err: errors.New("record 3 does not match its hash: the export was edited")}
	s := newSite(t, st, nil, imp)
	code, body := upload(t, s, part{"files", "records.jsonl", "x"}, part{"files", "manifest.json", "y"})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "取り込みませんでした") || !strings.Contains(body, "the export was edited") {
		t.Fatalf("%d\n%s", code, body)
	}
	if got := actions(t, st); got != "import import_refused" {
		t.Errorf("audit %q", got)
	}
}

// A ZIP that inflates past the limit is refused without filling the disk.
func TestImportZipBomb(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("records.jsonl")
	zero := make([]byte, 1<<20)
	for range 20 {
		w.Write(zero)
	}
	zw.Close()
	fh := writeFormFile(t, "bomb.zip", buf.Bytes())
	err := unpack([]*multipart.FileHeader{fh}, t.TempDir(), 4<<20)
	if !errors.Is(err, errTooBig) {
		t.Fatalf("unpack: %v, want errTooBig", err)
	}
}

func writeFormFile(t *testing.T, name string, data []byte) *multipart.FileHeader {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, _ := mw.CreateFormFile("files", name)
	w.Write(data)
	mw.Close()
	form, err := multipart.NewReader(&buf, mw.Boundary()).ReadForm(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { form.RemoveAll() })
	return form.File["files"][0]
}

// realExport writes what kioskctl journal export writes for kiosk K07: n
// records of a new journal, signed with the kiosk's key from the site's CA.
func realExport(t *testing.T, s *site, n int) (dir, journalID string) {
	t.Helper()
	journalID = kiosk.NewJournalID()
	recs := make([]kiosk.Record, n)
	for i := range recs {
		recs[i] = kiosk.Record{Time: at(13, i), ClockTrusted: true, Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Card: kiosk.CardMyNumber, Status: "expired"}
	}
	recs[0] = kiosk.Record{Time: at(13, 0), ClockTrusted: true, Kind: kiosk.TxSystem, Outcome: kiosk.OutcomeOK, Detail: journal.DetailJournalNew}
	recs = seal("K07", journalID, 1, journal.Genesis, recs...)
	is, _, _ := s.issue("K07")
	dir = filepath.Join(t.TempDir(), "kiosk-K07")
	if _, err := ksync.WriteExport(dir, ksync.ExportSource{KioskID: "K07", JournalID: journalID, Records: recs},
		&ksync.Identity{TLS: is.TLS(), Cert: is.Cert, Signer: is.Key}, day0); err != nil {
		t.Fatal(err)
	}
	return dir, journalID
}

func filesOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out["kiosk-K07/"+e.Name()] = string(b)
	}
	return out
}

// A real signed export, zipped as staff would, goes through the
// collector's importer into the store; the same export with one record
// edited (and its hashes recomputed, as a forger would) is refused.
func TestImportRealExport(t *testing.T) {
	st := sampleStore(t)
	s := newSite(t, st, nil, nil)
	dir, jid := realExport(t, s, 5)
	code, body := upload(t, s, part{"files", "kiosk-K07.zip", string(zipOf(t, filesOf(t, dir)))})
	if code != 200 || !strings.Contains(body, "取り込みました：端末 K07、記録 5件（新しく届いたもの 5件、すでに届いていたもの 0件）") {
		t.Fatalf("%d\n%s", code, body)
	}
	if j, err := st.Journal(t.Context(), "K07", jid); err != nil || j.Records != 5 || !j.Complete() {
		t.Fatalf("journal after import: %+v %v", j, err)
	}
	code, body = upload(t, s, part{"files", "kiosk-K07.zip", string(zipOf(t, filesOf(t, dir)))})
	if code != 200 || !strings.Contains(body, "新しく届いたもの 0件、すでに届いていたもの 5件") {
		t.Errorf("the same export again: %d", code)
	}

	forged, _ := realExport(t, s, 4)
	recs, err := os.ReadFile(filepath.Join(forged, ksync.ExportRecords))
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(recs), `"status":"expired"`, `"status":"valid"`, 1)
	if edited == string(recs) {
		t.Fatal("nothing to edit")
	}
	files := filesOf(t, forged)
	files["kiosk-K07/"+ksync.ExportRecords] = edited
	code, body = upload(t, s, part{"files", "x.zip", string(zipOf(t, files))})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "取り込みませんでした") {
		t.Errorf("an edited export: %d\n%s", code, body)
	}
	if k, _ := st.Kiosk(t.Context(), "K07"); k.Records != 5 {
		t.Errorf("after the refused import K07 holds %d records, want 5", k.Records)
	}
}
