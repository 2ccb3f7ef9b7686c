package target

import "strings"

// Group is a target's place among its like (Spec.Group): targets with the
// same Key are of one type, one kind of place and one where.
type Group struct {
	Key    string
	Kind   string // in the plural: "Actions secrets OPENAI_API_KEY"
	Where  string // "acme"
	Member string // "api"
}

// GroupOf returns t's group, as its type's Spec declares it (or, without
// a Group, from Describe); ok is false for a type nobody registered.
func GroupOf(t Target) (g Group, ok bool) {
	s, ok := t.Spec()
	if !ok {
		return Group{}, false
	}
	switch {
	case s.Group != nil:
		g.Kind, g.Where, g.Member = s.Group(t)
	case s.Describe != nil:
		g.Where, g.Member, _ = s.Describe(t, func(p string) string { return p })
		g.Kind = s.Title + "s"
	default:
		g.Kind, g.Member = s.Title+"s", t.ID()
	}
	if g.Member == "" {
		g.Member = t.ID()
	}
	g.Key = strings.Join([]string{t.Type, g.Kind, g.Where}, "\x00")
	return g, true
}
