package githubapi

import "errors"

// StatusOf returns the HTTP status of a client error, or 0 (Error has it).
func StatusOf(err error) int {
	var sc interface{ StatusCode() int }
	if errors.As(err, &sc) {
		return sc.StatusCode()
	}
	return 0
}

// RoleOf names the strongest role in p, for messages: admin, maintain,
// push, pull or no.
func RoleOf(p RepoPermissions) string {
	switch {
	case p.Admin:
		return "admin"
	case p.Maintain:
		return "maintain"
	case p.Push:
		return "push"
	case p.Pull:
		return "pull"
	}
	return "no"
}
