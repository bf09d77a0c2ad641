package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// TestWholeProgramPeerCollectorStopped: two collector processes on one
// database. The second is busy (a kiosk syncing to it, staff pages, each
// logged in the audit table under its lock) and is frozen by SIGSTOP,
// twice, at a moment it holds the audit table's lock inside a
// transaction (tried for up to 60 moments; at least one must be caught).
// Each time the first collector's staff
// pages and its kiosk are answered within 5 s, and the kiosk's records
// arrive while the peer stays frozen.
func TestWholeProgramPeerCollectorStopped(t *testing.T) {
	e := newPGEnv(t, "K01", "K02")
	peer := &collectorProc{t: t, addr: freePort(t), log: e.coll.log, args: e.coll.args[:len(e.coll.args):len(e.coll.args)]}
	for i, a := range peer.args {
		if a == "--metrics-listen" {
			peer.args = append(append([]string{}, peer.args[:i]...), peer.args[i+2:]...)
			peer.args = append(peer.args, "--metrics-listen", freePort(t))
			break
		}
	}
	peer.start()
	t.Cleanup(peer.stop)
	peerURL := "https://localhost:" + peer.addr[strings.LastIndex(peer.addr, ":")+1:]
	k1 := e.retainingKiosk("K01")
	k2 := e.retainingKiosk("K02", peerURL)
	k1.add(t, 5)
	k2.add(t, 5)
	e.noneLost("both collectors working", 30*time.Second, map[string]*kioskRun{"K01": k1, "K02": k2})

	caughtAny := false
	for round := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		var wg gosync.WaitGroup
		wg.Add(2)
		go func() { // the peer's kiosk, busy
			defer wg.Done()
			for ctx.Err() == nil {
				k2.add(t, 3)
				time.Sleep(20 * time.Millisecond)
			}
		}()
		go func() { // staff on the peer, each page logged under the audit lock
			defer wg.Done()
			c := ksync.NewHTTPClient(e.staff.Transport.(*http.Transport).TLSClientConfig, time.Second)
			for ctx.Err() == nil {
				if resp, err := c.Get(peerURL + "/console/"); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
		time.Sleep(300 * time.Millisecond)
		pid := peer.cmd.Process.Pid
		caught := stopHolding(t, e, pid, schemaOf(t, e.dsn), round)
		caughtAny = caughtAny || caught
		cancel()
		wg.Wait()
		stopped := time.Now()
		t.Logf("round %d: peer stopped %s", round, map[bool]string{true: "holding the audit table's lock", false: "(not caught holding the audit lock)"}[caught])

		for _, path := range []string{"/console/", "/console/kiosk/K01", "/console/kiosk/K02"} {
			code, body, took := e.page(path) // fails the test past the client's 5 s
			t.Logf("round %d: %s answered %d after %v", round, path, code, took)
			if code != http.StatusOK && (code != http.StatusServiceUnavailable || !strings.Contains(body, "データベースに接続できません")) {
				t.Errorf("round %d: %s with the peer stopped: %d\n%s", round, path, code, body)
			}
		}
		k1.add(t, 3)
		waitFor(t, "an answer to the kiosk within 5 s", 5*time.Second, func() bool {
			st := k1.s.State()
			return st.LastSuccess.After(stopped) || (st.LastAttempt.After(stopped) && strings.Contains(st.LastError, "503"))
		})
		e.noneLost("the first collector's kiosk with the peer stopped", 20*time.Second, map[string]*kioskRun{"K01": k1})
		if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
	}
	if !caughtAny {
		t.Error("the peer was never caught holding the audit lock: nothing above was tested against a frozen lock holder")
	}
	e.noneLost("after the peer continued", 60*time.Second, map[string]*kioskRun{"K01": k1, "K02": k2})
}

// stopHolding stops pid (SIGSTOP), trying up to 60 moments for one where
// it holds the audit table's lock inside a transaction; it reports
// whether it caught one. The process stays stopped either way.
func stopHolding(t *testing.T, e *pgEnv, pid int, schema string, round int) bool {
	t.Helper()
	q := "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.granted AND l.mode = 'ExclusiveLock' " +
		"AND l.relation = '" + schema + ".audit'::regclass AND a.state LIKE 'idle in transaction%'"
	for try := range 60 {
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		out, err := e.pg.Exec("psql", "-d", "postgres", "-tAc", q)
		if err == nil && strings.TrimSpace(string(out)) != "0" {
			t.Logf("round %d: caught the peer holding the audit lock at try %d", round, try+1)
			return true
		}
		if try == 59 {
			return false
		}
		if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(try%7) * 3 * time.Millisecond)
	}
	return false
}
