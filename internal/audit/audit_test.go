package audit

import (
	"strings"
	"testing"
	"time"
)

const testCheck = "test.audit-check"

func init() {
	Register(Check{ID: testCheck, Area: "Test", Title: "t", Severity: Medium, Practice: Review, What: "w", Why: "why", Fix: "f"})
}

func TestNewFinding(t *testing.T) {
	f := New(testCheck, "acme/\x1b[31mweb", "title\nwith a newline", "fix", "e\x07vidence")
	if f.ID != testCheck+":acme/[31mweb" || f.Severity != Medium || f.Why != "why" || f.Practice != Review {
		t.Errorf("finding %+v", f)
	}
	for _, s := range append([]string{f.ID, f.Subject, f.Title}, f.Evidence...) {
		if strings.ContainsAny(s, "\x1b\x07\n") {
			t.Errorf("control character kept in %q", s)
		}
	}
	defer func() {
		if recover() == nil {
			t.Errorf("a finding of an unregistered check did not panic")
		}
	}()
	New("test.not-registered", "s", "t", "f")
}

func TestSeverity(t *testing.T) {
	for _, n := range SeverityNames() {
		s, err := ParseSeverity(strings.ToUpper(n))
		if err != nil || s.String() != n {
			t.Errorf("%s: %v %v", n, s, err)
		}
	}
	if _, err := ParseSeverity("urgent"); err == nil || !strings.Contains(err.Error(), "critical") {
		t.Errorf("urgent: %v", err)
	}
	fs := []Finding{New(testCheck, "b", "", ""), New(testCheck, "a", "", "").WithSeverity(Critical), New(testCheck, "c", "", "").WithSeverity(Low)}
	Sort(fs)
	if fs[0].Subject != "a" || fs[1].Subject != "b" || fs[2].Subject != "c" {
		t.Errorf("sorted: %s %s %s", fs[0].Subject, fs[1].Subject, fs[2].Subject)
	}
}

func TestBaseline(t *testing.T) {
	src := `accepted:
  - id: test.audit-check:a
    reason: known, being fixed
    expires: 2027-01-31
  - id: test.audit-check:b
    reason: old exception
    expires: 2026-01-31
  - id: test.audit-check:gone
    reason: fixed since
    expires: 2027-01-31
`
	b, diags := ParseBaseline("baseline.yaml", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	fs := []Finding{New(testCheck, "a", "", ""), New(testCheck, "b", "", "")}
	notes := b.Apply(fs, time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC))
	if fs[0].Accepted == nil || fs[0].Accepted.Reason != "known, being fixed" {
		t.Errorf("a is not accepted: %+v", fs[0].Accepted)
	}
	if fs[1].Accepted != nil {
		t.Errorf("b is accepted though its acceptance expired")
	}
	joined := strings.Join(notes, "\n")
	if !strings.Contains(joined, "baseline.yaml:5:5: the acceptance of test.audit-check:b expired on 2026-01-31") ||
		!strings.Contains(joined, "test.audit-check:gone was not found any more") {
		t.Errorf("notes:\n%s", joined)
	}
	// The last day of the expiry still counts.
	fs = []Finding{New(testCheck, "a", "", "")}
	b.Apply(fs, time.Date(2027, 1, 31, 23, 0, 0, 0, time.UTC))
	if fs[0].Accepted == nil {
		t.Errorf("accepted until the end of its expiry day")
	}
}

func TestBaselineProblems(t *testing.T) {
	src := `accepted:
  - id: nocolon
    expires: someday
  - id: test.audit-check:a
    reason: " "
    expires: 2027-01-01
  - id: test.audit-check:a
    reason: twice
    expires: 2027-01-01
    extra: 1
`
	_, diags := ParseBaseline("b.yaml", []byte(src))
	var got []string
	for _, d := range diags {
		got = append(got, d.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{`b.yaml:2:5`, `"nocolon" is not a finding's id`, `no reason`, `expires "someday" is not a date`,
		`the reason is empty`, `accepted twice (first at line 4)`, `unknown field "extra"`} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q among:\n%s", want, all)
		}
	}
}
