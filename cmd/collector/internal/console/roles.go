package console

import (
	"crypto/x509"
	"net/http"
	"slices"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// Two roles. Counter staff (every staff certificate) see kiosks, find
// visits and mark follow-ups; an administrator also imports, exports and
// reads the audit log — the bulk of residents' records and the record of
// who looked at them. Who administers is said by the certificate (its OU
// is Options.AdminOU) or by the collector's configuration (Options.Admins,
// certificate names), so the town hall can grant it without reissuing.
// With neither, nobody administers: the safe reading of a missing setting.

// DefaultAdminOU is the organisational unit of an administrator's certificate.
const DefaultAdminOU = "console-admin"

// AdminOf is the administrators' rule for the collector's other doors (the
// staff API): the names in admins, or a certificate whose OU is ou
// (DefaultAdminOU when empty) — the same rule as the console's.
func AdminOf(admins []string, ou string) func(*x509.Certificate) bool {
	if ou == "" {
		ou = DefaultAdminOU
	}
	return func(cert *x509.Certificate) bool {
		return slices.Contains(cert.Subject.OrganizationalUnit, ou) || slices.Contains(admins, cert.Subject.CommonName)
	}
}

// isAdmin says whether cert's holder administers the console.
func (c *Console) isAdmin(cert *x509.Certificate) bool { return AdminOf(c.o.Admins, c.o.AdminOU)(cert) }

// admin is staff for an administrator's page: counter staff are refused
// with a page in their language, and the attempt is audited.
func (c *Console) admin(h func(*req)) http.HandlerFunc {
	return c.staff(func(q *req) {
		if q.staff.Admin {
			h(q)
			return
		}
		c.log.Warn("console: refused a counter staff member an administrator's page", "staff", q.staff.Name, "path", q.r.URL.Path)
		if !c.audited(q, store.ActDeniedRole, q.r.Method+" "+q.r.URL.Path) {
			return
		}
		c.render(q, http.StatusForbidden, "refused", refusal{Title: "role.title", Body: "role.body"})
	})
}
