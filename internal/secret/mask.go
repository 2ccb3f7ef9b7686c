package secret

import (
	"context"
	"io"
	"sync"
)

// Registry is the set of secret values known to a run. Every writer made
// by NewWriter replaces any registered value with its redacted form, in
// any of the forms a program may print it in (forms.go): as it is,
// percent-encoded, JSON-escaped or base64-encoded.
// It is safe for concurrent use.
type Registry struct {
	mu     sync.RWMutex
	values map[string]bool // registered plain values
	pats   []*pattern
	first  [256][]*pattern // patterns by the bytes a match can start with
	span   int             // the longest a match of any pattern can be
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{values: map[string]bool{}} }

// Add registers secret values. Values shorter than 6 bytes are ignored:
// masking them would garble ordinary output and they are not credentials.
func (r *Registry) Add(vs ...Value) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range vs {
		s := v.Reveal()
		if len(s) < 6 || r.values[s] {
			continue
		}
		r.values[s] = true
		for _, f := range formsOf(s) {
			r.addPattern(newPattern(f, v.Redacted()))
		}
	}
}

func (r *Registry) addPattern(p *pattern) {
	r.pats = append(r.pats, p)
	seen := map[byte]bool{}
	for _, c := range p.firstBytes() {
		if !seen[c] {
			seen[c] = true
			r.first[c] = append(r.first[c], p)
		}
	}
	r.span = max(r.span, p.span)
}

// Forms returns how many forms of its values the registry looks for.
func (r *Registry) Forms() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.pats)
}

// With returns a new registry holding r's values and vs; r is unchanged.
func (r *Registry) With(vs ...Value) *Registry {
	r.mu.RLock()
	n := &Registry{values: make(map[string]bool, len(r.values)+len(vs))}
	for k := range r.values {
		n.values[k] = true
	}
	for _, p := range r.pats {
		n.addPattern(p)
	}
	r.mu.RUnlock()
	n.Add(vs...)
	return n
}

// interval is a stretch of text that holds a registered value in some
// form, with what replaces it.
type interval struct {
	start, end int
	repl       string
}

// scan finds every match in b, overlapping matches merged into one
// interval (so no character of any of them is left), and the first
// position where a match may begin that b ends too early to tell
// (len(b) when there is none).
func (r *Registry) scan(b []byte) (ivs []interval, partial int) {
	partial = len(b)
	for i := 0; i < len(b); i++ {
		best, repl := -1, ""
		for _, p := range r.first[b[i]] {
			end, res := p.match(b, i)
			switch {
			case res == fullMatch && end > best:
				best, repl = end, p.replacement(b[i:end])
			case res == partialMatch && partial == len(b) && len(b)-i < r.span:
				partial = i
			}
		}
		if best < 0 {
			continue
		}
		if n := len(ivs); n > 0 && i < ivs[n-1].end {
			// Overlaps the last one: one replacement for both, the
			// longer match's.
			if best-i > ivs[n-1].end-ivs[n-1].start {
				ivs[n-1].repl = repl
			}
			ivs[n-1].end = max(ivs[n-1].end, best)
			continue
		}
		ivs = append(ivs, interval{i, best, repl})
	}
	return ivs, partial
}

// cut is where text that may still be completed by a later write begins:
// the first possible partial match, or the start of a match that reaches
// it.
func cut(ivs []interval, partial int) int {
	for _, iv := range ivs {
		if iv.start < partial && partial < iv.end {
			return iv.start
		}
	}
	return partial
}

// replace writes b[:n] with the intervals that end by n replaced.
func replace(b []byte, ivs []interval, n int) []byte {
	if len(ivs) == 0 {
		return b[:n]
	}
	out := make([]byte, 0, n)
	last := 0
	for _, iv := range ivs {
		if iv.end > n {
			break
		}
		out = append(out, b[last:iv.start]...)
		out = append(out, iv.repl...)
		last = iv.end
	}
	return append(out, b[last:n]...)
}

// Mask returns b with every registered value replaced.
func (r *Registry) Mask(b []byte) []byte {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ivs, _ := r.scan(b)
	return replace(b, ivs, len(b))
}

// MaskString is Mask for strings.
func (r *Registry) MaskString(s string) string { return string(r.Mask([]byte(s))) }

// MaskCut is MaskString for text that was cut short (the first bytes of a
// longer stream): a value at the cut, of which only a beginning is left,
// is dropped with that beginning, so that no part of a secret is kept.
func (r *Registry) MaskCut(s string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	b := []byte(s)
	ivs, partial := r.scan(b)
	return string(replace(b, ivs, cut(ivs, partial)))
}

// Writer masks registered secrets in everything written through it, even
// when a value is split across several Write calls. Call Flush (or Close)
// when done to write any bytes held back.
type Writer struct {
	mu  sync.Mutex
	reg *Registry
	w   io.Writer
	buf []byte
}

// NewWriter wraps w.
func NewWriter(w io.Writer, reg *Registry) *Writer { return &Writer{reg: reg, w: w} }

// Write implements io.Writer. It reports len(p) on success, whatever the
// masked length. Text that may be the beginning of a secret (in any of
// its forms) is held back until a later write settles it; what is
// written equals masking everything at once.
func (m *Writer) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reg.mu.RLock()
	m.buf = append(m.buf, p...)
	ivs, partial := m.reg.scan(m.buf)
	n := cut(ivs, partial)
	out := replace(m.buf, ivs, n)
	m.reg.mu.RUnlock()
	if len(out) > 0 {
		if _, err := m.w.Write(out); err != nil {
			return 0, err
		}
	}
	m.buf = append(m.buf[:0], m.buf[n:]...)
	return len(p), nil
}

// Flush writes any held-back bytes.
func (m *Writer) Flush() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.buf) == 0 {
		return nil
	}
	_, err := m.w.Write(m.reg.Mask(m.buf))
	m.buf = m.buf[:0]
	return err
}

// Close flushes; it does not close the underlying writer.
func (m *Writer) Close() error { return m.Flush() }

// Unwrap returns the underlying writer (for terminal detection).
func (m *Writer) Unwrap() io.Writer { return m.w }

// Contains reports whether s is a registered value or contains one, in
// any of its forms.
func (r *Registry) Contains(s string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ivs, _ := r.scan([]byte(s))
	return len(ivs) > 0
}

type registryKey struct{}

// NewContext returns ctx carrying reg: code that starts a child process far
// from the step that knows the run's secrets (a target writer) filters the
// child's environment against every secret of the run, not only its own.
func NewContext(ctx context.Context, reg *Registry) context.Context {
	return context.WithValue(ctx, registryKey{}, reg)
}

// FromContext returns the registry NewContext put in ctx, or nil.
func FromContext(ctx context.Context) *Registry {
	reg, _ := ctx.Value(registryKey{}).(*Registry)
	return reg
}
