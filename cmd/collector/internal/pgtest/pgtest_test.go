package pgtest

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

var pg *Server

func TestMain(m *testing.M) { os.Exit(Main(m, &pg)) }

// The harness's promises: a real server, as an unprivileged user when the
// tests run as root, on a socket in its own directory, a schema per test
// that the next test does not see.
func TestServer(t *testing.T) {
	ctx := context.Background()
	dsn := pg.NewSchema(t)
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var version, listen, fsync string
	if err := c.QueryRow(ctx, "SELECT current_setting('server_version_num'), current_setting('listen_addresses'), current_setting('fsync')").Scan(&version, &listen, &fsync); err != nil {
		t.Fatal(err)
	}
	if v, _ := strconv.Atoi(version); v < 150000 {
		t.Errorf("server_version_num = %s, want Debian 12's PostgreSQL 15 or newer", version)
	}
	if listen != "" || fsync != "on" {
		t.Errorf("listen_addresses = %q (want none), fsync = %s (want on)", listen, fsync)
	}
	if _, err := c.Exec(ctx, "CREATE TABLE x (v int); INSERT INTO x VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	// The postmaster's owner: never root.
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pg.cmd.Process.Pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(st), "\n") {
		if strings.HasPrefix(line, "Uid:") && strings.Fields(line)[1] == "0" {
			t.Errorf("postgres runs as root: %s", line)
		}
	}
	other := pg.NewSchema(t)
	c2, err := pgx.Connect(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close(ctx)
	if _, err := c2.Exec(ctx, "SELECT * FROM x"); err == nil {
		t.Error("a second schema sees the first one's table")
	}
}
