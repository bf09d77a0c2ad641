package store

import "context"

// The follow-up index under the same bounds as every store call: a page
// (a small limit) and the counts are one call; a whole period (the print
// view, the alerts' summary) is bulk.

func (b *bounded) FollowUps(ctx context.Context, q FollowUpQuery) ([]FollowUpItem, error) {
	d := b.o.Call
	if q.Limit == 0 || q.Limit > bulkRows {
		d = b.o.Bulk
	}
	return do(b, ctx, "followups", d, func(ctx context.Context) ([]FollowUpItem, error) { return b.Store.FollowUps(ctx, q) })
}

func (b *bounded) FollowUpCounts(ctx context.Context, q FollowUpQuery) (map[FollowUpKind]int, error) {
	return do(b, ctx, "followup_counts", b.o.Call, func(ctx context.Context) (map[FollowUpKind]int, error) { return b.Store.FollowUpCounts(ctx, q) })
}
