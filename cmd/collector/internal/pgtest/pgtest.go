// Package pgtest runs a real PostgreSQL server from Debian's postgresql
// package for tests: initdb into a temporary directory, postgres listening
// only on a unix socket there, one server per test package (TestMain), a
// fresh schema per test (a CREATE DATABASE costs most of a second; a
// schema a millisecond, and a store cannot tell the two apart).
//
// PostgreSQL refuses to run as root, and make test runs as root: the server
// then runs as the unprivileged user "nobody", which owns the temporary
// directory. postgres is started in the foreground as this process's child
// (not daemonised by pg_ctl start) with a parent-death signal, so a test
// binary that panics or times out never leaves a server behind; pg_ctl
// stop shuts it down cleanly.
//
//	var pg *pgtest.Server
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &pg)) }
//	func TestX(t *testing.T) { dsn := pg.NewSchema(t) ... }
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/villagehall/kiosk/kiosk/sync/synctest"
)

const (
	superuser    = "pgtest"
	port         = 5432 // only names the socket file; no TCP listener
	startTimeout = 30 * time.Second
	stopTimeout  = 15 * time.Second
)

// Server is one running PostgreSQL server.
type Server struct {
	dir     string // owns data/, sock/, server.log
	sock    string
	bin     string
	cred    *syscall.Credential // nil when not root
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
	log     synctest.LogBuffer // the server's own output, kept for failures
	schemas atomic.Int64
	// wasHalted: stopped on purpose (Halt), not exited by itself.
	wasHalted atomic.Bool
}

// Main starts a server, stores it in *srv, runs the package's tests and
// stops the server. It returns the exit code for os.Exit; a server that
// cannot start fails the package loudly (exit 1), never skips it.
func Main(m *testing.M, srv **Server) int {
	s, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	*srv = s
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// BinDir finds the newest installed PostgreSQL's bin directory.
func BinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("no PostgreSQL server under /usr/lib/postgresql/*/bin (apt-get install postgresql; .ci/deps does)")
}

func pgVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// Start initialises a cluster in a new temporary directory and starts it.
func Start() (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, bin: bin, sock: filepath.Join(dir, "sock"), exited: make(chan struct{})}
	fail := func(err error) (*Server, error) {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if err := os.Mkdir(s.sock, 0o700); err != nil {
		return fail(err)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			return fail(fmt.Errorf("running as root, and no unprivileged user 'nobody' to run postgres as: %w", err))
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}
		for _, p := range []string{dir, s.sock} {
			if err := os.Chown(p, uid, gid); err != nil {
				return fail(fmt.Errorf("chown %s to nobody: %w", p, err))
			}
		}
	}
	data := filepath.Join(dir, "data")
	initdb := s.command("initdb", "--pgdata", data, "--username", superuser, "--auth", "trust",
		"--encoding", "UTF8", "--locale", "C", "--no-instructions")
	if out, err := initdb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %w\n%s", err, out))
	}
	if err := s.run(); err != nil {
		return fail(err)
	}
	return s, nil
}

// run starts postgres on the data directory and waits until it answers.
func (s *Server) run() error {
	data := filepath.Join(s.dir, "data")
	s.exited = make(chan struct{})
	// Durability stays on (fsync, synchronous_commit): the store's tests and
	// benchmarks measure what a town hall would run.
	s.cmd = s.command("postgres", "-D", data, "-k", s.sock, "-c", "listen_addresses=",
		"-p", strconv.Itoa(port), "-c", "max_connections=50", "-c", "shared_buffers=64MB")
	s.cmd.Stdout, s.cmd.Stderr = &s.log, &s.log
	s.cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT // immediate shutdown if the test binary dies
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	exited := s.exited
	go func() { // owned by the Server: Stop waits for it
		s.waitErr = s.cmd.Wait()
		close(exited)
	}()
	if err := s.waitReady(); err != nil {
		_ = s.cmd.Process.Kill()
		<-exited
		return fmt.Errorf("%w\nserver log:\n%s", err, s.Log())
	}
	return nil
}

func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "TZ=UTC"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	return cmd
}

// Log is what the server printed so far.
func (s *Server) Log() string { return s.log.String() }

func (s *Server) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("postgres exited during start-up: %v", s.waitErr)
		default:
		}
		c, err := pgx.Connect(ctx, s.DSN("postgres"))
		if err == nil {
			return c.Close(ctx)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("postgres not accepting connections after %v: %v", startTimeout, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// DSN is a connection string for database db on this server.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://%s@/%s?host=%s&port=%d&sslmode=disable", superuser, db, s.sock, port)
}

// NewSchema creates an empty schema for t and returns a connection string
// whose search_path is that schema: what a test creates lands there, and
// no other test sees it. The server is removed whole after the package.
func (s *Server) NewSchema(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d", s.schemas.Add(1))
	ctx := context.Background()
	c, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		t.Fatalf("pgtest: connect: %v\nserver log:\n%s", err, s.Log())
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("pgtest: create schema: %v", err)
	}
	return s.DSN("postgres") + "&search_path=" + name
}

// Stop shuts the server down (pg_ctl stop, fast mode) and removes its
// directory.
func (s *Server) Stop() error {
	defer os.RemoveAll(s.dir)
	if s.cmd == nil {
		return nil
	}
	select {
	case <-s.exited:
		if s.halted() {
			return nil
		}
		return fmt.Errorf("postgres had already exited: %v\nserver log:\n%s", s.waitErr, s.Log())
	default:
	}
	stop := s.command("pg_ctl", "stop", "--pgdata", filepath.Join(s.dir, "data"), "--mode", "fast", "--no-wait")
	out, err := stop.CombinedOutput()
	if err != nil {
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("pg_ctl stop: %w: %s", err, out)
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("postgres still running %v after pg_ctl stop; killed", stopTimeout)
	}
}
