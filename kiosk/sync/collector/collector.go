// Package collector is the town hall's receiving end of kiosk sync: it
// authenticates kiosks by client certificate, stores each (kiosk, seq) once,
// checks every kiosk's hash chain on arrival and gives staff a read view.
// cmd/collector wraps it; tests run it in-process.
package collector

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// Options configure a Server.
type Options struct {
	// StaffPrefix marks client certificates allowed to read records and
	// kiosk state (CN prefix; default "staff-"). Kiosk certificates may not.
	StaffPrefix string
	// HashKey returns the HMAC key a kiosk chains with (nil: plain SHA-256).
	HashKey func(kioskID string) []byte
	Logger  *slog.Logger
	Now     func() time.Time
}

// Server stores kiosk batches in a bbolt file.
type Server struct {
	db   *bolt.DB
	opts Options
	log  *slog.Logger
}

var (
	bucketKiosks = []byte("kiosks")
	bRecords     = []byte("records")
	bFlags       = []byte("flags")
	kHeadSeq     = []byte("head_seq")
	kHeadHash    = []byte("head_hash")
	kHeartbeat   = []byte("heartbeat")
)

// Flag is something staff must look at: a gap, a chain break, a conflict.
type Flag struct {
	Time   time.Time `json:"time"`
	Kind   string    `json:"kind"` // gap, chain_break, conflict, bad_hash, chain_start
	Seq    uint64    `json:"seq"`
	Detail string    `json:"detail"`
}

// KioskState is the staff view of one kiosk.
type KioskState struct {
	KioskID       string           `json:"kiosk_id"`
	HeadSeq       uint64           `json:"head_seq"`
	Records       int              `json:"records"`
	LastHeartbeat *ksync.Heartbeat `json:"last_heartbeat,omitempty"`
	HeartbeatAt   time.Time        `json:"heartbeat_received,omitzero"`
	Flags         []Flag           `json:"flags,omitempty"`
}

// Open opens (or creates) dir/collector.db.
func Open(dir string, opts Options) (*Server, error) {
	if opts.StaffPrefix == "" {
		opts.StaffPrefix = "staff-"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HashKey == nil {
		opts.HashKey = func(string) []byte { return nil }
	}
	db, err := bolt.Open(filepath.Join(dir, "collector.db"), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open collector store: %w", err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketKiosks)
		return err
	}); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("init collector store: %w", err)
	}
	return &Server{db: db, opts: opts, log: opts.Logger}, nil
}

// Close closes the store.
func (s *Server) Close() error { return s.db.Close() }

// ServerTLS requires client certificates signed by the village CA.
func ServerTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	pool, err := ksync.LoadCAPool(caFile)
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load server certificate: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// Handler serves the kiosk and staff endpoints.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+ksync.PathBatch, s.handleBatch)
	mux.HandleFunc("POST "+ksync.PathHeartbeat, s.handleHeartbeat)
	mux.HandleFunc("GET "+ksync.PathRecords, s.staffOnly(s.handleRecords))
	mux.HandleFunc("GET "+ksync.PathKiosks, s.staffOnly(s.handleKiosks))
	return mux
}

// peerCN is the verified client certificate's CN; TLS already refused
// anything not signed by the CA, this is defence in depth.
func peerCN(r *http.Request) string {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.PeerCertificates) == 0 {
		return ""
	}
	return r.TLS.PeerCertificates[0].Subject.CommonName
}

func (s *Server) staffOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if cn := peerCN(r); cn == "" || !strings.HasPrefix(cn, s.opts.StaffPrefix) {
			writeReply(w, http.StatusForbidden, ksync.Reply{Error: "staff certificate required"})
			return
		}
		h(w, r)
	}
}

func writeReply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// errRefused is a batch problem answered with status code.
type errRefused struct {
	code int
	msg  string
}

func (e *errRefused) Error() string { return e.msg }

func (s *Server) handleBatch(w http.ResponseWriter, r *http.Request) {
	cn := peerCN(r)
	var b ksync.Batch
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<20)).Decode(&b); err != nil {
		writeReply(w, http.StatusBadRequest, ksync.Reply{Error: "malformed batch"})
		return
	}
	if cn == "" || b.KioskID != cn {
		s.log.Warn("batch refused: kiosk ID does not match certificate", "cert_cn", cn, "claimed", b.KioskID)
		writeReply(w, http.StatusForbidden, ksync.Reply{Error: "kiosk ID does not match the client certificate"})
		return
	}
	head, headHash, err := s.store(cn, b.Records)
	reply := ksync.Reply{AckedSeq: head, AckedHash: headHash, ServerTime: s.opts.Now().UTC()}
	var ref *errRefused
	switch {
	case errors.As(err, &ref):
		reply.Error = ref.msg
		s.log.Warn("batch refused", "kiosk", cn, "reason", ref.msg, "acked", head)
		writeReply(w, ref.code, reply)
	case err != nil:
		s.log.Error("store batch", "kiosk", cn, "err", err)
		writeReply(w, http.StatusInternalServerError, ksync.Reply{Error: "store failed"})
	default:
		writeReply(w, http.StatusOK, reply)
	}
}

