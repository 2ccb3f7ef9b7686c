package secret

// pattern is one form of a registered value, as the masker matches it:
// each of its characters written in any of the ways unitsOf allows.
type pattern struct {
	units  []unit
	breaks bool   // a line break may precede any character but the first (base64)
	text   string // the form as it is
	repl   string // the replacement of a match written as text is
	esc    string // the replacement of a match with escaped characters
	span   int    // the longest a match can be, in bytes
}

func newPattern(f form, redacted string) *pattern {
	p := &pattern{units: unitsOf(f.text), breaks: f.base64, text: f.text,
		repl: "[REDACTED " + redacted + "]", esc: "[REDACTED " + redacted + ", escaped]"}
	if f.base64 {
		p.repl = "[REDACTED " + redacted + ", base64]"
		p.esc = p.repl
	}
	for _, u := range p.units {
		longest := 0
		for _, a := range u {
			longest = max(longest, len(a.s))
		}
		p.span += longest
		if p.breaks {
			p.span += 2
		}
	}
	return p
}

// firstBytes are the bytes a match of p can start with.
func (p *pattern) firstBytes() []byte {
	var out []byte
	for _, a := range p.units[0] {
		out = append(out, a.s[0])
	}
	return out
}

// replacement is what replaces match m of p.
func (p *pattern) replacement(m []byte) string {
	if string(m) == p.text {
		return p.repl
	}
	return p.esc
}

// Results of matching at a position.
const (
	noMatch = iota
	fullMatch
	partialMatch // consistent with a match until the input ran out
)

// match matches p at b[i:]: fullMatch with the end of the match, or
// partialMatch when b ends before a match could, or noMatch.
func (p *pattern) match(b []byte, i int) (end, result int) {
	m := matcher{p: p, b: b}
	return m.from(i, 0)
}

type matcher struct {
	p      *pattern
	b      []byte
	failed map[int]int // (position, unit) → result, once a unit could be written two ways at once
}

func (m *matcher) from(i, u int) (int, int) {
	if u == len(m.p.units) {
		return i, fullMatch
	}
	if i == len(m.b) {
		return 0, partialMatch
	}
	if m.p.breaks && u > 0 {
		switch {
		case m.b[i] == '\n':
			i++
		case m.b[i] == '\r' && i+1 == len(m.b):
			return 0, partialMatch
		case m.b[i] == '\r' && m.b[i+1] == '\n':
			i += 2
		}
		if i == len(m.b) {
			return 0, partialMatch
		}
	}
	key := i*(len(m.p.units)+1) + u
	if m.failed != nil {
		if r, ok := m.failed[key]; ok {
			return 0, r
		}
	}
	result, fulls := noMatch, 0
	for _, a := range m.p.units[u] {
		n, r := prefix(m.b[i:], a)
		switch r {
		case partialMatch:
			result = partialMatch
		case fullMatch:
			fulls++
			if fulls > 1 && m.failed == nil {
				// Two ways at once (a literal % and %25): remember what
				// failed, so no input makes this exponential.
				m.failed = map[int]int{}
			}
			end, r := m.from(i+n, u+1)
			if r == fullMatch {
				return end, fullMatch
			}
			if r == partialMatch {
				result = partialMatch
			}
		}
	}
	if m.failed != nil {
		m.failed[key] = result
	}
	return 0, result
}

// prefix matches a at the start of b: fullMatch with its length,
// partialMatch when b is a beginning of a, or noMatch.
func prefix(b []byte, a alt) (int, int) {
	n := len(a.s)
	for k := 0; k < n; k++ {
		if k == len(b) {
			return 0, partialMatch
		}
		c, want := b[k], a.s[k]
		if a.fold && c >= 'a' && c <= 'f' {
			c -= 'a' - 'A'
		}
		if c != want {
			return 0, noMatch
		}
	}
	return n, fullMatch
}
