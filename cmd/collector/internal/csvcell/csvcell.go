// Package csvcell keeps spreadsheet cells from running as formulas (CSV
// injection): a record's text comes from a kiosk, and a tampered kiosk
// must not be able to run anything on a staff PC that opens the file.
// The console's export and the staff API's CSV both write through it.
package csvcell

import "strings"

// Safe returns s with a leading ' when Excel would read it as a formula.
func Safe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Row makes every cell of row safe, in place, and returns it.
func Row(row []string) []string {
	for i := range row {
		row[i] = Safe(row[i])
	}
	return row
}
