package console

import (
	"errors"
	"strings"

	"github.com/villagehall/kiosk/cmd/collector/internal/importer"
)

// Staff read what went wrong with what they typed or chose in their own
// language: an input mistake is a text key with its values, said in
// Japanese or English when the page is drawn (its Error, for logs and the
// audit log, is the English).

// inputError is a mistake in a form or an upload.
type inputError struct {
	key  string
	args []any
}

func (e *inputError) Error() string { return text(LangEN, e.key, e.args...) }

// badInput makes an inputError from a text key.
func badInput(key string, args ...any) error { return &inputError{key, args} }

// inputMessage is the page's line for err: "please check" and the mistake
// in l. An error from elsewhere (a library's) is named only by the
// generic line: its words are English and may name server paths.
func inputMessage(l Lang, err error) string {
	var ie *inputError
	if errors.As(err, &ie) {
		return text(l, "error.input", text(l, ie.key, ie.args...))
	}
	return text(l, "error.input", text(l, "input.unreadable"))
}

// withoutPath removes a server directory from a message (an importer's
// error names the temporary folder an upload was unpacked in): staff
// need the file's name, nobody needs the server's layout.
func withoutPath(msg, dir string) string {
	if dir == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, dir+"/", "")
	return strings.ReplaceAll(msg, dir, "(upload)")
}

// The words of input mistakes.
var inputWords = map[string]msg{
	"input.cursor":        {"ページの指定「%s」が正しくありません", "no such page: %q"},
	"input.kind":          {"「%s」という対応の種類はありません", "no follow-up kind %q"},
	"input.unreadable":    {"送られた内容を読み取れませんでした", "the form could not be read"},
	"input.notdate":       {"「%s」は日付（年-月-日）ではありません", "%q is not a date (YYYY-MM-DD)"},
	"input.order":         {"終わりの日が始めの日より前です", "the end date is before the start date"},
	"input.bothdates":     {"始めの日と終わりの日を両方選んでください", "choose both a start and an end date"},
	"input.format":        {"「%s」という形式では書き出せません", "no export format %q"},
	"input.note":          {"メモは%d文字までです", "the note is longer than %d characters"},
	"input.nofollowup":    {"この記録には対応の必要がありません", "this record needs no follow-up"},
	"input.record":        {"記録の指定「%s」が正しくありません", "record %q: want KIOSK/JOURNAL/SEQ"},
	"input.reference":     {"「%s」は受付番号の形（例：K01-7Q3F-0003）ではありません", "%q is not a reference number (like K01-7Q3F-0003)"},
	"input.toobig":        {"書き出しが大きすぎて、この画面では取り込めません", "the export is larger than the console takes"},
	"input.nofiles":       {"ファイルが選ばれていません", "no files"},
	"input.filename":      {"「%s」は書き出しのファイル名ではありません", "%q is not a file name an export has"},
	"input.twice":         {"「%s」という名前のファイルが2つあります。書き出しは一度に1つずつ選んでください", "two files named %q: choose one export at a time"},
	"input.toomany":       {"ファイルが%d個を超えています。書き出しは一度に1つずつ選んでください", "more than %d files: choose one export at a time"},
	"input.notzip":        {"「%s」は読めるZIPファイルではありません", "%s is not a readable ZIP"},
	"input.zipnotfile":    {"ZIPの中の「%s」は普通のファイルではありません", "%q in the ZIP is not a plain file"},
	"input.zipfolders":    {"ZIPに複数のフォルダがあります（「%s」）。書き出しのフォルダ1つをZIPにしてください", "the ZIP holds more than one folder (%q): zip one export folder"},
	"input.zipunreadable": {"ZIPの中の「%s」を読めませんでした", "%q in the ZIP could not be read"},
}

// importRefusal says in l why the importer refused an export; its own
// reason (English, technical) goes beside it as the detail.
func importRefusal(l Lang, err error) string {
	switch {
	case errors.Is(err, importer.ErrNotVerified):
		return text(l, "importer.notverified")
	case strings.Contains(err.Error(), "refused:"):
		return text(l, "importer.record")
	}
	return text(l, "importer.other")
}

var importerWords = map[string]msg{
	"importer.notverified": {"署名を確かめられないため、何も取り込みませんでした。村の認証局が発行し失効していない、その端末の証明書による署名が必要です。", "The signature could not be verified, so nothing was imported: it must be signed with that kiosk's certificate, issued by the village CA and not revoked."},
	"importer.record":      {"書き換えられたか、前後とつながらない記録があったため、そこで取り込みを止めました（それより前の記録は取り込み済みです）。", "A record was edited or does not link to its neighbours, so the import stopped there (the records before it were taken in)."},
	"importer.other":       {"書き出しの内容を確かめられなかったため、取り込みませんでした。書き出しをやり直してください。", "The export could not be checked, so it was not imported. Export it again."},
	"importer.detail":      {"技術的な理由（英語）", "Technical reason"},
}
