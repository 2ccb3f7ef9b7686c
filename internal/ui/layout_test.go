package ui

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// plan is a plan-like list: a long single target, a fan-out to ten
// repositories, a destructive item and a target with no name.
func plan() []Group {
	deploy := Group{Heading: []string{"2", "deploy", "update", "12 items, pending"}}
	for _, repo := range []string{"api", "web", "worker", "billing", "ingest", "notifier", "search", "admin-console", "mobile-backend", "analytics"} {
		deploy.Items = append(deploy.Items, Item{
			Target: "github-actions:acme/" + repo + ":OPENAI_API_KEY",
			Detail: "replace the value of Actions secret OPENAI_API_KEY in acme/" + repo,
		})
	}
	deploy.Items = append(deploy.Items,
		Item{Target: "github-actions:acme/api@production:OPENAI_API_KEY", Detail: "replace the value of Actions secret OPENAI_API_KEY in acme/api environment production"},
		Item{Mark: "!", Target: "github-actions:org/acme:OPENAI_API_KEY", Detail: "acme/worker loses access to organization secret OPENAI_API_KEY"},
	)
	return []Group{
		{Heading: []string{"1", "identify", "read", "done"}, Items: []Item{{Target: "-", Detail: `done while planning: key_HFUOEgh8jFievlAH "prod-backend" in Production (proj_pzDfHDetccqcSoxUF86uKEy1), owned by user sofia@acme.example, created 2026-04-02T20:51:50Z, last used 2026-11-29T11:45:15Z; leaked per alert acme/api#1 at .env.production:8 in http://127.0.0.1:35819/api/v3/repos/acme/api/git/commits/217c974f38ebb234b4750e230cd6ca1b63b72bfd`}}},
		deploy,
		{Heading: []string{"3", "close-alert", "update", "pending"}, Items: []Item{{Target: "alert acme/api#1", Detail: `resolve as revoked with comment "Revoked and replaced by respond, incident INC-20261129-124526-b0a9."`}}},
	}
}

func render(t *testing.T, width int, gs []Group) string {
	t.Helper()
	var b strings.Builder
	if err := Groups(&b, width, gs); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// words returns the text's words in order, whatever the wrapping.
func words(s string) []string { return strings.Fields(s) }

func TestGroupsFitWidthAndKeepTargetsWhole(t *testing.T) {
	for _, width := range []int{80, 120, 0} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			out := render(t, width, plan())
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			for _, l := range lines {
				if width > 0 && StringWidth(l) > width {
					t.Errorf("line wider than %d (%d): %q", width, StringWidth(l), l)
				}
				if strings.Contains(l, "…") {
					t.Errorf("cut line: %q", l)
				}
			}
			// Every target is whole on one line, first on it (after the
			// gutter); nothing of any detail is lost.
			for _, g := range plan() {
				for _, it := range g.Items {
					if it.Target == "-" {
						continue
					}
					re := regexp.MustCompile(`(?m)^  [ !] ` + regexp.QuoteMeta(it.Target) + `( |$)`)
					if !re.MatchString(out) {
						t.Errorf("target %q is not whole at the start of a line:\n%s", it.Target, out)
					}
				}
			}
			// (A word wider than the line, such as a URL, is broken.)
			if got, want := strings.Join(words(out), ""), strings.Join(allWords(plan()), ""); got != want {
				t.Errorf("the text changed:\n got %s\nwant %s", got, want)
			}
			// The fan-out's step is named once.
			if n := strings.Count(out, "deploy"); n != 1 {
				t.Errorf("deploy appears %d times, want once (its heading):\n%s", n, out)
			}
			if width == 0 {
				// Piped: one line per heading and item.
				if want := 1 + 3 + 12 + 1; len(lines) != want {
					t.Errorf("%d lines, want %d (nothing wrapped):\n%s", len(lines), want, out)
				}
			}
		})
	}
}

func allWords(gs []Group) []string {
	var w []string
	for _, g := range gs {
		for _, h := range g.Heading {
			w = append(w, words(h)...)
		}
		for _, it := range g.Items {
			w = append(w, words(it.Mark)...)
			if it.Target != "-" {
				w = append(w, words(it.Target)...)
			}
			w = append(w, words(it.Detail)...)
		}
	}
	return w
}

