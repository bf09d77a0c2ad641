//go:build soak

package main

// make soak: the kiosk's journal and syncer (the writer, a child process)
// are killed with SIGKILL at random moments a thousand times or more while
// appending and syncing through a loopback TCP proxy that drops, cuts,
// stalls and delays connections; the collector binary is killed with
// SIGKILL now and then too. Then the proxy cycles through its faults with
// the writer left running, and a clean drain follows. It counts records
// lost (reported durable by the writer, not at the collector), duplicated
// (one record stored twice) and released unacknowledged (gone from the
// journal, not at the collector), and fails unless all are 0.
//
//	KIOSK_SOAK_KILLS (1000) writer kills; KIOSK_SOAK_COLLECTOR_EVERY (100):
//	kill the collector every that many; KIOSK_SOAK_FAULT_SWITCHES (40) in
//	the fault phase.

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"syscall"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

const soakWriterEnv = "KIOSK_SOAK_WRITER"

const soakKiosk = "S01"

// writerConfig is what the parent tells the writer (as JSON in the environment).
type writerConfig struct {
	Journal, URL, CA, Cert, Key string
	Drain                       bool // no appends: sync until nothing is pending, then exit 0
	BatchSize                   int
}

// TestSoakWriter is the child process: the kiosk's journal and syncer.
// It prints "A journal seq hash nonce" for each record only once Append
// has returned (the record is durable), until it is killed.
func TestSoakWriter(t *testing.T) {
	raw := os.Getenv(soakWriterEnv)
	if raw == "" {
		t.Skip("the child process of TestSoak")
	}
	var cfg writerConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		fmt.Println("config-error", err)
		os.Exit(2)
	}
	j, err := journal.Open(cfg.Journal, journal.Options{KioskID: soakKiosk})
	if err != nil {
		fmt.Println("open-error", err)
		os.Exit(2)
	}
	id, err := ksync.LoadIdentity(cfg.Cert, cfg.Key)
	if err != nil {
		fmt.Println("identity-error", err)
		os.Exit(2)
	}
	pool, _ := ksync.LoadCAPool(cfg.CA)
	s, err := ksync.New(ksync.Config{BaseURL: cfg.URL, Client: ksync.NewHTTPClient(id.ClientTLS(pool), time.Second), KioskID: soakKiosk,
		Signer: id.Signer, Outbox: j, BatchSize: cfg.BatchSize, Idle: 20 * time.Millisecond, HeartbeatEvery: time.Hour,
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	if err != nil {
		fmt.Println("syncer-error", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(ctx) }()
	if cfg.Drain {
		for {
			if d, err := j.Depth(); err == nil && d == 0 {
				cancel()
				<-done
				j.Close()
				fmt.Println("DRAINED")
				os.Exit(0)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		var b [6]byte
		crand.Read(b[:])
		nonce := hex.EncodeToString(b[:])
		r, err := j.Append(ctx, kiosk.Record{Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Status: "valid", Detail: "soak-" + nonce})
		if err != nil {
			fmt.Fprintln(out, "append-error", err)
			out.Flush()
			os.Exit(3)
		}
		fmt.Fprintln(out, "A", r.JournalID, r.Seq, r.Hash, nonce)
		out.Flush() // the parent learns of each record as soon as it is durable
		s.Kick()
	}
}

type durable struct {
	seq   uint64
	hash  string
	nonce string
}

// soak holds the parent's view.
type soak struct {
	t       *testing.T
	db      string
	proxy   *faultProxy
	staff   staff
	pem     func(string) string
	rng     *rand.Rand
	records map[string]map[uint64]durable // by journal, by seq: what the writer reported durable
	// releasedUnacked counts, per journal, sequence numbers the journal
	// had released that the collector did not hold when checked.
	releasedUnacked map[string]map[uint64]bool
	lostAtKiosk     int
	resets          int // files found unusable after a kill
}

func (s *soak) writer(drain bool) *exec.Cmd {
	cfg, _ := json.Marshal(writerConfig{Journal: s.db, URL: "https://" + s.proxy.addr(), CA: s.pem("ca"), Cert: s.pem("client-" + soakKiosk),
		Key: s.pem("client-" + soakKiosk + "-key"), Drain: drain, BatchSize: []int{1, 7, 50, 200}[s.rng.IntN(4)]})
	if drain {
		cfg, _ = json.Marshal(writerConfig{Journal: s.db, URL: "https://" + s.proxy.addr(), CA: s.pem("ca"), Cert: s.pem("client-" + soakKiosk),
			Key: s.pem("client-" + soakKiosk + "-key"), Drain: true, BatchSize: 500})
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSoakWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), soakWriterEnv+"="+string(cfg))
	return cmd
}

// runWriter runs the writer for about d, then kills it with SIGKILL (or
// lets it exit in drain mode), and takes in what it reported.
func (s *soak) runWriter(d time.Duration, drain bool) {
	s.t.Helper()
	cmd := s.writer(drain)
	out, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	kill := time.AfterFunc(d, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
	defer kill.Stop()
	sc := bufio.NewScanner(out)
	drained := false
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 5 && f[0] == "A":
			seq, err := strconv.ParseUint(f[2], 10, 64)
			if err != nil {
				s.t.Fatalf("writer: %q", sc.Text())
			}
			if s.records[f[1]] == nil {
				s.records[f[1]] = map[uint64]durable{}
			}
			if old, ok := s.records[f[1]][seq]; ok && old.hash != f[3] {
				s.t.Fatalf("journal %s seq %d reported durable twice with different records", f[1], seq)
			}
			s.records[f[1]][seq] = durable{seq: seq, hash: f[3], nonce: f[4]}
		case len(f) == 1 && f[0] == "DRAINED":
			drained = true
		default:
			s.t.Fatalf("writer: %s", sc.Text())
		}
	}
	_ = cmd.Wait()
	if drain && !drained {
		j, err := journal.Open(s.db, journal.Options{ReadOnly: true})
		if err != nil {
			s.t.Fatalf("the writer did not drain its journal in time; reopen: %v", err)
		}
		st, _ := j.Status()
		j.Close()
		s.t.Fatalf("the writer did not drain its journal in time: %d unsent, oldest seq %d, sync %+v", st.Depth, st.OldestSeq, st.Sync)
	}
}

// check opens the journal the dead writer left and compares it with what
// the writer reported and what the collector holds.
func (s *soak) check() {
	s.t.Helper()
	if _, err := os.Stat(s.db); err != nil {
		return // killed before the file was made
	}
	j, err := journal.Open(s.db, journal.Options{ReadOnly: true, LockTimeout: 5 * time.Second})
	if errors.Is(err, journal.ErrNotStarted) {
		return // killed after bbolt made the file, before the journal's first transaction
	}
	if errors.Is(err, journal.ErrCorrupt) {
		// Killed while bbolt made the file, before its first commit: the
		// writer starts a new journal; a record lost with it would show
		// in the final count.
		s.resets++
		return
	}
	if err != nil {
		s.t.Fatalf("reopen the journal after a kill: %v", err)
	}
	defer j.Close()
	st, err := j.Status()
	if err != nil {
		s.t.Fatal(err)
	}
	if !st.ChainOK {
		s.t.Fatalf("journal chain broken after a kill: %v", st.ChainBreak)
	}
	pending, err := j.Pending(0)
	if err != nil {
		s.t.Fatal(err)
	}
	held := map[uint64]string{}
	for _, r := range pending {
		held[r.Seq] = r.Hash
	}
	for seq, d := range s.records[st.JournalID] {
		if seq > st.AckedSeq && held[seq] != d.hash {
			s.lostAtKiosk++
			s.t.Errorf("record %d reported durable is not in the journal", seq)
		}
	}
	if st.AckedSeq == 0 {
		return
	}
	js := s.journalAt(st.JournalID)
	missing := func(seq uint64) bool {
		if seq > js.HeadSeq {
			return true
		}
		for _, g := range js.Gaps {
			if seq >= g.From && seq <= g.To {
				return true
			}
		}
		return false
	}
	for seq := uint64(1); seq <= st.AckedSeq; seq++ {
		if missing(seq) {
			if s.releasedUnacked[st.JournalID] == nil {
				s.releasedUnacked[st.JournalID] = map[uint64]bool{}
			}
			s.releasedUnacked[st.JournalID][seq] = true
		}
	}
}

func (s *soak) journalAt(jid string) store.JournalState {
	s.t.Helper()
	for _, j := range s.staff.kiosk(soakKiosk).Journals {
		if j.JournalID == jid {
			return j
		}
	}
	return store.JournalState{}
}

func TestSoak(t *testing.T) {
	if os.Getenv(soakWriterEnv) != "" {
		t.Skip("inside the writer")
	}
	kills := soakEnv(t, "KIOSK_SOAK_KILLS", 1000)
	collectorEvery := soakEnv(t, "KIOSK_SOAK_COLLECTOR_EVERY", 100)
	faultSwitches := soakEnv(t, "KIOSK_SOAK_FAULT_SWITCHES", 40)
	dir := t.TempDir()
	pkiDir := filepath.Join(dir, "pki")
	if out, err := runBin(t, "collector", "gen-test-pki", pkiDir, soakKiosk, "staff-soak"); err != nil {
		t.Fatalf("gen-test-pki: %v\n%s", err, out)
	}
	pem := func(name string) string { return filepath.Join(pkiDir, name+".pem") }
	clog, _ := os.Create(filepath.Join(dir, "collector.log"))
	defer clog.Close()
	coll := &collectorProc{t: t, addr: freePort(t), log: clog,
		args: []string{"--ca", pem("ca"), "--cert", pem("server"), "--key", pem("server-key"), "--data", filepath.Join(dir, "collector"), "--admins", "staff-soak"}}
	coll.start()
	defer coll.stop()
	tc, err := ksync.ClientTLS(pem("ca"), pem("client-staff-soak"), pem("client-staff-soak-key"))
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 11))
	px, err := newFaultProxy(coll.addr, rand.New(rand.NewPCG(seed, 12)))
	if err != nil {
		t.Fatal(err)
	}
	defer px.close()
	s := &soak{t: t, db: filepath.Join(dir, "journal.db"), proxy: px, pem: pem, rng: rng,
		staff:   staff{t: t, base: "https://" + coll.addr, c: ksync.NewHTTPClient(tc, 10*time.Second)},
		records: map[string]map[uint64]durable{}, releasedUnacked: map[string]map[uint64]bool{}}
	start := time.Now()

	// Phase 1: kill -9 the writer again and again, the network faulty all along.
	stopFaults := px.cycle(50*time.Millisecond, 250*time.Millisecond)
	collectorKills := 0
	for i := range kills {
		s.runWriter(time.Duration(5+rng.IntN(150))*time.Millisecond, false)
		if collectorEvery > 0 && i%collectorEvery == collectorEvery-1 {
			_ = coll.cmd.Process.Signal(syscall.SIGKILL) // mid-commit, maybe
			_ = coll.cmd.Wait()
			coll.cmd = nil
			coll.start()
			collectorKills++
		}
		s.check()
		if t.Failed() {
			t.FailNow()
		}
		if i%100 == 99 {
			n := 0
			for _, r := range s.records {
				n += len(r)
			}
			t.Logf("%d kills, %d records reported durable, %s", i+1, n, time.Since(start).Round(time.Second))
		}
	}
	stopFaults()

	// Phase 2: the writer keeps running while the proxy goes through every fault.
	phase2, base := time.Now(), px.switchCount()
	stopFaults = px.cycle(100*time.Millisecond, 400*time.Millisecond)
	done := make(chan struct{})
	go func() {
		for px.switchCount()-base < faultSwitches {
			time.Sleep(20 * time.Millisecond)
		}
		close(done)
	}()
	cmdDone := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-time.After(5 * time.Minute):
		}
		close(cmdDone)
	}()
	func() {
		cmd := s.writer(false)
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { <-cmdDone; _ = cmd.Process.Signal(syscall.SIGKILL) }()
		s.readWriter(out)
		_ = cmd.Wait()
	}()
	stopFaults()
	s.check()
	phase2Took := time.Since(phase2)

	synced := 0
	for jid := range s.records {
		synced += s.journalAt(jid).Records
	}

	// The end: a clean network, and the writer drains its journal.
	px.set("pass")
	s.runWriter(10*time.Minute, true)
	s.check()

	// Count.
	lost, duplicated, atCollector, reported := 0, 0, 0, 0
	for jid, recs := range s.records {
		held := s.allRecords(jid)
		atCollector += len(held)
		bySeq := map[uint64]kiosk.Record{}
		nonces := map[string]int{}
		for _, r := range held {
			if _, ok := bySeq[r.Seq]; ok {
				duplicated++
			}
			bySeq[r.Seq] = r
			if r.Detail != "" {
				nonces[r.Detail]++
			}
		}
		for _, n := range nonces {
			duplicated += n - 1
		}
		for seq, d := range recs {
			reported++
			if r, ok := bySeq[seq]; !ok || r.Hash != d.hash || r.Detail != "soak-"+d.nonce {
				lost++
			}
		}
		if b := journal.VerifyChain(held, 0, journal.Genesis); b != nil {
			t.Errorf("journal %s at the collector: %v", jid, b)
		}
		if js := s.journalAt(jid); !js.Complete() {
			t.Errorf("journal %s at the collector has gaps %v", jid, js.Gaps)
		}
	}
	unacked := 0
	for _, m := range s.releasedUnacked {
		unacked += len(m)
	}
	lost += s.lostAtKiosk
	modes := px.stats()
	line := fmt.Sprintf("soak: %d writer kills (SIGKILL), %d collector kills (SIGKILL), %d network-fault switches %v, %d journals (%d files unusable after a kill); "+
		"%d records reported durable, %d at the collector (%d synced through the faults, the rest in the final drain); lost %d, duplicated %d, released-unacked %d; %s (fault phase %s, seed %d)",
		kills, collectorKills, px.switchCount(), modes, len(s.records), s.resets, reported, atCollector, synced, lost, duplicated, unacked,
		time.Since(start).Round(time.Second), phase2Took.Round(time.Second), seed)
	fmt.Println(line)
	t.Log(line)
	if lost != 0 || duplicated != 0 || unacked != 0 {
		t.Fatal("records lost, duplicated or released unacknowledged")
	}
}

