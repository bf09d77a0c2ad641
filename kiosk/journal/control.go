package journal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// ControlSocket is where a running kiosk serves its journal to staff
// tools: bbolt lets one process open the file, so kioskctl talks to the
// kiosk instead while it runs.
func ControlSocket(dbPath string) string { return dbPath + ".sock" }

// Handle is what staff tools need of a journal, opened directly or
// reached through a running kiosk's control socket.
type Handle interface {
	KioskID() string
	JournalID() string
	Status() (Status, error)
	Verify() (*Break, error)
	Pending(limit int) ([]kiosk.Record, error)
	Release(journalID string, acks []Ack) (int, error)
	// Diverge starts a new journal carrying the unsent records over
	// (see Journal.Diverge): for a kiosk the collector refuses as a
	// conflict that delivers only by USB.
	Diverge(why string) (Diverged, error)
	Close() error
}

// releaseRequest is the body of the control socket's POST /release.
type releaseRequest struct {
	JournalID string `json:"journal_id"`
	Acks      []Ack  `json:"acks"`
}

var _ Handle = (*Journal)(nil)

// Serve answers staff tools on ln until ctx ends. Only the kiosk's user
// and root can reach the socket (0660); it carries what an export
// carries, never more.
func Serve(ctx context.Context, ln net.Listener, j *Journal, log *slog.Logger) error {
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any, err error) {
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		st, err := j.Status()
		reply(w, st, err)
	})
	mux.HandleFunc("GET /verify", func(w http.ResponseWriter, r *http.Request) {
		b, err := j.Verify()
		reply(w, struct{ Break *Break }{b}, err)
	})
	mux.HandleFunc("GET /pending", func(w http.ResponseWriter, r *http.Request) {
		recs, err := j.Pending(0)
		reply(w, struct {
			KioskID string
			Records []kiosk.Record
		}{j.KioskID(), recs}, err)
	})
	mux.HandleFunc("POST /release", func(w http.ResponseWriter, r *http.Request) {
		var req releaseRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, "release: "+err.Error(), http.StatusBadRequest)
			return
		}
		n, err := j.Release(req.JournalID, req.Acks)
		log.Info("journal released by a staff tool", "journal_id", req.JournalID, "acknowledged", len(req.Acks), "released", n)
		reply(w, struct{ Released int }{n}, err)
	})
	mux.HandleFunc("POST /diverge", func(w http.ResponseWriter, r *http.Request) {
		d, err := j.Diverge("a staff tool asked (kioskctl journal diverge)")
		if errors.Is(err, ErrNotDiverging) {
			http.Error(w, err.Error(), http.StatusUnprocessableEntity)
			return
		}
		reply(w, d, err)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	stop := context.AfterFunc(ctx, func() { srv.Close() })
	defer stop()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("journal control: %w", err)
	}
	return nil
}

// Listen makes the control socket for dbPath, replacing a stale one left
// by a kiosk that did not stop cleanly.
func Listen(dbPath string) (net.Listener, error) {
	sock := ControlSocket(dbPath)
	_ = os.Remove(sock)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return nil, fmt.Errorf("journal control socket: %w", err)
	}
	if err := os.Chmod(sock, 0o660); err != nil {
		ln.Close()
		return nil, fmt.Errorf("journal control socket: %w", err)
	}
	return ln, nil
}

// Remote is a running kiosk's journal, through its control socket.
type Remote struct {
	c                  *http.Client
	kioskID, journalID string
}

// Dial reaches the kiosk serving dbPath. It fails at once when no kiosk
// listens (no socket, or a stale one).
func Dial(dbPath string) (*Remote, error) {
	sock := ControlSocket(dbPath)
	c := &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	r := &Remote{c: c}
	st, err := r.Status()
	if err != nil {
		return nil, err
	}
	r.kioskID, r.journalID = st.KioskID, st.JournalID
	return r, nil
}

func (r *Remote) call(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://kiosk"+path, body)
	if err != nil {
		return err
	}
	resp, err := r.c.Do(req)
	if err != nil {
		return fmt.Errorf("kiosk control socket: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("kiosk control socket: %s: %s", resp.Status, msg)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (r *Remote) KioskID() string { return r.kioskID }

func (r *Remote) JournalID() string { return r.journalID }

func (r *Remote) Status() (Status, error) {
	var st Status
	err := r.call("GET", "/status", nil, &st)
	return st, err
}

func (r *Remote) Verify() (*Break, error) {
	var v struct{ Break *Break }
	err := r.call("GET", "/verify", nil, &v)
	return v.Break, err
}

// Pending returns every unacknowledged record (limit is ignored: an
// export takes them all).
func (r *Remote) Pending(int) ([]kiosk.Record, error) {
	var v struct {
		KioskID string
		Records []kiosk.Record
	}
	err := r.call("GET", "/pending", nil, &v)
	return v.Records, err
}

func (r *Remote) Release(journalID string, acks []Ack) (int, error) {
	var v struct{ Released int }
	err := r.call("POST", "/release", releaseRequest{JournalID: journalID, Acks: acks}, &v)
	return v.Released, err
}

func (r *Remote) Diverge(string) (Diverged, error) {
	var d Diverged
	err := r.call("POST", "/diverge", nil, &d)
	if err == nil {
		r.journalID = d.JournalID
	}
	return d, err
}

func (r *Remote) Close() error { r.c.CloseIdleConnections(); return nil }