// The exact layout at 80 columns: headings aligned, details under their
// targets when they would not fit beside them, side by side when they
// all do.
func TestGroupsLayout80(t *testing.T) {
	gs := []Group{
		{Heading: []string{"1", "contain", "delete", "pending"}, Items: []Item{{Target: "OpenAI key key_HFUOEgh8jFievlAH (prod-backend)", Detail: "revoke: delete the project API key"}}},
		{Heading: []string{"2", "deploy", "update", "2 items, pending"}, Items: []Item{
			{Target: "github-actions:acme/api@production:OPENAI_API_KEY", Detail: "replace the value of Actions secret OPENAI_API_KEY in acme/api environment production"},
			{Mark: "!", Target: "github-actions:org/acme:OPENAI_API_KEY", Detail: "acme/worker loses access"},
		}},
		{Heading: []string{"3", "verify-replacement", "read", "pending"}, Items: []Item{
			{Mark: "✓", Target: "github-actions:acme/api:OPENAI_API_KEY", Detail: "updated"},
			{Mark: "✗", Target: "github-dependabot:acme/api:OPENAI_API_KEY", Detail: "failed: 502"},
		}},
	}
	want := `1  contain             delete  pending
    OpenAI key key_HFUOEgh8jFievlAH (prod-backend)
      revoke: delete the project API key
2  deploy              update  2 items, pending
    github-actions:acme/api@production:OPENAI_API_KEY
      replace the value of Actions secret OPENAI_API_KEY in acme/api environment
      production
  ! github-actions:org/acme:OPENAI_API_KEY
      acme/worker loses access
3  verify-replacement  read    pending
  ✓ github-actions:acme/api:OPENAI_API_KEY     updated
  ✗ github-dependabot:acme/api:OPENAI_API_KEY  failed: 502
`
	if got := render(t, 80, gs); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// A target longer than the line wraps at its spaces, or is broken when it
// has none; a heading too wide for its columns wraps as text.
func TestGroupsNarrow(t *testing.T) {
	long := "github-actions:a-very-long-organization-name/an-even-longer-repository-name@production-eu-west:OPENAI_API_KEY"
	gs := []Group{{Heading: []string{"10", "a-step-with-a-very-long-identifier", "update", "pending"}, Items: []Item{{Target: long, Detail: "replace it"}}}}
	out := render(t, 40, gs)
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if StringWidth(l) > 40 {
			t.Errorf("line wider than 40: %q", l)
		}
	}
	if got := strings.Join(strings.Fields(strings.ReplaceAll(out, "\n    ", "")), " "); !strings.Contains(got, long) {
		t.Errorf("the target's pieces do not join up to it:\n%s", out)
	}
}

func TestGroupsStyles(t *testing.T) {
	red := func(s string) string { return "<r>" + s + "</r>" }
	bold := func(s string) string { return "<b>" + s + "</b>" }
	gs := []Group{{Heading: []string{"1", "deploy", "pending"}, Style: bold, Items: []Item{
		{Mark: "!", MarkStyle: red, Style: red, Target: "t1", Detail: "loses access"},
		{Target: "t2", Detail: "update"},
	}}}
	want := "<b>1  deploy  pending</b>\n  <r>!</r> <r>t1  loses access</r>\n    t2  update\n"
	if got := render(t, 80, gs); got != want {
		t.Errorf("got:\n%q\nwant:\n%q", got, want)
	}
}

// Text from APIs cannot reach the terminal as control sequences.
func TestGroupsCleanControlCharacters(t *testing.T) {
	gs := []Group{{Heading: []string{"1", "deploy\x1b[2J"}, Items: []Item{{Target: "acme/\x1b]0;pwned\x07api", Detail: "line\r\nbreak \u202eevil"}}}}
	out := render(t, 0, gs)
	if strings.ContainsAny(out, "\x1b\x07\r\u202e") {
		t.Errorf("control characters reached the output: %q", out)
	}
}

func FuzzWrap(f *testing.F) {
	f.Add("replace the value of Actions secret OPENAI_API_KEY in acme/api", 20, 10)
	f.Add("a verylongwordthatneedsbreaking b", 5, 3)
	f.Add("日本語のテキスト と 絵文字 🎉🎉", 4, 3)
	f.Fuzz(func(t *testing.T, s string, first, rest int) {
		first, rest = first%200, rest%200
		lines := wrapFirst(s, first, rest)
		if rest <= 0 {
			if len(lines) > 1 {
				t.Fatalf("wrapped with no limit: %q", lines)
			}
			return
		}
		for i, l := range lines {
			limit := rest
			if i == 0 && first > 0 {
				limit = first
			}
			// A single rune wider than the line is the only excuse.
			if w := StringWidth(l); w > limit && len([]rune(l)) > 1 {
				t.Fatalf("line %d %q is %d wide, limit %d", i, l, w, limit)
			}
		}
		if got, want := strings.Join(lines, ""), strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), ""); strings.ReplaceAll(got, " ", "") != want {
			t.Fatalf("text changed: %q -> %q", s, lines)
		}
	})
}
