package console

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// An upload is the files of one export directory: chosen as the folder
// (the browser sends each file), as the files in it, or as one ZIP of them
// (with or without the folder inside). They are laid out flat in a fresh
// directory for the importer, which verifies them before anything is kept.

const maxUploadFiles = 16

// fileNameRe is what a file of an export may be called: no paths, no
// hidden files, nothing a shell or Windows would read differently.
var fileNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// uploadErr is an upload refused before it reached the importer.
func uploadErr(key string, args ...any) error { return badInput(key, args...) }

// unpack writes the request's files into dir; limit bounds the bytes
// written (a ZIP can inflate far beyond its upload size).
func unpack(files []*multipart.FileHeader, dir string, limit int64) error {
	if len(files) == 0 {
		return uploadErr("input.nofiles")
	}
	budget := &limitBudget{left: limit}
	seen := map[string]bool{}
	put := func(name string, r io.Reader) error {
		if strings.HasPrefix(name, ".") || name == "" {
			return nil // .DS_Store and the like, which a folder upload brings along
		}
		if !fileNameRe.MatchString(name) {
			return uploadErr("input.filename", name)
		}
		if seen[name] {
			return uploadErr("input.twice", name)
		}
		seen[name] = true
		if len(seen) > maxUploadFiles {
			return uploadErr("input.toomany", maxUploadFiles)
		}
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, budget.reader(r)); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if len(files) == 1 && strings.EqualFold(path.Ext(files[0].Filename), ".zip") {
		return unzip(files[0], put)
	}
	for _, fh := range files {
		f, err := fh.Open()
		if err != nil {
			return err
		}
		err = put(path.Base(strings.ReplaceAll(fh.Filename, `\`, "/")), f)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// unzip takes the regular files of one ZIP, all in the same folder.
func unzip(fh *multipart.FileHeader, put func(string, io.Reader) error) error {
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := zip.NewReader(f, fh.Size)
	if err != nil {
		return uploadErr("input.notzip", fh.Filename)
	}
	folder := ""
	for i, zf := range zr.File {
		name := strings.ReplaceAll(zf.Name, `\`, "/")
		if zf.FileInfo().IsDir() || strings.HasPrefix(path.Base(name), ".") || strings.HasPrefix(name, "__MACOSX/") {
			continue
		}
		if !zf.Mode().IsRegular() {
			return uploadErr("input.zipnotfile", zf.Name)
		}
		dir, base := path.Split(name)
		if i == 0 || folder == "" {
			folder = dir
		}
		if dir != folder || strings.Count(dir, "/") > 1 || strings.Contains(dir, "..") || strings.HasPrefix(dir, "/") {
			return uploadErr("input.zipfolders", zf.Name)
		}
		rc, err := zf.Open()
		if err != nil {
			return uploadErr("input.zipunreadable", zf.Name)
		}
		err = put(base, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// limitBudget shares one byte limit among all files of an upload.
type limitBudget struct{ left int64 }

var errTooBig = badInput("input.toobig")

func (b *limitBudget) reader(r io.Reader) io.Reader { return &budgetReader{b: b, r: r} }

type budgetReader struct {
	b *limitBudget
	r io.Reader
}

func (br *budgetReader) Read(p []byte) (int, error) {
	if br.b.left <= 0 {
		// One more byte tells a file that ends exactly at the limit from one that goes on.
		var one [1]byte
		if n, _ := br.r.Read(one[:]); n > 0 {
			return 0, errTooBig
		}
		return 0, io.EOF
	}
	if int64(len(p)) > br.b.left {
		p = p[:br.b.left]
	}
	n, err := br.r.Read(p)
	br.b.left -= int64(n)
	return n, err
}

func (c *Console) importUpload(q *req) {
	p := importPage{Available: c.o.Importer != nil}
	if !p.Available {
		c.render(q, http.StatusNotImplemented, "import", p)
		return
	}
	q.r.Body = http.MaxBytesReader(q.w, q.r.Body, c.o.MaxUpload)
	if err := q.r.ParseMultipartForm(8 << 20); err != nil {
		p.Error = inputMessage(q.lang, err)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			p.Error = inputMessage(q.lang, errTooBig)
		}
		c.render(q, http.StatusBadRequest, "import", p)
		return
	}
	defer q.r.MultipartForm.RemoveAll()
	files := append(q.r.MultipartForm.File["folder"], q.r.MultipartForm.File["files"]...)
	if len(files) == 0 {
		p.Error = text(q.lang, "import.nofiles")
		c.render(q, http.StatusBadRequest, "import", p)
		return
	}
	dir, err := os.MkdirTemp("", "console-import-")
	if err != nil {
		c.storeFailed(q, "import temp dir", err)
		return
	}
	defer os.RemoveAll(dir)
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Filename
	}
	if err := unpack(files, dir, c.o.MaxUpload*4); err != nil {
		var ue *inputError
		if !errors.As(err, &ue) {
			c.storeFailed(q, "unpack import", err)
			return
		}
		if !c.audited(q, store.ActImportFailed, fmt.Sprintf("files=%q reason=%q", names, err.Error())) {
			return
		}
		p.Error = inputMessage(q.lang, err)
		c.render(q, http.StatusBadRequest, "import", p)
		return
	}
	// The attempt is written before the importer keeps anything.
	if !c.audited(q, store.ActImport, fmt.Sprintf("files=%q", names)) {
		return
	}
	res, err := c.o.Importer.Import(ctxOf(q), dir)
	if err != nil {
		// The importer's word is the reason staff see: it names what failed
		// (a count, an edited record, a signature).
		reason := withoutPath(err.Error(), dir)
		c.log.Warn("console: import refused", "staff", q.staff.Name, "err", reason)
		if !c.audited(q, store.ActImportFailed, fmt.Sprintf("files=%q reason=%q", names, reason)) {
			return
		}
		p.Error, p.Detail = importRefusal(q.lang, err), reason
		c.render(q, http.StatusUnprocessableEntity, "import", p)
		return
	}
	if !c.audited(q, store.ActImported, fmt.Sprintf("kiosk=%s journal=%s seq=%d..%d records=%d stored=%d duplicates=%d",
		res.KioskID, res.JournalID, res.FirstSeq, res.LastSeq, res.Records, res.Stored, res.Duplicates)) {
		return
	}
	c.log.Info("console: export imported", "staff", q.staff.Name, "kiosk", res.KioskID, "stored", res.Stored)
	p.Result = &res
	c.render(q, http.StatusOK, "import", p)
}
