package k8ssim

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// user is one of the cluster's users: a bearer token, the kubeconfig
// context Env writes for it, and what it may do.
type user struct {
	name    string
	context string
	token   string
	rules   []rule
}

// rule allows verbs on resources of API groups ("*" matches any).
type rule struct {
	verbs     []string
	groups    []string
	resources []string
}

var readVerbs = []string{"get", "list", "watch"}

// userSpecs is the token → permissions table.
var userSpecs = []struct {
	name, context string
	rules         []rule
}{
	{"respond", ContextFull, []rule{{verbs: []string{"*"}, groups: []string{"*"}, resources: []string{"*"}}}},
	{"viewer", ContextReadOnly, []rule{{verbs: readVerbs, groups: []string{"*"}, resources: []string{"*"}}}},
	{"secret-writer", ContextNoRestart, []rule{
		{verbs: readVerbs, groups: []string{"*"}, resources: []string{"*"}},
		{verbs: []string{"create", "update", "patch"}, groups: []string{""}, resources: []string{"secrets"}},
	}},
}

// ensureUsersLocked makes the users and their tokens once, from the
// random stream.
func (s *Server) ensureUsersLocked() {
	if s.users != nil {
		return
	}
	s.users, s.byName = map[string]*user{}, map[string]*user{}
	for _, spec := range userSpecs {
		u := &user{name: spec.name, context: spec.context, token: "k8s-sim-" + s.randomHex(20), rules: spec.rules}
		s.users[u.token], s.byName[u.name] = u, u
	}
}

// userList is the users sorted by name.
func (s *Server) userList() []*user {
	out := make([]*user, 0, len(s.byName))
	for _, u := range s.byName {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// authenticate finds the user of a request's bearer token.
func (s *Server) authenticate(r *http.Request) (*user, bool) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return nil, false
	}
	tok = strings.TrimSpace(tok)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureUsersLocked()
	for t, u := range s.users {
		if subtle.ConstantTimeCompare([]byte(t), []byte(tok)) == 1 {
			return u, true
		}
	}
	return nil, false
}

// allowed reports whether u may do verb on a resource of group.
func (u *user) allowed(verb, group, resource string) bool {
	match := func(list []string, v string) bool { return slices.Contains(list, "*") || slices.Contains(list, v) }
	for _, r := range u.rules {
		if match(r.verbs, verb) && match(r.groups, group) && match(r.resources, resource) {
			return true
		}
	}
	return false
}

// forbidden is the API server's refusal, in its words: `secrets "db" is
// forbidden: User "viewer" cannot patch resource "secrets" in API group ""
// in the namespace "default"`.
func forbidden(u *user, verb string, gr schema.GroupResource, ns, name string) error {
	where := "at the cluster scope"
	if ns != "" {
		where = fmt.Sprintf("in the namespace %q", ns)
	}
	//lint:ignore ST1005 the API server's own words
	return apierrors.NewForbidden(gr, name, fmt.Errorf("User %q cannot %s resource %q in API group %q %s", u.name, verb, gr.Resource, gr.Group, where))
}

// review answers a SelfSubjectAccessReview for u.
func (u *user) review(spec authorizationv1.SelfSubjectAccessReviewSpec) authorizationv1.SubjectAccessReviewStatus {
	if a := spec.ResourceAttributes; a != nil {
		res := a.Resource
		if a.Subresource != "" {
			res += "/" + a.Subresource
		}
		if u.allowed(a.Verb, a.Group, res) {
			return authorizationv1.SubjectAccessReviewStatus{Allowed: true, Reason: fmt.Sprintf("allowed for user %q", u.name)}
		}
		return authorizationv1.SubjectAccessReviewStatus{}
	}
	if a := spec.NonResourceAttributes; a != nil {
		// Discovery is open to every user, as the system:discovery role
		// makes it.
		if a.Verb == "get" && (a.Path == "/version" || a.Path == "/api" || a.Path == "/apis" || strings.HasPrefix(a.Path, "/api/") || strings.HasPrefix(a.Path, "/apis/")) {
			return authorizationv1.SubjectAccessReviewStatus{Allowed: true}
		}
	}
	return authorizationv1.SubjectAccessReviewStatus{}
}
