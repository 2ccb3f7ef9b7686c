package audit

import (
	"fmt"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/respondhq/respond/internal/diag"
	"github.com/respondhq/respond/internal/yamlsrc"
)

// Baseline is a file of accepted findings: each entry names a finding by
// ID, says why it is accepted and until when. An accepted finding is
// suppressed (it does not count for --fail-on) until its expiry.
//
//	accepted:
//	  - id: github.push-protection-off:acme/docs
//	    reason: documentation only; no secrets are ever committed here
//	    expires: 2027-03-31
type Baseline struct {
	File    string
	Entries []Acceptance
}

// Acceptance is one baseline entry.
type Acceptance struct {
	ID      string    `json:"id"`
	Reason  string    `json:"reason"`
	Expires time.Time `json:"expires"`
	Pos     diag.Pos  `json:"-"`
}

var baselineKind = yamlsrc.Kind{
	Name: "baseline", Article: "a", Plural: "baselines",
	SyntaxHint:                 "fix the YAML syntax; a baseline is a mapping with `accepted:`, a list of {id, reason, expires}",
	EmptyHint:                  "list accepted findings under `accepted:`, each with id, reason and expires (see docs/audit.md)",
	RepeatedUnknownIsDuplicate: true,
}

// ParseBaseline reads a baseline, reporting every problem at its
// file:line:col.
func ParseBaseline(file string, src []byte) (*Baseline, diag.Diagnostics) {
	d := yamlsrc.New(file, src, baselineKind)
	b := &Baseline{File: file}
	body := d.Parse()
	if body == nil {
		return nil, d.Diags
	}
	kvs, ok := d.Entries(body, "the baseline", "")
	if !ok {
		return nil, d.Diags
	}
	f := d.Fields(kvs, []string{"accepted"}, "the baseline")
	kv, ok := f["accepted"]
	if !ok {
		d.Errorf(d.Pos(body), 0, baselineKind.EmptyHint, "the baseline has no `accepted:` list")
		d.Diags.Sort()
		return nil, d.Diags
	}
	seq, ok := d.Unwrap(kv.Value).(*ast.SequenceNode)
	if !ok {
		if d.Unwrap(kv.Value) != nil {
			d.ErrAt(kv.Value, baselineKind.EmptyHint, "accepted must be a list")
		}
		d.Diags.Sort()
		if d.Diags.HasErrors() {
			return nil, d.Diags
		}
		return b, d.Diags
	}
	seen := map[string]int{}
	for _, n := range seq.Values {
		ekvs, ok := d.Entries(n, "a baseline entry", "give each entry as {id: …, reason: …, expires: YYYY-MM-DD}")
		if !ok {
			continue
		}
		ef := d.Fields(ekvs, []string{"id", "reason", "expires"}, "a baseline entry")
		a := Acceptance{Pos: d.Pos(n)}
		for _, name := range []string{"id", "reason", "expires"} {
			if _, ok := ef[name]; !ok {
				d.Errorf(a.Pos, 0, "every entry needs id, reason and expires", "this entry has no %s", name)
			}
		}
		if v, ok := ef["id"]; ok {
			a.ID, _ = d.ScalarText(v.Value, "id")
			if _, _, ok := strings.Cut(a.ID, ":"); !ok && a.ID != "" {
				d.ErrAt(v.Value, "copy the finding's id from `respond audit --format json` (CHECK:SUBJECT)", "%q is not a finding's id", a.ID)
			}
			if line, dup := seen[a.ID]; dup && a.ID != "" {
				d.ErrAt(v.Value, "remove one of them", "finding %s is accepted twice (first at line %d)", a.ID, line)
			}
			seen[a.ID] = a.Pos.Line
		}
		if v, ok := ef["reason"]; ok {
			a.Reason, _ = d.ScalarText(v.Value, "reason")
			if strings.TrimSpace(a.Reason) == "" {
				d.ErrAt(v.Value, "say why the finding is accepted, for whoever reads the baseline next", "the reason is empty")
			}
		}
		if v, ok := ef["expires"]; ok {
			s, _ := d.ScalarText(v.Value, "expires")
			t, err := parseDate(s)
			if err != nil {
				d.ErrAt(v.Value, "write a date, e.g. 2027-03-31", "expires %q is not a date", s)
			}
			a.Expires = t
		}
		b.Entries = append(b.Entries, a)
	}
	d.Diags.Sort()
	if d.Diags.HasErrors() {
		return nil, d.Diags
	}
	return b, d.Diags
}

func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		// The whole day is accepted.
		return t.Add(24*time.Hour - time.Second), nil
	}
	return time.Parse(time.RFC3339, s)
}

// Apply marks the findings the baseline accepts at now (Accepted set) and
// returns notes about entries that expired or match no finding.
func (b *Baseline) Apply(fs []Finding, now time.Time) []string {
	if b == nil {
		return nil
	}
	byID := map[string]int{}
	for i, f := range fs {
		byID[f.ID] = i
	}
	var notes []string
	for _, e := range b.Entries {
		i, found := byID[e.ID]
		switch {
		case !now.Before(e.Expires):
			if found {
				notes = append(notes, fmt.Sprintf("%s: the acceptance of %s expired on %s, so it is reported again; fix it or renew the entry with a reason", e.Pos, e.ID, e.Expires.Format(time.DateOnly)))
			}
		case !found:
			notes = append(notes, fmt.Sprintf("%s: %s was not found any more: remove the entry", e.Pos, e.ID))
		default:
			acc := e
			fs[i].Accepted = &acc
		}
	}
	return notes
}
