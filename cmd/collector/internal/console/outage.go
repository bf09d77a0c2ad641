package console

import (
	"net/http"
	"strconv"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// retryAfter is what a page that could not reach the store asks the
// browser (and a script) to wait, in seconds.
const retryAfter = 5

// outageWords: what staff see when the database cannot be reached, with
// what to check, rather than a message about the audit log or a bug.
var outageWords = map[string]msg{
	"error.unavailable": {
		"データベースに接続できません（応答がないか、混み合っています）。確認すること：データベースのサーバーが動いているか、ネットワーク、ディスクの空き、接続数の上限。しばらくしてから再読み込みしてください。端末の記録は端末に残り、つながり次第送られます。",
		"The database cannot be reached (no answer, or too busy). Check: is the database server running, the network, free disk space, the connection limit. Reload shortly. Kiosks keep their records and send them once it answers.",
	},
	"notice.nolog": {
		"操作記録に書き込めません。この画面の閲覧は記録されていません（端末の一覧だけ表示しています）。担当者に連絡してください。",
		"The audit log cannot be written: this view is not being logged (only the kiosk list is shown). Tell the administrator.",
	},
}

func init() {
	for k, m := range outageWords {
		words[k] = m
	}
}

// unavailable answers a request the store could not answer in time:
// 503 with Retry-After, saying the database cannot be reached.
func (c *Console) unavailable(q *req, what string, err error) {
	c.log.Error("console: the store cannot be reached", "what", what, "err", err)
	q.w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	c.fail(q, http.StatusServiceUnavailable, text(q.lang, "error.unavailable"))
}

// auditedOrNoted is audited for the kiosk list: that page names no
// resident, so when the audit log cannot be written it is still shown,
// saying plainly that nothing is being logged, rather than nothing.
func (c *Console) auditedOrNoted(q *req, action, detail string) (notice string) {
	if err := c.audit(q, action, detail); err != nil {
		return text(q.lang, "notice.nolog")
	}
	return ""
}

// isUnavailable reports whether err is the store being out of reach.
func isUnavailable(err error) bool { return store.IsUnavailable(err) }
