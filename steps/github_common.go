package steps

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/respondhq/respond/internal/githubapi"
	"github.com/respondhq/respond/internal/plugin"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/step"
)

// ghClient returns the GitHub client, or an error saying how to configure
// one. what names the step kind or target for the message.
func ghClient(p *Providers, what string) (GitHub, error) {
	if !ghConfigured(p) {
		return nil, step.Errorf("%s: GitHub is not configured: export GITHUB_TOKEN (or GH_TOKEN) with a token "+
			"that can manage the repositories' secrets, and GITHUB_API_URL for GitHub Enterprise Server", what)
	}
	gh, err := plugin.SharedAs[GitHub](p.Env, githubapi.SharedKey, githubapi.Build(p.Env))
	if err != nil {
		return nil, step.Permanent(fmt.Errorf("%s: %w", what, err))
	}
	return gh, nil
}

// ghConfigured reports whether GitHub is configured.
func ghConfigured(p *Providers) bool {
	return p != nil && p.Env != nil && (githubapi.Configured(p.Env) || p.Env.Has(githubapi.SharedKey))
}

// ghPreflight is a problem a preflight check found: it wraps
// step.ErrPreflight (exit code 4) and reads as its message alone.
type ghPreflight struct {
	msg   string
	cause error
}

func (e *ghPreflight) Error() string { return e.msg }

func (e *ghPreflight) Unwrap() []error {
	if e.cause != nil {
		return []error{step.ErrPreflight, e.cause}
	}
	return []error{step.ErrPreflight}
}

// ghPreflightf returns a permanent preflight error; cause (may be nil) stays
// reachable with errors.Is/As but is not repeated in the message unless
// the format includes it.
func ghPreflightf(cause error, format string, args ...any) error {
	return step.Permanent(&ghPreflight{msg: fmt.Sprintf(format, args...), cause: cause})
}

// ghStatus returns the HTTP status of a provider error, or 0. Providers'
// errors expose it with a StatusCode method (githubapi.Error does).
func ghStatus(err error) int {
	var sc interface{ StatusCode() int }
	if errors.As(err, &sc) {
		return sc.StatusCode()
	}
	return 0
}

// parseAlertRef parses OWNER/REPO#NUMBER.
func parseAlertRef(s string) (owner, repo string, number int, err error) {
	where, num, ok := strings.Cut(strings.TrimSpace(s), "#")
	owner, repo, ok2 := strings.Cut(where, "/")
	n, nerr := strconv.Atoi(num)
	if !ok || !ok2 || owner == "" || repo == "" || strings.Contains(repo, "/") || nerr != nil || n <= 0 {
		return "", "", 0, fmt.Errorf("alert %q must be OWNER/REPO#NUMBER, e.g. acme/api#12", s)
	}
	return owner, repo, n, nil
}

// ghRegister registers a secret value with the call's registry, if any.
func ghRegister(c *step.Call, v secret.Value) {
	if c.Secrets != nil && !v.IsZero() {
		c.Secrets.Add(v)
	}
}