// store keeps each new record once and checks the chain. Records accepted
// before a refused one are committed, and the reply says so, so the kiosk
// can release them.
func (s *Server) store(kioskID string, recs []kiosk.Record) (head uint64, headHash string, err error) {
	key := s.opts.HashKey(kioskID)
	now := s.opts.Now().UTC()
	var refused *errRefused
	txErr := s.db.Update(func(tx *bolt.Tx) error {
		kb, err := tx.Bucket(bucketKiosks).CreateBucketIfNotExists([]byte(kioskID))
		if err != nil {
			return err
		}
		rb, err := kb.CreateBucketIfNotExists(bRecords)
		if err != nil {
			return err
		}
		fb, err := kb.CreateBucketIfNotExists(bFlags)
		if err != nil {
			return err
		}
		flag := func(f Flag) error {
			f.Time = now
			id, _ := fb.NextSequence()
			v, _ := json.Marshal(f)
			s.log.Warn("kiosk flagged", "kiosk", kioskID, "kind", f.Kind, "seq", f.Seq, "detail", f.Detail)
			return fb.Put(be64(id), v)
		}
		head, headHash = u64(kb.Get(kHeadSeq)), string(kb.Get(kHeadHash))
		for i, r := range recs {
			if r.KioskID != kioskID {
				refused = &errRefused{http.StatusBadRequest, fmt.Sprintf("record %d belongs to kiosk %q", r.Seq, r.KioskID)}
				break
			}
			if journal.HashRecord(r, key) != r.Hash {
				refused = &errRefused{http.StatusConflict, fmt.Sprintf("record %d does not match its hash", r.Seq)}
				if err := flag(Flag{Kind: "bad_hash", Seq: r.Seq, Detail: "content does not match hash"}); err != nil {
					return err
				}
				break
			}
			if r.Seq <= head {
				// A re-send: fine if it is the same record.
				if old := rb.Get(be64(r.Seq)); old != nil && !bytes.Contains(old, []byte(`"hash":"`+r.Hash+`"`)) {
					refused = &errRefused{http.StatusConflict, fmt.Sprintf("record %d differs from the one already held", r.Seq)}
					if err := flag(Flag{Kind: "conflict", Seq: r.Seq, Detail: "same seq, different record"}); err != nil {
						return err
					}
					break
				}
				continue
			}
			switch {
			case head == 0 && rb.Stats().KeyN == 0:
				if r.PrevHash != journal.Genesis {
					if err := flag(Flag{Kind: "chain_start", Seq: r.Seq, Detail: "first record seen does not start a chain"}); err != nil {
						return err
					}
				}
			case r.Seq != head+1 && i == 0:
				// The kiosk always sends its oldest record first: a gap here
				// means it no longer holds those (released by a staff export,
				// or lost with a reset journal).
				if err := flag(Flag{Kind: "gap", Seq: r.Seq, Detail: fmt.Sprintf("records %d..%d never arrived", head+1, r.Seq-1)}); err != nil {
					return err
				}
			case r.Seq != head+1:
				refused = &errRefused{http.StatusBadRequest, fmt.Sprintf("gap inside batch before record %d", r.Seq)}
			case r.PrevHash != headHash:
				refused = &errRefused{http.StatusConflict, fmt.Sprintf("record %d does not follow record %d (chain break)", r.Seq, head)}
				if err := flag(Flag{Kind: "chain_break", Seq: r.Seq, Detail: "prev_hash does not match the record held"}); err != nil {
					return err
				}
			}
			if refused != nil {
				break
			}
			v, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if err := rb.Put(be64(r.Seq), v); err != nil {
				return err
			}
			head, headHash = r.Seq, r.Hash
		}
		if err := kb.Put(kHeadSeq, be64(head)); err != nil {
			return err
		}
		return kb.Put(kHeadHash, []byte(headHash))
	})
	if txErr != nil {
		return 0, "", fmt.Errorf("store: %w", txErr)
	}
	if refused != nil {
		return head, headHash, refused
	}
	return head, headHash, nil
}

type storedHeartbeat struct {
	HB         ksync.Heartbeat `json:"hb"`
	ReceivedAt time.Time       `json:"received_at"`
}

