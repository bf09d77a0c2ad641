package sync

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// DecodeStrict is DecodeOne for what kiosks send (batches, heartbeats,
// exports): every key must be one of v's JSON names, spelled exactly, and
// appear once. encoding/json alone takes "Kiosk_ID" for "kiosk_id", keeps
// the last of two equal keys and ignores keys it does not know, so a body
// could mean something other than what its signature or its reader shows.
func DecodeStrict(r io.Reader, v any) error {
	var raw json.RawMessage
	if err := DecodeOne(r, &raw); err != nil {
		return err
	}
	if err := checkKeys(raw, reflect.TypeOf(v), ""); err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

// checkKeys walks raw along t and reports the first key t does not name
// exactly, or a key given twice.
func checkKeys(raw json.RawMessage, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) || reflect.PointerTo(t).Implements(unmarshaler) {
		return nil // the type reads itself (time.Time, json.RawMessage)
	}
	switch t.Kind() {
	case reflect.Struct:
		fields := map[string]reflect.Type{}
		jsonFields(t, fields)
		return eachKey(raw, path, func(key string, val json.RawMessage) error {
			ft, ok := fields[key]
			if !ok {
				return fmt.Errorf("unknown field %q%s", key, at(path))
			}
			return checkKeys(val, ft, path+"."+key)
		})
	case reflect.Map:
		return eachKey(raw, path, func(key string, val json.RawMessage) error {
			return checkKeys(val, t.Elem(), path+"."+key)
		})
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil // not an array: Unmarshal says so with its own words
		}
		for i, it := range items {
			if err := checkKeys(it, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func at(path string) string {
	if path == "" {
		return ""
	}
	return " in " + strings.TrimPrefix(path, ".")
}

// eachKey calls fn for every key of the object raw, in order, and refuses
// a key given twice.
func eachKey(raw json.RawMessage, path string, fn func(string, json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil // not an object: Unmarshal says so with its own words
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return err
		}
		if seen[key] {
			return fmt.Errorf("field %q given twice%s", key, at(path))
		}
		seen[key] = true
		if err := fn(key, val); err != nil {
			return err
		}
	}
	return nil
}

// jsonFields collects the JSON names of t's fields as encoding/json sees
// them, embedded structs' promoted fields included.
func jsonFields(t reflect.Type, out map[string]reflect.Type) {
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				jsonFields(ft, out)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
}
