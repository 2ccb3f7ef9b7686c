package githubapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/google/go-github/v60/github"

	"github.com/respondhq/respond/internal/step"
)

// reposPerPage is GitHub's largest page of GET /orgs/{org}/repos.
const reposPerPage = 100

// listConcurrency bounds the pages (or single-repository reads) one owner's
// permissions take at once; the limiter caps what is really in flight.
const listConcurrency = 16

// ReposPermissions reports the token's access to each of repos (owner/name)
// in as few requests as GitHub allows. An owner with several of them is
// listed with GET /orgs/{owner}/repos, 100 repositories a page, each with
// the token's permissions: the first page's Link header says how many
// pages there are, and the others are fetched at once (2 round trips for
// any number of repositories). When listing would cost more requests than
// reading the remaining repositories one by one, or the owner is a user
// (404) or cannot be listed, or a repository is missing from the list
// (renamed, or invisible to the token), those repositories are read with
// GET /repos/{owner}/{name}, one request each. Every repository asked has
// an entry, under the name as given; a repository the token cannot see
// has an error matching step.ErrNotFound.
func (c *Client) ReposPermissions(ctx context.Context, repos []string) map[string]RepoAccess {
	out := make(map[string]RepoAccess, len(repos))
	var mu sync.Mutex
	set := func(name string, a RepoAccess) {
		mu.Lock()
		out[name] = a
		mu.Unlock()
	}
	// By owner, each repository once (names are case-insensitive).
	type wanted struct {
		owner string
		names map[string][]string // lower-case name -> the names as asked
	}
	var owners []*wanted
	byOwner := map[string]*wanted{}
	for _, full := range repos {
		owner, name, ok := strings.Cut(full, "/")
		if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			set(full, RepoAccess{Err: step.Errorf("read repository %q: give it as owner/name", full)})
			continue
		}
		w := byOwner[strings.ToLower(owner)]
		if w == nil {
			w = &wanted{owner: owner, names: map[string][]string{}}
			byOwner[strings.ToLower(owner)] = w
			owners = append(owners, w)
		}
		w.names[strings.ToLower(name)] = append(w.names[strings.ToLower(name)], full)
	}
	var wg sync.WaitGroup
	for _, w := range owners {
		wg.Go(func() {
			found := c.listOwner(ctx, w.owner, w.names)
			var rest []string
			for lname, asked := range w.names {
				if p, ok := found[lname]; ok {
					for _, n := range asked {
						set(n, RepoAccess{Perms: p})
					}
					continue
				}
				rest = append(rest, lname)
			}
			c.readEach(ctx, w.owner, rest, func(lname string, a RepoAccess) {
				for _, n := range w.names[lname] {
					set(n, a)
				}
			})
		})
	}
	wg.Wait()
	return out
}

// listOwner lists owner's repositories with the token's permissions, by
// lower-case name, when that is cheaper than reading the wanted ones (by
// lower-case name) one by one; it returns what it found (nothing when
// owner is not an organization, or could not be listed).
func (c *Client) listOwner(ctx context.Context, owner string, want map[string][]string) map[string]RepoPermissions {
	found := map[string]RepoPermissions{}
	listPath, perr := apiPath("orgs/", seg{"organization", owner}, "/repos")
	if len(want) < 2 || perr != nil {
		return found // one repository, or a name RepoPermissions refuses: read one by one
	}
	var mu sync.Mutex
	wanted := 0 // wanted repositories found
	add := func(list []*github.Repository) {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range list {
			if r == nil || !strings.EqualFold(r.GetOwner().GetLogin(), owner) {
				continue
			}
			lname := strings.ToLower(r.GetName())
			if _, ok := want[lname]; ok {
				if _, dup := found[lname]; !dup {
					wanted++
				}
			}
			found[lname] = permissionsOf(r)
			c.idsMu.Lock()
			c.ids[strings.ToLower(owner)+"/"+lname] = r.GetID()
			c.idsMu.Unlock()
		}
	}
	page := func(n int) (*github.Response, error) {
		q := url.Values{"sort": {"full_name"}, "per_page": {strconv.Itoa(reposPerPage)}}
		if n > 0 {
			q.Set("page", strconv.Itoa(n))
		}
		var list []*github.Repository
		resp, err := c.do(ctx, http.MethodGet, withQuery(listPath, q), nil, &list)
		if err != nil {
			return nil, err
		}
		add(list)
		return resp, nil
	}
	// As many repositories as are wanted fill at least that many pages:
	// fetch them with the first, whose Link header then says whether
	// there are more. An organization with that many repositories to
	// update likely has others too: one more page is fetched at once
	// (a point, to save a round trip before the revoke).
	sure := (len(want) + reposPerPage - 1) / reposPerPage
	if len(want) >= reposPerPage/2 {
		sure++
	}
	var early sync.WaitGroup
	for n := 2; n <= sure; n++ {
		early.Go(func() { _, _ = page(n) })
	}
	resp, err := page(1)
	early.Wait()
	if err != nil {
		if errors.Is(err, step.ErrNotFound) || ghStatusOf(err) == 404 {
			c.setOrg(owner, false)
		}
		return map[string]RepoPermissions{} // a user, or no access to the list: read them one by one
	}
	c.setOrg(owner, true)
	last := resp.LastPage
	// The other pages cost a request each; reading the repositories not
	// found yet costs one each.
	if last <= sure || last-sure > len(want)-wanted {
		return found
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, listConcurrency)
	for n := sure + 1; n <= last; n++ {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			_, _ = page(n) // a failed page: its repositories are read one by one
		})
	}
	wg.Wait()
	return found
}

// KnownOrganization reports whether owner is an organization, as far as
// listing its repositories told (known is false when it was not tried).
func (c *Client) KnownOrganization(owner string) (isOrg, known bool) {
	c.idsMu.Lock()
	defer c.idsMu.Unlock()
	isOrg, known = c.orgs[strings.ToLower(owner)]
	return isOrg, known
}

func (c *Client) setOrg(owner string, isOrg bool) {
	c.idsMu.Lock()
	if c.orgs == nil {
		c.orgs = map[string]bool{}
	}
	c.orgs[strings.ToLower(owner)] = isOrg
	c.idsMu.Unlock()
}

// ghStatusOf is the HTTP status of a go-github error, or 0.
func ghStatusOf(err error) int {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

// readEach reads the permissions of owner's repositories (lower-case
// names) one request each, at most listConcurrency at once.
func (c *Client) readEach(ctx context.Context, owner string, names []string, set func(string, RepoAccess)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, listConcurrency)
	for _, n := range names {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			p, err := c.RepoPermissions(ctx, owner, n)
			set(n, RepoAccess{Perms: p, Err: err})
		})
	}
	wg.Wait()
}

// permissionsOf is the token's role on r, as GitHub reports it.
func permissionsOf(r *github.Repository) RepoPermissions {
	p := r.GetPermissions()
	return RepoPermissions{
		ID: r.GetID(), Admin: p["admin"], Maintain: p["maintain"], Push: p["push"], Pull: p["pull"],
		Private: r.GetPrivate(),
	}
}
