package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/alerts"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// smtpServer is Debian's aiosmtpd on a loopback port, keeping every
// message it accepts in a Maildir: a real mail server, as the town
// hall's would take the collector's mail.
type smtpServer struct {
	t       *testing.T
	addr    string
	maildir string
	cmd     *exec.Cmd
}

func (s *smtpServer) start() {
	s.t.Helper()
	s.cmd = exec.Command("/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", s.addr, "-c", "aiosmtpd.handlers.Mailbox", s.maildir)
	s.cmd.Stdout, s.cmd.Stderr = os.Stderr, os.Stderr
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("aiosmtpd (python3-aiosmtpd, .ci/deps): %v", err)
	}
	waitFor(s.t, "the SMTP server listening", 15*time.Second, func() bool {
		c, err := net.Dial("tcp", s.addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

func (s *smtpServer) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// mails reads every message the server took: Message-ID → the message.
func (s *smtpServer) mails() (map[string][]*mail.Message, int) {
	s.t.Helper()
	out := map[string][]*mail.Message{}
	files, _ := filepath.Glob(filepath.Join(s.maildir, "new", "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			s.t.Fatal(err)
		}
		m, err := mail.ReadMessage(bytes.NewReader(b))
		if err != nil {
			s.t.Fatalf("%s: %v", f, err)
		}
		id := m.Header.Get("Message-ID")
		out[id] = append(out[id], m)
	}
	return out, len(files)
}

// TestAlertsReachStaff: the collector binary mails staff through a real
// SMTP server — an installed kiosk never heard from, a printer out of
// paper, the F7 visit's office-bound follow-up, the daily summary, a
// kiosk gone silent — and when the mail server is down and the collector
// restarts meanwhile, every alert still arrives, each once.
func TestAlertsReachStaff(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Fatal("python3-aiosmtpd is needed (.ci/deps installs it)")
	}
	dir := t.TempDir()
	smtp := &smtpServer{t: t, addr: freePort(t), maildir: filepath.Join(dir, "maildir")}
	smtp.start()
	t.Cleanup(smtp.stop)

	pkiDir, data := filepath.Join(dir, "pki"), filepath.Join(dir, "data")
	if out, err := runBin(t, "collector", "gen-test-pki", pkiDir, "staff-a", "K01"); err != nil {
		t.Fatalf("gen-test-pki: %v\n%s", err, out)
	}
	if out, err := runBin(t, "collector", "kiosks", "add", "--data", data, "--place", "北分館", "K01", "K09"); err != nil {
		t.Fatalf("kiosks add: %v\n%s", err, out)
	}
	pem := func(n string) string { return filepath.Join(pkiDir, n+".pem") }
	addr := freePort(t)
	cfg := filepath.Join(dir, "collector.toml")
	if err := os.WriteFile(cfg, []byte(`listen = "`+addr+`"
ca = "`+pem("ca")+`"
cert = "`+pem("server")+`"
key = "`+pem("server-key")+`"
data = "`+data+`"
metrics_listen = "off"
silent_after = "3s"
alert_every = "300ms"

[mail]
server = "`+smtp.addr+`"
from = "kiosk-collector@village.example"
to = ["juumin@village.example", "joho@village.example"]
tls = "none"
daily_at = "00:00"
console_url = "https://collector.village.example:8443"
retry_min = "1s"
`), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "collector.log")
	clog, _ := os.Create(logPath)
	defer clog.Close()
	coll := &collectorProc{t: t, addr: addr, log: clog, args: []string{"--config", cfg}}
	coll.start()
	t.Cleanup(coll.stop)
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("collector log:\n%s", b)
		}
	})

	// K01: a real journal and syncer; its printer is out of paper, and a
	// resident's card had no signing certificate (F7): status "valid",
	// the slip's office condition no_sign_cert.
	j, err := journal.Open(filepath.Join(dir, "k01.db"), journal.Options{KioskID: "K01"})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	f7, err := j.Append(context.Background(), kiosk.Record{Time: time.Now(), ClockTrusted: true, Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK,
		Card: kiosk.CardMyNumber, Status: string(kiosk.CodeValid), Office: []kiosk.Code{kiosk.CodeNoSignCert}})
	if err != nil {
		t.Fatal(err)
	}
	ident, err := ksync.LoadIdentity(pem("client-K01"), pem("client-K01-key"))
	if err != nil {
		t.Fatal(err)
	}
	pool, err := ksync.LoadCAPool(pem("ca"))
	if err != nil {
		t.Fatal(err)
	}
	paperOut := time.Now().Add(-time.Minute)
	s, err := ksync.New(ksync.Config{BaseURL: "https://localhost:" + addr[strings.LastIndex(addr, ":")+1:],
		Client: ksync.NewHTTPClient(ident.ClientTLS(pool), 10*time.Second), KioskID: "K01", Signer: ident.Signer, Outbox: j,
		HeartbeatEvery: 500 * time.Millisecond,
		Health: func() ksync.Health {
			return ksync.Health{ReaderPresent: true, PrinterState: ksync.StatePaperOut, Version: "test",
				Devices: []ksync.DeviceHealth{{Name: ksync.DevicePrinter, State: ksync.StatePaperOut, Since: paperOut}}}
		}})
	if err != nil {
		t.Fatal(err)
	}
	kctx, stopKiosk := context.WithCancel(context.Background())
	var kwg sync.WaitGroup
	kwg.Add(1)
	go func() { defer kwg.Done(); _ = s.Run(kctx) }()
	defer func() { stopKiosk(); kwg.Wait() }()

	ref := kiosk.ReferenceOf(f7)
	want := map[string]string{ // subject part, by kind
		"daily":     "の状況",
		"never":     "端末 K09 から一度も連絡がありません",
		"paper_out": "端末 K01 のプリンターが用紙切れです",
		"followup":  "要対応 " + ref,
	}
	subjects := func() []string {
		ms, _ := smtp.mails()
		var out []string
		for _, l := range ms {
			dec := new(mimeDecoder)
			out = append(out, dec.subject(l[0]))
		}
		return out
	}
	has := func(part string) bool {
		for _, s := range subjects() {
			if strings.Contains(s, part) {
				return true
			}
		}
		return false
	}
	for kind, part := range want {
		waitFor(t, "the "+kind+" mail", 20*time.Second, func() bool { return has(part) })
	}

	// The mail server goes down; K01 goes silent meanwhile; the collector
	// restarts; then the mail server comes back.
	smtp.stop()
	stopKiosk()
	kwg.Wait()
	waitFor(t, "the silent alert queued and its send failing", 20*time.Second, func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "key=silent/K01/") && strings.Contains(string(b), "mail not sent")
	})
	coll.stop()
	coll.start()
	smtp.start()
	waitFor(t, "the silent mail after the outage", 30*time.Second, func() bool { return has("端末 K01 から連絡がありません") })
	time.Sleep(2 * time.Second) // more rounds: nothing may come twice

	ms, n := smtp.mails()
	if len(ms) != 5 || n != 5 {
		t.Errorf("%d mails with %d Message-IDs, want 5 alerts each once: %q", n, len(ms), subjects())
	}
	for id, l := range ms {
		m := l[0]
		if got := m.Header.Get("To"); got != "juumin@village.example, joho@village.example" {
			t.Errorf("%s: To %q", id, got)
		}
		body := decodeBody(t, m)
		if m.Header.Get("X-Kiosk-Alert") == "followup" {
			for _, w := range []string{ref, "このカードには署名用電子証明書が入っていません", "https://collector.village.example:8443/console/find?ref="} {
				if !strings.Contains(body, w) {
					t.Errorf("the follow-up mail lacks %q:\n%s", w, body)
				}
			}
		}
	}
	// The kiosk's history, kept from its heartbeats by the running
	// collector: the printer out of paper, on K01's page.
	tc, err := ksync.ClientTLS(pem("ca"), pem("client-staff-a"), pem("client-staff-a-key"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ksync.NewHTTPClient(tc, 5*time.Second).Get("https://localhost:" + addr[strings.LastIndex(addr, ":")+1:] + "/console/kiosk/K01")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if h := string(page); !strings.Contains(h, `id="history"`) || !strings.Contains(h[strings.Index(h, `id="history"`):], "用紙切れ") {
		t.Errorf("K01's page has no history of its printer running out")
	}
	if alerts.MessageID("a") == alerts.MessageID("b") {
		t.Error("two alerts share a Message-ID")
	}
}

type mimeDecoder struct{ mime.WordDecoder }

func (d *mimeDecoder) subject(m *mail.Message) string {
	s, err := d.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return m.Header.Get("Subject")
	}
	return s
}

func decodeBody(t *testing.T, m *mail.Message) string {
	t.Helper()
	b, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, m.Body))
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	return string(b)
}
