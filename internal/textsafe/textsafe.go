// Package textsafe makes text from outside respond (API responses,
// repository contents) safe to show: no control character, no terminal
// escape sequence, no bidirectional override reaches a terminal, a log or a
// report.
//
// Strings are cleaned at the boundary where they enter respond (the API
// clients), and the terminal gets a last-line defence (Writer).
package textsafe

import (
	"strings"
	"unicode/utf8"
)

// dangerous reports whether r must not be shown: C0 controls (the caller
// decides about newline and tab), DEL, C1 controls (U+0080–U+009F: 0x9B is
// a CSI on some terminals) and the Unicode format characters that reorder
// or hide text (bidirectional overrides and isolates, zero-width marks).
func dangerous(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

// Line returns s as one line: every control character removed (newlines and
// tabs become a space), bidirectional controls removed, invalid UTF-8
// replaced with U+FFFD. Use it for names, paths, IDs, URLs.
func Line(s string) string { return clean(s, false) }

// Text returns s with every control character removed except newline and
// tab (a carriage return before a newline is dropped; any other becomes a
// newline), bidirectional controls removed and invalid UTF-8 replaced. Use
// it for messages that may legitimately span lines.
func Text(s string) string { return clean(s, true) }

func clean(s string, multiline bool) string {
	if safe(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
			i++
			continue
		}
		i += n
		switch {
		case r == '\n' || r == '\t':
			if multiline {
				b.WriteRune(r)
			} else {
				b.WriteByte(' ')
			}
		case r == '\r':
			switch {
			case !multiline:
				b.WriteByte(' ')
			case i < len(s) && s[i] == '\n':
			default:
				b.WriteByte('\n')
			}
		case dangerous(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// safe reports whether s needs no cleaning (the common case, without
// allocating).
func safe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return false
		}
		if c >= 0x80 {
			return safeRunes(s[i:])
		}
	}
	return true
}

func safeRunes(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || dangerous(r) {
			return false
		}
	}
	return utf8.ValidString(s)
}

// Lines applies Line to each element of ss, in place, and returns ss.
func Lines(ss []string) []string {
	for i, s := range ss {
		ss[i] = Line(s)
	}
	return ss
}
