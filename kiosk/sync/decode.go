package sync

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// DecodeOne decodes exactly one JSON value from r into v: trailing bytes
// after it (other than white space) are an error, so a body means one thing.
func DecodeOne(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		return err
	}
	var extra json.RawMessage
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return fmt.Errorf("unreadable data after the JSON value: %w", err)
	}
	return fmt.Errorf("more than one JSON value (%d more bytes: %.20q…)", len(extra), bytes.TrimSpace(extra))
}
