package main

import (
	"flag"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/respondhq/respond/internal/sim"
)

// What a response costs, from the simulator's request log: the requests
// GitHub received for each deploy target, the points they cost (GitHub's
// secondary limits: reads 1, writes 5), and what came before the revoke.

// ghPoints is a request's cost under GitHub's secondary limits.
func ghPoints(method string) int {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return 1
	}
	return 5
}

// targetCost is what the requests of one deploy target cost.
type targetCost struct {
	requests, points, writes int
	paths                    []string
}

// secretScopePath matches the requests of a secret scope (under the
// /api/v3 prefix or not): a repository's Actions or Dependabot secrets, an
// environment's, an organization's.
var secretScopePath = regexp.MustCompile(`^(?:/api/v3)?/(?:repos/([^/]+/[^/]+)/(actions|dependabot)/secrets|repos/([^/]+/[^/]+)/environments/([^/]+)/secrets|orgs/([^/]+)/(actions|dependabot)/secrets)(/[^?]*)?`)

// repoPath matches GET /repos/{owner}/{repo} itself.
var repoPath = regexp.MustCompile(`^(?:/api/v3)?/repos/([^/]+/[^/?]+)(?:\?.*)?$`)

// scopeOf names the deploy target a request is for ("repo acme/api",
// "env acme/api@production", "dependabot acme/api", "org acme",
// "org-dependabot acme"), with rest the path under the secrets collection;
// "" when it is not a secret scope's request.
func scopeOf(path string) (scope, rest string) {
	m := secretScopePath.FindStringSubmatch(path)
	switch {
	case m == nil:
		return "", ""
	case m[1] != "" && m[2] == "actions":
		return "repo " + m[1], m[7]
	case m[1] != "":
		return "dependabot " + m[1], m[7]
	case m[3] != "":
		return "env " + m[3] + "@" + m[4], m[7]
	case m[6] == "actions":
		return "org " + m[5], m[7]
	}
	return "org-dependabot " + m[5], m[7]
}

// scenarioTargets are the deploy targets the scenario's inventory lists.
func scenarioTargets(info sim.ScenarioInfo) []string {
	var out []string
	for _, r := range info.Repos {
		out = append(out, "repo "+r)
	}
	if info.Environment != "" {
		out = append(out, "env "+info.EnvironmentRepo+"@"+info.Environment)
	}
	if len(info.OrgSecretRepos) > 0 {
		out = append(out, "org "+info.Org)
	}
	if info.DependabotRepo != "" {
		out = append(out, "dependabot "+info.DependabotRepo)
	}
	return out
}

