package console

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/villagehall/kiosk/cmd/collector/internal/csvcell"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
)

// CSV for Excel: UTF-8 with a byte-order mark (without it Excel reads
// Japanese as Shift_JIS and shows garbage), CRLF line ends, times in JST
// as "2006-01-02 15:04:05" (which Excel takes for a date), and no cell that
// Excel would run as a formula. With Japanese headings the codes become
// the console's Japanese labels; with English headings they stay codes,
// as scripts want them.

var csvColumns = []msg{
	{"受付番号", "reference"}, {"日時", "time"}, {"端末", "kiosk_id"}, {"記録ファイル", "journal_id"}, {"番号", "seq"},
	{"内容", "kind"}, {"結果", "outcome"}, {"カードの状態", "status"}, {"カード", "card"},
	{"利用者証明用 残り回数", "auth_tries"}, {"署名用 残り回数", "sign_tries"}, {"補足", "detail"},
	{"対象の受付番号", "slip_reference"}, {"端末の時計", "clock_trusted"},
	{"ハッシュ", "hash"}, {"前の記録のハッシュ", "prev_hash"},
}

// bom is the UTF-8 byte-order mark.
const bom = "\ufeff"

// writeCSV writes vs as CSV for Excel; l picks the headings and labels.
func writeCSV(w io.Writer, l Lang, vs []Visit) error {
	if _, err := io.WriteString(w, bom); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	head := make([]string, len(csvColumns))
	for i, c := range csvColumns {
		head[i] = c.in(l)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	code := func(prefix, c string) string {
		if l == LangEN {
			return c
		}
		return label(l, prefix, c)
	}
	tries := func(p *int) string {
		if p == nil {
			return ""
		}
		return strconv.Itoa(*p)
	}
	clock := func(ok bool) string {
		if l == LangEN {
			return strconv.FormatBool(ok)
		}
		return map[bool]string{true: "確認済み", false: "未確認"}[ok]
	}
	for _, v := range vs {
		r := v.Record
		row := []string{v.Reference(), formatTime(r.Time), r.KioskID, v.JournalID, strconv.FormatUint(r.Seq, 10),
			code("", string(r.Kind)), code("", string(r.Outcome)), code("", r.Status), code("", string(r.Card)),
			tries(r.AuthTries), tries(r.SignTries), code("", r.Detail), r.Reference, clock(r.ClockTrusted),
			r.Hash, r.PrevHash}
		if err := cw.Write(csvcell.Row(row)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// exported is one record in the JSON export.
type exported struct {
	Reference string       `json:"reference"`
	JournalID string       `json:"journal_id"`
	Record    kiosk.Record `json:"record"`
}

func writeJSON(w io.Writer, vs []Visit) error {
	out := make([]exported, len(vs))
	for i, v := range vs {
		out[i] = exported{Reference: v.Reference(), JournalID: v.JournalID, Record: v.Record}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(out)
}

// exportRecords reads the period the request asks for, oldest first, and
// audits the export before anything is sent.
func (c *Console) exportRecords(q *req, format string) ([]Visit, string, bool) {
	v := q.r.URL.Query()
	from, to, err := period(v)
	if err == nil && (from.IsZero() || to.IsZero()) {
		err = fmt.Errorf("choose both a start and an end date")
	}
	if err != nil {
		c.fail(q, http.StatusBadRequest, text(q.lang, "error.input", err.Error()))
		return nil, "", false
	}
	vs, err := c.o.Store.Records(ctxOf(q), store.Query{From: from, To: to})
	if err != nil {
		c.storeFailed(q, "export records", err)
		return nil, "", false
	}
	if !c.audited(q, store.ActExport, fmt.Sprintf("format=%s from=%s to=%s records=%d", format, v.Get("from"), v.Get("to"), len(vs))) {
		return nil, "", false
	}
	name := fmt.Sprintf("kiosk-records-%s-%s", strings.ReplaceAll(v.Get("from"), "-", ""), strings.ReplaceAll(v.Get("to"), "-", ""))
	return vs, name, true
}

// export sends the period's records as format csv-ja, csv-en or json.
func (c *Console) export(q *req) {
	format := q.r.URL.Query().Get("format")
	var write func(io.Writer, []Visit) error
	ctype, ext := "text/csv; charset=utf-8", ".csv"
	switch format {
	case "csv-ja", "":
		format, write = "csv-ja", func(w io.Writer, vs []Visit) error { return writeCSV(w, LangJA, vs) }
	case "csv-en":
		write = func(w io.Writer, vs []Visit) error { return writeCSV(w, LangEN, vs) }
	case "json":
		write, ctype, ext = writeJSON, "application/json", ".json"
	default:
		c.fail(q, http.StatusBadRequest, text(q.lang, "error.input", fmt.Sprintf("format %q", format)))
		return
	}
	vs, name, ok := c.exportRecords(q, format)
	if !ok {
		return
	}
	q.w.Header().Set("Content-Type", ctype)
	q.w.Header().Set("Content-Disposition", `attachment; filename="`+name+ext+`"`)
	if err := write(q.w, vs); err != nil {
		c.log.Warn("console: export cut short", "format", format, "err", err)
	}
}
