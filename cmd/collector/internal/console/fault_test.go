package console

import (
	"strings"
	"testing"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// TestFaultIsAProblem: a kiosk that said in its heartbeat that it cannot
// start is red, with why and what to do in staff words, and no device
// problem (it runs none: the reader "absent" would send staff to the
// wrong place). A kiosk that runs again says no fault and is clear.
func TestFaultIsAProblem(t *testing.T) {
	now := at(12, 0)
	h := Health{}.withDefaults()
	two := &ksync.FaultStatus{Kind: ksync.FaultOldJournal, Journals: []ksync.FaultJournal{
		{Path: "/var/lib/kiosk/journal.db", JournalID: "", Unsent: 3}, {Path: "/var/lib/kiosk/old/journal.db", Unsent: 1}}}
	tests := []struct {
		name  string
		fault *ksync.FaultStatus
		lang  Lang
		want  []string // each problem, in order
	}{
		{"old journal", two, LangJA, []string{
			"起動できません：古い記録ファイル /var/lib/kiosk/journal.db に、まだ役場に届いていない記録が3件あります（記録をなくさないよう、新しい記録ファイルは始めていません）。端末にUSBメモリを差して kioskctl journal export --db /var/lib/kiosk/journal.db --to （USBメモリのフォルダ） を実行して書き出し、「USBから取り込み」で取り込んでから、そのファイルを別の場所へ移して端末を再起動してください",
			"起動できません：古い記録ファイル /var/lib/kiosk/old/journal.db に、まだ役場に届いていない記録が1件あります",
		}},
		{"old journal, English", two, LangEN, []string{
			"cannot start: the older journal /var/lib/kiosk/journal.db holds 3 records the town hall does not have (no new journal was started, so none is lost). On the kiosk, export it to a USB stick with kioskctl journal export --db /var/lib/kiosk/journal.db --to DIR, bring it in with Import",
			"kioskctl journal export --db /var/lib/kiosk/old/journal.db --to DIR",
		}},
		{"config", &ksync.FaultStatus{Kind: ksync.FaultConfig, Fields: []string{"devices.printer.width_mm", "municipality.phone"}}, LangJA, []string{
			"起動できません：設定ファイル（kiosk-provision.toml）にまちがいがあります（直す項目：devices.printer.width_mm, municipality.phone）。端末の電源を切り、SDカードをパソコンで開いて直し",
		}},
		{"config, no field", &ksync.FaultStatus{Kind: ksync.FaultConfig}, LangEN, []string{"cannot start: its provisioning file (kiosk-provision.toml) has a mistake; the kiosk's screen says where"}},
		{"old journal, no file named", &ksync.FaultStatus{Kind: ksync.FaultOldJournal}, LangJA, []string{"起動できません：古い記録ファイルに、まだ役場に届いていない記録が0件あります（記録をなくさないよう、新しい記録ファイルは始めていません）。端末の画面でファイル名を確かめてください"}},
		{"a kind this console does not know", &ksync.FaultStatus{Kind: "disk_on_fire"}, LangJA, []string{"起動できません（disk_on_fire）。端末の画面で理由を確かめてください"}},
		{"running again", nil, LangJA, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hb := &ksync.Heartbeat{KioskID: "K01", PrinterState: ksync.StateUnknown, Fault: tt.fault}
			if tt.fault == nil {
				hb.Devices = []ksync.DeviceHealth{{Name: ksync.DeviceReader, State: ksync.StateOK}, {Name: ksync.DevicePrinter, State: ksync.StateOK}}
			}
			lv, ps := h.assess(tt.lang, store.KioskState{KioskID: "K01", HeartbeatAt: now, LastHeartbeat: hb}, now)
			if len(ps) != len(tt.want) {
				t.Fatalf("%d problems %+v, want %d", len(ps), ps, len(tt.want))
			}
			for i, w := range tt.want {
				if ps[i].Level != LevelBad || !strings.Contains(ps[i].Text, w) {
					t.Errorf("problem %d: %v %q, want red with %q", i, ps[i].Level, ps[i].Text, w)
				}
			}
			if tt.want != nil && lv != LevelBad {
				t.Errorf("level %v, want bad", lv)
			}
			if tt.want == nil && lv != LevelOK {
				t.Errorf("level %v, want ok", lv)
			}
		})
	}
}

// The console calls the office 役場, as the kiosk's slips and screens do
// (a village's office, not a town's).
func TestConsoleSaysYakuba(t *testing.T) {
	for _, cat := range []map[string]msg{words, labels, moreWords, moreLabels} {
		for k, m := range cat {
			if strings.Contains(m.ja, "町役場") {
				t.Errorf("%s: %q says 町役場", k, m.ja)
			}
		}
	}
}
