package update

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// v2 writes a version-2 bundle to a file.
func (c *card) bundleFile(t *testing.T, version string, serial uint64, mod func(*Spec)) (string, Spec) {
	t.Helper()
	s := c.rel.images(t, version, partSize)
	s.Serial = serial
	if mod != nil {
		mod(&s)
	}
	path := filepath.Join(c.dir, version+".kup")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := Build(f, s, c.rel.priv); err != nil {
		t.Fatal(err)
	}
	return path, s
}

func TestGoodUpdateCommitsAfterHealth(t *testing.T) {
	c := newCard(t, newRelease(t))
	data := c.dataSum(t)
	path, v2 := c.bundleFile(t, "v2", 200, nil)
	var steps []string
	in := c.installer(&powerStorage{}, 100)
	in.Progress = func(p Progress) {
		if len(steps) == 0 || steps[len(steps)-1] != p.Step {
			steps = append(steps, p.Step)
		}
	}
	if _, err := in.Apply(context.Background(), fileSource(path), "usb"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"verify", "write", "readback", "reboot"}; !slices.Equal(steps, want) {
		t.Errorf("progress steps %v, want %v", steps, want)
	}
	if got := c.version(t, c.layout.Slots[0], c.v1); got != "v1" {
		t.Fatalf("running slot A changed: %q", got)
	}
	s, v := c.bootWorking(t, c.v1, v2)
	if s.Name != "b" || v != "v2" || !c.fw.current.Tryboot {
		t.Fatalf("trial boot: slot %s version %s tryboot %v", s.Name, v, c.fw.current.Tryboot)
	}
	cm := c.committer(&powerStorage{})
	st, inTrial, err := cm.AtBoot()
	if err != nil || !inTrial {
		t.Fatalf("AtBoot: trial %v, %v", inTrial, err)
	}
	healthy := func(context.Context) (Health, error) {
		return Health{Ready: true, ReaderSeen: true, JournalVerified: true, ActiveFor: 3 * time.Minute}, nil
	}
	if st, err = cm.Watch(context.Background(), st, healthy, DefaultRules, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if st.Phase != PhaseCommitted || st.Committed.Version != "v2" {
		t.Fatalf("state %+v", st)
	}
	// Any later reset, without the flag, boots v2.
	if s, v := c.bootWorking(t, c.v1, v2); s.Name != "b" || v != "v2" || c.fw.current.Tryboot {
		t.Fatalf("after commit: slot %s %s", s.Name, v)
	}
	if c.dataSum(t) != data {
		t.Fatal("data partition changed")
	}
	// The next update goes to A, and the committed serial forbids going back.
	_, err = c.installer(&powerStorage{}, 100).Apply(context.Background(), fileSource(path), "usb")
	if ReasonOf(err) != ReasonDowngrade {
		t.Fatalf("re-applying v2 after its commit: %v", err)
	}
	path3, v3 := c.bundleFile(t, "v3", 300, nil)
	if _, err := c.installer(&powerStorage{}, 100).Apply(context.Background(), fileSource(path3), "collector"); err != nil {
		t.Fatal(err)
	}
	if s, v := c.bootWorking(t, c.v1, v2, v3); s.Name != "a" || v != "v3" {
		t.Fatalf("v3 trial: slot %s %s", s.Name, v)
	}
}

// A refused bundle writes nothing: not the running slot, not autoboot.txt,
// not the data partition, and it never reboots; its reason is in the state.
func TestRefusedBundlesTouchNothing(t *testing.T) {
	rel := newRelease(t)
	tests := []struct {
		name string
		mk   func(c *card) string
		want Reason
		pre  func() error // the kiosk's Preflight
	}{
		{"signed by another key", func(c *card) string {
			c2 := *c
			c2.rel = newRelease(t)
			p, _ := c2.bundleFile(t, "v2", 200, nil)
			return p
		}, ReasonBadSignature, nil},
		{"unsigned", func(c *card) string {
			p, _ := c.bundleFile(t, "v2", 200, nil)
			b, _ := os.ReadFile(p)
			es := untar(t, b)
			os.WriteFile(p, retar(t, append(es[:1:1], es[2:]...)), 0o644)
			return p
		}, ReasonUnsigned, nil},
		{"downgrade", func(c *card) string { p, _ := c.bundleFile(t, "v0", 50, nil); return p }, ReasonDowngrade, nil},
		{"wrong board", func(c *card) string {
			p, _ := c.bundleFile(t, "v2", 200, func(s *Spec) { s.Board = "rpi5-arm64" })
			return p
		}, ReasonWrongBoard, nil},
		{"truncated", func(c *card) string {
			p, _ := c.bundleFile(t, "v2", 200, nil)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)*2/3], 0o644)
			return p
		}, ReasonTruncated, nil},
		{"corrupt root", func(c *card) string {
			p, _ := c.bundleFile(t, "v2", 200, func(s *Spec) { s.Raw = true })
			b, _ := os.ReadFile(p)
			b[len(b)-5000] ^= 0x40
			os.WriteFile(p, b, 0o644)
			return p
		}, ReasonCorrupt, nil},
		// A good bundle, but a kiosk that cannot ask for a trial boot (a Pi
		// without the tryboot module): nothing read, nothing written.
		{"kiosk cannot trial-boot", func(c *card) string { p, _ := c.bundleFile(t, "v2", 200, nil); return p },
			ReasonNoTryboot, func() error { return errors.New("the kiosk-tryboot module is not loaded") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCard(t, rel)
			running := sum(t, c.layout.Slots[0].Boot, c.layout.Slots[0].Root, c.layout.Select)
			target := sum(t, c.layout.Slots[1].Boot, c.layout.Slots[1].Root)
			data := c.dataSum(t)
			in := c.installer(&powerStorage{}, 100)
			in.Preflight = tt.pre
			_, err := in.Apply(context.Background(), fileSource(tt.mk(c)), "usb")
			if ReasonOf(err) != tt.want {
				t.Fatalf("reason %q, want %q: %v", ReasonOf(err), tt.want, err)
			}
			if sum(t, c.layout.Slots[0].Boot, c.layout.Slots[0].Root, c.layout.Select) != running {
				t.Fatal("CANARY: the running slot or autoboot.txt changed")
			}
			if sum(t, c.layout.Slots[1].Boot, c.layout.Slots[1].Root) != target {
				t.Error("the inactive slot was written: verification runs before any write")
			}
			if c.dataSum(t) != data || len(c.fw.reboots) != 0 {
				t.Fatalf("data changed or rebooted %v", c.fw.reboots)
			}
			st, _ := StateStore{Dir: filepath.Join(c.data, "update")}.Load()
			if st.Phase != PhaseFailed || st.Reason != string(tt.want) || !strings.Contains(st.Detail, string(tt.want)) {
				t.Fatalf("state %+v", st)
			}
		})
	}
}

