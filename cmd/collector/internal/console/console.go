// Package console is the town hall staff's console in the browser, served
// by the collector: which kiosks are alive, a visit found by the reference
// number on the resident's slip, what the kiosk could not finish (with a
// way to mark it handled), CSV for Excel and JSON for scripts, and the
// import of a USB export.
//
// Pages are rendered on the server with html/template, Japanese first with
// English one click away; no script, no CDN, the stylesheet embedded — the
// town hall LAN may be closed. Staff are who their client certificate says
// (issued by the village CA, CN with the staff prefix): the collector's TLS
// already demands one, so there is no password to keep or steal. Every
// page, export, import and mark is written to the audit log before the
// answer goes out; when the log cannot be written nothing is shown.
package console

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// Prefix is where the console lives on the collector.
const Prefix = "/console/"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure a Console.
type Options struct {
	Store    Store
	Importer Importer // nil: the import page says import is not available
	// StaffPrefix marks staff certificates (CN prefix; default "staff-").
	StaffPrefix string
	Health      Health
	// MaxUpload bounds one import upload in bytes (default 64 MiB).
	MaxUpload int64
	Logger    *slog.Logger
	Now       func() time.Time
}

// Console serves the staff pages.
type Console struct {
	o     Options
	log   *slog.Logger
	pages map[string]*template.Template
}

// New parses the pages; it fails only on a broken template.
func New(o Options) (*Console, error) {
	if o.Store == nil {
		return nil, errors.New("console: a store is required")
	}
	if o.StaffPrefix == "" {
		o.StaffPrefix = "staff-"
	}
	if o.MaxUpload <= 0 {
		o.MaxUpload = 64 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Health = o.Health.withDefaults()
	c := &Console{o: o, log: o.Logger, pages: map[string]*template.Template{}}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html")
	if err != nil {
		return nil, fmt.Errorf("console: layout: %w", err)
	}
	names, _ := fs.Glob(templateFS, "templates/*.html")
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, fmt.Errorf("console: page %s: %w", name, err)
		}
		c.pages[name] = t
	}
	return c, nil
}

// Handler serves the console under Prefix. Forms that change something
// (marks, imports) are refused when they come from another site
// (http.CrossOriginProtection): a browser sends the staff certificate to
// any page that asks, so the origin is what tells a real click.
func (c *Console) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
	})
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET "+Prefix+"static/", http.StripPrefix(Prefix+"static/", http.FileServerFS(static)))
	mux.HandleFunc("GET "+Prefix+"lang", c.handleLang)
	mux.HandleFunc("GET "+Prefix+"{$}", c.staff(c.kiosks))
	mux.HandleFunc("GET "+Prefix+"kiosk/{id}", c.staff(c.kiosk))
	mux.HandleFunc("GET "+Prefix+"find", c.staff(c.find))
	mux.HandleFunc("GET "+Prefix+"record/{kiosk}/{journal}/{seq}", c.staff(c.record))
	mux.HandleFunc("GET "+Prefix+"followups", c.staff(c.followUps))
	mux.HandleFunc("POST "+Prefix+"followups/mark", c.staff(c.mark))
	mux.HandleFunc("GET "+Prefix+"export", c.staff(c.exportForm))
	mux.HandleFunc("GET "+Prefix+"export/download", c.staff(c.export))
	mux.HandleFunc("GET "+Prefix+"import", c.staff(c.importForm))
	mux.HandleFunc("POST "+Prefix+"import", c.staff(c.importUpload))
	mux.HandleFunc("GET "+Prefix+"audit", c.staff(c.auditLog))
	return headers(http.NewCrossOriginProtection().Handler(mux))
}

// headers: nothing from another origin, no framing, nothing cached (the
// pages carry residents' records).
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// Staff is who is using the console.
type Staff struct {
	Name   string // certificate CN
	Serial string // certificate serial, hex
}

// req is one staff request being answered.
type req struct {
	w     http.ResponseWriter
	r     *http.Request
	lang  Lang
	staff Staff
	now   time.Time
	// notice goes above the page (see view.Notice).
	notice string
}

