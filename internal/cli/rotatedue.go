package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/respondhq/respond/internal/incident"
	"github.com/respondhq/respond/internal/inventory"
	"github.com/respondhq/respond/internal/provider"
)

// dueResult is what `respond rotate --due` did with one credential.
type dueResult struct {
	Credential string `json:"credential"`
	// State: not-due, due (dry run), rotated, failed, busy (another run
	// holds it), unknown (its key's age could not be read).
	State    string `json:"state"`
	KeyID    string `json:"key_id,omitempty"`
	AgeDays  int    `json:"age_days,omitempty"`
	Every    string `json:"rotate_every"`
	Incident string `json:"incident,omitempty"`
	Detail   string `json:"detail,omitempty"`
	ExitCode int    `json:"exit_code"`
	// Result is the rotation's own result (--output json), as
	// `respond rotate --credential NAME --output json` gives it.
	Result json.RawMessage `json:"result,omitempty"`
}

// DueError: some rotation of `rotate --due` did not recover; Code is the
// worst exit code among them.
type DueError struct {
	Failed []string
	Code   int
}

func (e *DueError) Error() string {
	return fmt.Sprintf("%d rotation(s) did not recover: %s (each line above names its incident: `respond resume ID` finishes it)", len(e.Failed), strings.Join(e.Failed, ", "))
}

// runRotateDue rotates every credential whose key is older than its
// rotate_every, one rotate-key playbook each, in the inventory's order.
//
// Two runs at once rotate each key once: a run takes the lock
// "rotate-due/CREDENTIAL" in the state directory (held until it is done
// with the credential), then reads the inventory again and checks the
// key's age again, so a run that waited finds the key another run has just
// replaced, and young. A credential whose lock another run holds is
// skipped and said so.
func runRotateDue(ctx context.Context, f *Factory, o *keyOptions) error {
	if o.KeyID != "" || o.KeyStdin || o.Project != "" || o.Credential != "" || o.Book != "" {
		return &UsageError{errors.New("--due rotates every credential of the inventory that is due: leave out --key-id, --project, --key-stdin, --credential and --playbook")}
	}
	if !o.DryRun && !f.Yes && !f.IO.CanPrompt() {
		return &UsageError{errors.New("--due without a terminal changes keys unattended: add --yes (or --dry-run to see what is due)")}
	}
	inv, _, err := loadInventory(f)
	if err != nil {
		return err
	}
	if inv == nil {
		return &UsageError{errors.New("--due needs an inventory whose credentials say rotate_every (./respond.yaml, or --inventory FILE)")}
	}
	var names []string
	for _, c := range inv.Credentials {
		if c.RotateEvery > 0 {
			names = append(names, c.Name)
		}
	}
	if len(names) == 0 {
		return &UsageError{fmt.Errorf("no credential of %s says rotate_every: add e.g. `rotate_every: 90d` to those to rotate on schedule (docs/rotation.md)", inv.File)}
	}
	locks := incident.NewKeyLocks(f.StateDir, incident.Me(strings.Join(os.Args, " ")))
	defer locks.Release()
	var results []dueResult
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		results = append(results, rotateIfDue(ctx, f, o, locks, name))
	}
	// One line per credential.
	var failed []string
	worst := 0
	for _, r := range results {
		if r.State == "failed" {
			failed = append(failed, r.Credential)
			if r.ExitCode > worst {
				worst = r.ExitCode
			}
		}
	}
	if f.JSON() {
		_ = writeJSON(f, map[string]any{"rotations": results, "failed": len(failed)})
	} else {
		fmt.Fprintln(f.IO.Out, "Scheduled rotation:")
		for _, r := range results {
			fmt.Fprintln(f.IO.Out, "  "+r.line())
		}
	}
	if len(failed) > 0 {
		return &DueError{Failed: failed, Code: worst}
	}
	return nil
}

