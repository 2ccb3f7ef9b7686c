package githubsim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"

	graphql "github.com/graph-gophers/graphql-go"
)

// GitHub's GraphQL API, the part of it that gh sends: gh 2.23 resolves
// repository names to database IDs (`gh secret set --repos`), reads a
// repository's default branch (`gh workflow run` without --ref, through
// its RepositoryInfo query) and looks for the pull request of a run's
// branch (`gh run view`, `gh run watch`). The schema below is a subset of
// GitHub's: the fields of a repository those queries and similar ones
// ask for, its owner, its default branch and its pull requests (the
// simulator has none). Queries are parsed, validated and executed by
// graph-gophers/graphql-go, so a field GitHub has and the subset lacks is a
// validation error, as an unknown field is on GitHub. Served at /graphql
// and, for GitHub Enterprise clients, /api/graphql; it needs a token.
const graphqlSchema = `
schema { query: Query }

type Query {
  repository(owner: String!, name: String!, followRenames: Boolean): Repository
  viewer: User!
}

interface RepositoryOwner {
  id: ID!
  login: String!
  url: String!
}

type User implements RepositoryOwner {
  id: ID!
  databaseId: Int
  login: String!
  name: String
  url: String!
}

type Organization implements RepositoryOwner {
  id: ID!
  databaseId: Int
  login: String!
  name: String
  url: String!
}

enum RepositoryVisibility { PRIVATE PUBLIC INTERNAL }
enum RepositoryPermission { ADMIN MAINTAIN WRITE TRIAGE READ }
enum PullRequestState { OPEN CLOSED MERGED }
enum IssueOrderField { CREATED_AT UPDATED_AT COMMENTS }
enum OrderDirection { ASC DESC }

input IssueOrder {
  field: IssueOrderField!
  direction: OrderDirection!
}

type Ref {
  id: ID!
  name: String!
  prefix: String!
}

type PullRequest {
  number: Int!
  title: String!
  headRefName: String!
  headRepository: Repository
}

type PullRequestConnection {
  nodes: [PullRequest]
  totalCount: Int!
}

type Repository {
  id: ID!
  databaseId: Int
  name: String!
  nameWithOwner: String!
  owner: RepositoryOwner!
  description: String
  url: String!
  sshUrl: String!
  isPrivate: Boolean!
  isArchived: Boolean!
  isFork: Boolean!
  isTemplate: Boolean!
  visibility: RepositoryVisibility!
  hasIssuesEnabled: Boolean!
  hasWikiEnabled: Boolean!
  hasProjectsEnabled: Boolean!
  viewerPermission: RepositoryPermission
  defaultBranchRef: Ref
  parent: Repository
  mergeCommitAllowed: Boolean!
  rebaseMergeAllowed: Boolean!
  squashMergeAllowed: Boolean!
  pullRequests(headRefName: String, baseRefName: String, states: [PullRequestState!], labels: [String!],
    first: Int, last: Int, after: String, before: String, orderBy: IssueOrder): PullRequestConnection!
}
`

// Messages GitHub's GraphQL endpoint answers with.
const (
	msgGraphQLAuth    = "This endpoint requires you to be authenticated."
	docsGraphQLAuth   = "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql"
	msgGraphQLNoQuery = "A query attribute must be specified and must be a string."
)

// newGraphQL parses the schema with the simulator's resolvers.
func newGraphQL(s *Server) *graphql.Schema {
	return graphql.MustParseSchema(graphqlSchema, &gqlQuery{s: s}, graphql.MaxDepth(15), graphql.MaxQueryLength(1<<16))
}

type gqlCallKey struct{}

