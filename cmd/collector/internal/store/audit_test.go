package store

import (
	"encoding/json"
	"testing"
	"time"
)

func TestAuditChain(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	var es []AuditEntry
	var prev *AuditEntry
	for i := range 3 {
		e := SealAudit(prev, AuditEntry{Time: t0.Add(time.Duration(i) * time.Second), Staff: "staff-a", Action: ActSearch, Detail: "x"})
		es = append(es, e)
		prev = &es[len(es)-1]
	}
	if b := VerifyAudit(nil, es); b != nil {
		t.Fatal(b)
	}
	if b := VerifyAudit(&es[0], es[1:]); b != nil {
		t.Fatalf("from the middle: %v", b)
	}
	tests := map[string][]AuditEntry{
		"reordered": {es[0], es[2], es[1]},
		"dropped":   {es[0], es[2]},
		"edited":    {es[0], func() AuditEntry { e := es[1]; e.Staff = "staff-b"; return e }(), es[2]},
		"re-sealed": {es[0], SealAudit(&es[0], AuditEntry{Time: t0, Staff: "staff-b", Action: ActSearch}), es[2]},
	}
	for name, chain := range tests {
		if b := VerifyAudit(nil, chain); b == nil {
			t.Errorf("%s entries verify", name)
		}
	}
	b, _ := json.Marshal(es[1])
	var back AuditEntry
	_ = json.Unmarshal(b, &back)
	if auditHash(back) != es[1].Hash {
		t.Error("an entry read back from JSON no longer matches its hash")
	}
}
