package secret

import (
	"encoding/base64"
	"unicode/utf8"
)

// The masker looks for every registered value in the forms programs put
// it in when they print it, not only as it is:
//
//   - as it is, or percent-encoded (query or path escaping, either case of
//     hex digits, + for a space) or JSON-escaped (\uXXXX in either case,
//     \/ \" \\ and the short escapes), any character in any of these forms
//     (pattern matching tolerates the escapes: see match.go);
//   - base64-encoded, in the standard and the URL alphabet, padded and
//     unpadded, and as it reads when the value sits at any of the three
//     byte offsets of a longer encoded text (user:secret in a Basic
//     header, a value followed by a newline): the groups that hold only
//     the value's bytes; a line break (base64 wrapped at 76 or 64 columns)
//     may fall anywhere in it, and its characters may themselves be
//     percent-encoded or JSON-escaped.
//
// Forms shorter than minForm characters are not looked for: they would
// mask ordinary text.

// minForm is the shortest encoded form the masker looks for.
const minForm = 8

// form is one text the masker looks for, for one registered value.
type form struct {
	text   string // the value itself, or one of its base64 encodings
	base64 bool   // an encoding: line breaks may split it
}

// formsOf lists the forms of value s (registered already as s is long
// enough to mask: see Registry.Add).
func formsOf(s string) []form {
	out := []form{{text: s}}
	if len(s) < minForm {
		return out
	}
	seen := map[string]bool{s: true}
	add := func(t string) {
		if len(t) >= minForm && !seen[t] {
			seen[t] = true
			out = append(out, form{text: t, base64: true})
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		add(enc.EncodeToString([]byte(s)))
		add(enc.WithPadding(base64.NoPadding).EncodeToString([]byte(s)))
		// The value at byte offset 0, 2 and 1 of its group of three in a
		// longer text: the groups made of its bytes alone encode the same
		// whatever surrounds them.
		for _, skip := range []int{0, 2, 1} {
			if skip >= len(s) {
				continue
			}
			rest := s[skip:]
			add(enc.WithPadding(base64.NoPadding).EncodeToString([]byte(rest[:len(rest)/3*3])))
		}
	}
	return out
}

// alt is one way a character of a form may be written. fold: hex digits
// match in either case.
type alt struct {
	s    string
	fold bool
}

// unit is a character of a form and the ways it may be written.
type unit []alt

const hexDigits = "0123456789ABCDEF"

// unitsOf lists, for each character of text, the ways it may appear:
// itself, percent-encoded, JSON-escaped (and + for a space).
func unitsOf(text string) []unit {
	var out []unit
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		b := text[i : i+n]
		i += n
		u := unit{{s: b}}
		pct := make([]byte, 0, 3*n)
		for _, c := range []byte(b) {
			pct = append(pct, '%', hexDigits[c>>4], hexDigits[c&15])
		}
		u = append(u, alt{s: string(pct), fold: true})
		if r == utf8.RuneError && n == 1 {
			out = append(out, u) // not UTF-8: JSON cannot hold it as it is
			continue
		}
		u = append(u, alt{s: jsonU(r), fold: true})
		switch r {
		case ' ':
			u = append(u, alt{s: "+"})
		case '"':
			u = append(u, alt{s: `\"`})
		case '\\':
			u = append(u, alt{s: `\\`})
		case '/':
			u = append(u, alt{s: `\/`})
		case '\b':
			u = append(u, alt{s: `\b`})
		case '\f':
			u = append(u, alt{s: `\f`})
		case '\n':
			u = append(u, alt{s: `\n`})
		case '\r':
			u = append(u, alt{s: `\r`})
		case '\t':
			u = append(u, alt{s: `\t`})
		}
		out = append(out, u)
	}
	return out
}

// jsonU is r as JSON's \uXXXX (a surrogate pair beyond the BMP).
func jsonU(r rune) string {
	u4 := func(v rune) string {
		return `\u` + string([]byte{hexDigits[v>>12&15], hexDigits[v>>8&15], hexDigits[v>>4&15], hexDigits[v&15]})
	}
	if r > 0xFFFF {
		r -= 0x10000
		return u4(0xD800+(r>>10)) + u4(0xDC00+(r&0x3FF))
	}
	return u4(r)
}
