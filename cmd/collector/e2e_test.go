package main

// The whole sync path with the real binaries: the kiosk (simulated devices,
// in tmux) syncs over loopback HTTPS with its client certificate to the
// collector, loses its journal twice (re-flashed, then corrupt), goes
// offline and is emptied onto a "USB stick" with kioskctl, and at the end
// the town hall holds every record of every journal.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/sync/synctest"
)

var binDir string // kiosk, collector and kioskctl, built once

func TestMain(m *testing.M) {
	if os.Getenv("KIOSK_SOAK_WRITER") != "" {
		os.Exit(m.Run()) // the soak's child process (soak_test.go): nothing to build
	}
	dir, err := os.MkdirTemp("", "sync-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	cmd := exec.Command("go", "build", "-o", dir+"/", "./cmd/kiosk", "./cmd/collector", "./cmd/kioskctl")
	cmd.Dir = repoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func repoRoot() string {
	wd, _ := os.Getwd()
	return filepath.Join(wd, "..", "..")
}

func bin(name string) string { return filepath.Join(binDir, name) }

// runBin runs one of the binaries to the end.
func runBin(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(bin(name), args...).CombinedOutput()
	return string(out), err
}

// collectorProc is the collector binary on a loopback port.
type collectorProc struct {
	t    *testing.T
	args []string
	addr string
	cmd  *exec.Cmd
	log  *os.File
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (c *collectorProc) start() {
	c.t.Helper()
	c.cmd = exec.Command(bin("collector"), append([]string{"serve", "--listen", c.addr}, c.args...)...)
	c.cmd.Stdout, c.cmd.Stderr = c.log, c.log
	if err := c.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	waitFor(c.t, "the collector listening", 10*time.Second, func() bool {
		conn, err := net.Dial("tcp", c.addr)
		if err == nil {
			conn.Close()
		}
		return err == nil
	})
}

func (c *collectorProc) stop() {
	c.t.Helper()
	if c.cmd == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	if err := c.cmd.Wait(); err != nil {
		c.t.Errorf("collector exit: %v", err)
	}
	c.cmd = nil
}

// kioskProc is the kiosk binary in a private tmux server (it draws on a
// terminal; the simulated reader takes F1–F12 from it).
type kioskProc struct {
	t                  *testing.T
	sock, pidFile, cfg string
	dir                string
}

func (k *kioskProc) tmux(args ...string) {
	k.t.Helper()
	if out, err := exec.Command("tmux", append([]string{"-S", k.sock}, args...)...).CombinedOutput(); err != nil && args[0] != "kill-server" {
		k.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
}

func (k *kioskProc) start() {
	k.t.Helper()
	os.Remove(k.pidFile)
	os.Remove(journal.ControlSocket(filepath.Join(k.dir, "journal.db")))
	// The shell writes its PID and becomes the kiosk: the test stops the kiosk by that PID.
	cmd := fmt.Sprintf("echo $$ > %s; exec %s --config %s --log %s", k.pidFile, bin("kiosk"), k.cfg, filepath.Join(k.dir, "kiosk.log"))
	k.tmux("new-session", "-d", "-x", "100", "-y", "30", "-c", repoRoot(), "-e", "TERM=xterm-256color", "sh", "-c", cmd)
	waitFor(k.t, "the kiosk's control socket", 10*time.Second, func() bool {
		_, err := os.Stat(journal.ControlSocket(filepath.Join(k.dir, "journal.db")))
		return err == nil
	})
}

func (k *kioskProc) pid() int {
	b, err := os.ReadFile(k.pidFile)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// stop ends the kiosk as systemd does (SIGTERM) and waits for it to go.
func (k *kioskProc) stop() {
	k.t.Helper()
	pid := k.pid()
	if pid == 0 {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	waitFor(k.t, "the kiosk to stop", 10*time.Second, func() bool { return syscall.Kill(pid, 0) != nil })
	k.tmux("kill-server")
	os.Remove(k.pidFile)
}

func (k *kioskProc) keys(keys ...string) { k.tmux(append([]string{"send-keys"}, keys...)...) }

func waitFor(t *testing.T, what string, within time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// townHall is a collector on a loopback port with a fresh test PKI for the
// named kiosks and staff-e2e (stopped when the test ends), and that staff
// member's client of it.
type townHall struct {
	coll  *collectorProc
	base  string                   // https://localhost:PORT, the documented form
	pem   func(name string) string // a file of the PKI: "ca", "client-T01-key", ...
	staff staff
}

func startTownHall(t *testing.T, dir string, kiosks []string, args ...string) townHall {
	t.Helper()
	pkiDir := filepath.Join(dir, "pki")
	if out, err := runBin(t, "collector", append(append([]string{"gen-test-pki", pkiDir}, kiosks...), "staff-e2e")...); err != nil {
		t.Fatalf("gen-test-pki: %v\n%s", err, out)
	}
	pem := func(name string) string { return filepath.Join(pkiDir, name+".pem") }
	clog, err := os.Create(filepath.Join(dir, "collector.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { clog.Close() })
	coll := &collectorProc{t: t, addr: freePort(t), log: clog,
		args: append([]string{"--ca", pem("ca"), "--cert", pem("server"), "--key", pem("server-key"), "--data", filepath.Join(dir, "collector")}, args...)}
	coll.start()
	t.Cleanup(coll.stop)
	base := "https://localhost:" + coll.addr[strings.LastIndex(coll.addr, ":")+1:]
	tc, err := ksync.ClientTLS(pem("ca"), pem("client-staff-e2e"), pem("client-staff-e2e-key"))
	if err != nil {
		t.Fatal(err)
	}
	return townHall{coll: coll, base: base, pem: pem, staff: staff{t: t, base: base, c: ksync.NewHTTPClient(tc, 5*time.Second)}}
}

// staff reads the collector's staff interface.
type staff struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (s staff) kiosk(id string) store.KioskState {
	s.t.Helper()
	var k store.KioskState
	resp, err := s.c.Get(s.base + ksync.PathKiosks + "?kiosk=" + id)
	if err != nil {
		return k
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		_ = json.NewDecoder(resp.Body).Decode(&k)
	}
	return k
}

func (s staff) journalRecords(id, journalID string) int {
	for _, j := range s.kiosk(id).Journals {
		if j.JournalID == journalID {
			return j.Records
		}
	}
	return 0
}

func TestWholeProgramSyncNeverLosesARecord(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux missing (apt-get install tmux): make test installs it")
	}
	dir := t.TempDir()
	th := startTownHall(t, dir, []string{"T01"}, "--admins", "staff-e2e")
	coll, base, pem, townHall := th.coll, th.base, th.pem, th.staff

	kdir := filepath.Join(dir, "kiosk")
	os.MkdirAll(kdir, 0o755)
	db := filepath.Join(kdir, "journal.db")
	cfg := filepath.Join(kdir, "kiosk.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`kiosk_id = "T01"
[municipality]
name = "〇〇村"
office = "住民福祉課"
phone = "0000-00-0000"
hours = "平日 8:30〜17:15"
[journal]
path = %q
[sync]
collector_url = %q
ca = %q
cert = %q
key = %q
interval = "10s"
[devices.reader]
mode = "sim"
[devices.keypad]
mode = "sim"
[devices.printer]
mode = "sim"
path = %q
width_mm = 58
kanji = true
[devices.touch]
mode = "sim"
`, db, base, pem("ca"), pem("client-T01"), pem("client-T01-key"), filepath.Join(kdir, "slips"))), 0o644)
	if out, err := runBin(t, "kioskctl", "provision", "check", cfg); err != nil {
		t.Fatalf("provision check: %v\n%s", err, out)
	}
	k := &kioskProc{t: t, sock: filepath.Join(dir, "tmux.sock"), pidFile: filepath.Join(dir, "kiosk.pid"), cfg: cfg, dir: kdir}
	defer func() {
		k.stop()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(kdir, "kiosk.log"))
			c, _ := os.ReadFile(th.coll.log.Name())
			t.Logf("kiosk log:\n%s\ncollector log:\n%s", b, c)
		}
	}()

	status := func() journal.Status {
		t.Helper()
		r, err := journal.Dial(db) // the running kiosk's journal, as kioskctl reaches it
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		st, err := r.Status()
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	// visit: a resident with an expired card, who gets a slip; returns once
	// the record is durable in the kiosk's journal.
	visit := func() {
		t.Helper()
		before := status().HeadSeq
		k.keys("F3")
		waitFor(t, "the visit's record", 10*time.Second, func() bool { return status().HeadSeq > before })
		k.keys("F12")
	}
	// synced waits for the kiosk to upload; after a failure its backoff
	// (up to 8 s here) delays the next attempt.
	synced := func(journalID string, n int) {
		t.Helper()
		waitFor(t, fmt.Sprintf("%d records of journal %s at the collector", n, journalID), 40*time.Second, func() bool {
			return townHall.journalRecords("T01", journalID) == n && status().Depth == 0
		})
	}

	// Journal A: 4 visits, synced.
	k.start()
	a := status().JournalID
	for range 4 {
		visit()
	}
	synced(a, 5) // its start record and the 4 visits
	k.stop()

	// The SD card is re-flashed: no journal file. Journal B starts at seq 1 again.
	os.Remove(db)
	k.start()
	b := status().JournalID
	if b == a || status().CreatedReason != journal.DetailJournalNew {
		t.Fatalf("journal after re-flash: %s (%s)", b, status().CreatedReason)
	}
	for range 3 {
		visit()
	}
	synced(b, 4)
	k.stop()

	// The file is corrupt: the kiosk moves it aside and starts journal C.
	os.WriteFile(db, bytes.Repeat([]byte("not a bolt file "), 1024), 0o600)
	k.start()
	c := status().JournalID
	if c == b || status().CreatedReason != journal.DetailReset {
		t.Fatalf("journal after corruption: %s (%s)", c, status().CreatedReason)
	}
	for range 2 {
		visit()
	}
	synced(c, 3)

	// The town hall goes away: records stay on the kiosk, and staff see why.
	coll.stop()
	visit()
	visit()
	waitFor(t, "the failure in the journal's status", 15*time.Second, func() bool { return status().Sync.Failures > 0 })
	out, err := runBin(t, "kioskctl", "journal", "status", "--db", db)
	if err != nil || !strings.Contains(out, "unsent records: 2") || !strings.Contains(out, "FAILING") || !strings.Contains(out, base+"/v1/batch") {
		t.Fatalf("journal status while the collector is down: %v\n%s", err, out)
	}
	klog, _ := os.ReadFile(filepath.Join(kdir, "kiosk.log"))
	if !bytes.Contains(klog, []byte(`"url":"`+base+`/v1/batch"`)) {
		t.Fatalf("the kiosk log does not name the URL:\n%s", klog)
	}

	// A technician empties the kiosk onto a USB stick, through the running kiosk.
	usb := filepath.Join(dir, "usb", "kiosk-T01")
	if out, err := runBin(t, "kioskctl", "journal", "export", "--db", db, "--to", usb, "--config", cfg); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if out, err := runBin(t, "kioskctl", "journal", "verify", "--cert", pem("client-T01"), usb); err != nil || !strings.Contains(out, "OK: 2 records") {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	forged := filepath.Join(dir, "forged")
	if err := synctest.Forge(usb, forged, 0, func(r *kiosk.Record) { r.Status = "valid" }); err != nil {
		t.Fatal(err)
	}
	if out, err := runBin(t, "kioskctl", "journal", "verify", "--cert", pem("client-T01"), forged); err == nil || !strings.Contains(out, "signature does not verify") {
		t.Fatalf("an edited export with recomputed hashes verified: %v\n%s", err, out)
	}
	if out, err := runBin(t, "kioskctl", "journal", "ack", "--db", db, "--manifest", filepath.Join(usb, "manifest.json"), "--config", cfg); err != nil || !strings.Contains(out, "released 2") {
		t.Fatalf("ack: %v\n%s", err, out)
	}

	// The town hall is back; the kiosk goes on. What it released for the
	// USB export it still keeps (journal.retain_days), and it sends those
	// again when the collector lacks them: the gap closes by itself, so a
	// lost stick loses nothing, and the import finds nothing new.
	coll.start()
	visit()
	synced(c, 6)
	var js store.JournalState
	for _, j := range townHall.kiosk("T01").Journals {
		if j.JournalID == c {
			js = j
		}
	}
	if len(js.Gaps) != 0 {
		t.Fatalf("journal C before the import: %+v", js)
	}
	importArgs := []string{"import", "--url", base, "--ca", pem("ca"), "--cert", pem("client-staff-e2e"), "--key", pem("client-staff-e2e-key")}
	if out, err := runBin(t, "collector", append(importArgs, forged)...); err == nil || !strings.Contains(out, "not verified") {
		t.Fatalf("the collector imported an edited export: %v\n%s", err, out)
	}
	if out, err := runBin(t, "collector", append(importArgs, usb)...); err != nil || !strings.Contains(out, "0 new, 2 already held") || !strings.Contains(out, "gaps left: none") {
		t.Fatalf("import: %v\n%s", err, out)
	}

	// Every record of every journal is at the town hall, each once, each chain whole.
	kst := townHall.kiosk("T01")
	want := map[string]int{a: 5, b: 4, c: 6}
	if kst.Records != 15 || len(kst.Journals) != 3 {
		t.Fatalf("collector holds %d records in %d journals, want 15 in 3", kst.Records, len(kst.Journals))
	}
	for _, j := range kst.Journals {
		if j.Records != want[j.JournalID] || !j.Complete() || j.HeadSeq != uint64(want[j.JournalID]) {
			t.Errorf("journal %s: %d records, gaps %v, want %d whole", j.JournalID, j.Records, j.Gaps, want[j.JournalID])
		}
		var recs []kiosk.Record
		resp, err := townHall.c.Get(base + ksync.PathRecords + "?kiosk=T01&journal=" + j.JournalID + "&after=0&limit=1000")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&recs)
		resp.Body.Close()
		if br := journal.VerifyChain(recs, 0, journal.Genesis); br != nil || len(recs) != want[j.JournalID] {
			t.Errorf("journal %s at the collector: %d records, chain %v", j.JournalID, len(recs), br)
		}
	}
	if len(kst.Events) != 3 || kst.Events[1].Reason != store.ReasonNewFile || kst.Events[2].Reason != store.ReasonCorrupt ||
		kst.Events[1].Previous != a || kst.Events[2].Previous != b {
		t.Errorf("staff events: %+v", kst.Events)
	}
	// The one thing staff must look at: the edited export someone offered.
	if len(kst.Flags) != 1 || kst.Flags[0].Kind != store.FlagBadSignature || kst.Flags[0].JournalID != c {
		t.Errorf("flags: %+v", kst.Flags)
	}
	if kst.LastHeartbeat == nil || len(kst.LastHeartbeat.Devices) == 0 || kst.LastHeartbeat.JournalID != c {
		t.Errorf("heartbeat: %+v", kst.LastHeartbeat)
	}
	// Every slip's reference number is unique and leads staff to its record.
	refs := slipReferences(t, filepath.Join(kdir, "slips"))
	if len(refs) != 12 {
		t.Fatalf("%d slips with references, want one per visit (12)", len(refs))
	}
	for ref := range refs {
		resp, err := townHall.c.Get(base + ksync.PathLookup + "?ref=" + ref)
		if err != nil {
			t.Fatal(err)
		}
		var found []json.RawMessage
		json.NewDecoder(resp.Body).Decode(&found)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(found) != 1 {
			t.Errorf("lookup %s: %s, %d found", ref, resp.Status, len(found))
		}
	}
}

var refRe = regexp.MustCompile(`T01-[0-9A-Z]{4}-[0-9]{4,}`)

// slipReferences reads the reference number off every slip the simulated
// printer wrote.
func slipReferences(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	refs := map[string]bool{}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		ref := refRe.Find(b)
		if ref == nil {
			t.Fatalf("slip %s has no reference:\n%s", f, b)
		}
		if refs[string(ref)] {
			t.Fatalf("reference %s printed twice", ref)
		}
		refs[string(ref)] = true
	}
	return refs
}
