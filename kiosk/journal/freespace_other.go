//go:build !linux && !darwin

package journal

// freeBytes is unknown here (staff tools on other systems never append).
func freeBytes(string) (int64, bool) { return 0, false }
