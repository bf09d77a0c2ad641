package store

import "time"

// AuditTime is the time of the entry after prev: now, which the store
// takes while it holds the audit log's lock (a time taken before waiting
// for it would put entries out of order), and never before prev's (a
// peer collector's clock ahead of this one's).
func AuditTime(now time.Time, prev *AuditEntry) time.Time {
	if prev != nil && now.Before(prev.Time) {
		return prev.Time
	}
	return now.UTC()
}