func (s *soak) readWriter(out io.Reader) {
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 5 || f[0] != "A" {
			s.t.Fatalf("writer: %s", sc.Text())
		}
		seq, _ := strconv.ParseUint(f[2], 10, 64)
		if s.records[f[1]] == nil {
			s.records[f[1]] = map[uint64]durable{}
		}
		s.records[f[1]][seq] = durable{seq: seq, hash: f[3], nonce: f[4]}
	}
}

// allRecords pages through a journal at the collector: oldest first from
// after=0, each next page after the one before, until a page comes without
// ksync.HeaderNextAfter (the last).
func (s *soak) allRecords(jid string) []kiosk.Record {
	s.t.Helper()
	var out []kiosk.Record
	for after := "0"; after != ""; {
		resp, err := s.staff.c.Get(fmt.Sprintf("%s%s?kiosk=%s&journal=%s&after=%s&limit=%d", s.staff.base, ksync.PathRecords, soakKiosk, jid, after, soakPage))
		if err != nil {
			s.t.Fatal(err)
		}
		var page []kiosk.Record
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			s.t.Fatalf("records: %s %v", resp.Status, err)
		}
		next := resp.Header.Get(ksync.HeaderNextAfter)
		if next != "" && (len(page) == 0 || next != strconv.FormatUint(page[len(page)-1].Seq, 10)) {
			s.t.Fatalf("records after %s: %d records, next after %s", after, len(page), next)
		}
		out = append(out, page...)
		after = next
	}
	return out
}

