package sync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
)

// AckedPoint is a journal's acknowledged point as batches and heartbeats
// carry it: the newest record the town hall acknowledged and the oldest
// acknowledged record the kiosk still keeps.
type AckedPoint = journal.Acked

// Body versions. A collector that answers Protocol >= ProtocolAcked takes
// Batch.Acked and Heartbeat.Acked; an older one refuses unknown fields, so
// a kiosk sends them only to a collector that said so, and an older kiosk
// simply never sends them (and ignores Protocol and ResendFrom).
const (
	ProtocolAcked = 2
	Protocol      = ProtocolAcked // what this code speaks
)

// Retainer is an Outbox that keeps acknowledged records for resending
// (*journal.Journal).
type Retainer interface {
	Retaining() bool
	Acked() (journal.Acked, error)
	Retained(from, to uint64, limit int) ([]kiosk.Record, error)
}

var _ Retainer = (*journal.Journal)(nil)

// ackedPoint is what to tell a collector that takes it (nil otherwise).
// A journal that keeps nothing tells nothing: it could not resend, and
// records acknowledged by a USB export on its way would read as lost.
func (s *Syncer) ackedPoint(base string) *AckedPoint {
	r, ok := s.cfg.Outbox.(Retainer)
	if !ok || !r.Retaining() || s.protocol(base) < ProtocolAcked {
		return nil
	}
	a, err := r.Acked()
	if err != nil {
		s.log.Warn("read the acknowledged point", "err", err)
		return nil
	}
	return &a
}

func (s *Syncer) protocol(base string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.protocols[base]
}

func (s *Syncer) setProtocol(base string, p int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.protocols[base] = p
}

// refusedField: a collector refused a body for a field it does not know
// (replaced by an older version under the same URL).
func refusedField(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == http.StatusBadRequest && strings.Contains(err.Error(), "unknown field")
}

// resend sends the retained records from..acked.Seq again, oldest first,
// after a collector said it lacks them. Records the kiosk no longer keeps
// are not sent: the collector knows where they end from the point's
// RetainedFrom and tells staff about that range.
func (s *Syncer) resend(ctx context.Context, from uint64, point *AckedPoint) (int, error) {
	r, ok := s.cfg.Outbox.(Retainer)
	if !ok || point == nil || from > point.Seq || point.JournalID != s.cfg.Outbox.JournalID() {
		return 0, nil
	}
	if from < point.RetainedFrom {
		s.log.Warn("the collector lacks acknowledged records this kiosk no longer keeps: sending those it keeps; the collector tells staff",
			"journal", point.JournalID, "lost_from", from, "lost_to", point.RetainedFrom-1)
	}
	sent := 0
	for from <= point.Seq {
		recs, err := r.Retained(from, point.Seq, s.cfg.BatchSize)
		if err != nil || len(recs) == 0 {
			return sent, err
		}
		b := Batch{KioskID: s.cfg.KioskID, JournalID: point.JournalID, Records: recs}
		sig, err := SignHead(s.cfg.Signer, b.Head())
		if err != nil {
			return sent, fmt.Errorf("resend: %w", err)
		}
		b.Signature = &sig
		var reply Reply
		url, err := s.postAny(ctx, PathBatch, func(string) any { return b }, &reply)
		if err != nil {
			return sent, fmt.Errorf("resend %d..%d: %w", recs[0].Seq, recs[len(recs)-1].Seq, err)
		}
		held := map[uint64]string{}
		for _, a := range reply.Acked {
			held[a.Seq] = a.Hash
		}
		for _, rec := range recs {
			if held[rec.Seq] != rec.Hash {
				return sent, fmt.Errorf("resend: %s did not take record %d again (refused: %v)", url, rec.Seq, reply.Refused)
			}
		}
		sent += len(recs)
		from = recs[len(recs)-1].Seq + 1
	}
	s.log.Warn("sent acknowledged records again to a collector that lacked them (a USB export not imported yet, or its store restored from a backup)",
		"journal", point.JournalID, "records", sent, "to_seq", point.Seq)
	return sent, nil
}

// afterReply acts on what a reply says beyond acknowledgements: the
// collector's protocol, and a resend it asks for.
func (s *Syncer) afterReply(ctx context.Context, url string, reply *Reply, point *AckedPoint) error {
	if reply.ResendFrom == 0 || point == nil {
		return nil
	}
	_, err := s.resend(ctx, reply.ResendFrom, point)
	return err
}
