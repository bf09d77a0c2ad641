package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk/update"
)

// A technician's whole path through kioskctl with partitions as files: make a
// release key, sign a bundle, verify it, apply it (the trial reboot is a
// recorded command), and see a trial that never came up reported.
func TestUpdateCommands(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	kctl := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, &out, &errOut)
		return out.String() + errOut.String(), err
	}
	os.MkdirAll(p("keys"), 0o755)
	if out, err := kctl("update", "keygen", "--key", p("release.key"), "--pub", p("keys/release.pub")); err != nil {
		t.Fatal(out, err)
	}
	for i, n := range []string{"root.ext4", "boot-a.vfat", "boot-b.vfat", "p2", "p3", "p5", "p6"} {
		os.WriteFile(p(n), bytes.Repeat([]byte{byte(i + 1)}, 70_000), 0o644)
	}
	out, err := kctl("update", "build", "--key", p("release.key"), "--version", "v2", "--serial", "200",
		"--root", p("root.ext4"), "--boot-a", p("boot-a.vfat"), "--boot-b", p("boot-b.vfat"), "--out", p("v2.kup"))
	if err != nil || !strings.Contains(out, "serial 200") {
		t.Fatal(out, err)
	}
	if out, err := kctl("update", "verify", "--keys", p("keys"), "--release", p("none"), p("v2.kup")); err != nil || !strings.HasPrefix(out, "OK:") {
		t.Fatal(out, err)
	}
	// Another key: refused, with the reason and the screen's words.
	os.MkdirAll(p("otherkeys"), 0o755)
	kctl("update", "keygen", "--key", p("other.key"), "--pub", p("otherkeys/other.pub"))
	if _, err := kctl("update", "verify", "--keys", p("otherkeys"), p("v2.kup")); err == nil || !strings.Contains(err.Error(), "bad_signature") || !strings.Contains(err.Error(), "正しい署名がない") {
		t.Fatalf("foreign key: %v", err)
	}
	os.WriteFile(p("release"), []byte("VERSION=v3\nSERIAL=300\n"), 0o644)
	if _, err := kctl("update", "verify", "--keys", p("keys"), "--release", p("release"), p("v2.kup")); update.ReasonOf(err) != update.ReasonDowngrade {
		t.Fatalf("older than running: %v", err)
	}

	// Apply on a card of files: a real FAT select partition, the firmware's
	// device-tree words, and a reboot command that records its argument.
	run := func(name string, args ...string) {
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v %s", name, err, out)
		}
	}
	os.WriteFile(p("autoboot.txt"), update.RenderAutoboot(2, 3), 0o644)
	run("mkfs.vfat", "-C", p("p1"), "1024")
	run("mcopy", "-i", p("p1"), p("autoboot.txt"), "::autoboot.txt")
	layout := update.Layout{Select: p("p1"), Slots: [2]update.Slot{
		{Name: "a", BootPartition: 2, Boot: p("p2"), Root: p("p5")},
		{Name: "b", BootPartition: 3, Boot: p("p3"), Root: p("p6")},
	}}
	lb, _ := json.Marshal(layout)
	os.WriteFile(p("slots.json"), lb, 0o644)
	dt := func(part, try uint32) {
		os.MkdirAll(p("dt"), 0o755)
		os.WriteFile(p("dt/partition"), binary.BigEndian.AppendUint32(nil, part), 0o644)
		os.WriteFile(p("dt/tryboot"), binary.BigEndian.AppendUint32(nil, try), 0o644)
	}
	dt(2, 0)
	running, _ := os.ReadFile(p("p5"))
	script := p("reboot.sh")
	os.WriteFile(script, []byte("#!/bin/sh\necho \"$@\" >>"+p("reboots")+"\n"), 0o755)
	sig := update.Signal{Progress: p("run/kiosk-update/progress.json"), Idle: p("run/kiosk/update-idle")}
	common := []string{"--keys", p("keys"), "--layout", p("slots.json"), "--state", p("state"), "--release", p("none"), "--device-tree", p("dt"),
		"--reboot-command", script, "--signal-progress", sig.Progress, "--signal-idle", sig.Idle, "--show-refusal", "300ms"}
	// A running kiosk: it gives way after a moment, and shows what it is told.
	os.MkdirAll(filepath.Dir(sig.Idle), 0o755)
	kiosk := fakeKiosk(t, sig, 500*time.Millisecond)
	out, err = kctl(append(append([]string{"update", "apply"}, common...), p("v2.kup"))...)
	if err != nil || !strings.Contains(out, "書き込み中 writing 100%") || !strings.Contains(out, "rebooting to try it") {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	// The kiosk polls: it may miss a quick step, never see one out of order.
	if seen := kiosk(); len(seen) < 2 || seen[0] != "waiting" || seen[len(seen)-1] != "reboot" || !inOrder(seen, "waiting", "verify", "write", "readback", "reboot") {
		t.Fatalf("the kiosk's screen showed %v", seen)
	}
	if b, _ := os.ReadFile(p("reboots")); string(b) != "0 tryboot\n" {
		t.Fatalf("reboot command got %q", b)
	}
	if b, _ := os.ReadFile(p("p5")); !bytes.Equal(b, running) {
		t.Fatal("the running root changed")
	}
	if b, _ := os.ReadFile(p("p6")); !bytes.Equal(b[:70_000], bytes.Repeat([]byte{1}, 70_000)) {
		t.Fatal("root B does not hold the new root")
	}
	// The trial never came up: the firmware booted A again.
	if out, err := kctl(append([]string{"update", "boot-check"}, common...)...); err != nil || !strings.Contains(out, "phase=failed version=v2 reason=trial_failed") {
		t.Fatalf("boot-check: %v %s", err, out)
	}
	out, err = kctl(append([]string{"update", "status", "--json"}, common...)...)
	var st struct {
		Boot  update.BootInfo
		State update.State
	}
	if err != nil || json.Unmarshal([]byte(out), &st) != nil || st.Boot.Partition != 2 || st.State.Reason != "trial_failed" {
		t.Fatalf("status: %v %s", err, out)
	}
	// An older bundle now: refused, shown on the kiosk with its reason.
	out, _ = kctl("update", "build", "--key", p("release.key"), "--version", "v0", "--serial", "50",
		"--root", p("root.ext4"), "--boot-a", p("boot-a.vfat"), "--boot-b", p("boot-b.vfat"), "--out", p("v0.kup"))
	os.WriteFile(p("release"), []byte("SERIAL=100\n"), 0o644)
	kiosk = fakeKiosk(t, sig, 0)
	refusal := append(append([]string{"update", "apply"}, common...), "--release", p("release"), p("v0.kup"))
	if _, err := kctl(refusal...); update.ReasonOf(err) != update.ReasonDowngrade || !strings.Contains(err.Error(), "新しくありません") {
		t.Fatalf("downgrade: %v", err)
	}
	if seen := kiosk(); !slices.Contains(seen, "refused") {
		t.Fatalf("the kiosk's screen showed %v", seen)
	}
	if sig.Read(time.Now()) != nil {
		t.Fatal("the kiosk's screen was not given back")
	}
	// A kiosk in a visit that never ends: nothing is written.
	os.Remove(sig.Idle)
	before, _ := os.ReadFile(p("p5"))
	if _, err := kctl(append(refusal[:len(refusal)-1], "--wait-for-kiosk", "1s", p("v2.kup"))...); err == nil || !strings.Contains(err.Error(), "did not give way") {
		t.Fatalf("kiosk busy: %v", err)
	}
	if after, _ := os.ReadFile(p("p5")); !bytes.Equal(before, after) {
		t.Fatal("written while the kiosk was busy")
	}
}

