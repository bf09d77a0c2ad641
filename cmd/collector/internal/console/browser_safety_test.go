package console

import (
	"crypto/tls"
	"fmt"
	"html"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/villagehall/kiosk/cmd/collector/internal/browsertest"
)

// seen records what reached the console: path and answer.
type seen struct {
	mu  sync.Mutex
	got map[string]int
}

func (s *seen) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &statusWriter{ResponseWriter: w, code: 200}
		h.ServeHTTP(rw, r)
		s.mu.Lock()
		s.got[r.URL.Path] = rw.code
		s.mu.Unlock()
	})
}

func (s *seen) code(path string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.got[path]
	return c, ok
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(c int) { w.code = c; w.ResponseWriter.WriteHeader(c) }

// A page on another site, opened by a staff member whose browser holds the
// staff certificate, embeds the export as an <img> and a record as an
// <iframe> and links to the export: in a real Chromium each request
// reaches the console and is refused, and nothing is exported, shown or
// audited; the link shows the refusal page in Japanese.
func TestInBrowserOtherSiteRefused(t *testing.T) {
	st := sampleStore(t)
	s := newSite(t, st, nil, nil) // its CA and store; the console is served below, watched
	c, err := New(Options{Store: st, Now: func() time.Time { return day0 }})
	if err != nil {
		t.Fatal(err)
	}
	watch := &seen{got: map[string]int{}}
	srvCert, _ := s.ca.Server()
	srv := httptest.NewUnstartedServer(watch.wrap(c.Handler()))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{srvCert.TLS()}, ClientCAs: s.ca.Pool(), ClientAuth: tls.RequireAndVerifyClientCert}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)

	export := "/console/export/download"
	record := "/console/record/K01/" + jK01 + "/3"
	exportURL := srv.URL + export + "?format=csv-ja&from=2026-11-01&to=2026-11-30"
	// The other site: another host name (localhost, not 127.0.0.1) and scheme.
	evil := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>other site</title><h1>A page elsewhere</h1>
<img id="img" src="%s" width="40" height="40"><iframe id="frame" src="%s"></iframe>
<p><a id="go" href="%s">a link to the export</a></p>`, html.EscapeString(exportURL), html.EscapeString(srv.URL+record), html.EscapeString(exportURL))
	}))
	ln, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		t.Fatal(err)
	}
	evil.Listener = ln
	evil.Start()
	t.Cleanup(evil.Close)
	evilURL := "http://localhost:" + strings.Split(ln.Addr().String(), ":")[1] + "/"

	_, staffCert, staffKey := s.issue("staff-tanaka")
	b := browsertest.New(t, browsertest.Options{CAFile: s.caPE, CertFile: staffCert, KeyFile: staffKey})
	before := actions(t, st)
	b.Do(chromedp.Navigate(evilURL), chromedp.WaitVisible(chromedp.CSS("#go")))
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, imgSeen := watch.code(export)
		_, frameSeen := watch.code(record)
		if imgSeen && frameSeen {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the embedded requests never reached the console (img %t, iframe %t)", imgSeen, frameSeen)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, p := range []string{export, record} {
		if code, _ := watch.code(p); code != http.StatusForbidden {
			t.Errorf("%s from another site: %d, want 403", p, code)
		}
	}
	if after := actions(t, st); after != before {
		t.Errorf("another site's requests were audited: %q", strings.TrimPrefix(after, before))
	}

	b.Do(chromedp.Click(chromedp.CSS("#go")), chromedp.WaitVisible(chromedp.CSS("#refused")))
	if got := browsertest.Get(b, chromedp.Text(chromedp.CSS("#refused"))); !strings.Contains(got, "何も変わっていません") {
		t.Errorf("the refusal page says %q", got)
	}
	if after := actions(t, st); after != before {
		t.Errorf("a link from another site was audited: %q", strings.TrimPrefix(after, before))
	}
	shot(t, b, "crosssite-refused")

	// The same browser on the console itself: the certificate was there all along.
	b.Do(chromedp.Navigate(srv.URL+record), chromedp.WaitVisible(chromedp.CSS("#reference")))
	if after := actions(t, st); after == before {
		t.Error("the console's own page was not audited: was the certificate presented at all?")
	}
}

// Counter staff in Chromium: the menu has no export, and the export's
// address typed in anyway is refused in Japanese and audited.
func TestInBrowserCounterRefusedExport(t *testing.T) {
	st := sampleStore(t)
	s := newSite(t, st, nil, nil)
	_, cert, key := s.issue("staff-mado")
	b := browsertest.New(t, browsertest.Options{CAFile: s.caPE, CertFile: cert, KeyFile: key})
	b.Do(chromedp.Navigate(s.url+"/console/followups"), chromedp.WaitVisible(chromedp.CSS("#role")))
	if n := browsertest.Get(b, chromedp.Evaluate[int](`document.querySelectorAll('nav a[href="/console/export"]').length`)); n != 0 {
		t.Errorf("the counter's menu has %d export links", n)
	}
	b.Do(chromedp.Navigate(s.url+"/console/export"), chromedp.WaitVisible(chromedp.CSS("#refused")))
	if got := browsertest.Get(b, chromedp.Text(chromedp.CSS("h1"))); got != "この操作は管理者だけができます" {
		t.Errorf("refusal: %q", got)
	}
	if a := actions(t, st); !strings.HasSuffix(a, "view_followups denied_role") {
		t.Errorf("audit: %q", a)
	}
	shot(t, b, "counter-refused")
}
