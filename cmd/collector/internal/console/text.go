package console

import (
	"fmt"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// Lang is the console's language: Japanese first, English one click away.
type Lang string

const (
	LangJA Lang = "ja"
	LangEN Lang = "en"
)

// msg is one piece of console text in both languages.
type msg struct{ ja, en string }

func (m msg) in(l Lang) string {
	if l == LangEN {
		return m.en
	}
	return m.ja
}

// words are the console's fixed texts, by key.
var words = map[string]msg{
	"title":            {"キオスク端末 管理画面", "Kiosk staff console"},
	"nav.kiosks":       {"端末の状態", "Kiosks"},
	"nav.find":         {"利用記録の検索", "Find a visit"},
	"nav.followups":    {"要対応", "Follow-ups"},
	"nav.export":       {"書き出し", "Export"},
	"nav.import":       {"USBから取り込み", "Import"},
	"nav.audit":        {"操作記録", "Audit log"},
	"nav.kiosk":        {"端末の詳細", "Kiosk"},
	"nav.record":       {"利用記録", "Visit record"},
	"nav.denied":       {"証明書が必要です", "Certificate needed"},
	"nav.error":        {"エラー", "Error"},
	"lang.other":       {"English", "日本語"},
	"signed.in":        {"ログイン中の職員", "Signed in as"},
	"kiosk":            {"端末", "Kiosk"},
	"state":            {"状態", "State"},
	"last.contact":     {"最終通信", "Last heartbeat"},
	"version":          {"バージョン", "Version"},
	"devices":          {"機器", "Devices"},
	"unsent":           {"端末に残る未送信", "Unsent on the kiosk"},
	"last.sync":        {"最終送信", "Last sync"},
	"journals":         {"記録ファイル", "Journals"},
	"recreated":        {"作り直し", "re-created"},
	"flags":            {"警告", "Flags"},
	"records.held":     {"役場に届いた記録", "Records at the town hall"},
	"never":            {"なし", "never"},
	"unknown":          {"不明", "unknown"},
	"none":             {"なし", "none"},
	"ok":               {"正常", "OK"},
	"warn":             {"注意", "Check"},
	"bad":              {"要確認", "Needs attention"},
	"kiosks.none":      {"まだどの端末からも連絡がありません。", "No kiosk has contacted the town hall yet."},
	"kiosks.lead":      {"問題のある端末を上に表示しています。", "Kiosks with a problem are listed first."},
	"details":          {"詳細", "Details"},
	"journal":          {"記録ファイル", "Journal"},
	"created":          {"作成", "Created"},
	"reason":           {"理由", "Reason"},
	"count":            {"件数", "Count"},
	"head":             {"最新の番号", "Latest number"},
	"gaps":             {"未着の番号", "Missing numbers"},
	"current":          {"使用中", "in use"},
	"events":           {"記録ファイルの作り直し", "Journal re-creations"},
	"first.seen":       {"初回", "First"},
	"last.seen":        {"最終", "Last"},
	"times":            {"回数", "Times"},
	"recent.visits":    {"この端末の利用記録", "Visits at this kiosk"},
	"find.lead":        {"住民の方がお持ちの用紙（受付票）の受付番号を入力してください。", "Type the reference number from the resident's slip."},
	"reference":        {"受付番号", "Reference number"},
	"search":           {"検索", "Search"},
	"or.filter":        {"または条件で探す", "Or search by"},
	"from":             {"開始日", "From"},
	"to":               {"終了日", "To"},
	"kind":             {"内容", "Kind"},
	"outcome":          {"結果", "Outcome"},
	"status":           {"カードの状態", "Card status"},
	"all":              {"すべて", "all"},
	"time":             {"日時", "Time"},
	"results":          {"検索結果", "Results"},
	"no.results":       {"該当する記録はありません。", "No records match."},
	"more.results":     {"最新の%d件だけを表示しています。条件をしぼってください。", "Only the newest %d are shown: narrow the search."},
	"ref.not.found":    {"受付番号 %s の記録は、まだ役場に届いていません。端末が送信できていない可能性があります（端末の状態を確認してください）。", "No record with reference %s has reached the town hall yet. The kiosk may not have sent it (check the kiosk's state)."},
	"record":           {"利用記録", "Visit record"},
	"card":             {"カード", "Card"},
	"auth.tries":       {"利用者証明用 暗証番号の残り回数", "Authentication PIN tries left"},
	"sign.tries":       {"署名用 暗証番号の残り回数", "Signing PIN tries left"},
	"detail":           {"補足", "Detail"},
	"clock":            {"端末の時計", "Kiosk clock"},
	"clock.ok":         {"確認済み", "trusted"},
	"clock.bad":        {"未確認（日時は目安です）", "not trusted (the time is approximate)"},
	"received":         {"役場に届いた日時", "Received"},
	"chain":            {"記録のつながり", "Place in the chain"},
	"chain.lead":       {"記録は端末ごとに番号順につながっています。前後の記録と正しくつながっていれば、書き換えや抜けはありません。", "Each kiosk's records are chained in order. A record that links to its neighbours has not been edited, and none is missing between them."},
	"seq":              {"番号", "Sequence"},
	"hash":             {"ハッシュ", "Hash"},
	"prev.hash":        {"前の記録のハッシュ", "Previous record's hash"},
	"prev":             {"前の記録", "Previous record"},
	"next":             {"次の記録", "Next record"},
	"links.ok":         {"正しくつながっています", "links correctly"},
	"links.bad":        {"つながりません（警告を確認してください）", "does not link (see the flags)"},
	"not.here":         {"まだ役場に届いていません", "not at the town hall yet"},
	"chain.start":      {"記録ファイルの最初の記録です", "the first record of its journal"},
	"chain.head":       {"この記録ファイルの最新の記録です", "the latest record of its journal"},
	"followup":         {"要対応", "Follow-up"},
	"office.lead":      {"受付票でご案内したこと（住民の方がお持ちの受付票の見出し）：", "What the slip told the resident (its headlines):"},
	"followups.lead":   {"端末では終わらなかった手続きです。対応したら「対応済みにする」を押してください（だれが・いつ対応したかが記録されます）。", "What the kiosk could not finish. Press “Mark handled” once done: who and when is recorded."},
	"show.open":        {"未対応だけ", "Open only"},
	"show.all":         {"対応済みも表示", "Include handled"},
	"show":             {"表示", "Show"},
	"open":             {"未対応", "Open"},
	"handled":          {"対応済み", "Handled"},
	"handled.by":       {"%s が %s に対応", "handled by %s at %s"},
	"mark":             {"対応済みにする", "Mark handled"},
	"note":             {"メモ（任意）", "Note (optional)"},
	"no.followups":     {"この期間に要対応の記録はありません。", "Nothing to follow up in this period."},
	"marked":           {"対応済みにしました。", "Marked as handled."},
	"already.marked":   {"すでに対応済みです（%s、%s）。", "Already handled (%s, %s)."},
	"slip.of":          {"受付票", "Slip"},
	"export.lead":      {"期間を選んで、利用記録を書き出します。CSVはそのままExcelで開けます。", "Choose a period to download the records. The CSV opens directly in Excel."},
	"format":           {"形式", "Format"},
	"csv.ja":           {"CSV（Excel用・見出しと内容を日本語で）", "CSV for Excel, Japanese headings and labels"},
	"csv.en":           {"CSV（Excel用・英語の見出しとコード）", "CSV for Excel, English headings and codes"},
	"json":             {"JSON（プログラム用）", "JSON for scripts"},
	"download":         {"ダウンロード", "Download"},
	"import.lead":      {"端末で `kioskctl journal export` を使ってUSBメモリに書き出したフォルダを取り込みます。フォルダごと選ぶか、フォルダの中のファイル（records.jsonl と manifest.json など）またはそのZIPを選んでください。取り込む前に、記録が書き換えられていないか確かめます。", "Bring in a folder written to a USB stick with `kioskctl journal export` at the kiosk. Choose the folder, or the files in it (records.jsonl, manifest.json, …), or a ZIP of them. The records are checked for edits before anything is taken in."},
	"choose.folder":    {"フォルダを選ぶ", "Choose the folder"},
	"choose.files":     {"またはファイル・ZIPを選ぶ", "Or choose the files or a ZIP"},
	"import":           {"取り込む", "Import"},
	"import.ok":        {"取り込みました：端末 %s、記録 %d件（新しく届いたもの %d件、すでに届いていたもの %d件）。", "Imported: kiosk %s, %d records (%d new, %d already here)."},
	"import.refused":   {"取り込みませんでした。", "Not imported."},
	"import.nofiles":   {"ファイルが選ばれていません。", "No files were chosen."},
	"audit.lead":       {"この管理画面での操作（表示・検索・書き出し・取り込み・対応済み）はすべて記録されます。記録はこの画面から書き換えも削除もできず、保存された記録がどこかで書き換えられると、下の確認で分かります。", "Every view, search, export, import and mark on this console is recorded. The console cannot edit or delete the log, and an edit of the stored log anywhere shows in the check below."},
	"audit.ok":         {"記録のつながりを確認しました：%d件、書き換え・抜けはありません。", "Chain checked: %d entries, none edited or missing."},
	"audit.broken":     {"記録のつながりが壊れています：%s", "The chain is broken: %s"},
	"audit.head":       {"最新の記録のハッシュ（控えとして書き留められます）", "Hash of the latest entry (write it down as an anchor)"},
	"staff":            {"職員", "Staff"},
	"action":           {"操作", "Action"},
	"denied.title":     {"職員用の証明書が必要です", "A staff certificate is needed"},
	"denied.body":      {"この画面は役場の職員用です。職員用の証明書をブラウザに入れてから、もう一度開いてください。", "This console is for town hall staff. Install your staff certificate in the browser and open it again."},
	"error.title":      {"表示できませんでした", "Could not show this page"},
	"error.store":      {"記録の読み出しに失敗しました。しばらくしてからもう一度お試しください。続くときは担当者に連絡してください。", "Reading the records failed. Please try again shortly; if it keeps failing, tell the administrator."},
	"error.audit":      {"操作記録に書き込めないため、表示を止めました（記録のない閲覧はできません）。担当者に連絡してください。", "The audit log cannot be written, so nothing is shown (no view without a record). Tell the administrator."},
	"error.notfound":   {"その記録は見つかりません。", "No such record."},
	"error.input":      {"入力を確認してください：%s", "Please check the input: %s"},
	"back":             {"戻る", "Back"},
	"ago.now":          {"たった今", "just now"},
	"ago.min":          {"%d分前", "%d min ago"},
	"ago.hour":         {"%d時間前", "%d h ago"},
	"ago.day":          {"%d日前", "%d days ago"},
	"problem.never":    {"まだ一度も通信がありません", "has never sent a heartbeat"},
	"problem.revoked":  {"証明書が失効しているため、接続を断っています（最後は%s）。新しい証明書を発行してください", "its certificate is revoked: connections refused (last %s); issue it a new one"},
	"problem.silent":   {"%sから通信がありません（電源・ネットワークを確認してください）", "last heard %s (check power and network)"},
	"problem.device":   {"%s：%s", "%s: %s"},
	"problem.unsent":   {"未送信の記録が%d件たまっています", "records waiting to be sent: %d"},
	"problem.syncerr":  {"送信に失敗しています：%s", "sync failing: %s"},
	"problem.update":   {"更新 %s を入れられませんでした（%s）。元の版で動いています", "update %s was not installed (%s); the kiosk runs its previous version"},
	"problem.gaps":     {"役場に届いていない記録があります（%dか所）", "records missing at the town hall (gaps: %d)"},
	"gaps.count":       {"未着の記録 %dか所", "gaps: %d"},
	"problem.flags":    {"警告が%d件あります", "flags raised: %d"},
	"problem.recreate": {"記録ファイルが作り直されました（%s）", "journal re-created (%s)"},
	// A kiosk up on its cannot-start screen says why in its heartbeats.
	"problem.fault.old_journal": {"起動できません：古い記録ファイル %s に、まだ役場に届いていない記録が%d件あります（記録をなくさないよう、新しい記録ファイルは始めていません）。端末にUSBメモリを差して kioskctl journal export --db %s --to （USBメモリのフォルダ） を実行して書き出し、「USBから取り込み」で取り込んでから、そのファイルを別の場所へ移して端末を再起動してください",
		"cannot start: the older journal %s holds %d records the town hall does not have (no new journal was started, so none is lost). On the kiosk, export it to a USB stick with kioskctl journal export --db %s --to DIR, bring it in with Import, then move the file away and restart the kiosk"},
	"problem.fault.old_journal_nofile": {"起動できません：古い記録ファイルに、まだ役場に届いていない記録が%d件あります（記録をなくさないよう、新しい記録ファイルは始めていません）。端末の画面でファイル名を確かめてください",
		"cannot start: an older journal holds %d records the town hall does not have (no new journal was started, so none is lost); the kiosk's screen names the file"},
	"problem.fault.config": {"起動できません：設定ファイル（kiosk-provision.toml）にまちがいがあります（直す項目：%s）。端末の電源を切り、SDカードをパソコンで開いて直し（kioskctl provision check で確かめられます）、SDカードを戻して電源を入れてください",
		"cannot start: its provisioning file (kiosk-provision.toml) has a mistake (fields: %s). Power the kiosk off, fix the file on its SD card on a PC (check it with kioskctl provision check), put the SD card back and power on"},
	"problem.fault.config_nofield": {"起動できません：設定ファイル（kiosk-provision.toml）にまちがいがあります。直す所は端末の画面に出ています。端末の電源を切り、SDカードをパソコンで開いて直し、SDカードを戻して電源を入れてください",
		"cannot start: its provisioning file (kiosk-provision.toml) has a mistake; the kiosk's screen says where. Power it off, fix the file on its SD card on a PC, put the SD card back and power on"},
	"problem.fault.other": {"起動できません（%s）。端末の画面で理由を確かめてください", "cannot start (%s); the kiosk's screen says why"},
}

// labels translate the codes records and kiosks carry.
var labels = map[string]msg{
	// kinds
	"status_check":    {"状態の確認", "Status check"},
	"change_auth_pin": {"暗証番号の変更（利用者証明用・4けた）", "PIN change (authentication, 4 digits)"},
	"change_sign_pin": {"暗証番号の変更（署名用・英数字）", "PIN change (signing)"},
	"sign_cert_check": {"署名用電子証明書の確認", "Signing certificate check"},
	"card_error":      {"カードの読み取り", "Card read"},
	"system":          {"端末の記録", "Kiosk event"},
	// outcomes
	"ok":            {"完了", "done"},
	"wrong_pin":     {"暗証番号ちがい", "wrong PIN"},
	"locked":        {"ロック", "locked"},
	"unknown":       {"結果不明", "outcome unknown"},
	"cancelled":     {"取り消し", "cancelled"},
	"card_removed":  {"カードの抜き取り", "card removed"},
	"error":         {"エラー", "error"},
	"office_needed": {"窓口での手続きが必要", "office needed"},
	// statuses (kiosk.Code)
	"valid":              {"有効", "valid"},
	"renewal":            {"有効（更新の受付期間中）", "valid, renewal window open"},
	"expired":            {"有効期限切れ", "expired"},
	"not_yet_valid":      {"有効期間の前", "not yet valid"},
	"date_unknown":       {"日付を確認できず（端末の時計）", "date unknown (kiosk clock)"},
	"cert_unreadable":    {"証明書を読み取れず", "certificate unreadable"},
	"auth_locked":        {"利用者証明用の暗証番号がロック", "authentication PIN locked"},
	"sign_locked":        {"署名用の暗証番号がロック", "signing PIN locked"},
	"auth_last_try":      {"利用者証明用の暗証番号 残り1回", "authentication PIN: one try left"},
	"sign_last_try":      {"署名用の暗証番号 残り1回", "signing PIN: one try left"},
	"no_auth_cert":       {"利用者証明用電子証明書なし", "no authentication certificate"},
	"no_sign_cert":       {"署名用電子証明書なし", "no signing certificate"},
	"juki":               {"住基カード", "Juki card"},
	"not_jpki":           {"マイナンバーカード以外のカード", "not a My Number Card"},
	"unreadable":         {"カードを読み取れず", "card unreadable"},
	"pin_change_unknown": {"暗証番号の変更結果が不明", "PIN change outcome unknown"},
	"pin_changed":        {"暗証番号を変更", "PIN changed"},
	// cards
	"mynumber": {"マイナンバーカード", "My Number Card"},
	// details
	"printer_unavailable": {"受付票を印刷できず（用紙切れ・プリンター未接続）", "slip not printed (paper out or printer missing)"},
	"printer_error":       {"受付票を印刷できず（プリンターのエラー）", "slip not printed (printer error)"},
	"journal_reset":       {"記録ファイルを作り直し（壊れたファイルを退避）", "journal re-created (corrupt file moved aside)"},
	"journal_new":         {"記録ファイルを新しく作成", "new journal"},
	// follow-up kinds
	"fu.pin_change_unknown": {"暗証番号の変更結果が不明：新旧どちらの暗証番号が有効か、窓口で確かめてください", "PIN change outcome unknown: check at the counter which PIN is now valid"},
	"fu.pin_locked":         {"暗証番号のロック：窓口での初期化が必要です", "PIN locked: it must be reset at the office"},
	"fu.office":             {"窓口での手続きが必要", "Needs the office"},
	"fu.slip_not_printed":   {"受付票が印刷されませんでした：受付番号を持たずに来られるかもしれません", "Slip not printed: the resident may come without a reference number"},
	// follow-up kinds, short (tables)
	"fus.pin_change_unknown": {"変更結果が不明", "PIN change unknown"},
	"fus.pin_locked":         {"暗証番号ロック", "PIN locked"},
	"fus.office":             {"窓口での手続き", "Office"},
	"fus.slip_not_printed":   {"受付票が未印刷", "Slip not printed"},
	// A/B updates: phase and the reason one failed
	"upd.writing":       {"更新を書き込み中", "writing update"},
	"upd.trying":        {"更新を試験起動中", "trying update"},
	"upd.committed":     {"更新済み", "updated"},
	"upd.failed":        {"更新できず", "update failed"},
	"upr.trial_failed":  {"新しい版が起動しませんでした", "the new version did not start"},
	"upr.unhealthy":     {"新しい版が正常に動きませんでした", "the new version was not healthy"},
	"upr.interrupted":   {"書き込み中に電源が切れました", "power was lost while writing"},
	"upr.bad_signature": {"署名が正しくありません", "bad signature"},
	"upr.unsigned":      {"署名がありません", "unsigned"},
	"upr.truncated":     {"ファイルが途中までしかありません", "file incomplete"},
	"upr.corrupt":       {"ファイルがこわれています", "file damaged"},
	"upr.read_back":     {"書き込んだ内容が読み返せません", "read-back differed"},
	"upr.downgrade":     {"いまの版より古い版です", "older than the running version"},
	"upr.wrong_board":   {"別の機種用です", "for another board"},
	"upr.no_tryboot":    {"試験起動に使う kiosk-tryboot モジュールが読み込まれていません", "kiosk-tryboot module not loaded (no trial boot)"},
	// devices and their states
	"dev.reader":         {"カードリーダー", "Card reader"},
	"dev.printer":        {"プリンター", "Printer"},
	"dev.keypad":         {"テンキー", "Keypad"},
	"dev.touch":          {"タッチパネル", "Touchscreen"},
	"dev.speaker":        {"音声案内のスピーカー", "Voice speaker"},
	"st.ok":              {"正常", "OK"},
	"st.absent":          {"つながっていません", "not connected"},
	"st.paper_out":       {"用紙切れ", "out of paper"},
	"st.stalled":         {"応答がありません", "not responding"},
	"st.cover_open":      {"カバーが開いています", "cover open"},
	"st.offline":         {"オフライン", "offline"},
	"st.error":           {"エラー", "error"},
	"st.unknown":         {"不明", "unknown"},
	"st.prompts_missing": {"音声ファイルがありません", "voice prompts missing"},
	// journal reasons and events
	"rs.new_file":            {"新しいファイル（SDカードの交換・書き直し、または初回）", "new file (SD card replaced or re-flashed, or first start)"},
	"rs.corrupt_moved_aside": {"壊れたファイルを退避して作り直し", "corrupt file moved aside"},
	"rs.diverged":            {"役場の記録と食い違ったため新しいファイルへ（バックアップからの復元など）。未送信の記録は引き継ぎ済み", "diverged from the town hall's records (restored from a backup?); unsent records carried over"},
	"rs.legacy":              {"以前の形式のファイル", "file from before journal IDs"},
	"rs.unknown":             {"理由不明（最初の記録が未着）", "reason unknown (its first record has not arrived)"},
	"ev.journal_first":       {"最初の記録ファイル", "first journal"},
	"ev.journal_recreated":   {"記録ファイルの作り直し", "journal re-created"},
	// flags
	"fl.bad_hash":       {"内容がハッシュと一致しない記録", "record does not match its hash"},
	"fl.conflict":       {"同じ番号で内容のちがう記録", "same number, different record"},
	"fl.chain_break":    {"前後の記録とつながらない", "chain break"},
	"fl.chain_start":    {"記録のつながりの始まりがおかしい", "unexpected chain start"},
	"fl.foreign_record": {"別の端末・ファイルの記録", "record of another kiosk or journal"},
	"fl.bad_signature":  {"署名を確認できない送信", "signature does not verify"},
	"fl.tag_collision":  {"受付番号の重なり", "reference tag shared by two journals"},
	"fl.unsigned":       {"署名のない送信", "unsigned batch"},
	"fl.gap":            {"届いていない記録", "records never arrived"},
	"fl.invalid":        {"決まった値ではない記録", "value off its list"},
	"fl.unsent_at_end":  {"未送信のまま終わった記録ファイル", "journal ended with records unsent"},
	"fl.not_retained":   {"復元後に届かない記録（端末にも残っていません）", "records lost by a restore, no longer on the kiosk"},
	// audit actions
	"act.view_kiosks":    {"端末の状態を表示", "viewed kiosks"},
	"act.view_kiosk":     {"端末の詳細を表示", "viewed a kiosk"},
	"act.search":         {"検索", "searched"},
	"act.view_record":    {"記録を表示", "viewed a record"},
	"act.view_followups": {"要対応を表示", "viewed follow-ups"},
	"act.mark_handled":   {"対応済みにした", "marked handled"},
	"act.export":         {"書き出し", "exported"},
	"act.import":         {"取り込みを開始", "import started"},
	"act.imported":       {"取り込み完了", "imported"},
	"act.import_refused": {"取り込みを拒否", "import refused"},
	"act.view_audit":     {"操作記録を表示", "viewed the audit log"},
	"act.denied":         {"拒否（職員以外の証明書）", "denied (not a staff certificate)"},
}

// label is the text for a code in l: the code itself when unknown, so
// nothing new is ever hidden.
func label(l Lang, prefix, code string) string {
	if code == "" {
		return ""
	}
	if m, ok := labels[prefix+code]; ok {
		return m.in(l)
	}
	if m, ok := moreLabels[prefix+code]; ok {
		return m.in(l)
	}
	return code
}

// text is the fixed text key in l, formatted with args.
func text(l Lang, key string, args ...any) string {
	m, ok := words[key]
	for _, more := range []map[string]msg{moreWords, inputWords, importerWords} {
		if !ok {
			m, ok = more[key]
		}
	}
	if !ok {
		return key
	}
	if len(args) == 0 {
		return m.in(l)
	}
	return fmt.Sprintf(m.in(l), args...)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(kiosk.JST()).Format("2006-01-02 15:04:05")
}

// ago says how long before now t was, in l.
func ago(l Lang, now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return text(l, "ago.now")
	case d < time.Hour:
		return text(l, "ago.min", int(d/time.Minute))
	case d < 48*time.Hour:
		return text(l, "ago.hour", int(d/time.Hour))
	}
	return text(l, "ago.day", int(d/(24*time.Hour)))
}
