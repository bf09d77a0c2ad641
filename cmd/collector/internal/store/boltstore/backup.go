package boltstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SocketName is the running collector's backup socket in the data
// directory: only its owner (the collector's user, root) may connect.
const SocketName = "backup.sock"

// Backup writes a consistent copy of the whole store to w (one read
// transaction: kiosks go on syncing meanwhile). It returns the bytes
// written.
func (s *Store) Backup(w io.Writer) (n int64, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// ServeBackups answers backup requests on dir's SocketName until ctx
// ends: collector backup reaches the store through it while the
// collector holds the file's lock. The socket is made 0600.
func (s *Store) ServeBackups(ctx context.Context, dir string) (done <-chan error, err error) {
	path := filepath.Join(dir, SocketName)
	_ = os.Remove(path) // a socket left by a collector that was killed
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("backup socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("backup socket: %w", err)
	}
	hs := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		if _, err := s.Backup(w); err != nil {
			// Headers are gone: cutting the stream short is what tells the
			// client (it checks the copy too).
			panic(http.ErrAbortHandler)
		}
	})}
	ch := make(chan error, 1)
	go func() {
		err := hs.Serve(l)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		ch <- err
	}()
	go func() { // owned with the one above: ends when ctx does
		<-ctx.Done()
		_ = hs.Close()
		_ = os.Remove(path)
	}()
	return ch, nil
}

// BackupFile writes a consistent copy of the store in dir to w: straight
// from the file when no collector holds it, else through the running
// collector's backup socket.
func BackupFile(ctx context.Context, dir string, w io.Writer) (int64, string, error) {
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, &bolt.Options{ReadOnly: true, Timeout: 500 * time.Millisecond})
	if err == nil {
		defer db.Close()
		var n int64
		err = db.View(func(tx *bolt.Tx) error {
			n, err = tx.WriteTo(w)
			return err
		})
		return n, "from the file (no collector running)", err
	}
	if !errors.Is(err, bolt.ErrTimeout) {
		return 0, "", fmt.Errorf("open %s: %w", filepath.Join(dir, FileName), err)
	}
	sock := filepath.Join(dir, SocketName)
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://collector/backup", nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("the store is in use and the running collector's backup socket does not answer: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, "", fmt.Errorf("the running collector answered %s", resp.Status)
	}
	n, err := io.Copy(w, resp.Body)
	return n, "through the running collector", err
}

// CheckFile opens a store file read-only and checks its consistency
// (every page reachable once, no freed page in use).
func CheckFile(path string) error {
	db, err := bolt.Open(path, 0o400, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		var first error
		for err := range tx.Check() { // read to the end: the checker stops then
			first = cmp.Or(first, err)
		}
		if first != nil {
			return first
		}
		if tx.Bucket(bMeta) == nil {
			return errors.New("not a collector store (no meta bucket)")
		}
		return nil
	})
}
