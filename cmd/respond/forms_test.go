package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
)

// The canary suite looks for every secret in the forms a program might
// print it in, computed here with the standard library (independently of
// internal/secret, whose masker the suite checks): as it is,
// percent-encoded (query and path escaping, Python's urllib.parse.quote,
// lower-case hex), JSON-escaped (Go's, with \/, every character \u), and
// base64 (standard and URL alphabets, padded and not, and the value at
// each byte offset of a longer encoded text).

// pyQuote is Python's urllib.parse.quote(s) with its default safe="/".
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

// namedForm is one form of a secret.
type namedForm struct{ name, text string }

// secretForms returns s's distinct forms, each under the first name that
// gives it.
func secretForms(s string) []namedForm {
	js, _ := json.Marshal(s)
	quoted := strings.Trim(string(js), `"`)
	var allU strings.Builder
	for _, r := range s {
		fmt.Fprintf(&allU, "\\u%04x", r)
	}
	// The value at byte offsets 1 and 2 of a group of three: the groups
	// holding only its bytes (the first and last groups hold others').
	shifted := func(enc *base64.Encoding, prefix string) string {
		e := enc.EncodeToString([]byte(prefix + s))
		if len(e) < 12 {
			return ""
		}
		return e[4 : len(e)-4]
	}
	// Lower-case hex applies to the escapes only: the value's own letters
	// keep their case.
	lower := []byte(url.QueryEscape(s))
	for i := 0; i+2 < len(lower); i++ {
		if lower[i] == '%' {
			lower[i+1], lower[i+2] = toLower(lower[i+1]), toLower(lower[i+2])
		}
	}
	all := []namedForm{
		{"as is", s},
		{"query-escaped", url.QueryEscape(s)},
		{"path-escaped", url.PathEscape(s)},
		{"urllib.parse.quote", pyQuote(s)},
		{"lower-case hex", string(lower)},
		{"JSON", quoted},
		{"JSON with \\/", strings.ReplaceAll(quoted, "/", `\/`)},
		{"JSON \\u", allU.String()},
		{"base64", base64.StdEncoding.EncodeToString([]byte(s))},
		{"base64 unpadded", base64.RawStdEncoding.EncodeToString([]byte(s))},
		{"base64url", base64.URLEncoding.EncodeToString([]byte(s))},
		{"base64url unpadded", base64.RawURLEncoding.EncodeToString([]byte(s))},
		{"base64, offset 1", shifted(base64.StdEncoding, "x")},
		{"base64, offset 2", shifted(base64.StdEncoding, "xy")},
		{"base64url, offset 1", shifted(base64.URLEncoding, "x")},
		{"base64url, offset 2", shifted(base64.URLEncoding, "xy")},
		{"base64 query-escaped", url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(s)))},
	}
	var out []namedForm
	seen := map[string]bool{}
	for _, f := range all {
		if len(f.text) >= noleakMin && !seen[f.text] {
			seen[f.text] = true
			out = append(out, f)
		}
	}
	return out
}

func toLower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// encodeSecret is the encode-secret program (an exec target in scripts):
// it reads a value on standard input and prints it on standard error in
// the forms a careless command prints a secret in (urllib.parse.quote as
// issue #17's target did, other percent-encodings, JSON, base64, base64
// wrapped at 76 columns, base64 of user:value), then fails with exit
// code 3, so its output reaches respond's error messages, the journal
// and the reports.
func encodeSecret() int {
	b, err := io.ReadAll(os.Stdin)
	if err != nil {
		return 1
	}
	v := strings.TrimRight(string(b), "\n")
	js, _ := json.Marshal(map[string]string{"value": v})
	wrapped := base64.StdEncoding.EncodeToString([]byte(v + v))
	var lines []string
	for i := 0; i < len(wrapped); i += 76 {
		lines = append(lines, wrapped[i:min(len(wrapped), i+76)])
	}
	fmt.Fprintf(os.Stderr, "store failed for %s\n", pyQuote(v))
	fmt.Fprintf(os.Stderr, "request: https://store.example/put?value=%s&path=%s\n", url.QueryEscape(v), url.PathEscape(v))
	fmt.Fprintf(os.Stderr, "body: %s\n", strings.ReplaceAll(string(js), "/", `\/`))
	fmt.Fprintf(os.Stderr, "auth: Basic %s\n", base64.StdEncoding.EncodeToString([]byte("deploy:"+v)))
	fmt.Fprintf(os.Stderr, "b64: %s %s\n", base64.StdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v)))
	fmt.Fprintf(os.Stderr, "dump:\n%s\n", strings.Join(lines, "\n"))
	return 3
}
