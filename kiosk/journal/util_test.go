package journal

import "encoding/json"

func jsonUnmarshal(b []byte, v any) error  { return json.Unmarshal(b, v) }
func jsonMarshalErr(v any) ([]byte, error) { return json.Marshal(v) }
