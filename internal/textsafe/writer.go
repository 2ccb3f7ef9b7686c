package textsafe

import (
	"io"
	"sync"
	"unicode/utf8"
)

// maxSGR bounds a colour sequence (ESC [ params m) the Writer lets
// through; anything longer is not one respond writes.
const maxSGR = 32

// Writer is the terminal's last-line defence: it passes text, newlines,
// tabs, carriage returns and colour sequences (ESC [ digits;… m, which
// respond writes itself) and drops every other control character, C1
// control, bidirectional control and the ESC of any other escape sequence
// (the rest of such a sequence then shows as plain text), and replaces
// invalid UTF-8. A sequence or rune split across writes is held until the
// next write completes it; Flush writes what is held.
type Writer struct {
	mu   sync.Mutex
	w    io.Writer
	held []byte
}

// NewWriter wraps w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write implements io.Writer; it reports len(p) on success.
func (t *Writer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	buf := append(t.held, p...)
	out, rest := filter(buf, false)
	t.held = append(t.held[:0:0], rest...)
	if len(out) > 0 {
		if _, err := t.w.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes what is held back (filtered as if the stream ended).
func (t *Writer) Flush() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.held) == 0 {
		return nil
	}
	out, _ := filter(t.held, true)
	t.held = nil
	_, err := t.w.Write(out)
	return err
}

// Unwrap returns the underlying writer (for terminal detection).
func (t *Writer) Unwrap() io.Writer { return t.w }

// filter returns the safe bytes of b and, unless final, an incomplete
// sequence or rune at its end to hold back.
func filter(b []byte, final bool) (out, rest []byte) {
	out = make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == 0x1b:
			n, complete := sgrLen(b[i:])
			if !complete && !final {
				return out, b[i:]
			}
			if n > 0 {
				out = append(out, b[i:i+n]...)
				i += n
				continue
			}
			i++ // drop the ESC: what follows is shown as text
		case c == '\n' || c == '\t' || c == '\r':
			out = append(out, c)
			i++
		case c < 0x20 || c == 0x7f:
			i++
		case c < 0x80:
			out = append(out, c)
			i++
		default:
			if !final && !utf8.FullRune(b[i:]) {
				return out, b[i:]
			}
			r, n := utf8.DecodeRune(b[i:])
			switch {
			case r == utf8.RuneError && n == 1:
				out = utf8.AppendRune(out, utf8.RuneError)
			case dangerous(r):
			default:
				out = append(out, b[i:i+n]...)
			}
			i += n
		}
	}
	return out, nil
}

// sgrLen: b starts with ESC. n is the length of a colour sequence at its
// start (0 if it is not one); complete is false when b ends before that
// can be told.
func sgrLen(b []byte) (n int, complete bool) {
	if len(b) < 2 {
		return 0, false
	}
	if b[1] != '[' {
		return 0, true
	}
	for k := 2; k < len(b) && k < maxSGR; k++ {
		switch c := b[k]; {
		case c >= '0' && c <= '9' || c == ';':
		case c == 'm':
			return k + 1, true
		default:
			return 0, true
		}
	}
	if len(b) >= maxSGR {
		return 0, true
	}
	return 0, false
}
