package render

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/respondhq/respond/internal/audit"
)

// SARIF 2.1.0, as GitHub code scanning reads it
// (https://docs.oasis-open.org/sarif/sarif/v2.1.0/): one run, the checks
// as rules, the findings as results. Every result has a physical location
// (code scanning needs one): the file the finding is about, else the
// inventory file, else respond.yaml; a finding about a web page (a
// repository's settings, an alert) names it in its message and
// properties. A finding a baseline accepts is a result with an external
// suppression and its reason.

// SchemaURI is the SARIF 2.1.0 schema's address, as SARIF files name it.
const SchemaURI = "https://json.schemastore.org/sarif-2.1.0.json"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
	// AutomationDetails lets code scanning tell respond's uploads apart.
	AutomationDetails map[string]string `json:"automationDetails"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name"`
	ShortDescription     sarifText         `json:"shortDescription"`
	FullDescription      sarifText         `json:"fullDescription"`
	Help                 sarifText         `json:"help"`
	DefaultConfiguration map[string]string `json:"defaultConfiguration"`
	Properties           map[string]any    `json:"properties"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification"`
}

// level is SARIF's level of a severity.
func level(s audit.Severity) string {
	switch {
	case s >= audit.High:
		return "error"
	case s == audit.Medium:
		return "warning"
	}
	return "note"
}

// securitySeverity is GitHub's security-severity score of a severity
// (critical over 9, high 7 to 8.9, medium 4 to 6.9, low under 4).
func securitySeverity(s audit.Severity) string {
	return map[audit.Severity]string{audit.Critical: "9.5", audit.High: "8.0", audit.Medium: "5.5", audit.Low: "3.0", audit.Info: "1.0"}[s]
}

// WriteSARIF writes d as a SARIF 2.1.0 log.
func WriteSARIF(w io.Writer, d *Document) error {
	checks := audit.Checks()
	index := map[string]int{}
	rules := make([]sarifRule, len(checks))
	for i, c := range checks {
		index[c.ID] = i
		rules[i] = sarifRule{
			ID: c.ID, Name: ruleName(c.ID),
			ShortDescription:     sarifText{Text: c.Title},
			FullDescription:      sarifText{Text: c.What},
			Help:                 sarifText{Text: "Why: " + c.Why + " Fix: " + c.Fix, Markdown: "**Why.** " + c.Why + "\n\n**Fix.** " + c.Fix},
			DefaultConfiguration: map[string]string{"level": level(c.Severity)},
			Properties: map[string]any{"tags": []string{"security", "secrets"}, "precision": "high",
				"security-severity": securitySeverity(c.Severity), "practice": string(c.Practice)},
		}
	}
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{Name: "respond", Version: d.Version,
			InformationURI: "https://github.com/respondhq/respond/blob/main/docs/audit.md", Rules: rules}},
		Results:           []sarifResult{},
		AutomationDetails: map[string]string{"id": "respond-audit/"},
	}
	all := append(append([]audit.Finding(nil), d.Findings...), d.Accepted...)
	for _, f := range all {
		ri, ok := index[f.Check]
		if !ok {
			return fmt.Errorf("finding %s is of check %s, which is not registered", f.ID, f.Check)
		}
		msg := f.Title + ". Fix: " + f.Fix
		props := map[string]any{"severity": f.Severity.String(), "subject": f.Subject, "evidence": f.Evidence, "practice": string(f.Practice)}
		if f.Location != nil && f.Location.URI != "" {
			msg += " (" + f.Location.URI + ")"
			props["uri"] = f.Location.URI
		}
		res := sarifResult{
			RuleID: f.Check, RuleIndex: ri, Level: level(f.Severity),
			Message:             sarifText{Text: msg},
			Locations:           []sarifLocation{{PhysicalLocation: physical(d, f)}},
			PartialFingerprints: map[string]string{"respondFinding/v1": f.ID},
			Properties:          props,
		}
		if f.Accepted != nil {
			res.Suppressions = []sarifSuppression{{Kind: "external", Justification: fmt.Sprintf("%s (accepted until %s)", f.Accepted.Reason, f.Accepted.Expires.Format("2006-01-02"))}}
		}
		run.Results = append(run.Results, res)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: SchemaURI, Version: "2.1.0", Runs: []sarifRun{run}})
}

// ruleName is a rule's name in SARIF's PascalCase convention
// ("GithubPushProtectionOff").
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return r == '.' || r == '-' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// physical is where a finding is, relative to the repository's root when
// it is a file inside it.
func physical(d *Document, f audit.Finding) sarifPhysical {
	path, line := d.Inventory, 1
	if f.Location != nil && f.Location.Path != "" {
		path, line = f.Location.Path, max(f.Location.Line, 1)
	}
	if path == "" {
		path = "respond.yaml"
	}
	if d.Root != "" && filepath.IsAbs(path) {
		if rel, err := filepath.Rel(d.Root, path); err == nil && !strings.HasPrefix(rel, "..") {
			path = rel
		}
	}
	uri := filepath.ToSlash(path)
	if filepath.IsAbs(path) {
		return sarifPhysical{ArtifactLocation: sarifArtifact{URI: "file://" + uri}, Region: &sarifRegion{StartLine: line}}
	}
	return sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri, URIBaseID: "%SRCROOT%"}, Region: &sarifRegion{StartLine: line}}
}
