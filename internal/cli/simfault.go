package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/respondhq/respond/internal/drill"
	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim"
	"github.com/respondhq/respond/internal/ui"
)

type faultOptions struct {
	URL        string
	Method     string
	Path       string
	Status     int
	RateLimit  string
	Count      int
	Delay      time.Duration
	RetryAfter time.Duration
}

func newSimFaultCmd(f *Factory) *cobra.Command {
	o := &faultOptions{}
	cmd := &cobra.Command{
		Use:   "fault add|list|clear",
		Short: "Make a running simulator's requests fail, slow down or hit a rate limit (its fault API)",
		Long: `Drive the fault API (/_sim/faults) of a running simulator from the command
line. The simulator is found from --url, else from GITHUB_API_URL or
OPENAI_BASE_URL (the exports sim serve and drills print).

  add     matching requests (--method, --path glob) answer --status, hit a
          --rate-limit (secondary, primary or 429) or wait --delay, --count
          times (0: until cleared)
  list    the faults and how often each fired
  clear   remove every fault (or one: clear ID)`,
		Example: `  respond sim fault add --method PUT --path '/repos/*/*/actions/secrets/*' --rate-limit secondary --count 3
  respond sim fault add --path '/v1/**' --status 503 --count 5
  respond sim fault list
  respond sim fault clear`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			base, err := simURL(f, o.URL)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			cred := simCredential(f, base)
			switch args[0] {
			case "add":
				if len(args) != 1 {
					return &UsageError{errors.New("fault add takes flags, not arguments")}
				}
				fl := sim.Fault{Method: o.Method, Path: o.Path, Status: o.Status, RateLimit: o.RateLimit, Count: o.Count,
					Delay: sim.Duration(o.Delay), RetryAfter: sim.Duration(o.RetryAfter)}
				var added sim.Fault
				if err := simControl(ctx, http.MethodPost, base+"/_sim/faults", cred, fl, &added); err != nil {
					return err
				}
				if f.JSON() {
					return writeJSON(f, added)
				}
				fmt.Fprintf(f.IO.Out, "Fault %d added: %s\n", added.ID, describeFault(added))
			case "list":
				var list struct {
					Faults []sim.Fault `json:"faults"`
				}
				if err := simControl(ctx, http.MethodGet, base+"/_sim/faults", cred, nil, &list); err != nil {
					return err
				}
				if f.JSON() {
					return writeJSON(f, list.Faults)
				}
				rows := [][]string{}
				for _, x := range list.Faults {
					rows = append(rows, []string{strconv.Itoa(x.ID), describeFault(x), strconv.Itoa(x.Fired)})
				}
				return ui.FitTable(f.IO.Out, f.tableWidth(), []string{"ID", "FAULT", "FIRED"}, rows)
			case "clear":
				url := base + "/_sim/faults"
				if len(args) == 2 {
					url += "/" + args[1]
				}
				if err := simControl(ctx, http.MethodDelete, url, cred, nil, nil); err != nil {
					return err
				}
				if !f.JSON() {
					fmt.Fprintln(f.IO.Out, "Faults cleared.")
				}
			default:
				return &UsageError{fmt.Errorf("unknown fault command %q: use add, list or clear", args[0])}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.URL, "url", "", "the simulator's URL (default: from GITHUB_API_URL or OPENAI_BASE_URL)")
	fl.StringVar(&o.Method, "method", "", "add: the request method to match (default any)")
	fl.StringVar(&o.Path, "path", "", "add: a glob over the request path: * one segment, ** any number")
	fl.IntVar(&o.Status, "status", 0, "add: the status to answer (e.g. 502)")
	fl.StringVar(&o.RateLimit, "rate-limit", "", "add: secondary, primary or 429 instead of a status")
	fl.IntVar(&o.Count, "count", 1, "add: how many matching requests it affects (0: until cleared)")
	fl.DurationVar(&o.Delay, "delay", 0, "add: wait this long before answering")
	fl.DurationVar(&o.RetryAfter, "retry-after", 0, "add: the retry-after of a rate limit (default 1s)")
	return cmd
}

func describeFault(x sim.Fault) string {
	m := x.Method
	if m == "" {
		m = "any"
	}
	what := fmt.Sprintf("status %d", x.Status)
	switch {
	case x.RateLimit != "":
		what = x.RateLimit + " rate limit"
	case x.Status == 0:
		what = "delay " + time.Duration(x.Delay).String()
	}
	n := "until cleared"
	if x.Count > 0 {
		n = fmt.Sprintf("%d time(s)", x.Count)
	}
	return fmt.Sprintf("%s %s → %s, %s", m, x.Path, what, n)
}

// simURL finds a running simulator's base URL.
func simURL(f *Factory, explicit string) (string, error) {
	if explicit != "" {
		return strings.TrimSuffix(explicit, "/"), nil
	}
	if u := f.providers.getenv("GITHUB_API_URL"); u != "" {
		return strings.TrimSuffix(strings.TrimSuffix(u, "/"), "/api/v3"), nil
	}
	if u := f.providers.getenv("OPENAI_BASE_URL"); u != "" {
		return strings.TrimSuffix(strings.TrimSuffix(u, "/"), "/v1"), nil
	}
	return "", &UsageError{errors.New("which simulator? give --url http://127.0.0.1:PORT, or export GITHUB_API_URL as respond sim serve prints it")}
}

// simCredential is what this shell drives a simulator's control API
// with: when the simulator at base is a drill's (this shell's
// RESPOND_DRILL, or the drill started last), what drillClient speaks with
// (the facilitator's control token, or a trainee's own token, which the
// drill refuses); otherwise nothing, as respond sim serve asks for none.
func simCredential(f *Factory, base string) secret.Value {
	var dirs []string
	if d := f.providers.getenv(drill.EnvDrill); d != "" {
		dirs = append(dirs, d)
	}
	if b, err := os.ReadFile(currentFile(f)); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(b)))
	}
	for _, dir := range dirs {
		rec, err := drill.ReadRecord(dir)
		if err != nil || strings.TrimSuffix(rec.URL, "/") != base {
			continue
		}
		c, _ := drillClient(f, rec)
		return c.Credential
	}
	return secret.Value{}
}

// simControl calls the simulator's control API, with cred when it has
// one (a drill's).
func simControl(ctx context.Context, method, url string, cred secret.Value, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return &UsageError{fmt.Errorf("simulator URL %s: %w", url, err)}
	}
	req.Header.Set("Content-Type", "application/json")
	if !cred.IsZero() {
		req.Header.Set("Authorization", "Bearer "+cred.Reveal())
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("the simulator at %s does not answer: %w (is respond sim serve running?)", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if resp.StatusCode >= 300 {
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(b, &e) == nil && e.Message != "" {
			if resp.StatusCode == http.StatusBadRequest {
				return &UsageError{errors.New(e.Message)}
			}
			return errors.New(e.Message)
		}
		return fmt.Errorf("the simulator answered %s", resp.Status)
	}
	if out != nil && len(b) > 0 {
		return json.Unmarshal(b, out)
	}
	return nil
}
