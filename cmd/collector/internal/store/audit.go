package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// The audit log: every view, search, export, import and follow-up mark,
// who did it (the staff certificate) and when. It is a hash chain — each
// entry seals the one before it — kept by the store in an append-only
// table or bucket. The console has no way to edit or delete an entry, and
// anyone with write access to the store who edits, drops or reorders one
// breaks the chain, which VerifyAudit finds and the audit page shows.
// (Rewriting the whole chain from the edit on is not detected by the chain
// alone: the page shows the head hash so it can be written down or sent
// elsewhere as an anchor.)

// AuditGenesis is the PrevHash of the first entry.
const AuditGenesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Audit actions.
const (
	ActViewKiosks   = "view_kiosks"
	ActViewKiosk    = "view_kiosk"
	ActSearch       = "search"
	ActViewRecord   = "view_record"
	ActViewFollowUp = "view_followups"
	ActMark         = "mark_handled"
	ActExport       = "export"
	ActImport       = "import" // an upload about to be verified and imported
	ActImported     = "imported"
	ActImportFailed = "import_refused"
	ActViewAudit    = "view_audit"
	ActDenied       = "denied"         // a certificate that is not a staff one
	ActRevoked      = "denied_revoked" // a certificate the village CA revoked (a staff member who left)
	ActDeniedRole   = "denied_role"    // counter staff on an administrator's page (import, export, audit log)
	// The staff API (collector import --url, scripts): the same rule, an
	// entry before any answer.
	ActAPIRecords = "api_records"
	ActAPIKiosks  = "api_kiosks"
	ActAPILookup  = "api_lookup"
	ActAPIImport  = "api_import"
)

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	Seq      uint64    `json:"seq"`
	Time     time.Time `json:"time"`
	Staff    string    `json:"staff"` // certificate CN
	Cert     string    `json:"cert"`  // certificate serial (hex)
	Action   string    `json:"action"`
	Detail   string    `json:"detail,omitempty"` // what was asked for: the query, the record, the counts
	Remote   string    `json:"remote,omitempty"`
	PrevHash string    `json:"prev_hash"`
	Hash     string    `json:"hash"`
}

// auditHash is the SHA-256 of the entry's JSON without its Hash.
func auditHash(e AuditEntry) string {
	e.Hash = ""
	e.Time = e.Time.UTC()
	b, _ := json.Marshal(e) // a struct of strings, numbers and a time: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// SealAudit makes e the entry after prev (nil: the first): it sets Seq,
// PrevHash and Hash. Stores call it inside the transaction that appends.
func SealAudit(prev *AuditEntry, e AuditEntry) AuditEntry {
	e.Seq, e.PrevHash = 1, AuditGenesis
	if prev != nil {
		e.Seq, e.PrevHash = prev.Seq+1, prev.Hash
	}
	e.Time = e.Time.UTC()
	e.Hash = auditHash(e)
	return e
}

// AuditBreak is where the audit chain does not hold.
type AuditBreak struct {
	Seq    uint64
	Reason string
}

func (b *AuditBreak) Error() string { return fmt.Sprintf("audit entry %d: %s", b.Seq, b.Reason) }

// VerifyAudit checks entries, which must start at prev (nil: at the first
// entry), as one unbroken chain.
func VerifyAudit(prev *AuditEntry, entries []AuditEntry) *AuditBreak {
	wantSeq, wantPrev := uint64(1), AuditGenesis
	if prev != nil {
		wantSeq, wantPrev = prev.Seq+1, prev.Hash
	}
	for _, e := range entries {
		switch {
		case e.Seq != wantSeq:
			return &AuditBreak{Seq: wantSeq, Reason: fmt.Sprintf("missing (found %d in its place)", e.Seq)}
		case e.PrevHash != wantPrev:
			return &AuditBreak{Seq: e.Seq, Reason: "does not follow the entry before it"}
		case auditHash(e) != e.Hash:
			return &AuditBreak{Seq: e.Seq, Reason: "content does not match its hash (edited)"}
		}
		wantSeq, wantPrev = e.Seq+1, e.Hash
	}
	return nil
}