func (r dueResult) line() string {
	age := ""
	if r.KeyID != "" {
		age = fmt.Sprintf("key %s is %d days old, rotate every %s", r.KeyID, r.AgeDays, r.Every)
	}
	switch r.State {
	case "not-due":
		return fmt.Sprintf("%s: not due (%s)", r.Credential, age)
	case "due":
		return fmt.Sprintf("%s: DUE (%s); a run without --dry-run rotates it", r.Credential, age)
	case "rotated":
		return fmt.Sprintf("%s: rotated, recovered (%s; incident %s)", r.Credential, age, r.Incident)
	case "busy":
		return fmt.Sprintf("%s: skipped, another run is checking or rotating it (%s)", r.Credential, r.Detail)
	case "unknown":
		return fmt.Sprintf("%s: not checked: %s", r.Credential, r.Detail)
	}
	inc := ""
	if r.Incident != "" {
		inc = fmt.Sprintf("; `respond resume %s` finishes it", r.Incident)
	}
	return fmt.Sprintf("%s: FAILED, exit %d (%s): %s%s", r.Credential, r.ExitCode, age, r.Detail, inc)
}

// rotateIfDue handles one credential under its lock.
func rotateIfDue(ctx context.Context, f *Factory, o *keyOptions, locks *incident.KeyLocks, name string) dueResult {
	res := dueResult{Credential: name}
	lockName := "rotate-due/" + name
	if err := locks.Lock(ctx, []string{lockName}); err != nil {
		var le *incident.KeyLockedError
		if errors.As(err, &le) {
			res.State, res.Detail = "busy", "held by "+le.Holder.String()
			return res
		}
		res.State, res.Detail, res.ExitCode = "failed", err.Error(), ExitFailed
		return res
	}
	defer locks.Release()
	// The inventory again: a run that held the lock may have just
	// recorded a replacement.
	inv, _, err := loadInventory(f)
	if err != nil || inv == nil {
		res.State, res.Detail, res.ExitCode = "failed", fmt.Sprintf("reading the inventory: %v", err), ExitUsage
		return res
	}
	c, ok := inv.Credential(name)
	if !ok || c.RotateEvery == 0 {
		res.State, res.Detail = "unknown", "it is no longer in the inventory with rotate_every"
		return res
	}
	res.Every = days(c.RotateEvery)
	k, err := credentialKey(ctx, f, c)
	if err != nil {
		res.State, res.Detail = "unknown", err.Error()
		if !o.DryRun {
			res.State, res.ExitCode = "failed", ExitFailed
		}
		return res
	}
	res.KeyID = k.ID
	age := f.Now().Sub(k.Created)
	res.AgeDays = int(age.Hours() / 24)
	if age <= c.RotateEvery {
		res.State = "not-due"
		return res
	}
	if o.DryRun {
		res.State = "due"
		return res
	}
	ko := *o
	ko.Credential = name
	var out bytes.Buffer
	if f.JSON() {
		// Each rotation's JSON result goes into this credential's line,
		// so that standard output holds one JSON document.
		saved := f.IO.Out
		f.IO.Out = &out
		defer func() { f.IO.Out = saved }()
	}
	id, err := runKeyPlaybook(ctx, f, &ko, "rotate-key")
	if f.JSON() && json.Valid(bytes.TrimSpace(out.Bytes())) {
		res.Result = json.RawMessage(bytes.TrimSpace(out.Bytes()))
	}
	res.Incident = id
	if err != nil {
		res.State, res.Detail, res.ExitCode = "failed", firstLineOf(f.IO.Secrets.MaskString(err.Error())), ExitCode(err)
		return res
	}
	res.State = "rotated"
	return res
}

// credentialKey finds the key a credential names, to read its age.
func credentialKey(ctx context.Context, f *Factory, c *inventory.Credential) (*provider.KeyInfo, error) {
	s, p, err := f.Providers().Keys.Get(c.Provider)
	if err != nil {
		return nil, err
	}
	if !s.IsConfigured(f.providers.getenv) {
		return nil, errors.New(s.NotConfigured)
	}
	var k *provider.KeyInfo
	if c.KeyID != "" {
		k, err = p.FindByID(ctx, c.Scope, c.KeyID)
	} else {
		k, err = p.FindByName(ctx, c.Scope, c.KeyName)
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("looking up its key: %v", err)
	case k == nil:
		return nil, fmt.Errorf("%s no longer lists its key (respond audit reports it): correct key_id/key_name", s.Title)
	case k.Created.IsZero():
		return nil, fmt.Errorf("%s does not say when key %s was created", s.Title, k.ID)
	}
	return k, nil
}

func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
	return d.String()
}

func firstLineOf(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
