package journal

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const powercutEnv = "KIOSK_JOURNAL_POWERCUT_HELPER"

// TestPowerCutHelper is the child process of TestPowerCut: it appends (and
// now and then acknowledges) records, printing each seq only after Append
// has returned, until it is killed.
func TestPowerCutHelper(t *testing.T) {
	path := os.Getenv(powercutEnv)
	if path == "" {
		t.Skip("helper process for TestPowerCut")
	}
	j, err := Open(path, Options{KioskID: "kiosk-01"})
	if err != nil {
		fmt.Println("open-error", err)
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		r, err := j.Append(context.Background(), rec(i))
		if err != nil {
			fmt.Fprintln(w, "append-error", err)
			w.Flush()
			os.Exit(3)
		}
		fmt.Fprintln(w, "seq", r.Seq)
		w.Flush() // the parent must learn of each seq as soon as it is durable
		if r.Seq%97 == 0 && r.Seq > 40 {
			if _, err := ackUpTo(j, r.Seq-40); err != nil {
				os.Exit(4)
			}
			fmt.Fprintln(w, "ack", r.Seq-40)
			w.Flush()
		}
	}
}

// TestPowerCut kills the helper with SIGKILL at random moments, reopens the
// journal and checks that every seq the helper reported durable is there
// (or was acknowledged), that nothing is duplicated and the chain holds.
// SIGKILL cuts the process, not the disk cache: it proves transaction
// atomicity and our ordering, and relies on bbolt's fsync for real power loss.
func TestPowerCut(t *testing.T) {
	if os.Getenv(powercutEnv) != "" {
		t.Skip("inside the helper")
	}
	n := 20
	if v := os.Getenv("KIOSK_POWERCUT_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatalf("KIOSK_POWERCUT_N: %v", err)
		}
	}
	if testing.Short() {
		n = 5
	}
	path := filepath.Join(t.TempDir(), "j.db")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var durable, acked uint64
	for it := range n {
		seqs, ack := runHelperUntilKilled(t, path, rng)
		for _, s := range seqs {
			if s <= durable {
				t.Fatalf("iteration %d: seq %d handed out again (previous durable %d)", it, s, durable)
			}
			durable = s
		}
		acked = max(acked, ack)

		j, err := Open(path, Options{KioskID: "kiosk-01"})
		if err != nil {
			t.Fatalf("iteration %d: reopen: %v", it, err)
		}
		if j.Reset() != nil {
			t.Fatalf("iteration %d: journal reset after a kill: %+v", it, j.Reset())
		}
		st, err := j.Status()
		if err != nil {
			t.Fatal(err)
		}
		if !st.ChainOK {
			t.Fatalf("iteration %d: chain broken: %v", it, st.ChainBreak)
		}
		if st.HeadSeq < durable || st.AckedSeq < acked {
			t.Fatalf("iteration %d: head %d acked %d, helper reported %d durable, %d acked", it, st.HeadSeq, st.AckedSeq, durable, acked)
		}
		p, err := j.Pending(0)
		if err != nil {
			t.Fatal(err)
		}
		// Every record between the released tail and the head is present.
		if want := int(st.HeadSeq - st.AckedSeq); len(p) != want {
			t.Fatalf("iteration %d: %d pending, want %d", it, len(p), want)
		}
		durable = st.HeadSeq // a commit may land just before the kill without being reported
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d kills, head seq %d", n, durable)
}

func runHelperUntilKilled(t *testing.T, path string, rng *rand.Rand) (seqs []uint64, acked uint64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPowerCutHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), powercutEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killAfter := rng.IntN(150) + 1
	deadline := time.AfterFunc(5*time.Second, func() { _ = cmd.Process.Kill() }) // bound each run
	defer deadline.Stop()
	sc := bufio.NewScanner(out)
	lines := 0
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		v, err := strconv.ParseUint(f[1], 10, 64)
		switch {
		case f[0] == "seq" && err == nil:
			seqs = append(seqs, v)
		case f[0] == "ack" && err == nil:
			acked = v
		default:
			t.Fatalf("helper: %s", sc.Text())
		}
		if lines++; lines == killAfter {
			// Land the kill somewhere inside the next few appends.
			time.AfterFunc(time.Duration(rng.IntN(3000))*time.Microsecond, func() { _ = cmd.Process.Kill() })
		}
	}
	_ = cmd.Wait()
	return seqs, acked
}
