package console

// The words added for issue 24 (safety, roles, paging, paper, ended
// journals), kept beside text.go's tables so that tables several people
// extend stay small to merge; text and label read these after those.

var moreWords = map[string]msg{
	"fu.groups":           {"やること別", "By what to do"},
	"fu.all":              {"すべて", "All"},
	"fu.more":             {"このあとに、さらに古い要対応が %d件あります →", "%d older items follow →"},
	"fu.first":            {"← 最新の要対応へ", "← newest items"},
	"fu.window":           {"%s から %s までを表示しています。それより前の要対応は表示されません。", "Showing %s to %s. Older follow-ups are not shown."},
	"fu.earlier":          {"その前の30日を表示する", "Show the 30 days before"},
	"fu.shown":            {"%d件中 %d件を表示", "%d of %d shown"},
	"print.hint":          {"ブラウザの印刷（Ctrl+P）でA4に印刷できます。", "Print on A4 with the browser's Print (Ctrl+P)."},
	"print.record.title":  {"利用記録（控え）", "Visit record (copy)"},
	"print.where":         {"記録の所在", "Stored as"},
	"print.checked":       {"確認者", "Checked by"},
	"print.date":          {"確認日", "Date"},
	"print.by":            {"印刷：%s（%s）", "Printed by %s (%s)"},
	"print.fu.title":      {"要対応の一覧（%s）", "Follow-ups of %s"},
	"print.fu.count":      {"全%d件、うち未対応%d件", "%d in all, %d open"},
	"print.fu.today":      {"今日の一覧を印刷用に表示", "Today's list for printing"},
	"print.link":          {"印刷用の表示", "Print view"},
	"nav.print_record":    {"利用記録（控え）", "Visit record (copy)"},
	"nav.print_followups": {"要対応の一覧", "Follow-ups list"},
	"ended.title":         {"未送信の記録を残して終わった記録ファイル", "Journals that ended with records unsent"},
	"ended.lead":          {"端末が新しい記録ファイルを始めたとき（SDカードの交換、壊れたファイルの退避）、前のファイルに役場へ届いていない記録が残っていました。古いカードから kioskctl journal salvage で読み出し、「取り込み」で取り込んでください。", "A kiosk started a new journal (SD card replaced, corrupt file moved aside) while the old one still held records the town hall never received. Read them from the old card with kioskctl journal salvage, then bring them in with Import."},
	"ended.since":         {"記録ファイル %s が終了（%s に検知）", "journal %s ended (seen %s)"},
	"import.unavailable":  {"このコレクターでは取り込みを使えません。", "Import is not available on this collector."},
	"audit.page.ok":       {"この画面の記録（%d〜%d番）のつながりを確認しました：書き換え・抜けはありません（全%d件）。", "Chain checked for the entries on this page (%d–%d): none edited or missing (%d in all)."},
	"audit.check.all":     {"すべての記録のつながりを確認する", "Check the whole chain"},
	"audit.older":         {"これより古い記録 %d件 →", "%d older entries →"},
	"audit.newest":        {"← 最新の記録へ", "← newest entries"},
	"crosssite.title":     {"ほかのサイトからの操作は受け付けません", "Requests from other sites are refused"},
	"crosssite.body":      {"この操作は管理画面の外（別のウェブページ）から始まったため、行いませんでした。記録は読み出しておらず、何も変わっていません。管理画面のメニューから開き直してください。", "This request started outside the console (on another web page), so it was not carried out: nothing was read and nothing changed. Open it again from the console's menu."},
	"revoked.title":       {"この証明書は使えなくなっています", "This certificate has been revoked"},
	"revoked.body":        {"お使いの証明書は村の認証局が失効させたため、管理画面を開けません。この試みは操作記録に残りました。必要なら担当者に新しい証明書を申し出てください。", "The village CA has revoked your certificate, so the console cannot be opened. This attempt was recorded in the audit log. Ask the administrator for a new certificate if you need one."},
	"role.title":          {"この操作は管理者だけができます", "Only administrators can do this"},
	"role.body":           {"書き出し・取り込み・操作記録の閲覧は、管理者の証明書でだけ行えます。窓口の証明書では、端末の状態・記録の検索・要対応の確認と対応済みの記録ができます。必要なときは管理者に頼んでください。この試みは操作記録に残りました。", "Exports, imports and the audit log are for administrators' certificates. A counter certificate can see kiosks, find visits and mark follow-ups. Ask an administrator when you need one of these. This attempt was recorded in the audit log."},
	"role.admin":          {"管理者", "administrator"},
	"role.counter":        {"窓口", "counter"},
}

var moreLabels = map[string]msg{
	"fu.unsent_at_end":   {"未送信の記録が古いカードに残っています：読み出して取り込んでください", "Unsent records are left on the old card: salvage and import them"},
	"act.denied_revoked": {"拒否（失効した証明書）", "denied (certificate revoked)"},
	"act.api_records":    {"記録を取得（API）", "read records (API)"},
	"act.api_kiosks":     {"端末の一覧を取得（API）", "read kiosks (API)"},
	"act.api_lookup":     {"受付番号で検索（API）", "looked up a reference (API)"},
	"act.api_import":     {"取り込み（API）", "imported (API)"},
	"act.denied_role":    {"拒否（管理者の操作）", "denied (administrators only)"},
}