// Power is cut at every write step of an install: the card always boots a
// working slot (v1 if the trial never started or its slot was half
// written), the data partition is untouched, and the next boot says why.
func TestPowerCutDuringApply(t *testing.T) {
	rel := newRelease(t)
	c0 := newCard(t, rel)
	path, v2 := c0.bundleFile(t, "v2", 200, nil)
	full := &powerStorage{}
	if _, err := c0.installer(full, 100).Apply(context.Background(), fileSource(path), "usb"); err != nil {
		t.Fatal(err)
	}
	t.Logf("apply: %d write steps", full.ops)
	if full.ops < 10 {
		t.Fatalf("only %d write steps: the model cuts nothing", full.ops)
	}
	for cut := 1; cut <= full.ops; cut++ {
		c := newCard(t, rel)
		copyFile(t, path, filepath.Join(c.dir, "v2.kup"))
		data := c.dataSum(t)
		running := sum(t, c.layout.Slots[0].Boot, c.layout.Slots[0].Root)
		ps := &powerStorage{cut: cut}
		_, err := c.installer(ps, 100).Apply(context.Background(), fileSource(filepath.Join(c.dir, "v2.kup")), "usb")
		if err == nil {
			t.Fatalf("cut %d: Apply went through a power cut", cut)
		}
		if sum(t, c.layout.Slots[0].Boot, c.layout.Slots[0].Root) != running {
			t.Fatalf("cut %d: CANARY: the running slot changed", cut)
		}
		s, v := c.bootWorking(t, c.v1, v2)
		if s.Name != "a" || v != "v1" {
			t.Fatalf("cut %d: booted %s %s; the trial was never requested", cut, s.Name, v)
		}
		st, inTrial, err := c.committer(&powerStorage{}).AtBoot()
		if err != nil || inTrial {
			t.Fatalf("cut %d: AtBoot %v %v", cut, inTrial, err)
		}
		if st.Phase != PhaseIdle && st.Phase != PhaseFailed {
			t.Fatalf("cut %d: state %+v", cut, st)
		}
		if c.dataSum(t) != data {
			t.Fatalf("cut %d: data partition changed", cut)
		}
	}
}

