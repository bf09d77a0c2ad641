package kiosk

import (
	"regexp"
	"slices"
	"strings"
)

// CannotStart is why the kiosk did not start (a provisioning file with a
// mistake, a data partition that is missing, a configuration the kiosk
// refused), as the kiosk's own screen shows it: in Japanese and English,
// with the fields to fix and what to do next. Problems are the English lines
// the console and the journal get too ("file:line: field: what is wrong").
type CannotStart struct {
	Problems []string
	Kind     FaultKind
	Fields   []string // the configuration fields the problems name, in order
}

// FaultKind says what the technician must do.
type FaultKind int

const (
	FaultConfig     FaultKind = iota // fix the provisioning file on a PC
	FaultData                        // the data partition: reflash the card
	FaultTxt                         // the file is there as kiosk-provision.toml.txt: rename it
	FaultMissing                     // no provisioning file on KIOSKBOOT
	FaultOldJournal                  // an older journal still holds unsent records
)

// fieldRe finds "file[:line]: field: message" in a ConfigError's text.
var fieldRe = regexp.MustCompile(`^\S+?(?::\d+)?: ([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*): `)

// SplitErrors undoes errors.Join (nested too), so that each problem of a
// configuration gets a line of its own.
func SplitErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, SplitErrors(e)...)
		}
		return out
	}
	return []error{err}
}

// OldJournalMark begins the problem line of an older journal that still
// holds unsent records (FaultOldJournal).
const OldJournalMark = "older journal with unsent records"

// NewCannotStart reads the problem lines (empty ones dropped).
func NewCannotStart(lines []string) CannotStart {
	var cs CannotStart
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		cs.Problems = append(cs.Problems, l)
		if m := fieldRe.FindStringSubmatch(l); m != nil && !slices.Contains(cs.Fields, m[1]) {
			cs.Fields = append(cs.Fields, m[1])
		}
	}
	all := strings.Join(cs.Problems, "\n")
	switch {
	case strings.Contains(all, "KIOSKDATA"):
		cs.Kind = FaultData
	case strings.Contains(all, ".toml.txt"):
		cs.Kind = FaultTxt
	case strings.Contains(all, "no provisioning file"):
		cs.Kind = FaultMissing
	case strings.Contains(all, OldJournalMark):
		cs.Kind = FaultOldJournal
	}
	return cs
}

// CannotStartWords are the sentences of the cannot-start screen. Residents
// may read it too: the first lines are for them.
type CannotStartWords struct {
	Title, Head, Residents, ForStaff, Fields, Problem, Next, SSH Text
}

// CannotStartCatalogue: the words, and the next step for each kind.
func CannotStartCatalogue(k FaultKind) CannotStartWords {
	// What residents read is the catalogue's out-of-service sentence, so
	// the machine has one name (この機械) on every screen.
	c := Catalogue()
	w := CannotStartWords{
		Title:     c.Title,
		Head:      c.OutOfService,
		Residents: c.OutOfSvcWhat,
		ForStaff:  Text{"係の方へ：", "For the technician:"},
		Fields:    Text{"直す項目", "Field to fix:"},
		Problem:   Text{"設定ファイル（KIOSKBOOT の kiosk-provision.toml）にまちがいがあります。", "The provisioning file (kiosk-provision.toml on KIOSKBOOT) has a mistake."},
		Next: Text{"電源を切り、SDカードをパソコンで開いてファイルを直し（kioskctl provision check で確かめられます）、SDカードを戻して電源を入れてください。",
			"Power off, fix the file on a PC (check it with kioskctl provision check), put the SD card back and power on."},
		SSH: Text{"ssh でも入れます：%s（kiosk-ssh.pub の鍵）", "ssh: %s (the key in kiosk-ssh.pub)"},
	}
	switch k {
	case FaultData:
		w.Problem = Text{"データ領域（KIOSKDATA）が読めません。", "The data partition (KIOSKDATA) cannot be read."}
		w.Next = Text{"SDカードを書き直してください（手順は images/README.md）。", "Reflash the SD card (see the technician's guide)."}
	case FaultTxt:
		w.Problem = Text{"設定ファイルの名前が kiosk-provision.toml.txt になっています。", "The provisioning file is named kiosk-provision.toml.txt."}
		w.Next = Text{"パソコンで名前を kiosk-provision.toml に変えて（エクスプローラーの「表示」で拡張子を出します）、SDカードを戻して電源を入れてください。",
			"Rename it to kiosk-provision.toml on a PC (Explorer: View > File name extensions), put the SD card back and power on."}
	case FaultOldJournal:
		w.Problem = Text{"このSDカードに、まだ役場に届いていない記録の入った古い記録ファイルがあります。記録をなくさないよう、新しい記録ファイルは始めていません。",
			"An older journal on this SD card still holds records the town hall does not have. No new journal was started, so none is lost."}
		w.Next = Text{"その記録ファイルを書き出して（kioskctl journal export --db ファイル名 --to USBメモリのフォルダ）役場で取り込み、ファイルを別の場所へ移してから電源を入れ直してください。または設定の journal.path をそのファイルにしてください。",
			"Export it (kioskctl journal export --db FILE --to DIR on a USB stick), import it at the town hall, move the file away and restart; or set journal.path to that file."}
	case FaultMissing:
		w.Problem = Text{"KIOSKBOOT に設定ファイル kiosk-provision.toml がありません。", "There is no kiosk-provision.toml on KIOSKBOOT."}
		w.Next = Text{"kioskctl provision write で作ってSDカードの KIOSKBOOT に入れ、電源を入れてください。",
			"Make one with kioskctl provision write, copy it to KIOSKBOOT on the SD card, power on."}
	}
	return w
}
