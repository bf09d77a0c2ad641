package console

import (
	"crypto/x509"
	"net/http"
	"net/url"
	"strings"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// RefusedRevoked is told (revoke.List.GuardWith) of every request the
// collector refuses because its certificate is revoked. A staff member who
// left, or whose certificate was stolen, trying again is worth an entry in
// the audit log, as a kiosk certificate at the console is; a request on a
// console page gets the refusal page in the staff member's language.
// What another site started is neither audited nor answered here (see
// sameSiteOnly). It reports whether it answered.
func (c *Console) RefusedRevoked(w http.ResponseWriter, r *http.Request, cert *x509.Certificate, _ error) bool {
	onConsole := r.URL.Path == "/" || r.URL.Path == "/console" || strings.HasPrefix(r.URL.Path, Prefix)
	if ok, _ := siteVerdict(r); !ok {
		return false
	}
	q := &req{w: w, r: r, lang: langOf(r), now: c.o.Now(),
		staff: Staff{Name: cert.Subject.CommonName, Serial: cert.SerialNumber.Text(16)}}
	if onConsole || strings.HasPrefix(q.staff.Name, c.o.StaffPrefix) {
		_ = c.audit(q, store.ActRevoked, r.Method+" "+r.URL.RequestURI()) // a failure is logged by audit
	}
	if !onConsole {
		return false
	}
	// The page names nobody and repeats nothing of the request.
	q.staff, q.r = Staff{}, r.Clone(r.Context())
	q.r.URL = &url.URL{Path: Prefix}
	c.render(q, http.StatusForbidden, "refused", refusal{Title: "revoked.title", Body: "revoked.body"})
	return true
}
