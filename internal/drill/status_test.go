package drill

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/secret"
	"github.com/respondhq/respond/internal/sim"
)

// nobody is a responder that does nothing: the tests below act on the
// world themselves.
func nobody(context.Context, Run) (string, error) { return "", nil }

func liveDrill(t *testing.T, name string) *Drill {
	t.Helper()
	sc, src, _, err := Load(name)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Start(t.Context(), Config{Scenario: sc, Source: src, Dir: filepath.Join(t.TempDir(), "d"), Mode: Live, Facilitator: "fay", Responder: nobody})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// Status and score judge the targets alike: a forgotten target the team
// fixed before its service went down shows in the live view as soon as
// its key changed (it did not before: that would give the twist away),
// counted as the score counts it; once the drill has ended the live view
// counts every target, as the score does.
func TestStatusAndScoreAgree(t *testing.T) {
	d := liveDrill(t, "forgotten-repo")
	st := d.Status()
	if st.Targets != 6 || st.TargetsReplaced != 0 {
		t.Fatalf("at the start: %d of %d targets", st.TargetsReplaced, st.Targets)
	}
	for _, c := range st.Consumers {
		if strings.Contains(c.Name, "billing-legacy") {
			t.Fatalf("the live view shows the forgotten target before anything happened to it: %+v", st.Consumers)
		}
	}
	// The team finds acme/billing-legacy and gives it a new key first.
	s := d.Sim()
	info := d.Info()
	_, key, err := s.OpenAI().AddServiceAccount(info.ProjectID, "early-fix", s.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.GitHub().SetRepoSecret("acme", "billing-legacy", info.SecretName, key.Value.Reveal(), s.Now()); err != nil {
		t.Fatal(err)
	}
	st = d.Status()
	if st.Targets != 7 || st.TargetsReplaced != 1 || st.Replacement != key.ID {
		t.Errorf("after fixing the forgotten target: %d of %d hold %s", st.TargetsReplaced, st.Targets, st.Replacement)
	}
	res, err := d.End("fay")
	if err != nil {
		t.Fatal(err)
	}
	st = d.Status()
	f := res.Score.Facts
	if st.Targets != len(f.Consumers) || st.TargetsReplaced != len(f.Consumers)-len(f.StaleTargets) || st.Replacement != f.Replacement {
		t.Errorf("status %d of %d on %s, score %d stale of %d on %s", st.TargetsReplaced, st.Targets, st.Replacement, len(f.StaleTargets), len(f.Consumers), f.Replacement)
	}
}

// While a live drill runs, nothing a trainee can read in its directory
// holds the answer; the facilitator's token is private; when it ends,
// the scenario and the full inventory are there, and the token is gone.
func TestAnswerWrittenAtTheEnd(t *testing.T) {
	d := liveDrill(t, "forgotten-repo")
	dir := d.Dir()
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		if filepath.Base(filepath.Dir(p)) == FacilitatorDir {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), "billing-legacy") {
			t.Errorf("%s gives the twist away while the drill runs", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for p, mode := range map[string]os.FileMode{filepath.Join(dir, FacilitatorDir): 0o700, filepath.Join(dir, FacilitatorDir, TokenFile): 0o600} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v, want mode %o", p, err, mode)
		}
	}
	if _, err := d.End("fay"); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{ScenarioFile, FullInventory} {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err != nil || !strings.Contains(string(b), "billing-legacy") {
			t.Errorf("%s after the end: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, FacilitatorDir, TokenFile)); !os.IsNotExist(err) {
		t.Errorf("the control token outlives the drill: %v", err)
	}
}

// The drill's own routes: the live view is every trainee's, joining is
// open, the rest is the facilitator's; an inject is attributed to whoever
// the guard says sent it, not to what the body claims.
func TestDrillRoutesAndAttribution(t *testing.T) {
	d := liveDrill(t, "leaked-key")
	tok, err := ReadControlToken(d.Dir())
	if err != nil {
		t.Fatal(err)
	}
	rec := d.Record()
	fac := &Client{URL: rec.URL, HTTP: http.DefaultClient, Credential: tok}
	anon := &Client{URL: rec.URL, HTTP: http.DefaultClient}
	j, err := anon.Join(t.Context(), "tess")
	if err != nil {
		t.Fatalf("joining needs no credential: %v", err)
	}
	if len(j.Briefing.Roles) != 3 || len(j.Briefing.Halt) == 0 || j.Briefing.TimeLimit != "30m" {
		t.Errorf("the trainee's briefing: %+v", j.Briefing)
	}
	var tessToken string
	for _, e := range j.Exports {
		if e.Name == "GITHUB_TOKEN" {
			tessToken = e.Value
		}
	}
	tess := &Client{URL: rec.URL, HTTP: http.DefaultClient}
	tess.Credential = secretOf(tessToken)
	if _, err := anon.Status(t.Context()); err == nil {
		t.Error("the live view answered a request with no credential")
	}
	if _, err := tess.Status(t.Context()); err != nil {
		t.Errorf("a trainee's live view: %v", err)
	}
	if _, err := tess.Inject(t.Context(), "recover", "fay"); err == nil || !strings.Contains(err.Error(), "facilitator only") {
		t.Errorf("a trainee fired an inject: %v", err)
	}
	if _, err := tess.Plan(t.Context()); err == nil {
		t.Error("a trainee read the facilitator's notes")
	}
	p, err := fac.Plan(t.Context())
	if err != nil || !strings.Contains(p.Notes, "No twist") {
		t.Errorf("the facilitator's plan: %+v %v", p, err)
	}
	f, err := fac.Inject(t.Context(), "recover", "")
	if err != nil || f.By != "fay" {
		t.Errorf("the facilitator's inject: %+v %v", f, err)
	}
	if f, err := fac.Inject(t.Context(), "recover", "carol"); err != nil || f.By != "carol" {
		t.Errorf("a co-facilitator's inject: %+v %v", f, err)
	}
	refused := 0
	for _, r := range d.Sim().Requests(0) {
		if r.API == sim.APIControl && r.Refused {
			refused++
			if r.Actor != "tess" && r.Actor != "anonymous" {
				t.Errorf("a refusal attributed to %q", r.Actor)
			}
		}
	}
	if refused != 3 {
		t.Errorf("%d refusals logged, want 3 (the anonymous live view, tess's inject and her look at the plan)", refused)
	}
	if _, err := fac.End(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	if r := d.Record(); r.Ended == nil || r.Facilitator != "fay" {
		t.Errorf("record after the end: %+v", r)
	}
}

func secretOf(v string) secret.Value { return secret.New(v) }
