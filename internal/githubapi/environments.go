package githubapi

import (
	"context"

	"github.com/google/go-github/v60/github"

	"github.com/respondhq/respond/internal/netsafe"
	"github.com/respondhq/respond/internal/step"
)

// Environments lists the names of a repository's deployment environments
// (all pages, 100 a page): one request for most repositories, so that
// preflight can tell, before anything changes, that an environment the
// inventory names exists. step.ErrNotFound when the repository is not
// visible.
func (c *Client) Environments(ctx context.Context, owner, repo string) ([]string, error) {
	if err := netsafe.Segments("owner", owner, "repository", repo); err != nil {
		return nil, step.Permanent(err)
	}
	var names []string
	opt := &github.EnvironmentListOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		envs, resp, err := c.gh.Repositories.ListEnvironments(ctx, owner, repo, opt)
		if err != nil {
			return nil, c.fail(err, "list the environments of %s/%s", owner, repo)
		}
		for _, e := range envs.Environments {
			names = append(names, e.GetName())
		}
		if resp == nil || resp.NextPage == 0 {
			return names, nil
		}
		opt.Page = resp.NextPage
	}
}