// fakeKiosk answers the updater as the kiosk does, after delay, and
// returns a function that stops it and gives the steps its screen showed.
func fakeKiosk(t *testing.T, sig update.Signal, delay time.Duration) func() []string {
	stop, done := make(chan struct{}), make(chan []string)
	go func() {
		var seen []string
		var since time.Time
		for stopped := false; ; {
			select {
			case <-stop:
				stopped = true // one last look at what the updater left
			case <-time.After(10 * time.Millisecond):
			}
			st := sig.Read(time.Now())
			if stopped {
				if st != nil && (len(seen) == 0 || seen[len(seen)-1] != st.Step) {
					seen = append(seen, st.Step)
				}
				done <- seen
				return
			}
			if st == nil {
				continue
			}
			if len(seen) == 0 || seen[len(seen)-1] != st.Step {
				seen = append(seen, st.Step)
			}
			if since.IsZero() {
				since = time.Now()
			}
			if time.Since(since) >= delay {
				sig.SetIdle(true, time.Now())
			}
		}
	}()
	return func() []string { close(stop); return <-done }
}

// inOrder says seen is a subsequence of order.
func inOrder(seen []string, order ...string) bool {
	i := 0
	for _, s := range seen {
		for i < len(order) && order[i] != s {
			i++
		}
		if i == len(order) {
			return false
		}
	}
	return true
}

func TestBootRules(t *testing.T) {
	dir := t.TempDir()
	cl := filepath.Join(dir, "cmdline")
	tests := []struct {
		cmdline     string
		flagSoak    time.Duration
		soak, limit time.Duration
	}{
		{"", 0, update.DefaultRules.Soak, update.DefaultRules.Limit},
		{"ro quiet kiosk.update_soak=20s kiosk.update_limit=90s", 0, 20 * time.Second, 90 * time.Second},
		{"kiosk.update_soak=junk kiosk.update_limit=-5s", 0, update.DefaultRules.Soak, update.DefaultRules.Limit},
		{"kiosk.update_soak=20s", time.Minute, time.Minute, update.DefaultRules.Limit},
	}
	for _, tt := range tests {
		os.WriteFile(cl, []byte(tt.cmdline+"\n"), 0o644)
		r := bootRules(updateFlags{cmdline: cl, soak: tt.flagSoak})
		if r.Soak != tt.soak || r.Limit != tt.limit {
			t.Errorf("%q: %+v", tt.cmdline, r)
		}
	}
	for cmdline, want := range map[string]time.Duration{
		"":                                 0,
		"kiosk.update_commit_pause=2m":     2 * time.Minute,
		"a kiosk.update_commit_pause=junk": 0,
		"kiosk.update_commit_pause=-1s":    0,
		"kiosk.update_commit_pause=1s kiosk.update_commit_pause=5s": 5 * time.Second,
		"kiosk.update_commit_pause_x=5s":                            0,
	} {
		os.WriteFile(cl, []byte(cmdline+"\n"), 0o644)
		if got := cmdlineDuration(cl, "kiosk.update_commit_pause"); got != want {
			t.Errorf("%q: commit pause %s, want %s", cmdline, got, want)
		}
	}
}