// Power is cut at every step of the commit (the state, the autoboot sector):
// a working slot boots, and the state ends up saying what runs.
func TestPowerCutDuringCommit(t *testing.T) {
	rel := newRelease(t)
	var total int
	for cut := 1; total == 0 || cut <= total; cut++ {
		c := newCard(t, rel)
		path, v2 := c.bundleFile(t, "v2", 200, nil)
		data := c.dataSum(t)
		if _, err := c.installer(&powerStorage{}, 100).Apply(context.Background(), fileSource(path), "usb"); err != nil {
			t.Fatal(err)
		}
		c.bootWorking(t, c.v1, v2)
		st, inTrial, err := c.committer(&powerStorage{}).AtBoot()
		if err != nil || !inTrial {
			t.Fatalf("AtBoot: %v %v", inTrial, err)
		}
		ps := &powerStorage{cut: cut}
		if total == 0 {
			ps.cut = 0
		}
		_, err = c.committer(ps).Commit(st)
		if total == 0 {
			if err != nil {
				t.Fatal(err)
			}
			total, cut = ps.ops, 0
			t.Logf("commit: %d write steps", total)
			continue
		}
		s, v := c.bootWorking(t, c.v1, v2)
		st, _, err = c.committer(&powerStorage{}).AtBoot()
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case v == "v2" && st.Phase == PhaseCommitted && st.Committed.Version == "v2":
		case v == "v1" && s.Name == "a" && st.Phase == PhaseFailed && st.Reason == "trial_failed":
		default:
			t.Fatalf("cut %d of %d: running %s %s, state %+v", cut, total, s.Name, v, st)
		}
		if c.dataSum(t) != data {
			t.Fatalf("cut %d: data partition changed", cut)
		}
	}
}

// The commit's console line and the test bench's hold come between the
// two writes of a commit: autoboot.txt already names the new slot, the
// state does not yet say committed. A power cut there (update-test
// cut-commit) is the AtBoot path "committed in autoboot.txt, trying in the
// state".
func TestAfterAutobootComesBetweenTheCommitWrites(t *testing.T) {
	rel := newRelease(t)
	c := newCard(t, rel)
	path, v2 := c.bundleFile(t, "v2", 200, nil)
	if _, err := c.installer(&powerStorage{}, 100).Apply(context.Background(), fileSource(path), "usb"); err != nil {
		t.Fatal(err)
	}
	c.bootWorking(t, c.v1, v2)
	cm := c.committer(&powerStorage{})
	st, inTrial, err := cm.AtBoot()
	if err != nil || !inTrial {
		t.Fatalf("AtBoot: %v %v", inTrial, err)
	}
	called := 0
	cm.AfterAutoboot = func(p int) {
		called++
		ab, _, err := readAutoboot(cm.Storage, cm.Layout)
		if err != nil || ab.Committed != p || p != 3 {
			t.Errorf("autoboot.txt at the hook: %+v %v, hook says partition %d", ab, err, p)
		}
		if now, err := cm.State.Load(); err != nil || now.Phase != PhaseTrying {
			t.Errorf("state at the hook: %+v %v, want still trying", now, err)
		}
	}
	if st, err = cm.Commit(st); err != nil || st.Phase != PhaseCommitted || called != 1 {
		t.Fatalf("commit: %+v %v, hook called %d times", st, err, called)
	}
}