func (s *Server) handleHeartbeat(w http.ResponseWriter, r *http.Request) {
	cn := peerCN(r)
	var hb ksync.Heartbeat
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&hb); err != nil {
		writeReply(w, http.StatusBadRequest, ksync.Reply{Error: "malformed heartbeat"})
		return
	}
	if cn == "" || hb.KioskID != cn {
		writeReply(w, http.StatusForbidden, ksync.Reply{Error: "kiosk ID does not match the client certificate"})
		return
	}
	now := s.opts.Now().UTC()
	err := s.db.Update(func(tx *bolt.Tx) error {
		kb, err := tx.Bucket(bucketKiosks).CreateBucketIfNotExists([]byte(cn))
		if err != nil {
			return err
		}
		v, err := json.Marshal(storedHeartbeat{HB: hb, ReceivedAt: now})
		if err != nil {
			return err
		}
		return kb.Put(kHeartbeat, v)
	})
	if err != nil {
		s.log.Error("store heartbeat", "kiosk", cn, "err", err)
		writeReply(w, http.StatusInternalServerError, ksync.Reply{Error: "store failed"})
		return
	}
	writeReply(w, http.StatusOK, ksync.Reply{ServerTime: now})
}

// Records returns up to limit of a kiosk's most recent records, oldest first.
func (s *Server) Records(kioskID string, limit int) ([]kiosk.Record, error) {
	var out []kiosk.Record
	err := s.db.View(func(tx *bolt.Tx) error {
		kb := tx.Bucket(bucketKiosks).Bucket([]byte(kioskID))
		if kb == nil || kb.Bucket(bRecords) == nil {
			return nil
		}
		c := kb.Bucket(bRecords).Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			var r kiosk.Record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("record %d: %w", u64(k), err)
			}
			out = append(out, r)
		}
		return nil
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}

// Kiosks returns every kiosk's state.
func (s *Server) Kiosks() ([]KioskState, error) {
	var out []KioskState
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketKiosks).ForEachBucket(func(id []byte) error {
			kb := tx.Bucket(bucketKiosks).Bucket(id)
			st := KioskState{KioskID: string(id), HeadSeq: u64(kb.Get(kHeadSeq))}
			if rb := kb.Bucket(bRecords); rb != nil {
				st.Records = rb.Stats().KeyN
			}
			if v := kb.Get(kHeartbeat); v != nil {
				var sh storedHeartbeat
				if json.Unmarshal(v, &sh) == nil {
					st.LastHeartbeat, st.HeartbeatAt = &sh.HB, sh.ReceivedAt
				}
			}
			if fb := kb.Bucket(bFlags); fb != nil {
				_ = fb.ForEach(func(_, v []byte) error {
					var f Flag
					if json.Unmarshal(v, &f) == nil {
						st.Flags = append(st.Flags, f)
					}
					return nil
				})
			}
			out = append(out, st)
			return nil
		})
	})
	return out, err
}

func (s *Server) handleRecords(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("kiosk")
	if id == "" {
		http.Error(w, "kiosk parameter required", http.StatusBadRequest)
		return
	}
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			http.Error(w, "bad limit", http.StatusBadRequest)
			return
		}
		limit = n
	}
	recs, err := s.Records(id, limit)
	if err != nil {
		s.log.Error("read records", "kiosk", id, "err", err)
		http.Error(w, "read failed", http.StatusInternalServerError)
		return
	}
	if r.URL.Query().Get("format") != "csv" {
		writeReply(w, http.StatusOK, recs)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"seq", "time", "clock_trusted", "kiosk_id", "kind", "outcome", "card", "status",
		"auth_tries", "sign_tries", "reference", "detail", "hash"})
	opt := func(p *int) string {
		if p == nil {
			return ""
		}
		return strconv.Itoa(*p)
	}
	for _, rc := range recs {
		_ = cw.Write([]string{strconv.FormatUint(rc.Seq, 10), rc.Time.Format(time.RFC3339), strconv.FormatBool(rc.ClockTrusted),
			rc.KioskID, string(rc.Kind), string(rc.Outcome), string(rc.Card), rc.Status,
			opt(rc.AuthTries), opt(rc.SignTries), rc.Reference, rc.Detail, rc.Hash})
	}
	cw.Flush()
}

func (s *Server) handleKiosks(w http.ResponseWriter, r *http.Request) {
	ks, err := s.Kiosks()
	if err != nil {
		s.log.Error("read kiosks", "err", err)
		http.Error(w, "read failed", http.StatusInternalServerError)
		return
	}
	writeReply(w, http.StatusOK, ks)
}

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func u64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}
