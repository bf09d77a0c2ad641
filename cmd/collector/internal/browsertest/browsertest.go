// Package browsertest drives Debian's Chromium headless through the
// DevTools protocol (github.com/chromedp/chromedp) for tests of the staff
// console: a fresh profile per browser, the village CA trusted and a staff
// client certificate presented the way a town hall PC would (an NSS store
// in the profile's home, and the AutoSelectCertificateForUrls policy that
// spares staff the certificate picker).
//
// Chromium reads policies only from /etc/chromium/policies; the harness
// bind-mounts its own over /etc/chromium, which is why it needs the private
// mount namespace .ci/pcsc-exec gives every test package (make test). It
// fails the test, never skips it, when Chromium or that namespace is missing.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// Chromium is the browser binary Debian's chromium package installs.
const Chromium = "/usr/bin/chromium"

// Options say what the browser trusts and presents.
type Options struct {
	CAFile   string // PEM: a certificate authority to trust for servers
	CertFile string // PEM client certificate, with KeyFile; presented to every https site
	KeyFile  string
	// Width and Height of the window (default 1280×900).
	Width, Height int
}

// Browser is one headless Chromium with its own profile.
type Browser struct {
	t   testing.TB
	ctx context.Context
	dir string
}

// New starts a browser for t; it is closed at Cleanup.
func New(t testing.TB, o Options) *Browser {
	t.Helper()
	if _, err := os.Stat(Chromium); err != nil {
		t.Fatalf("browsertest: %s missing (apt-get install chromium; .ci/deps does): %v", Chromium, err)
	}
	if o.Width == 0 {
		o.Width, o.Height = 1280, 900
	}
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(filepath.Join(home, ".pki", "nssdb"), 0o700); err != nil {
		t.Fatal(err)
	}
	if o.CAFile != "" || o.CertFile != "" {
		nssStore(t, dir, home, o)
	}
	if o.CertFile != "" {
		usePolicies(t)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(Chromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // tests run as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "ja"),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(o.Width, o.Height),
		chromedp.NoInheritEnv,
		chromedp.Env("HOME="+home, "PATH=/usr/bin:/bin", "LANG=ja_JP.UTF-8", "TZ=Asia/Tokyo"),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &Browser{t: t, ctx: ctx, dir: dir}
	// The first run starts the browser and its tab, which live as long as
	// that run's context: so no deadline here (the test's timeout bounds it).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browsertest: start %s: %v", Chromium, err)
	}
	events := true
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: b.downloads(), EventsEnabled: &events,
	}); err != nil {
		t.Fatalf("browsertest: start %s: %v", Chromium, err)
	}
	return b
}

func (b *Browser) downloads() string { return filepath.Join(b.dir, "downloads") }

// nssStore makes the profile's NSS database (where Chromium on Linux keeps
// trusted authorities and client certificates) with the CA and the client
// certificate in it.
func nssStore(t testing.TB, dir, home string, o Options) {
	t.Helper()
	db := "sql:" + filepath.Join(home, ".pki", "nssdb")
	run := func(name string, args ...string) {
		t.Helper()
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("browsertest: %s %v: %v\n%s (apt-get install libnss3-tools openssl; .ci/deps does)", name, args, err, out)
		}
	}
	run("certutil", "-N", "-d", db, "--empty-password")
	if o.CAFile != "" {
		run("certutil", "-A", "-d", db, "-n", "test-ca", "-t", "C,,", "-i", o.CAFile)
	}
	if o.CertFile != "" {
		p12 := filepath.Join(dir, "client.p12")
		run("openssl", "pkcs12", "-export", "-in", o.CertFile, "-inkey", o.KeyFile, "-out", p12,
			"-passout", "pass:", "-name", "client")
		run("pk12util", "-i", p12, "-d", db, "-W", "")
	}
}

// The policy mount is shared by every browser of the process (the same
// content suits all: each profile holds exactly one client certificate).
var policy struct {
	sync.Mutex
	users int
	dir   string
}

const policyTarget = "/etc/chromium"

