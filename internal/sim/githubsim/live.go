package githubsim

import (
	"fmt"
	"strings"
)

// What a live drill reads and changes directly (internal/sim's world): the
// value a secret holds now, the runs of a workflow, the user of a token,
// and tokens restricted on some repositories.

// RestrictToken makes tok read-only on the repositories named (OWNER/NAME):
// there it cannot write secrets or dispatch workflows (403), and GET
// /repos/{owner}/{repo} shows pull access only, whatever its permissions
// elsewhere. An empty list lifts every restriction.
func (s *Server) RestrictToken(tok string, repos []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.w.tokens[tok]
	if t == nil {
		return fmt.Errorf("restrict a token: the token is unknown: %w", ErrNotFound)
	}
	if len(repos) == 0 {
		t.readOnly = nil
		return nil
	}
	ro := map[string]bool{}
	for _, r := range repos {
		owner, name, ok := strings.Cut(r, "/")
		if !ok || s.w.repo(owner, name) == nil {
			return fmt.Errorf("restrict a token on %q: no such repository (give OWNER/NAME): %w", r, ErrNotFound)
		}
		ro[strings.ToLower(r)] = true
	}
	t.readOnly = ro
	return nil
}

// TokenLogin returns the login of the user a token belongs to.
func (s *Server) TokenLogin(tok string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.w.tokens[tok]
	if t == nil {
		return "", false
	}
	return t.user.login, true
}

// SecretRef names one secret: Level is LevelRepo (Owner, Repo),
// LevelEnvironment (Owner, Repo, Environment), LevelOrg (Org) or
// LevelDependabot (Owner and Repo, or Org).
type SecretRef struct {
	Level       string `json:"level"`
	Org         string `json:"org,omitempty"`
	Owner       string `json:"owner,omitempty"`
	Repo        string `json:"repo,omitempty"`
	Environment string `json:"environment,omitempty"`
	Name        string `json:"name"`
}

// SecretValue returns the value a secret holds now.
func (s *Server) SecretValue(ref SecretRef) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st *secretStore
	switch {
	case ref.Level == LevelOrg || ref.Level == LevelDependabot && ref.Org != "":
		o := s.w.orgs[strings.ToLower(ref.Org)]
		if o == nil {
			return "", false
		}
		st = o.actions
		if ref.Level == LevelDependabot {
			st = o.dependabot
		}
	default:
		rp := s.w.repo(ref.Owner, ref.Repo)
		if rp == nil {
			return "", false
		}
		switch ref.Level {
		case LevelRepo:
			st = rp.actions
		case LevelDependabot:
			st = rp.dependabot
		case LevelEnvironment:
			e := rp.env(ref.Environment)
			if e == nil {
				return "", false
			}
			st = e.store
		default:
			return "", false
		}
	}
	sec := st.secrets[strings.ToUpper(ref.Name)]
	if sec == nil {
		return "", false
	}
	return sec.value, true
}

// LastSuccessfulRun returns the workflow's run that completed successfully
// last (by completion time), as of now: what a workflow-deployed service
// runs with.
func (s *Server) LastSuccessfulRun(owner, repoName, workflowRef string) (RunState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
	rp := s.w.repo(owner, repoName)
	if rp == nil {
		return RunState{}, false
	}
	wf := rp.workflowByRef(workflowRef)
	if wf == nil {
		return RunState{}, false
	}
	now := s.now()
	var best *run
	for _, rn := range s.w.runs {
		if rn.workflow != wf || now.Before(rn.completed) || rn.conclusion != ConclusionSuccess {
			continue
		}
		if best == nil || !rn.completed.Before(best.completed) {
			best = rn
		}
	}
	if best == nil {
		return RunState{}, false
	}
	return runState(best, now), true
}