// simBudget implements
//
//	sim budget [-points N] [-contain-first N] [-since-mark]
//
// over the request log (since the start, or since `sim mark`): every
// deploy target was written, and no target cost more than N points (the
// requests to its secret scope, and any read of its repository); an
// organization secret may cost 2 more, the read of its audience (whether
// a repository loses access) that the plan makes. With -contain-first,
// the leaked key's revoke (the first DELETE to OpenAI) came after at most
// N requests, and none of them was a target's (its repository, its
// secrets, its public key): the organization secret's audience, the
// alert and the workflows to re-run (a workflow's check reads its
// repository) are the only reads of named things before it. No request
// was refused by a rate limit.
func simBudget(ts *testscript.TestScript, r *simRun, args []string) {
	fs := flag.NewFlagSet("sim budget", flag.ContinueOnError)
	maxPoints := fs.Int("points", 6, "")
	containFirst := fs.Int("contain-first", -1, "")
	ts.Check(fs.Parse(args))
	reqs := r.s.Requests(r.sinceSeq)
	info := r.s.Scenario()
	targets := scenarioTargets(info)
	// A workflow's check reads its repository (one request a workflow):
	// it is the workflow's, not the secret targets'.
	workflowRead := func(path string) bool {
		m := repoPath.FindStringSubmatch(path)
		return m != nil && strings.EqualFold(m[1], info.WorkflowRepo)
	}
	cost := map[string]*targetCost{}
	for _, t := range targets {
		cost[t] = &targetCost{}
	}
	revoke := -1
	for i, q := range reqs {
		if q.API == sim.APIOpenAI && q.Method == http.MethodDelete && revoke < 0 {
			revoke = i
		}
		if q.API != sim.APIGitHub {
			continue
		}
		path, _, _ := strings.Cut(q.Path, "?")
		var hit []string
		if scope, _ := scopeOf(path); scope != "" {
			hit = []string{scope}
		} else if m := repoPath.FindStringSubmatch(q.Path); m != nil && q.Method == http.MethodGet && !workflowRead(q.Path) {
			// A read of the repository itself is for each of its targets.
			for _, t := range targets {
				if _, where, _ := strings.Cut(t, " "); strings.EqualFold(where, m[1]) || strings.HasPrefix(strings.ToLower(where), strings.ToLower(m[1])+"@") {
					hit = append(hit, t)
				}
			}
		}
		for _, t := range hit {
			c := cost[t]
			if c == nil {
				c = &targetCost{}
				cost[t] = c
			}
			c.requests++
			c.points += ghPoints(q.Method)
			if q.Method == http.MethodPut && q.Status < 300 {
				c.writes++
			}
			c.paths = append(c.paths, fmt.Sprintf("#%d %s %s %d", q.Seq, q.Method, path, q.Status))
		}
	}
	var problems []string
	worst, total := 0, 0
	for _, t := range targets {
		c := cost[t]
		limit := *maxPoints
		if strings.HasPrefix(t, "org") {
			limit += 2 // the audience read of the plan
		}
		total += c.points
		worst = max(worst, c.points)
		if c.writes != 1 {
			problems = append(problems, fmt.Sprintf("%s: %d successful write(s), want 1: %v", t, c.writes, c.paths))
		}
		if c.points > limit {
			problems = append(problems, fmt.Sprintf("%s: %d points (budget %d): %v", t, c.points, limit, c.paths))
		}
	}
	ts.Logf("%d targets: %d points in all, at most %d for one; %d requests in the log", len(targets), total, worst, len(reqs))
	if *containFirst >= 0 {
		if revoke < 0 {
			problems = append(problems, "the leaked key was never revoked (no DELETE to OpenAI)")
		} else {
			ts.Logf("%d requests before the revoke", revoke)

			if revoke > *containFirst {
				problems = append(problems, fmt.Sprintf("%d requests before the revoke, want at most %d", revoke, *containFirst))
			}
			for _, q := range reqs[:revoke] {
				path, _, _ := strings.Cut(q.Path, "?")
				scope, rest := scopeOf(path)
				audience := strings.HasPrefix(scope, "org") && rest != "" && !strings.HasSuffix(rest, "/public-key")
				if (scope != "" && !audience) || (repoPath.MatchString(q.Path) && q.Method == http.MethodGet && !workflowRead(q.Path)) {
					problems = append(problems, fmt.Sprintf("#%d %s %s is for one target and came before the revoke", q.Seq, q.Method, path))
				}
			}
		}
	}
	if st := r.s.GitHub().LimitStats(); st.Secondary != 0 {
		problems = append(problems, fmt.Sprintf("%d secondary rate-limit refusal(s) (%d sent while told to wait)", st.Secondary, st.EarlyRetries))
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		ts.Fatalf("sim budget:\n  %s", strings.Join(problems, "\n  "))
	}
}

// planNote is the deploy's cost as the plan printed it:
// "Note (8 deploy): 103 GitHub secret write(s): 206 request(s) and 618 points".
var planNote = regexp.MustCompile(`Note \(\d+ deploy\): ([\d,]+) GitHub secret write\(s\): ([\d,]+) request\(s\) and ([\d,]+) points`)

// simEstimate implements `sim estimate FILE`: the deploy cost the plan in
// FILE (respond's stdout) announced is within 20 % of what the simulator
// received for the targets' secret scopes from the deploy's first key
// read or write on (the deploy's requests): writes, requests and points.
func simEstimate(ts *testscript.TestScript, r *simRun, file string) {
	m := planNote.FindStringSubmatch(ts.ReadFile(file))
	if m == nil {
		ts.Fatalf("sim estimate: no deploy cost note in %s", file)
	}
	num := func(s string) int {
		n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
		ts.Check(err)
		return n
	}
	est := [3]int{num(m[1]), num(m[2]), num(m[3])}
	var got [3]int
	deploying := false
	for _, q := range r.s.Requests(r.sinceSeq) {
		path, _, _ := strings.Cut(q.Path, "?")
		scope, rest := scopeOf(path)
		if scope == "" || q.API != sim.APIGitHub {
			continue
		}
		// The deploy starts with its first key read or write; the reads
		// of an organization secret before it are the plan's.
		if strings.HasSuffix(rest, "/public-key") || q.Method == http.MethodPut {
			deploying = true
		}
		if !deploying {
			continue
		}
		if q.Method == http.MethodPut {
			got[0]++
		}
		got[1]++
		got[2] += ghPoints(q.Method)
	}
	ts.Logf("deploy: estimated %d writes, %d requests, %d points; measured %d, %d, %d", est[0], est[1], est[2], got[0], got[1], got[2])
	for i, what := range []string{"writes", "requests", "points"} {
		if d := est[i] - got[i]; d*5 > got[i] || -d*5 > got[i] || got[i] == 0 {
			ts.Fatalf("sim estimate: the plan said %d %s, the simulator received %d (more than 20%% apart)", est[i], what, got[i])
		}
	}
}
