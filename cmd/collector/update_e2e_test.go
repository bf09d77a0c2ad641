package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/update"
)

// The town hall publishes a signed bundle with the real collector binary; a
// kiosk (the real kioskctl, its partitions as files) fetches it over its
// mutual-TLS identity, writes the inactive slot and asks for the trial boot.
// A bundle signed with another key is never published; staff certificates
// and a kiosk outside the release's list get nothing.
func TestWholeProgramUpdateFromCollector(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	pkiDir := p("pki")
	if out, err := runBin(t, "collector", "gen-test-pki", pkiDir, "T01", "T02", "staff-e2e"); err != nil {
		t.Fatalf("gen-test-pki: %v\n%s", err, out)
	}
	pem := func(name string) string { return filepath.Join(pkiDir, name+".pem") }
	must := func(out string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return out
	}
	os.MkdirAll(p("keys"), 0o755)
	os.MkdirAll(p("otherkeys"), 0o755)
	must(runBin(t, "kioskctl", "update", "keygen", "--key", p("release.key"), "--pub", p("keys/release.pub")))
	must(runBin(t, "kioskctl", "update", "keygen", "--key", p("other.key"), "--pub", p("otherkeys/other.pub")))
	for i, n := range []string{"root", "boota", "bootb"} {
		os.WriteFile(p(n), bytes.Repeat([]byte{byte('A' + i)}, 300_000), 0o644)
	}
	build := func(key, out string, serial string) {
		must(runBin(t, "kioskctl", "update", "build", "--key", key, "--version", "v2", "--serial", serial,
			"--root", p("root"), "--boot-a", p("boota"), "--boot-b", p("bootb"), "--out", out))
	}
	build(p("release.key"), p("v2.kup"), "200")
	build(p("other.key"), p("foreign.kup"), "250")
	rel := []string{"release", "--releases", p("releases"), "--keys", p("keys")}
	if out, err := runBin(t, "collector", append(rel, p("foreign.kup"))...); err == nil || !strings.Contains(out, "bad_signature") {
		t.Fatalf("a foreign bundle was published: %v\n%s", err, out)
	}
	if out := must(runBin(t, "collector", "release", "--releases", p("releases"))); !strings.Contains(out, "no release") {
		t.Fatal(out)
	}
	must(runBin(t, "collector", append(rel, "--kiosks", "T01", p("v2.kup"))...))

	clog, _ := os.Create(p("collector.log"))
	defer clog.Close()
	coll := &collectorProc{t: t, addr: freePort(t), log: clog, args: []string{"--ca", pem("ca"), "--cert", pem("server"),
		"--key", pem("server-key"), "--data", p("collector"), "--releases", p("releases")}}
	coll.start()
	defer coll.stop()
	base := "https://localhost:" + coll.addr[strings.LastIndex(coll.addr, ":")+1:]

	// Staff, and a kiosk the release does not name, are offered nothing.
	for _, c := range []struct {
		who  string
		want int
	}{{"staff-e2e", http.StatusForbidden}, {"T02", http.StatusNoContent}, {"T01", http.StatusOK}} {
		tc, err := ksync.ClientTLS(pem("ca"), pem("client-"+c.who), pem("client-"+c.who+"-key"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ksync.NewHTTPClient(tc, 5*time.Second).Get(base + update.PathOffer)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s asking for the offer: %s, want %d", c.who, resp.Status, c.want)
		}
	}

	// Kiosk T01: its configuration, the SD card as files, the firmware's words.
	cfg := p("kiosk.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("kiosk_id = \"T01\"\n[municipality]\nname = \"〇〇村\"\noffice = \"住民福祉課\"\nphone = \"0000-00-0000\"\nhours = \"平日 8:30〜17:15\"\n[journal]\npath = %q\n[sync]\ncollector_url = %q\nca = %q\ncert = %q\nkey = %q\n[devices.reader]\nmode = \"sim\"\n[devices.keypad]\nmode = \"sim\"\n[devices.printer]\nmode = \"sim\"\npath = %q\nwidth_mm = 58\n[devices.touch]\nmode = \"sim\"\n",
		p("journal.db"), base, pem("ca"), pem("client-T01"), pem("client-T01-key"), p("slips"))), 0o644)
	os.WriteFile(p("autoboot.txt"), update.RenderAutoboot(2, 3), 0o644)
	for _, c := range [][]string{{"mkfs.vfat", "-C", p("p1"), "1024"}, {"mcopy", "-i", p("p1"), p("autoboot.txt"), "::autoboot.txt"}} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", c, err, out)
		}
	}
	for _, n := range []string{"p2", "p3", "p5", "p6"} {
		os.WriteFile(p(n), make([]byte, 400_000), 0o644)
	}
	lb, _ := json.Marshal(update.Layout{Select: p("p1"), Slots: [2]update.Slot{
		{Name: "a", BootPartition: 2, Boot: p("p2"), Root: p("p5")}, {Name: "b", BootPartition: 3, Boot: p("p3"), Root: p("p6")}}})
	os.WriteFile(p("slots.json"), lb, 0o644)
	os.MkdirAll(p("dt"), 0o755)
	os.WriteFile(p("dt/partition"), binary.BigEndian.AppendUint32(nil, 2), 0o644)
	os.WriteFile(p("dt/tryboot"), binary.BigEndian.AppendUint32(nil, 0), 0o644)
	os.WriteFile(p("reboot.sh"), []byte("#!/bin/sh\necho \"$@\" >>"+p("reboots")+"\n"), 0o755)
	os.WriteFile(p("kiosk-release"), []byte("VERSION=v1\nSERIAL=100\n"), 0o644)
	fetch := []string{"update", "fetch", "--config", cfg, "--keys", p("keys"), "--layout", p("slots.json"), "--state", p("state"),
		"--release", p("kiosk-release"), "--device-tree", p("dt"), "--reboot-command", p("reboot.sh"),
		"--signal-progress", p("run/kiosk-update/progress.json"), "--signal-idle", p("run/kiosk/update-idle")}
	// Published with keys the kiosks do not hold (a town that rotated its key
	// on the collector only): the kiosk refuses it once, and does not fetch
	// it again.
	must(runBin(t, "collector", "release", "--releases", p("releases"), "--keys", p("otherkeys"), p("foreign.kup")))
	if out, err := runBin(t, "kioskctl", fetch...); err == nil || !strings.Contains(out, "bad_signature") {
		t.Fatalf("foreign bundle fetched: %v\n%s", err, out)
	}
	if out := must(runBin(t, "kioskctl", fetch...)); !strings.Contains(out, "already failed here (bad_signature)") {
		t.Fatalf("refused bundle fetched again: %s", out)
	}
	if b, _ := os.ReadFile(p("p5")); !bytes.Equal(b, make([]byte, 400_000)) {
		t.Fatal("CANARY: the running root was written")
	}

	// Outside the window staff chose: the kiosk waits.
	later := time.Now().Add(2 * time.Hour)
	must(runBin(t, "collector", append(rel, "--window", later.Format("15:04")+"-"+later.Add(time.Hour).Format("15:04"), p("v2.kup"))...))
	if out := must(runBin(t, "kioskctl", fetch...)); !strings.Contains(out, "waits for its window") {
		t.Fatalf("outside the window: %s", out)
	}
	now := time.Now()
	must(runBin(t, "collector", append(rel, "--window", now.Add(-time.Hour).Format("15:04")+"-"+now.Add(time.Hour).Format("15:04"), "--kiosks", "T01", p("v2.kup"))...))
	out := must(runBin(t, "kioskctl", fetch...))
	if !strings.Contains(out, "v2: fetched from the collector") {
		t.Fatalf("fetch: %s", out)
	}
	if b, _ := os.ReadFile(p("reboots")); string(b) != "0 tryboot\n" {
		t.Fatalf("reboots %q", b)
	}
	if b, _ := os.ReadFile(p("p6")); !bytes.Equal(b[:300_000], bytes.Repeat([]byte{'A'}, 300_000)) {
		t.Fatal("root B does not hold the release's root")
	}
	if b, _ := os.ReadFile(p("p3")); !bytes.Equal(b[:300_000], bytes.Repeat([]byte{'C'}, 300_000)) {
		t.Fatal("boot B does not hold slot B's boot image")
	}
	if b, _ := os.ReadFile(p("p5")); !bytes.Equal(b, make([]byte, 400_000)) {
		t.Fatal("CANARY: the running root was written")
	}
	// Asked again during the trial: nothing is fetched twice.
	if out := must(runBin(t, "kioskctl", fetch...)); !strings.Contains(out, "being tried") {
		t.Fatalf("second fetch: %s", out)
	}
	// Withdrawn: nothing offered.
	must(runBin(t, "collector", "release", "--releases", p("releases"), "--withdraw"))
	if out := must(runBin(t, "kioskctl", fetch...)); !strings.Contains(out, "no release published") {
		t.Fatalf("after withdraw: %s", out)
	}
}