// staffOf is the staff member a request's verified client certificate
// names; ok is false for none (no TLS, not verified) and for a kiosk's.
func (c *Console) staffOf(r *http.Request) (Staff, bool) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.PeerCertificates) == 0 {
		return Staff{}, false
	}
	cert := r.TLS.PeerCertificates[0]
	s := Staff{Name: cert.Subject.CommonName, Serial: cert.SerialNumber.Text(16)}
	return s, strings.HasPrefix(s.Name, c.o.StaffPrefix) && len(s.Name) > len(c.o.StaffPrefix)
}

func (c *Console) staff(h func(*req)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := &req{w: w, r: r, lang: langOf(r), now: c.o.Now()}
		s, ok := c.staffOf(r)
		q.staff = s
		if !ok {
			c.log.Warn("console: refused a certificate that is not a staff one", "cn", s.Name, "path", r.URL.Path, "remote", r.RemoteAddr)
			if s.Name != "" { // a kiosk's certificate: worth a line in the audit log
				_ = c.audit(q, store.ActDenied, r.Method+" "+r.URL.RequestURI())
			}
			// The page names nobody and repeats nothing of the request.
			q.staff, q.r.URL = Staff{}, &url.URL{Path: Prefix}
			c.render(q, http.StatusForbidden, "denied", nil)
			return
		}
		h(q)
	}
}

// audit writes one entry; the caller shows nothing when it fails.
func (c *Console) audit(q *req, action, detail string) error {
	_, err := c.o.Store.AppendAudit(q.r.Context(), store.AuditEntry{
		Time: q.now, Staff: q.staff.Name, Cert: q.staff.Serial, Action: action, Detail: detail, Remote: q.r.RemoteAddr,
	})
	if err != nil {
		c.log.Error("console: audit log write failed", "action", action, "staff", q.staff.Name, "err", err)
	}
	return err
}

// audited writes the audit entry and reports whether the page may go on;
// it answers the request itself when not.
func (c *Console) audited(q *req, action, detail string) bool {
	if err := c.audit(q, action, detail); err != nil {
		if isUnavailable(err) {
			c.unavailable(q, "audit", err)
			return false
		}
		c.fail(q, http.StatusServiceUnavailable, text(q.lang, "error.audit"))
		return false
	}
	return true
}

// storeFailed answers a store error.
func (c *Console) storeFailed(q *req, what string, err error) {
	if errors.Is(err, ErrNotFound) {
		c.fail(q, http.StatusNotFound, text(q.lang, "error.notfound"))
		return
	}
	if isUnavailable(err) {
		c.unavailable(q, what, err)
		return
	}
	c.log.Error("console: "+what, "err", err)
	c.fail(q, http.StatusInternalServerError, text(q.lang, "error.store"))
}

func (c *Console) fail(q *req, code int, message string) {
	c.render(q, code, "error", message)
}

// view is what every page template gets.
type view struct {
	L     Lang
	Staff Staff
	Nav   string
	Path  string // this page, for the language switch
	Now   time.Time
	Data  any
	// Notice is a line above the page: what it could not do (log it).
	Notice string
}

func (c *Console) render(q *req, code int, page string, data any) {
	t := c.pages[page]
	var buf bytes.Buffer
	v := view{L: q.lang, Staff: q.staff, Nav: page, Path: q.r.URL.RequestURI(), Now: q.now, Data: data, Notice: q.notice}
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		c.log.Error("console: render", "page", page, "err", err)
		http.Error(q.w, "render failed", http.StatusInternalServerError)
		return
	}
	q.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	q.w.WriteHeader(code)
	_, _ = q.w.Write(buf.Bytes())
}

const langCookie = "console_lang"

func langOf(r *http.Request) Lang {
	if c, err := r.Cookie(langCookie); err == nil && c.Value == string(LangEN) {
		return LangEN
	}
	return LangJA
}

// localPath accepts only a path inside the console (no open redirect).
func localPath(p string) string {
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, Prefix) || strings.Contains(p, "//") || strings.Contains(p, `\`) {
		return Prefix
	}
	return u.RequestURI()
}

// handleLang switches the language and goes back to the page.
func (c *Console) handleLang(w http.ResponseWriter, r *http.Request) {
	to := LangJA
	if r.URL.Query().Get("to") == string(LangEN) {
		to = LangEN
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: string(to), Path: "/console", MaxAge: 365 * 24 * 3600,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, localPath(r.URL.Query().Get("back")), http.StatusSeeOther)
}

func ctxOf(q *req) context.Context { return q.r.Context() }
