package pgtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Standby makes a streaming replica of s (pg_basebackup -R: asynchronous,
// as a town hall's standby would be) in a new directory and starts it.
func (s *Server) Standby() (*Server, error) {
	dir, err := os.MkdirTemp("", "pgtest-standby-")
	if err != nil {
		return nil, err
	}
	st := &Server{dir: dir, bin: s.bin, sock: filepath.Join(dir, "sock"), cred: s.cred}
	fail := func(err error) (*Server, error) {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if err := os.Mkdir(st.sock, 0o700); err != nil {
		return fail(err)
	}
	if st.cred != nil {
		for _, p := range []string{dir, st.sock} {
			if err := os.Chown(p, int(st.cred.Uid), int(st.cred.Gid)); err != nil {
				return fail(err)
			}
		}
	}
	bb := st.command("pg_basebackup", "-D", filepath.Join(dir, "data"), "-h", s.sock, "-p", strconv.Itoa(port),
		"-U", superuser, "-R", "-X", "stream", "-c", "fast")
	if out, err := bb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("pg_basebackup: %w\n%s", err, out))
	}
	if err := st.run(); err != nil {
		return fail(err)
	}
	return st, nil
}

// Halt stops the server (fast) and keeps its data: Resume starts it
// again; Stop then only removes it.
func (s *Server) Halt() error {
	stop := s.command("pg_ctl", "stop", "--pgdata", filepath.Join(s.dir, "data"), "--mode", "fast", "--wait")
	if out, err := stop.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl stop: %w: %s", err, out)
	}
	<-s.exited
	s.wasHalted.Store(true)
	return nil
}

func (s *Server) halted() bool { return s.wasHalted.Load() }

// Resume starts a halted server again.
func (s *Server) Resume() error {
	s.wasHalted.Store(false)
	return s.run()
}

// Promote ends a standby's recovery: it takes writes from now on.
func (s *Server) Promote() error {
	out, err := s.command("pg_ctl", "promote", "--pgdata", filepath.Join(s.dir, "data"), "--wait").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl promote: %w: %s", err, out)
	}
	return nil
}

// Exec runs one of PostgreSQL's client programs (pg_dump, pg_restore,
// psql) as the server's user, in Dir(); host, port and user are given.
func (s *Server) Exec(name string, args ...string) ([]byte, error) {
	args = append([]string{"-h", s.sock, "-p", strconv.Itoa(port), "-U", superuser}, args...)
	out, err := s.command(name, args...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s: %w: %s", name, err, out)
	}
	return out, nil
}

// Dir is the server's own directory (writable by it).
func (s *Server) Dir() string { return s.dir }

// MultiDSN is a connection string naming every server, for a client that
// must find the one taking writes (target_session_attrs=read-write), as
// collectors on a primary and its standby are configured.
func MultiDSN(db, searchPath string, servers ...*Server) string {
	hosts := make([]string, len(servers))
	ports := make([]string, len(servers))
	for i, s := range servers {
		hosts[i], ports[i] = s.sock, strconv.Itoa(port)
	}
	dsn := fmt.Sprintf("postgres://%s@/%s?host=%s&port=%s&sslmode=disable&target_session_attrs=read-write",
		superuser, db, strings.Join(hosts, ","), strings.Join(ports, ","))
	if searchPath != "" {
		dsn += "&search_path=" + searchPath
	}
	return dsn
}