// soakPage is the staff API's page size here: small, so that every soak
// pages through many pages whatever the machine's speed (a slow machine
// writes fewer records than the API's largest page of 100,000, and a
// paging mistake would then go unseen).
const soakPage = 1000

func soakEnv(t *testing.T, name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			t.Fatalf("%s=%q", name, v)
		}
		return n
	}
	return def
}

// faultProxy is a TCP proxy on loopback in front of the collector. Each
// connection gets the mode in force when it opens; a mode switch drops
// every open connection (as a network fault does).
type faultProxy struct {
	ln     net.Listener
	target string
	rng    *rand.Rand

	mu       gosync.Mutex
	mode     string
	conns    map[net.Conn]bool
	switches map[string]int
	total    int
	wg       gosync.WaitGroup
}

// Modes: pass; refuse (accept and close); blackhole (accept, never
// answer); cut-request / cut-reply (forward a random number of bytes one
// way, then cut: in the handshake, mid-request, or after the collector
// stored the batch and before the kiosk hears); delay (every chunk late).
var faultModes = []string{"pass", "refuse", "blackhole", "cut-request", "cut-reply", "delay"}

func newFaultProxy(target string, rng *rand.Rand) (*faultProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &faultProxy{ln: ln, target: target, rng: rng, mode: "pass", conns: map[net.Conn]bool{}, switches: map[string]int{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

func (p *faultProxy) addr() string { return p.ln.Addr().String() }

func (p *faultProxy) close() {
	p.ln.Close()
	p.set("pass")
	p.wg.Wait()
}

func (p *faultProxy) set(mode string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = mode
	p.switches[mode]++
	p.total++
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *faultProxy) switchCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total
}

func (p *faultProxy) stats() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var parts []string
	for m, n := range p.switches {
		parts = append(parts, fmt.Sprintf("%s:%d", m, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// cycle switches to a random mode every lo..hi until the returned func is called.
func (p *faultProxy) cycle(lo, hi time.Duration) (stop func()) {
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			p.mu.Lock()
			mode := faultModes[p.rng.IntN(len(faultModes))]
			if p.rng.IntN(3) == 0 {
				mode = "pass" // a network that mostly works, so records also leave between the faults
			}
			wait := lo + time.Duration(p.rng.Int64N(int64(hi-lo)))
			p.mu.Unlock()
			p.set(mode)
			select {
			case <-quit:
				return
			case <-time.After(wait):
			}
		}
	}()
	return func() { close(quit); <-done }
}

func (p *faultProxy) track(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		p.conns[c] = true
	}
}

func (p *faultProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		mode, n := p.mode, p.rng.IntN(6000)
		p.mu.Unlock()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.handle(c, mode, int64(n))
		}()
	}
}

func (p *faultProxy) handle(client net.Conn, mode string, n int64) {
	defer client.Close()
	p.track(client)
	switch mode {
	case "refuse":
		return
	case "blackhole":
		_, _ = io.Copy(io.Discard, client)
		return
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return // the collector is down: the kiosk sees the connection close
	}
	defer server.Close()
	p.track(server)
	var wg gosync.WaitGroup
	pipe := func(dst, src net.Conn, limit int64, delay time.Duration) {
		defer wg.Done()
		defer dst.Close()
		defer src.Close()
		var r io.Reader = src
		if limit >= 0 {
			r = io.LimitReader(src, limit)
		}
		buf := make([]byte, 4096)
		for {
			k, err := r.Read(buf)
			if k > 0 {
				time.Sleep(delay)
				if _, werr := dst.Write(buf[:k]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
	up, down, delay := int64(-1), int64(-1), time.Duration(0)
	switch mode {
	case "cut-request":
		up = n
	case "cut-reply":
		down = n
	case "delay":
		delay = 30 * time.Millisecond
	}
	wg.Add(2)
	go pipe(server, client, up, delay)
	go pipe(client, server, down, delay)
	wg.Wait()
}
