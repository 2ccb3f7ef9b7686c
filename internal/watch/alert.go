package watch

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/respondhq/respond/internal/githubapi"
)

// GitHub is what watch reads and changes at GitHub; *githubapi.Client is
// one (so watch's requests share the responses' rate limiter).
type GitHub interface {
	AlertState(ctx context.Context, owner, repo string, number int) (githubapi.AlertState, error)
	OpenAlertsPage(ctx context.Context, org, etag string, page int) (githubapi.AlertPage, error)
	ResolveAlert(ctx context.Context, owner, repo string, number int, resolution, comment string) (githubapi.Alert, error)
}

// AlertRef names an alert: OWNER/REPO#N.
type AlertRef struct {
	Owner, Repo string
	Number      int
}

// ParseRef parses OWNER/REPO#N.
func ParseRef(s string) (AlertRef, error) {
	repo, num, ok := strings.Cut(strings.TrimSpace(s), "#")
	owner, name, ok2 := strings.Cut(repo, "/")
	n, err := strconv.Atoi(num)
	if !ok || !ok2 || owner == "" || name == "" || strings.Contains(name, "/") || err != nil || n < 1 {
		return AlertRef{}, fmt.Errorf("%q is not an alert: write OWNER/REPO#N, e.g. acme/api#42", s)
	}
	return AlertRef{Owner: owner, Repo: name, Number: n}, nil
}

func (r AlertRef) String() string { return fmt.Sprintf("%s/%s#%d", r.Owner, r.Repo, r.Number) }
