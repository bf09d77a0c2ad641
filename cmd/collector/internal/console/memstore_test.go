package console

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// memStore is the console's Store held in memory, for the console's own
// page and auth tests; the stores' suite runs the same contract on the
// real ones. fail makes a method fail, as a dying disk would.
type memStore struct {
	mu     sync.Mutex
	kiosks map[string]Kiosk
	visits []Visit
	marks  map[RecordID]Mark
	audit  []AuditEntry
	fail   map[string]error
}

func newMemStore() *memStore {
	return &memStore{kiosks: map[string]Kiosk{}, marks: map[RecordID]Mark{}, fail: map[string]error{}}
}

func (m *memStore) failing(op string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.fail[op]
}

func (m *memStore) add(v Visit) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.visits = append(m.visits, v)
	k := m.kiosks[v.Record.KioskID]
	k.ID = v.Record.KioskID
	k.Records++
	m.kiosks[k.ID] = k
}

func (m *memStore) Kiosks(ctx context.Context) ([]Kiosk, error) {
	if err := m.failing("Kiosks"); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Kiosk
	for _, k := range m.kiosks {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (m *memStore) Kiosk(ctx context.Context, id string) (Kiosk, error) {
	if err := m.failing("Kiosk"); err != nil {
		return Kiosk{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.kiosks[id]
	if !ok {
		return Kiosk{}, ErrNotFound
	}
	return k, nil
}

func (m *memStore) Records(ctx context.Context, q Query) ([]Visit, error) {
	if err := m.failing("Records"); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Visit
	for _, v := range m.visits {
		r := v.Record
		if (q.KioskID != "" && r.KioskID != q.KioskID) || (q.JournalID != "" && v.JournalID != q.JournalID) ||
			(q.AfterSeq > 0 && r.Seq <= q.AfterSeq) || (!q.From.IsZero() && r.Time.Before(q.From)) ||
			(!q.To.IsZero() && !r.Time.Before(q.To)) || (q.Kind != "" && r.Kind != q.Kind) || (q.Outcome != "" && r.Outcome != q.Outcome) {
			continue
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Record, out[j].Record
		if q.JournalID != "" {
			return a.Seq < b.Seq
		}
		return a.Time.Before(b.Time)
	})
	if !q.Oldest {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

func (m *memStore) Lookup(ctx context.Context, ref string) ([]Visit, error) {
	if err := m.failing("Lookup"); err != nil {
		return nil, err
	}
	kid, day, seq, err := kiosk.ParseReference(ref)
	if err != nil {
		return nil, errors.Join(ErrBadReference, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Visit
	for _, v := range m.visits {
		if v.Record.KioskID == kid && v.Record.Seq == seq && v.Record.Time.In(jst).Format("20060102") == day.Format("20060102") {
			out = append(out, v)
		}
	}
	return out, nil
}

func (m *memStore) FollowUps(ctx context.Context, from, to time.Time) ([]FollowUp, error) {
	vs, err := m.Records(ctx, Query{From: from, To: to})
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []FollowUp
	for _, v := range vs {
		if k, ok := FollowUpOf(v.Record); ok {
			f := FollowUp{Visit: v, Kind: k}
			if mk, ok := m.marks[v.ID()]; ok {
				f.Mark = &mk
			}
			out = append(out, f)
		}
	}
	return out, nil
}

func (m *memStore) Mark(ctx context.Context, mk Mark) (Mark, error) {
	if err := m.failing("Mark"); err != nil {
		return Mark{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.marks[mk.Record]; ok {
		return old, ErrAlreadyMarked
	}
	m.marks[mk.Record] = mk
	return mk, nil
}

func (m *memStore) MarkOf(ctx context.Context, id RecordID) (*Mark, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if mk, ok := m.marks[id]; ok {
		return &mk, nil
	}
	return nil, nil
}

func (m *memStore) AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error) {
	if err := m.failing("AppendAudit"); err != nil {
		return AuditEntry{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var prev *AuditEntry
	if n := len(m.audit); n > 0 {
		prev = &m.audit[n-1]
	}
	e = SealAudit(prev, e)
	m.audit = append(m.audit, e)
	return e, nil
}

func (m *memStore) Audit(ctx context.Context, afterSeq uint64, limit int) ([]AuditEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []AuditEntry
	for _, e := range m.audit {
		if e.Seq > afterSeq && (limit <= 0 || len(out) < limit) {
			out = append(out, e)
		}
	}
	return out, nil
}

// actions lists the audit log's actions in order.
func (m *memStore) actions() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var a []string
	for _, e := range m.audit {
		a = append(a, e.Action)
	}
	return strings.Join(a, " ")
}
