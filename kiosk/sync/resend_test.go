package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// The bodies as collectors before protocol 2 decode them: strictly, so
// an "acked" field is refused.
type batchV1 struct {
	KioskID   string           `json:"kiosk_id"`
	JournalID string           `json:"journal_id"`
	Records   []kiosk.Record   `json:"records"`
	Signature *ksync.Signature `json:"signature,omitempty"`
}

type heartbeatV1 struct {
	KioskID       string               `json:"kiosk_id"`
	JournalID     string               `json:"journal_id,omitempty"`
	ReaderPresent bool                 `json:"reader_present"`
	PrinterState  string               `json:"printer_state"`
	Devices       []ksync.DeviceHealth `json:"devices,omitempty"`
	JournalDepth  int                  `json:"journal_depth"`
	LastSync      time.Time            `json:"last_sync"`
	Sync          ksync.SyncHealth     `json:"sync"`
	Version       string               `json:"version"`
	Time          time.Time            `json:"time"`
}

// versionedCollector answers as a collector of protocol v (1 or 2): v1
// refuses unknown fields and never says its protocol.
type versionedCollector struct {
	mu     gosync.Mutex
	v      int
	acked  int // bodies that carried an acked point
	refuse int // 400s for unknown fields
}

func (c *versionedCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var body bytes.Buffer
	_, _ = body.ReadFrom(r.Body)
	if strings.Contains(body.String(), `"acked":{`) {
		c.acked++
	}
	reply := ksync.Reply{ServerTime: time.Now()}
	if c.v >= 2 {
		reply.Protocol = ksync.Protocol
	}
	var err error
	if r.URL.Path == ksync.PathHeartbeat {
		var hb heartbeatV1
		err = ksync.DecodeStrict(bytes.NewReader(body.Bytes()), &hb)
		if c.v >= 2 {
			var hb2 ksync.Heartbeat
			err = ksync.DecodeStrict(bytes.NewReader(body.Bytes()), &hb2)
		}
	} else {
		var b ksync.Batch
		if c.v >= 2 {
			err = ksync.DecodeStrict(bytes.NewReader(body.Bytes()), &b)
		} else {
			var b1 batchV1
			if err = ksync.DecodeStrict(bytes.NewReader(body.Bytes()), &b1); err == nil {
				b = ksync.Batch{JournalID: b1.JournalID, Records: b1.Records}
			}
		}
		reply.JournalID, reply.Acked = b.JournalID, acksOf(b.Records)
	}
	if err != nil {
		c.refuse++
		writeJSON(w, http.StatusBadRequest, ksync.Reply{Error: "malformed body: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, reply)
}

// TestProtocolBothWays: a new kiosk sends the acknowledged point only to
// a collector that said it takes it, falls back when an older collector
// answers under the same URL, and an older collector never sees it.
func TestProtocolBothWays(t *testing.T) {
	for _, tc := range []struct {
		name       string
		versions   []int // the collector's version at each round
		wantAcked  bool  // some body carried the point
		wantRefuse int
	}{
		{"an older collector", []int{1, 1, 1}, false, 0},
		{"a new collector", []int{2, 2, 2}, true, 0},
		{"replaced by an older one under the same URL", []int{2, 2, 1, 1}, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newKioskEnv(t)
			j, err := journal.Open(e.j.Path()+".r", journal.Options{KioskID: kioskID, Retention: journal.Retention{Days: 30}})
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			c := &versionedCollector{}
			e.coll.srv.Config.Handler = c
			s := e.syncer(t, 5*time.Second, func(cfg *ksync.Config) { cfg.Outbox = j })
			for _, v := range tc.versions {
				c.mu.Lock()
				c.v = v
				c.mu.Unlock()
				appendRecords(t, j, 2)
				if err := s.Heartbeat(context.Background()); err != nil {
					t.Fatalf("heartbeat to a v%d collector: %v", v, err)
				}
				if _, _, err := s.SyncOnce(context.Background()); err != nil {
					t.Fatalf("sync to a v%d collector: %v", v, err)
				}
			}
			if n, _ := j.Depth(); n != 0 {
				t.Errorf("%d records left unsent", n)
			}
			if (c.acked > 0) != tc.wantAcked || c.refuse != tc.wantRefuse {
				t.Errorf("bodies with the point: %d (want some: %v), refused: %d (want %d)", c.acked, tc.wantAcked, c.refuse, tc.wantRefuse)
			}
		})
	}
}

// TestOldKioskReadsNewReply: a kiosk from before protocol 2 decodes the
// new reply (it never decoded strictly) and acts on what it knew.
func TestOldKioskReadsNewReply(t *testing.T) {
	b, err := json.Marshal(ksync.Reply{JournalID: "j", Acked: []ksync.Ack{{Seq: 1, Hash: "h"}}, Protocol: ksync.Protocol, ResendFrom: 3, ServerTime: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var old struct {
		JournalID  string      `json:"journal_id,omitempty"`
		Acked      []ksync.Ack `json:"acked,omitempty"`
		Refused    []any       `json:"refused,omitempty"`
		ServerTime time.Time   `json:"server_time"`
		Error      string      `json:"error,omitempty"`
	}
	if err := ksync.DecodeOne(bytes.NewReader(b), &old); err != nil || len(old.Acked) != 1 || old.JournalID != "j" {
		t.Errorf("an old kiosk reading a new reply: %+v %v", old, err)
	}
}

// TestStickyCollector: once a collector took a batch, the next syncs
// start there: a dead first host (it takes the connection and never
// answers) costs the client's timeout once, not every sync.
func TestStickyCollector(t *testing.T) {
	e := newKioskEnv(t)
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	var mu gosync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := dead.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	e.coll.answer = func(w http.ResponseWriter, _ *http.Request, b ksync.Batch) {
		writeJSON(w, 200, ksync.Reply{JournalID: b.JournalID, Acked: acksOf(b.Records), ServerTime: time.Now()})
	}
	s := e.syncer(t, time.Second, func(c *ksync.Config) {
		c.BaseURL, c.MoreURLs = "https://"+dead.Addr().String(), []string{e.coll.url()}
	})
	for i := range 4 {
		appendRecords(t, e.j, 2)
		if _, _, err := s.SyncOnce(context.Background()); err != nil {
			t.Fatalf("sync %d: %v", i, err)
		}
		if err := s.Heartbeat(context.Background()); err != nil {
			t.Fatalf("heartbeat %d: %v", i, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(conns) != 1 {
		t.Errorf("the dead first collector was tried %d times in 8 posts, want once", len(conns))
	}
}
