package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// awsCanary is shaped like an AWS secret access key: 40 characters, with
// + and / (which percent-encoding, JSON and base64 all change).
const awsCanary = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

// pyQuote is Python's urllib.parse.quote(s) (safe="/"), as issue #17's
// exec target printed it.
func pyQuote(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("_.-~/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// escapeAll is s with every character \uXXXX-escaped, as some JSON
// encoders write non-ASCII (and a hostile program may write anything).
func escapeAll(s string, lower bool) string {
	var b strings.Builder
	for _, r := range s {
		f := "\\u%04X"
		if lower {
			f = "\\u%04x"
		}
		fmt.Fprintf(&b, f, r)
	}
	return b.String()
}

// encodings are the ways a program might print s.
func encodings(s string) map[string]string {
	js, _ := json.Marshal(s)
	var noHTML bytes.Buffer
	enc := json.NewEncoder(&noHTML)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(map[string]string{"v": s})
	b64 := base64.StdEncoding.EncodeToString([]byte(s + s)) // long enough to wrap
	var wrapped strings.Builder
	for i := 0; i < len(b64); i += 76 {
		wrapped.WriteString(b64[i:min(len(b64), i+76)] + "\n")
	}
	return map[string]string{
		"query escaping":         url.QueryEscape(s),
		"path escaping":          url.PathEscape(s),
		"python quote":           pyQuote(s),
		"lower-case hex":         lowerHex(url.QueryEscape(s)),
		"JSON":                   string(js),
		"JSON without HTML":      noHTML.String(),
		"JSON with \\/":          strings.ReplaceAll(string(js), "/", `\/`),
		"JSON all \\u":           escapeAll(s, false),
		"JSON all \\u lower":     escapeAll(s, true),
		"base64":                 base64.StdEncoding.EncodeToString([]byte(s)),
		"base64 raw":             base64.RawStdEncoding.EncodeToString([]byte(s)),
		"base64url":              base64.URLEncoding.EncodeToString([]byte(s)),
		"base64url raw":          base64.RawURLEncoding.EncodeToString([]byte(s)),
		"base64 of user:s":       base64.StdEncoding.EncodeToString([]byte("user:" + s)),
		"base64 of xy+s":         base64.StdEncoding.EncodeToString([]byte("xy" + s)),
		"base64 of s+newline":    base64.StdEncoding.EncodeToString([]byte(s + "\n")),
		"base64 wrapped":         wrapped.String(),
		"base64 wrapped CRLF":    strings.ReplaceAll(wrapped.String(), "\n", "\r\n"),
		"base64 query-escaped":   url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(s))),
		"base64 JSON":            strings.ReplaceAll(base64.StdEncoding.EncodeToString([]byte(s)), "/", `\/`),
		"base64url of user:s":    base64.RawURLEncoding.EncodeToString([]byte("user:" + s)),
		"percent then quoted":    `"` + url.PathEscape(s) + `"`,
		"mixed percent and JSON": strings.Replace(strings.Replace(s, "/", "%2f", 1), "+", `\u002B`, 1),
	}
}

// lowerHex writes the hex digits of s's %XX escapes in lower case.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = bytes.ToLower(b[i+1 : i+2])[0], bytes.ToLower(b[i+2 : i+3])[0]
		}
	}
	return string(b)
}

// leaks lists the 12-character runs of every encoded form of s, the way
// the canary suite looks for leaks.
func leaks(out, s string) []string {
	var found []string
	for name, e := range encodings(s) {
		e = strings.TrimSpace(e)
		for _, line := range strings.Split(e, "\n") {
			line = strings.TrimRight(line, "\r")
			for j := 0; j+12 <= len(line); j++ {
				if strings.Contains(out, line[j:j+12]) {
					found = append(found, fmt.Sprintf("%s: %q", name, line[j:j+12]))
					break
				}
			}
		}
	}
	return found
}

