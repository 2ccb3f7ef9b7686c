package dotenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/respondhq/respond/internal/audit"
	"github.com/respondhq/respond/internal/dotenv"
	"github.com/respondhq/respond/internal/target"
)

// The checks of .env targets.
const (
	checkReadable   = "dotenv.readable-by-others"
	checkNotIgnored = "dotenv.not-ignored"
)

func init() {
	audit.Register(
		audit.Check{ID: checkReadable, Area: "Local files", Title: ".env file readable by group or others",
			Severity: audit.Medium, Practice: audit.Confidential,
			What: "The permission bits of each dotenv target's file (after following links).",
			Why:  "Every user and process of the machine in the file's group (or all of them) can read the key.",
			Fix:  "`chmod 600 FILE`: respond keeps the mode when it writes the file."},
		audit.Check{ID: checkNotIgnored, Area: "Local files", Title: ".env file not ignored by git",
			Severity: audit.High, Practice: audit.Confidential,
			What: "Whether each dotenv target's file, when it is inside a git work tree, is ignored there (`git check-ignore`, which reads every .gitignore, .git/info/exclude and the global excludes).",
			Why:  "A `git add .` away from a commit of the key: the commonest leak there is.",
			Fix:  "Add the file's name (or `.env*`) to the repository's .gitignore; if git already tracks it, `git rm --cached FILE` too (and rotate the key if it was ever pushed)."},
	)
}

var _ target.Auditor = Writer{}

// Audit implements target.Auditor: each file's mode, and whether git
// ignores it. Files that do not exist are the container check's.
func (Writer) Audit(ctx context.Context, r target.AuditRequest) error {
	seen := map[string]bool{}
	for _, at := range r.Targets {
		res, err := dotenv.Resolve(at.Target.Str("path"))
		if err != nil || !res.Exists || seen[res.Real] {
			continue
		}
		seen[res.Real] = true
		shown := at.Target.Str("path")
		if res.Mode&0o077 != 0 {
			r.Report(audit.New(checkReadable, res.Real,
				fmt.Sprintf("%s (credential %s) is readable by its group or others (mode %04o)", shown, at.Credential, res.Mode.Perm()),
				fmt.Sprintf("`chmod 600 %s`", res.Real),
				fmt.Sprintf("mode: %04o", res.Mode.Perm()), "credential: "+at.Credential).
				At(audit.Location{Path: res.Real}))
		}
		ignored, inRepo, err := gitIgnored(ctx, res.Real)
		if err != nil || !inRepo || ignored {
			continue
		}
		r.Report(audit.New(checkNotIgnored, res.Real,
			fmt.Sprintf("%s (credential %s) is in a git work tree that does not ignore it", shown, at.Credential),
			fmt.Sprintf("add `%s` to the .gitignore of its repository (and `git rm --cached %s` if git tracks it)", filepath.Base(res.Real), res.Real),
			"credential: "+at.Credential).
			At(audit.Location{Path: res.Real}))
	}
	return nil
}

// gitIgnored asks git whether path is ignored in the work tree that holds
// it. inRepo is false when it is not in one (or git is not installed).
// git gets the path as an argument, never a value, and an environment
// without respond's credentials.
func gitIgnored(ctx context.Context, path string) (ignored, inRepo bool, err error) {
	git, err := exec.LookPath("git")
	if err != nil {
		return false, false, nil
	}
	dir := filepath.Dir(path)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "GIT_TERMINAL_PROMPT=0"}
	top := exec.CommandContext(ctx, git, "-C", dir, "rev-parse", "--show-toplevel")
	top.Env = env
	if err := top.Run(); err != nil {
		return false, false, nil // not a work tree
	}
	cmd := exec.CommandContext(ctx, git, "-C", dir, "check-ignore", "-q", "--", filepath.Base(path))
	cmd.Env = env
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return true, true, nil
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		return false, true, nil
	}
	return false, true, err
}
