package cli

import (
	"errors"
	"fmt"
	"github.com/respondhq/respond/internal/audit"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/engine"
	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/prompt"
	"github.com/respondhq/respond/internal/step"
	"github.com/respondhq/respond/steps"
)

func TestExitCode(t *testing.T) {
	plain := errors.New("something broke")
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"plain error", plain, ExitFailed},
		{"step error", &engine.StepError{Incident: "INC-1", Step: "revoke", Err: plain}, ExitFailed},
		{"UsageError", &UsageError{plain}, ExitUsage},
		{"SilentError", &SilentError{Code: ExitUsage}, ExitUsage},
		{"SilentError with another code", &SilentError{Code: ExitPartial}, ExitPartial},
		{"engine.ErrNeedsYes", engine.ErrNeedsYes, ExitUsage},
		{"steps.ErrBadInput", fmt.Errorf("project is empty: %w", steps.ErrBadInput), ExitUsage},
		{"steps.ErrBadInput in a step error", &engine.StepError{Step: "identify", Err: fmt.Errorf("no such key: %w", steps.ErrBadInput)}, ExitUsage},
		{"engine.ErrCancelled", engine.ErrCancelled, ExitCancelled},
		{"engine.DeclinedError", &engine.DeclinedError{Incident: "INC-1"}, ExitCancelled},
		{"prompt.ErrInterrupted", prompt.ErrInterrupted, ExitCancelled},
		{"wraps step.ErrPreflight", fmt.Errorf("GITHUB_TOKEN cannot write secrets of acme/api: %w", step.ErrPreflight), ExitPreflight},
		{"engine.PartialError", &engine.PartialError{Incident: "INC-1", Failed: []string{"deploy"}}, ExitPartial},
		{"incident.LockedError", &incident.LockedError{ID: "INC-1", Holder: incident.Holder{User: "maya", PID: 42}}, ExitLocked},
		{"audit FindingsError", &FindingsError{N: 2, FailOn: audit.High}, ExitFindings},
		{"engine.InterruptedError", &engine.InterruptedError{Incident: "INC-1", Cause: errors.New("context canceled")}, ExitInterrupted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.err); got != tt.want {
				t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
			if tt.err == nil {
				return
			}
			// The kind is found however deeply it is wrapped.
			wrapped := fmt.Errorf("outer: %w", fmt.Errorf("middle: %w", tt.err))
			if got := ExitCode(wrapped); got != tt.want {
				t.Errorf("ExitCode(wrapped %v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

// exitConstants parses exitcode.go for its Exit* constants, so a constant
// added there without a row in the docs fails the test below.
func exitConstants(t *testing.T) map[string]int {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), "exitcode.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, d := range file.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if !strings.HasPrefix(n.Name, "Exit") {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.INT {
					t.Fatalf("%s is not an integer literal; update this test", n.Name)
				}
				v, err := strconv.Atoi(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				out[n.Name] = v
			}
		}
	}
	return out
}

func TestExitCodesDocumented(t *testing.T) {
	consts := exitConstants(t)
	// The parse agrees with the compiled values.
	compiled := map[string]int{
		"ExitOK": ExitOK, "ExitFailed": ExitFailed, "ExitUsage": ExitUsage, "ExitCancelled": ExitCancelled,
		"ExitPreflight": ExitPreflight, "ExitPartial": ExitPartial, "ExitLocked": ExitLocked, "ExitFindings": ExitFindings, "ExitInterrupted": ExitInterrupted,
		"ExitHangup": ExitHangup, "ExitSigpipe": ExitSigpipe, "ExitTerminated": ExitTerminated,
	}
	for name, v := range consts {
		if c, ok := compiled[name]; !ok || c != v {
			t.Errorf("exitcode.go declares %s = %d, but this test knows it as %d (known: %v); update the test", name, v, c, ok)
		}
	}
	if len(consts) != len(compiled) {
		t.Errorf("exitcode.go declares %d Exit* constants, this test knows %d", len(consts), len(compiled))
	}

	doc, err := os.ReadFile("../../docs/exit-codes.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`^\|\s*(\d+)\s*\|\s*([^|]*?)\s*\|`)
	documented := map[int]string{}
	for _, line := range strings.Split(string(doc), "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		code, _ := strconv.Atoi(m[1])
		if _, dup := documented[code]; dup {
			t.Errorf("docs/exit-codes.md lists code %d twice", code)
		}
		if m[2] == "" {
			t.Errorf("docs/exit-codes.md: code %d has no meaning", code)
		}
		documented[code] = m[2]
	}
	if len(documented) == 0 {
		t.Fatal("found no table rows in docs/exit-codes.md")
	}
	var codes []int
	for name, v := range consts {
		codes = append(codes, v)
		if _, ok := documented[v]; !ok {
			t.Errorf("%s = %d is not in docs/exit-codes.md", name, v)
		}
	}
	for code := range documented {
		if !slices.Contains(codes, code) {
			t.Errorf("docs/exit-codes.md lists %d, which is no constant in exitcode.go", code)
		}
	}
}