// TestMaskEncodedForms: issue #17 item 2. An exec target that printed
// urllib.parse.quote(value) got 39 of an AWS secret's 40 characters past
// the masker. Every encoding a program is likely to print is masked, in
// the whole text and when it arrives a byte at a time.
func TestMaskEncodedForms(t *testing.T) {
	for _, s := range []string{awsCanary, canary, "p@ss wörd/with\"quotes\"\\and+more%signs"} {
		reg := NewRegistry()
		reg.Add(New(s))
		for name, e := range encodings(s) {
			text := "error: " + e + " (exit 3)\n"
			got := reg.MaskString(text)
			if l := leaks(got, s); len(l) > 0 {
				t.Errorf("%s of %q: masked %q\n  still holds %v", name, s, got, l)
			}
			if !strings.Contains(got, "[REDACTED ") {
				t.Errorf("%s of %q: nothing masked in %q", name, s, got)
			}
			if !reg.Contains(text) {
				t.Errorf("%s of %q: Contains is false", name, s)
			}
			var out bytes.Buffer
			w := NewWriter(&out, reg)
			for i := 0; i < len(text); i++ {
				_, _ = w.Write([]byte{text[i]})
			}
			_ = w.Flush()
			if out.String() != got {
				t.Errorf("%s of %q: streamed a byte at a time %q, whole %q", name, s, out.String(), got)
			}
		}
	}
}

// TestMaskNamesTheForm: a match that is not the value as it is says so.
func TestMaskNamesTheForm(t *testing.T) {
	reg := NewRegistry()
	reg.Add(New(awsCanary))
	for text, want := range map[string]string{
		awsCanary:                  "[REDACTED …EKEY]",
		url.QueryEscape(awsCanary): "[REDACTED …EKEY, escaped]",
		base64.StdEncoding.EncodeToString([]byte(awsCanary)): "[REDACTED …EKEY, base64]",
	} {
		if got := reg.MaskString(text); got != want {
			t.Errorf("MaskString(%q) = %q, want %q", text, got, want)
		}
	}
	// The value, and per alphabet padded, unpadded and three offsets
	// (the same text in both alphabets when the encoding has no + or /).
	if n := reg.Forms(); n < 6 {
		t.Errorf("%d forms registered for an AWS secret, want at least 6", n)
	}
}

// TestMaskLeavesOrdinaryText: escapes and base64 elsewhere in the text
// are left alone, and short values get no encoded forms.
func TestMaskLeavesOrdinaryText(t *testing.T) {
	reg := NewRegistry()
	reg.Add(New(awsCanary), New("short1"))
	text := "50% done; path a%2Fb; {\"k\":\"\\u0041\"}; " + base64.StdEncoding.EncodeToString([]byte("not the secret at all")) + "\n"
	if got := reg.MaskString(text); got != text {
		t.Errorf("ordinary text changed: %q", got)
	}
	if got := reg.MaskString(base64.StdEncoding.EncodeToString([]byte("short1"))); strings.Contains(got, "REDACTED") {
		t.Errorf("the base64 of a short value was masked: %q", got)
	}
}

// TestMaskPathological: a value of backslashes and % signs, against text
// built to make a naive matcher try every way of reading it, is matched
// (or not) in time proportional to the text.
func TestMaskPathological(t *testing.T) {
	reg := NewRegistry()
	v := strings.Repeat(`\%`, 40) + "END"
	reg.Add(New(v))
	text := strings.Repeat(`\\%25`, 200) + "XXX"
	if got := reg.MaskString(text); got != text {
		t.Errorf("masked text that is not the value")
	}
	if !reg.Contains(strings.Repeat(`\\%25`, 40) + "END") {
		t.Error("the escaped value was not found")
	}
}

// TestWriterEveryOffsetEncoded splits encoded forms into two writes at
// every offset: nothing of the form is written before it is settled.
func TestWriterEveryOffsetEncoded(t *testing.T) {
	reg := NewRegistry()
	reg.Add(New(awsCanary))
	for name, e := range encodings(awsCanary) {
		text := "a " + e + " b"
		whole := reg.MaskString(text)
		for k := 0; k <= len(text); k++ {
			var out bytes.Buffer
			w := NewWriter(&out, reg)
			_, _ = w.Write([]byte(text[:k]))
			if l := leaks(out.String(), awsCanary); len(l) > 0 {
				t.Fatalf("%s, offset %d: written before settled: %v", name, k, l)
			}
			_, _ = w.Write([]byte(text[k:]))
			_ = w.Flush()
			if out.String() != whole {
				t.Fatalf("%s, offset %d: got %q, want %q", name, k, out.String(), whole)
			}
		}
	}
}

func BenchmarkMask(b *testing.B) {
	reg := NewRegistry()
	reg.Add(New(canary), New(other), New(awsCanary), New("ghp_0123456789abcdefghijklmnopqrstuvwxyz"))
	text := []byte(strings.Repeat("a line of ordinary output, 50% done, {\"k\":\"v\\/w\"}\n", 2000))
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		reg.Mask(text)
	}
}
