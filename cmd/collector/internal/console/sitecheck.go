package console

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
)

// A browser sends the staff certificate with every request to the console,
// whoever's page starts it: an <img> or <iframe> on another site would
// read records, export and write the audit log in the staff member's name.
// So every console route refuses what another site started, before any
// handler runs (nothing is read, nothing audited). Browsers say where a
// request came from in Fetch Metadata (Sec-Fetch-Site, -Mode, -Dest); one
// that does not (an old browser) still sends Origin on a form and usually
// a Referer, and those are checked instead.

// siteVerdict says whether r may reach the console, and why not.
func siteVerdict(r *http.Request) (ok bool, why string) {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "same-origin", "none": // the console's own pages; a bookmark or typed address
		return true, ""
	case "":
		return fallbackVerdict(r)
	default: // same-site, cross-site, or anything a future browser invents
		if isLanding(r) {
			return true, ""
		}
		return false, "Sec-Fetch-Site=" + site + " mode=" + r.Header.Get("Sec-Fetch-Mode") + " dest=" + r.Header.Get("Sec-Fetch-Dest")
	}
}

// isLanding: a link on another page (the town hall's intranet portal) may
// open the console's front page as a top-level page, nothing else: the
// staff member then sees it and goes on from there.
func isLanding(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Sec-Fetch-Mode") == "navigate" &&
		r.Header.Get("Sec-Fetch-Dest") == "document" && (r.URL.Path == Prefix || r.URL.Path == "/console" || r.URL.Path == "/") &&
		r.URL.RawQuery == ""
}

// fallbackVerdict is for a browser without Fetch Metadata: an Origin or
// Referer naming another host is refused; none at all is a script or a
// typed address, which the staff certificate alone answers for.
func fallbackVerdict(r *http.Request) (bool, string) {
	for _, h := range []string{"Origin", "Referer"} {
		v := r.Header.Get(h)
		if v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || v == "null" || !strings.EqualFold(u.Host, r.Host) {
			return false, h + "=" + v
		}
	}
	return true, ""
}

// sameSiteOnly refuses requests another site started, with a page that
// says so in the staff member's language; static files are exempt (they
// hold nothing and do nothing).
func (c *Console) sameSiteOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, Prefix+"static/") {
			next.ServeHTTP(w, r)
			return
		}
		ok, why := siteVerdict(r)
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		// Logged, not audited: nobody at the town hall asked for it, and an
		// attacker's page must not be able to fill the audit log.
		c.log.Warn("console: refused a request another site started", "path", r.URL.Path, "why", why, "remote", r.RemoteAddr)
		q := &req{w: w, r: r, lang: langOf(r), now: c.o.Now()}
		q.r = r.Clone(r.Context())
		q.r.URL = &url.URL{Path: Prefix} // the page repeats nothing of the request
		c.render(q, http.StatusForbidden, "refused", refusal{Title: "crosssite.title", Body: "crosssite.body"})
	})
}

// refusal is the page of a refused request: text keys.
type refusal struct{ Title, Body string }

// RefuseOtherSites guards the collector's other routes the same way (the
// staff API answers a staff certificate with records and audits it: an
// <img> elsewhere must not make a browser fetch them). Kiosks and scripts
// send no Fetch Metadata, Origin or Referer and pass; a refusal is logged,
// not audited, and answered in plain text before the handler runs.
func RefuseOtherSites(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, why := siteVerdict(r)
		if !ok {
			log.Warn("refused a request another site started", "path", r.URL.Path, "why", why, "remote", r.RemoteAddr)
			http.Error(w, "ほかのサイトから始まった要求は受け付けません。 Refused: the request was started by another site.", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}
