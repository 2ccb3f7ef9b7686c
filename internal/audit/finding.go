// Package audit is what `respond audit` reports: a Finding (one problem,
// with its evidence, why it matters and the exact fix), its Severity, the
// Practice it serves, and the Check it is an instance of. Checks are
// declared once, by whoever implements them — the audit's core (GitHub,
// inventory drift, keys in general) or a plug-in (a provider's or a target
// type's own checks, in its package) — with Register; the docs, the SARIF
// rules and `--fail-on` read the declarations. A baseline of accepted
// findings (baseline.go) suppresses findings until their expiry.
//
// Nothing here knows a provider or a target type: plug-ins implement
// provider.Auditor and target.Auditor and report Findings of their own
// Checks.
package audit

import (
	"fmt"
	"sort"
	"strings"

	"github.com/respondhq/respond/internal/textsafe"
)

// Severity is how much a finding matters.
type Severity int

// Severities, least first.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = []string{"info", "low", "medium", "high", "critical"}

// String is the severity's name ("high").
func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// MarshalText writes the name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity reads a severity's name (case-insensitive).
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(strings.TrimSpace(name), n) {
			return Severity(i), nil
		}
	}
	return Info, fmt.Errorf("%q is not a severity: use %s", name, strings.Join(severityNames, ", "))
}

// SeverityNames lists the severities, least first.
func SeverityNames() []string { return append([]string(nil), severityNames...) }

// Practice is a practice of safe key handling a check serves (the issue's
// and the seed article's list).
type Practice string

// The practices.
const (
	Confidential   Practice = "keep keys confidential and out of code"
	LeastPrivilege Practice = "least privilege"
	Rotation       Practice = "regular, automated rotation"
	Monitoring     Practice = "usage monitoring with alerts"
	AllowListing   Practice = "IP allow-listing"
	Review         Practice = "regular security reviews"
	// Inventory is respond's own: every place a key lives is known, so
	// that a response leaves none stale.
	Inventory Practice = "know where every key lives"
)

// Location is where a finding is, for SARIF and for people: a file (with
// a line, when known), or a URI such as a repository's settings page.
type Location struct {
	// Path is a file path (relative to where respond ran, or absolute).
	Path string `json:"path,omitempty"`
	Line int    `json:"line,omitempty"`
	// URI names a place that is not a local file ("https://github.com/acme/web/settings/security_analysis").
	URI string `json:"uri,omitempty"`
}

// Finding is one problem the audit found.
type Finding struct {
	// ID names this finding stably across runs: its check and its subject
	// ("github.push-protection-off:acme/web"). Baselines accept it by ID.
	ID string `json:"id"`
	// Check is the check it is an instance of.
	Check    string   `json:"check"`
	Severity Severity `json:"severity"`
	// Subject is what it is about ("acme/web", "OpenAI key key_abc").
	Subject string `json:"subject"`
	// Title says the problem in one line.
	Title string `json:"title"`
	// Evidence are the facts found, never a secret value.
	Evidence []string `json:"evidence"`
	// Why it matters; Practice is the practice it serves.
	Why      string   `json:"why"`
	Practice Practice `json:"practice"`
	// Fix is the exact command or change that fixes it.
	Fix string `json:"fix"`
	// Location, when the finding is at a place (a file, a repository).
	Location *Location `json:"location,omitempty"`
	// Accepted, when a baseline entry accepts the finding: its reason
	// and expiry (the finding is then suppressed).
	Accepted *Acceptance `json:"accepted,omitempty"`
}

// New returns a finding of the registered check id about subject, with
// the check's severity, practice and why; title, evidence and fix are the
// instance's. Every text is cleaned of control characters: subjects and
// evidence are names from APIs and files.
func New(id, subject, title, fix string, evidence ...string) Finding {
	c, ok := LookupCheck(id)
	if !ok {
		panic("audit.New: check " + id + " is not registered")
	}
	f := Finding{
		ID: id + ":" + textsafe.Line(subject), Check: id, Severity: c.Severity,
		Subject: textsafe.Line(subject), Title: textsafe.Line(title), Why: c.Why, Practice: c.Practice,
		Fix: textsafe.Line(fix), Evidence: textsafe.Lines(evidence),
	}
	if f.Evidence == nil {
		f.Evidence = []string{}
	}
	return f
}

// At sets the finding's location.
func (f Finding) At(l Location) Finding {
	l.Path, l.URI = textsafe.Line(l.Path), textsafe.Line(l.URI)
	f.Location = &l
	return f
}

// WithSeverity changes the finding's severity (a check whose instances
// differ: a live alert is worse than an inactive one).
func (f Finding) WithSeverity(s Severity) Finding {
	f.Severity = s
	return f
}

// Sort orders findings most severe first, then by check and subject.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		return a.Subject < b.Subject
	})
}

// Dedupe drops findings whose ID an earlier one has.
func Dedupe(fs []Finding) []Finding {
	seen := map[string]bool{}
	out := fs[:0:0]
	for _, f := range fs {
		if seen[f.ID] {
			continue
		}
		seen[f.ID] = true
		out = append(out, f)
	}
	return out
}
