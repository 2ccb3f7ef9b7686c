package conformance

import (
	"path"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/target"
)

// A hostile variant of a name, as an inventory in a repository may hold
// it (YAML's double-quoted strings can hold any character).
type variant struct {
	label string
	apply func(string) string
}

var variants = []variant{
	{"NUL", func(s string) string { return s + "\x00x" }},
	{"bell", func(s string) string { return s + "\a" }},
	{"newline", func(s string) string { return s + "\nINJECTED=1" }},
	{"carriage return", func(s string) string { return s + "\rX" }},
	{"ANSI escape", func(s string) string { return "\x1b[31m" + s + "\x1b[0m" }},
	{"C1 CSI", func(s string) string { return s + "\u009b31m" }},
	{"bidi override", func(s string) string { return s + "\u202etxt.exe" }},
	{"dot-dot", func(s string) string { return "../" + s }},
	{"dot-dot alone", func(string) string { return ".." }},
	{"encoded dot-dot", func(s string) string { return "%2e%2e/" + s }},
	{"encoded dot-dot alone", func(string) string { return "%2e%2e" }},
	{"leading dash", func(s string) string { return "-" + s }},
}

// hostileCase is one field of a target set to a hostile value.
type hostileCase struct {
	name  string
	tg    target.Target
	field string
	// keys: the field is keys, and the write is WriteParts of the one
	// key; place is the single-part target of that key.
	keys  string
	place target.Target
}

// hostileCases returns field f of base set to each hostile variant: a
// string's value (as a whole and, when it is a path, its last element),
// a list's last element, a mapping's key (for keys, the key of a
// MultiPart target derived from base).
func (s *suite) hostileCases(t testing.TB, f target.Field, base target.Target, baseName string) []hostileCase {
	t.Helper()
	var out []hostileCase
	for _, v := range variants {
		add := func(how string, tg target.Target) {
			out = append(out, hostileCase{name: f.Name + " " + how + v.label, tg: tg, field: f.Name})
		}
		switch f.Kind {
		case target.String:
			cur := base.Str(f.Name)
			if cur == "" {
				cur = "x"
			}
			if !f.Path {
				add("", base.With(f.Name, v.apply(cur)))
			}
			if strings.Contains(cur, "/") {
				add("(last element) ", base.With(f.Name, lastElement(cur, v.apply)))
			}
		case target.List:
			cur := append([]string(nil), base.List(f.Name)...)
			if len(cur) == 0 {
				cur = []string{"x"}
			}
			last := cur[len(cur)-1]
			if strings.Contains(last, "/") {
				cur[len(cur)-1] = lastElement(last, v.apply)
			} else {
				cur[len(cur)-1] = v.apply(last)
			}
			add("", base.With(f.Name, cur))
		case target.Map:
			if f.Name == target.KeysField {
				if !s.h.Spec.MultiPart {
					continue
				}
				field := s.namesField(t, base, baseName)
				key := v.apply(baseName)
				out = append(out, hostileCase{name: f.Name + " " + v.label, field: f.Name, keys: key, place: base.With(field, key),
					tg: base.With(field, nil).With(target.KeysField, map[string]string{key: "part_a"})})
				continue
			}
			m := map[string]string{}
			for k, x := range base.StrMap(f.Name) {
				m[k] = x
			}
			m[v.apply("k")] = "v"
			add("(a key) ", base.With(f.Name, m))
		}
	}
	return out
}

// lastElement applies f to the last element of a slash-separated path.
func lastElement(p string, f func(string) string) string {
	dir, file := path.Split(p)
	return dir + f(file)
}

func (s *suite) hostile(t *testing.T) {
	for _, f := range s.h.Spec.AllFields() {
		if f.Kind == target.Bool || f.Kind == target.Duration {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			name := s.name()
			base := s.h.Place(t, name)
			for _, c := range s.hostileCases(t, f, base, name) {
				t.Run(c.name, func(t *testing.T) { s.hostileOne(t, base, c) })
			}
		})
	}
}

// hostileOne checks one hostile target: refused by the inventory's
// validation with a message about the field, or accepted with nothing
// shown holding a control character, and written (if preflight lets it)
// exactly at the place it names.
func (s *suite) hostileOne(t *testing.T, base target.Target, c hostileCase) {
	tg := c.tg
	var refused []target.Problem
	for _, p := range tg.Problems() {
		if !p.Warning {
			refused = append(refused, p)
		}
	}
	if len(refused) > 0 {
		about := false
		for _, p := range refused {
			s.clean(t, "the inventory's message", p.Msg, true)
			s.clean(t, "the inventory's hint", p.Hint, true)
			if p.Field == c.field || strings.Contains(p.Msg, c.field) {
				about = true
			}
		}
		if !about {
			t.Errorf("the inventory refuses the target, but no problem is about %s: %+v", c.field, refused)
		}
		return
	}
	// Accepted: what respond shows of it holds no control character.
	s.describe(t, tg)
	if ch, err := s.h.Writer.Plan(s.ctx(), tg); err == nil {
		s.checkChange(t, tg, ch)
	} else {
		s.cleanErr(t, "Plan's error", err)
	}
	before := s.world(t)
	var baseHeld string
	var baseHad bool
	if s.h.Holds != nil {
		baseHeld, baseHad = s.holds(t, base)
	}
	if err := s.check(t, s.h.Writer, tg); err != nil {
		s.unchanged(t, "a Check that failed", before)
		return
	}
	s.unchanged(t, "Check", before)
	// A value that leaves the ID as it is (part) names the base's place,
	// which the other subtests write: it is not written again.
	if !s.h.Spec.Holds || (c.keys == "" && tg.ID() == base.ID()) {
		return
	}
	v := s.value("hostile")
	var (
		res   target.WriteResult
		err   error
		place = tg
	)
	if c.keys != "" {
		mw, _ := s.h.Writer.(target.MultiPartWriter)
		if mw == nil {
			t.Fatalf("%T is no target.MultiPartWriter", s.h.Writer)
		}
		res, err = mw.WriteParts(s.ctx(), tg, map[string]secret.Value{c.keys: v})
		place = c.place
	} else {
		res, err = s.h.Writer.Write(s.ctx(), tg, v)
	}
	s.cleanErr(t, "Write's error", err)
	if err != nil {
		s.unchanged(t, "a Write that failed", before)
		return
	}
	s.checkResult(t, res)
	s.mustHold(t, "after a write to the place the hostile value names", place, v)
	s.onlyWrote(t, "a write to the place the hostile value names", before, v)
	if held, had := s.holds(t, base); had != baseHad || held != baseHeld {
		t.Errorf("a write to %s changed what %s holds", tg.ID(), base.ID())
	}
}