// The new slot never becomes healthy: the kiosk records why and reboots
// plainly, which the firmware answers with the old slot.
func TestUnhealthyTrialFallsBack(t *testing.T) {
	for _, h := range []Health{
		{},
		{Ready: true, ReaderSeen: true, JournalVerified: true, Restarts: 1, ActiveFor: time.Hour},
		{Ready: true, JournalVerified: true, ActiveFor: time.Hour},
	} {
		c := newCard(t, newRelease(t))
		path, v2 := c.bundleFile(t, "v2", 200, nil)
		if _, err := c.installer(&powerStorage{}, 100).Apply(context.Background(), fileSource(path), "usb"); err != nil {
			t.Fatal(err)
		}
		c.bootWorking(t, c.v1, v2)
		cm := c.committer(&powerStorage{})
		st, _, _ := cm.AtBoot()
		st, err := cm.Watch(context.Background(), st, func(context.Context) (Health, error) { return h, nil }, Rules{Soak: time.Minute, Limit: 0}, time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.fw.reboots; !slices.Equal(got, []string{"tryboot", "plain"}) {
			t.Fatalf("reboots %v", got)
		}
		if s, v := c.bootWorking(t, c.v1, v2); s.Name != "a" || v != "v1" {
			t.Fatalf("after fallback: %s %s", s.Name, v)
		}
		st, _, _ = cm.AtBoot()
		if st.Phase != PhaseFailed || st.Reason != "unhealthy" || st.Detail == "" {
			t.Fatalf("state %+v", st)
		}
	}
}

// A trial that dies before it can judge (panic, watchdog, power cut) comes
// back in the old slot, and the state says so.
func TestTrialResetReturnsToOldSlot(t *testing.T) {
	c := newCard(t, newRelease(t))
	path, v2 := c.bundleFile(t, "v2", 200, nil)
	if _, err := c.installer(&powerStorage{}, 100).Apply(context.Background(), fileSource(path), "usb"); err != nil {
		t.Fatal(err)
	}
	if s, _ := c.bootWorking(t, c.v1, v2); s.Name != "b" {
		t.Fatal("no trial")
	}
	if s, v := c.bootWorking(t, c.v1, v2); s.Name != "a" || v != "v1" { // the watchdog resets it
		t.Fatalf("after reset: %s %s", s.Name, v)
	}
	st, _, err := c.committer(&powerStorage{}).AtBoot()
	if err != nil || st.Phase != PhaseFailed || st.Reason != "trial_failed" {
		t.Fatalf("state %+v %v", st, err)
	}
	// And the technician may try again.
	if _, err := c.installer(&powerStorage{}, 100).Apply(context.Background(), fileSource(path), "usb"); err != nil {
		t.Fatal(err)
	}
}

// A commit torn anywhere inside the autoboot sector still names slots only.
func TestTornAutobootSector(t *testing.T) {
	for _, dir := range [][2]int{{2, 3}, {3, 2}} {
		old, nw := RenderAutoboot(dir[0], dir[1]), RenderAutoboot(dir[1], dir[0])
		for k := 0; k <= AutobootSize; k++ {
			torn := append(bytes.Clone(nw[:k]), old[k:]...)
			for _, flag := range []bool{false, true} {
				p, how := BootChoice(torn, flag, 2)
				if (p != 2 && p != 3) || strings.HasPrefix(how, "partition walk") {
					t.Fatalf("torn at %d flag %v: partition %d (%s)", k, flag, p, how)
				}
			}
		}
	}
	if p, how := BootChoice(bytes.Repeat([]byte{0xff}, 512), false, 2); p != 2 || !strings.HasPrefix(how, "partition walk") {
		t.Fatalf("garbage: %d %s", p, how)
	}
}

func TestJudge(t *testing.T) {
	ok := Health{Ready: true, ReaderSeen: true, JournalVerified: true, ActiveFor: 2 * time.Minute}
	r := DefaultRules
	tests := []struct {
		name    string
		h       Health
		elapsed time.Duration
		want    Verdict
		reason  string
	}{
		{"healthy after soak", ok, 3 * time.Minute, Verdict{Commit: true}, ""},
		{"not soaked yet", Health{Ready: true, ReaderSeen: true, JournalVerified: true, ActiveFor: time.Minute}, time.Minute, Verdict{}, ""},
		{"restarted", Health{Ready: true, Restarts: 1}, time.Second, Verdict{Fail: true}, "kiosk_restarted"},
		{"never ready", Health{}, 10 * time.Minute, Verdict{Fail: true}, "not_ready"},
		{"no reader by the limit", Health{Ready: true, JournalVerified: true, ActiveFor: time.Hour}, 11 * time.Minute, Verdict{Fail: true}, "no_reader"},
		{"journal unverified", Health{Ready: true, ReaderSeen: true, ActiveFor: time.Hour}, 11 * time.Minute, Verdict{Fail: true}, "journal_unverified"},
		{"still waiting for the reader", Health{Ready: true, JournalVerified: true}, time.Minute, Verdict{}, ""},
	}
	for _, tt := range tests {
		v := Judge(tt.h, tt.elapsed, r)
		if v.Commit != tt.want.Commit || v.Fail != tt.want.Fail || !strings.HasPrefix(v.Reason, tt.reason) {
			t.Errorf("%s: %+v", tt.name, v)
		}
	}
}

func TestParseAutoboot(t *testing.T) {
	tests := []struct {
		in      string
		want    Autoboot
		wantErr bool
	}{
		{string(RenderAutoboot(2, 3)), Autoboot{2, 3, true}, false},
		{"[all]\ntryboot_a_b=1\nboot_partition=2\n[tryboot]\nboot_partition=3\n", Autoboot{2, 3, true}, false},
		{"boot_partition=2\n", Autoboot{2, 2, false}, false},
		{"[none]\nboot_partition=9\n[all]\nboot_partition=3\n", Autoboot{3, 3, false}, false},
		{"[tryboot]\nboot_partition=3\n", Autoboot{}, true},
		{"[all]\nboot_partition=x\n", Autoboot{}, true},
		{"garbage", Autoboot{}, true},
		{strings.Repeat("#", 513), Autoboot{}, true},
	}
	for _, tt := range tests {
		got, err := ParseAutoboot([]byte(tt.in))
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("%q: %+v %v", tt.in, got, err)
		}
	}
}
