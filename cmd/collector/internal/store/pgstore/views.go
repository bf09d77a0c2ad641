package pgstore

// The reporting views: what a town hall's reporting tools read, through a
// role that may SELECT these and nothing else (README: "A read-only
// reporting role"). Their names and columns are a promise: a later schema
// version changes the tables behind them, never them (columns may only
// be added at the end). They are made again (CREATE OR REPLACE) on every
// start, so they always match the tables of this version.
var reportViews = []string{
	`CREATE OR REPLACE VIEW report_records AS
		SELECT kiosk_id, journal_id, seq, time, kind, outcome, hash, prev_hash,
			body::jsonb AS record
		FROM records`,
	`CREATE OR REPLACE VIEW report_journals AS
		SELECT kiosk_id, journal_id, first_seen,
			(state->>'last_seen')::timestamptz AS last_seen,
			(state->>'records')::bigint AS records,
			(state->>'head_seq')::bigint AS head_seq,
			coalesce(jsonb_array_length(state->'gaps'), 0) AS gaps,
			state->>'reason' AS reason
		FROM journals`,
	`CREATE OR REPLACE VIEW report_kiosks AS
		SELECT kiosk_id, heartbeat_at,
			heartbeat->'hb'->>'version' AS version,
			(heartbeat->'hb'->>'journal_depth')::bigint AS unsent
		FROM kiosks`,
	`CREATE OR REPLACE VIEW report_flags AS
		SELECT kiosk_id, flag->>'kind' AS kind, flag->>'journal_id' AS journal_id,
			(flag->>'seq')::bigint AS seq, flag->>'detail' AS detail, first,
			(flag->>'last')::timestamptz AS last, (flag->>'count')::bigint AS count
		FROM flags`,
	`CREATE OR REPLACE VIEW report_audit AS
		SELECT seq, (entry->>'time')::timestamptz AS time, entry->>'staff' AS staff,
			entry->>'action' AS action, entry->>'detail' AS detail, entry->>'hash' AS hash
		FROM audit`,
}

// ReportViews names the reporting views (for GRANT SELECT).
var ReportViews = []string{"report_records", "report_journals", "report_kiosks", "report_flags", "report_audit"}
