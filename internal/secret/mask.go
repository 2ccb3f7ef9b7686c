package secret

import (
	"bytes"
	"context"
	"io"
	"sort"
	"sync"
)

// Registry is the set of secret values known to a run. Every writer made
// by NewWriter replaces any registered value with its redacted form.
// It is safe for concurrent use.
type Registry struct {
	mu     sync.RWMutex
	values map[string]string // plain -> replacement
	sorted []string          // longest first, so that a value containing another wins
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{values: map[string]string{}} }

// Add registers secret values. Values shorter than 6 bytes are ignored:
// masking them would garble ordinary output and they are not credentials.
func (r *Registry) Add(vs ...Value) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range vs {
		s := v.Reveal()
		if len(s) < 6 {
			continue
		}
		if _, ok := r.values[s]; ok {
			continue
		}
		r.values[s] = "[REDACTED " + v.Redacted() + "]"
		r.sorted = append(r.sorted, s)
	}
	sort.Slice(r.sorted, func(i, j int) bool { return len(r.sorted[i]) > len(r.sorted[j]) })
}

// With returns a new registry holding r's values and vs; r is unchanged.
func (r *Registry) With(vs ...Value) *Registry {
	r.mu.RLock()
	n := &Registry{values: make(map[string]string, len(r.values)+len(vs)), sorted: append([]string(nil), r.sorted...)}
	for k, v := range r.values {
		n.values[k] = v
	}
	r.mu.RUnlock()
	n.Add(vs...)
	return n
}

// Mask returns b with every registered value replaced.
func (r *Registry) Mask(b []byte) []byte {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.maskLocked(b)
}

// MaskString is Mask for strings.
func (r *Registry) MaskString(s string) string { return string(r.Mask([]byte(s))) }

func (r *Registry) maskLocked(b []byte) []byte {
	for _, s := range r.sorted {
		if bytes.Contains(b, []byte(s)) {
			b = bytes.ReplaceAll(b, []byte(s), []byte(r.values[s]))
		}
	}
	return b
}

// MaskCut is MaskString for text that was cut short (the first bytes of a
// longer stream): a value at the cut, of which only a prefix is left, is
// dropped with the prefix, so that no part of a secret is kept.
func (r *Registry) MaskCut(s string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	masked := r.maskLocked([]byte(s))
	return string(masked[:len(masked)-r.heldBack(masked)])
}

// heldBack is the length of the longest suffix of b that is a proper prefix
// of a registered value: those bytes may be the start of a secret that the
// next Write completes, so they are not written yet.
func (r *Registry) heldBack(b []byte) int {
	best := 0
	for _, s := range r.sorted {
		max := min(len(s)-1, len(b))
		for n := max; n > best; n-- {
			if bytes.HasSuffix(b, []byte(s[:n])) {
				best = n
				break
			}
		}
	}
	return best
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
// masked length.
func (m *Writer) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reg.mu.RLock()
	m.buf = append(m.buf, p...)
	masked := m.reg.maskLocked(m.buf)
	hold := m.reg.heldBack(masked)
	m.reg.mu.RUnlock()
	out := masked[:len(masked)-hold]
	if len(out) > 0 {
		if _, err := m.w.Write(out); err != nil {
			return 0, err
		}
	}
	m.buf = append(m.buf[:0], masked[len(masked)-hold:]...)
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

// Contains reports whether s is a registered value or contains one.
func (r *Registry) Contains(s string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, v := range r.sorted {
		if len(s) >= len(v) && bytes.Contains([]byte(s), []byte(v)) {
			return true
		}
	}
	return false
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