// serveGraphQL serves POST /graphql: {"query", "variables",
// "operationName"} in, {"data", "errors"} out, 200 even when the query has
// errors, as GitHub answers. Errors of a missing object carry GitHub's
// "type": "NOT_FOUND".
func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request, c *call) {
	var req struct {
		Query         any            `json:"query"`
		OperationName string         `json:"operationName"`
		Variables     map[string]any `json:"variables"`
	}
	if !c.decodeBody(w, r, &req) {
		return
	}
	query, ok := req.Query.(string)
	if !ok || query == "" {
		writeJSON(w, http.StatusOK, map[string]any{"errors": []any{map[string]any{"message": msgGraphQLNoQuery}}})
		return
	}
	// decodeBody decodes numbers as json.Number; GraphQL variables want
	// plain JSON values.
	vars := map[string]any{}
	if len(req.Variables) > 0 {
		b, _ := json.Marshal(req.Variables)
		_ = json.Unmarshal(b, &vars)
	}
	s.mu.Lock()
	resp := s.graphql.Exec(context.WithValue(r.Context(), gqlCallKey{}, c), query, req.OperationName, vars)
	s.mu.Unlock()

	out := map[string]any{}
	if resp.Data != nil {
		out["data"] = resp.Data
	}
	if len(resp.Errors) > 0 {
		errs := make([]map[string]any, 0, len(resp.Errors))
		for _, e := range resp.Errors {
			m := map[string]any{"message": e.Message}
			if len(e.Locations) > 0 {
				m["locations"] = e.Locations
			}
			if len(e.Path) > 0 {
				m["path"] = e.Path
			}
			if t, ok := e.Extensions["type"]; ok {
				m["type"] = t
			}
			errs = append(errs, m)
		}
		out["errors"] = errs
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		writeError(w, http.StatusInternalServerError, "simulator failed to encode its response", c.doc)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// gqlNotFound is GitHub's error for an object that does not exist.
type gqlNotFound struct{ msg string }

func (e gqlNotFound) Error() string              { return e.msg }
func (e gqlNotFound) Extensions() map[string]any { return map[string]any{"type": "NOT_FOUND"} }

// gqlCall is the request a resolver runs for.
func gqlCall(ctx context.Context) *call {
	c, _ := ctx.Value(gqlCallKey{}).(*call)
	return c
}

// databaseID is an ID as GraphQL's 32-bit Int, null when it does not fit.
func databaseID(id int64) *int32 {
	if id > math.MaxInt32 || id < math.MinInt32 {
		return nil
	}
	v := int32(id)
	return &v
}

// gqlQuery is the root of queries. Resolvers run while serveGraphQL holds
// s.mu.
type gqlQuery struct{ s *Server }

func (q *gqlQuery) Repository(ctx context.Context, args struct {
	Owner, Name   string
	FollowRenames *bool
}) (*gqlRepo, error) {
	rp := q.s.w.repo(args.Owner, args.Name)
	if rp == nil {
		return nil, gqlNotFound{fmt.Sprintf("Could not resolve to a Repository with the name '%s/%s'.", args.Owner, args.Name)}
	}
	return &gqlRepo{c: gqlCall(ctx), r: rp}, nil
}

func (q *gqlQuery) Viewer(ctx context.Context) *gqlUser {
	c := gqlCall(ctx)
	return &gqlUser{c: c, a: c.user}
}

// gqlUser resolves a User or an Organization (both RepositoryOwner).
type gqlUser struct {
	c *call
	a *account
}

func (u *gqlUser) ID() graphql.ID {
	return graphql.ID(nodeID(map[bool]string{true: "O", false: "U"}[u.a.org], u.a.id))
}
func (u *gqlUser) DatabaseID() *int32 { return databaseID(u.a.id) }
func (u *gqlUser) Login() string      { return u.a.login }
func (u *gqlUser) Name() *string      { return &u.a.login }
func (u *gqlUser) URL() string        { return u.c.web + "/" + u.a.login }
func (u *gqlUser) ToUser() (*gqlUser, bool) {
	return u, !u.a.org
}
func (u *gqlUser) ToOrganization() (*gqlUser, bool) { return u, u.a.org }

type gqlRepo struct {
	c *call
	r *repo
}

func (g *gqlRepo) ID() graphql.ID           { return graphql.ID(nodeID("R", g.r.id)) }
func (g *gqlRepo) DatabaseID() *int32       { return databaseID(g.r.id) }
func (g *gqlRepo) Name() string             { return g.r.name }
func (g *gqlRepo) NameWithOwner() string    { return g.r.fullName() }
func (g *gqlRepo) Owner() *gqlUser          { return &gqlUser{c: g.c, a: g.r.owner} }
func (g *gqlRepo) Description() *string     { return nil }
func (g *gqlRepo) URL() string              { return g.c.web + "/" + g.r.fullName() }
func (g *gqlRepo) SSHURL() string           { return "git@" + g.c.host() + ":" + g.r.fullName() + ".git" }
func (g *gqlRepo) IsPrivate() bool          { return g.r.private }
func (g *gqlRepo) IsArchived() bool         { return false }
func (g *gqlRepo) IsFork() bool             { return false }
func (g *gqlRepo) IsTemplate() bool         { return false }
func (g *gqlRepo) HasIssuesEnabled() bool   { return true }
func (g *gqlRepo) HasWikiEnabled() bool     { return true }
func (g *gqlRepo) HasProjectsEnabled() bool { return true }
func (g *gqlRepo) Parent() *gqlRepo         { return nil }
func (g *gqlRepo) MergeCommitAllowed() bool { return true }
func (g *gqlRepo) RebaseMergeAllowed() bool { return true }
func (g *gqlRepo) SquashMergeAllowed() bool { return true }

func (g *gqlRepo) Visibility() string {
	if g.r.private {
		return "PRIVATE"
	}
	return "PUBLIC"
}

// ViewerPermission is the token's role, as GET /repos/{owner}/{repo}'s
// permissions say it (fullRepoJSON).
func (g *gqlRepo) ViewerPermission() *string {
	p := g.c.permissionsJSON(g.r)
	role := "READ"
	switch {
	case p["admin"] == true:
		role = "ADMIN"
	case p["push"] == true:
		role = "WRITE"
	}
	return &role
}

func (g *gqlRepo) DefaultBranchRef() *gqlRef {
	return &gqlRef{repo: g.r, name: g.r.defaultBranch}
}

// PullRequests: the simulator's repositories have no pull requests.
func (g *gqlRepo) PullRequests(args struct {
	HeadRefName, BaseRefName *string
	States                   *[]string
	Labels                   *[]string
	First, Last              *int32
	After, Before            *string
	OrderBy                  *struct{ Field, Direction string }
}) *gqlPRConnection {
	return &gqlPRConnection{}
}

type gqlRef struct {
	repo *repo
	name string
}

func (r *gqlRef) ID() graphql.ID {
	return graphql.ID(nodeIDString("REF", r.repo.fullName()+"/refs/heads/"+r.name))
}
func (r *gqlRef) Name() string   { return r.name }
func (r *gqlRef) Prefix() string { return "refs/heads/" }

type gqlPRConnection struct{}

func (*gqlPRConnection) Nodes() *[]*gqlPR  { n := []*gqlPR{}; return &n }
func (*gqlPRConnection) TotalCount() int32 { return 0 }

// gqlPR is a pull request; none exists, but the type must resolve.
type gqlPR struct{ repo *gqlRepo }

func (p *gqlPR) Number() int32            { return 0 }
func (p *gqlPR) Title() string            { return "" }
func (p *gqlPR) HeadRefName() string      { return "" }
func (p *gqlPR) HeadRepository() *gqlRepo { return p.repo }
