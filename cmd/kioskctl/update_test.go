package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

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
	common := []string{"--keys", p("keys"), "--layout", p("slots.json"), "--state", p("state"), "--release", p("none"), "--device-tree", p("dt"), "--reboot-command", script}
	out, err = kctl(append(append([]string{"update", "apply"}, common...), p("v2.kup"))...)
	if err != nil || !strings.Contains(out, "書き込み中 writing 100%") || !strings.Contains(out, "rebooting to try it") {
		t.Fatalf("apply: %v\n%s", err, out)
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
}
