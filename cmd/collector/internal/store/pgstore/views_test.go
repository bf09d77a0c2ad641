package pgstore

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/storetest"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
)

// TestReportingRole: the README's read-only role (GRANT SELECT on the
// report views only) reads every view and nothing else, and cannot write.
func TestReportingRole(t *testing.T) {
	ctx := context.Background()
	dsn := pg.NewSchema(t)
	s, err := Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	jid := kiosk.NewJournalID()
	if _, err := s.Ingest(ctx, store.Ingest{KioskID: "K01", JournalID: jid, Records: storetest.Chain("K01", jid, journal.DetailJournalNew, 7)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendAudit(ctx, store.AuditEntry{Staff: "staff-a", Action: store.ActSearch}); err != nil {
		t.Fatal(err)
	}
	var schemaName string
	if err := s.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schemaName); err != nil {
		t.Fatal(err)
	}
	role := "reporting_" + schemaName
	grant := []string{fmt.Sprintf(`CREATE ROLE %s LOGIN`, role), fmt.Sprintf(`GRANT USAGE ON SCHEMA %s TO %s`, schemaName, role),
		fmt.Sprintf(`GRANT SELECT ON %s TO %s`, strings.Join(ReportViews, ", "), role)}
	for _, q := range grant {
		if _, err := s.pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	rc, err := pgx.Connect(ctx, strings.Replace(dsn, "postgres://pgtest@", "postgres://"+role+"@", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close(ctx)
	counts := map[string]int{"report_records": 7, "report_journals": 1, "report_kiosks": 1, "report_flags": 0, "report_audit": 1}
	for _, v := range ReportViews {
		var n int
		if err := rc.QueryRow(ctx, `SELECT count(*) FROM `+v).Scan(&n); err != nil || n != counts[v] {
			t.Errorf("%s: %d rows (%v), want %d", v, n, err, counts[v])
		}
	}
	var head, records int
	if err := rc.QueryRow(ctx, `SELECT head_seq, records FROM report_journals`).Scan(&head, &records); err != nil || head != 7 || records != 7 {
		t.Errorf("report_journals: head %d, records %d (%v)", head, records, err)
	}
	for _, q := range []string{`SELECT count(*) FROM records`, `SELECT count(*) FROM audit`, `DELETE FROM report_audit`} {
		if _, err := rc.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("the reporting role: %s: %v, want permission denied", q, err)
		}
	}
}