// usePolicies mounts a directory with the certificate policy over
// /etc/chromium for as long as a browser of this process needs it.
func usePolicies(t testing.TB) {
	t.Helper()
	if os.Getenv("KIOSK_PCSC_NS") != "1" {
		t.Fatal("browsertest: a client certificate needs the private mount namespace of .ci/pcsc-exec " +
			`(KIOSK_PCSC_NS unset): run via make test, i.e. go test -exec "$PWD/.ci/pcsc-exec"`)
	}
	policy.Lock()
	defer policy.Unlock()
	if policy.users == 0 {
		dir, err := os.MkdirTemp("", "browsertest-policy-")
		if err != nil {
			t.Fatal(err)
		}
		managed := filepath.Join(dir, "policies", "managed")
		// Any site, the only certificate there is: each profile has one.
		pol := `{"AutoSelectCertificateForUrls": ["{\"pattern\":\"*\",\"filter\":{}}"]}`
		if err := os.MkdirAll(managed, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(managed, "browsertest.json"), []byte(pol), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mount(dir, policyTarget, "", syscall.MS_BIND, ""); err != nil {
			t.Fatalf("browsertest: bind-mount the certificate policy over %s: %v", policyTarget, err)
		}
		policy.dir = dir
	}
	policy.users++
	t.Cleanup(func() {
		policy.Lock()
		defer policy.Unlock()
		if policy.users--; policy.users == 0 {
			if err := syscall.Unmount(policyTarget, 0); err != nil {
				t.Errorf("browsertest: unmount %s: %v", policyTarget, err)
			}
			_ = os.RemoveAll(policy.dir)
		}
	})
}

// Context is the browser tab's context, for chromedp actions.
func (b *Browser) Context() context.Context { return b.ctx }

// Do runs steps with a deadline, failing the test on error.
func (b *Browser) Do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browsertest: %v", err)
	}
}

// Try runs steps with a deadline and returns their error: for the paths
// where the browser must be turned away.
func (b *Browser) Try(steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// Get runs one action that returns a value, failing the test on error.
func Get[T any](b *Browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browsertest: %v", err)
	}
	return v
}

// Screenshot saves a PNG of the whole page to path (directories made).
func (b *Browser) Screenshot(path string) {
	b.t.Helper()
	png := Get(b, chromedp.FullScreenshot(100))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// Download performs trigger (e.g. a click on a link) and waits for the
// download it starts; it returns the suggested file name and the bytes.
func (b *Browser) Download(trigger chromedp.Action[chromedp.Void]) (name string, data []byte) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	type done struct {
		name, path string
		err        error
	}
	result := make(chan done, 1)
	names := map[string]string{}
	var mu sync.Mutex
	lctx, stopListen := context.WithCancel(ctx)
	defer stopListen()
	if err := chromedp.ListenBrowser(lctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *browser.EventDownloadWillBegin:
			names[e.GUID] = e.SuggestedFilename
		case *browser.EventDownloadProgress:
			var d done
			switch e.State {
			case browser.DownloadProgressStateCompleted:
				d = done{name: names[e.GUID], path: filepath.Join(b.downloads(), e.GUID)}
			case browser.DownloadProgressStateCanceled:
				d = done{err: errors.New("download canceled")}
			default:
				return
			}
			select {
			case result <- d:
			default:
			}
		}
	}); err != nil {
		b.t.Fatalf("browsertest: listen for downloads: %v", err)
	}
	if err := chromedp.Do(ctx, trigger); err != nil {
		b.t.Fatalf("browsertest: start download: %v", err)
	}
	select {
	case d := <-result:
		if d.err != nil {
			b.t.Fatalf("browsertest: %v", d.err)
		}
		data, err := os.ReadFile(d.path)
		if err != nil {
			b.t.Fatalf("browsertest: read download: %v", err)
		}
		return d.name, data
	case <-ctx.Done():
		b.t.Fatalf("browsertest: no download finished: %v", ctx.Err())
	}
	return "", nil
}

// String names the browser for messages.
func (b *Browser) String() string { return fmt.Sprintf("chromium (profile %s)", b.dir) }
