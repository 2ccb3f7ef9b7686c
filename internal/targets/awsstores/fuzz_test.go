package awsstores

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzJSONObjectSet: whatever a secret holds, parseJSONObject never
// panics, and when it accepts an object, setting a key gives valid JSON
// in which that key holds the value and every other key what it held.
func FuzzJSONObjectSet(f *testing.F) {
	for _, s := range []string{`{"A":"1","B":{"c":[1, 2.50]},"K":"old"}`, `{}`, `[1]`, `"s"`, `{"A":1}{"B":2}`, `{"A":1,"A":2}`,
		`{"a\u0000b":"\ud800","<&>":"é"}`, ` {"K" : null } `, `{"K":"x"`, ``} {
		f.Add(s, "K", "sk-new<&>\u2028")
	}
	f.Fuzz(func(t *testing.T, src, key, value string) {
		obj, err := parseJSONObject(src)
		if err != nil {
			return
		}
		var before map[string]any
		if err := json.Unmarshal([]byte(src), &before); err != nil {
			t.Fatalf("accepted %q, which is not a JSON object: %v", src, err)
		}
		out, err := obj.set(key, value)
		if err != nil {
			return // a key or value that is not valid UTF-8 JSON can carry
		}
		var after map[string]any
		if err := json.Unmarshal([]byte(out), &after); err != nil {
			t.Fatalf("set gave invalid JSON %q: %v", out, err)
		}
		var want any
		wb, _ := json.Marshal(value)
		_ = json.Unmarshal(wb, &want)
		if !reflect.DeepEqual(after[key], want) {
			t.Fatalf("key %q holds %#v, want %#v", key, after[key], want)
		}
		delete(after, key)
		delete(before, key)
		if len(before) != len(after) {
			t.Fatalf("other keys changed: %v -> %v", before, after)
		}
		for k, v := range before {
			if !reflect.DeepEqual(after[k], v) {
				t.Fatalf("key %q changed: %#v -> %#v", k, v, after[k])
			}
		}
		if got, ok := obj.get(key); ok && jsonStringIs(got, value) {
			return
		}
	})
}
