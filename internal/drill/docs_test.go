package drill

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The scenario in docs/drills.md parses, and the docs list every
// built-in scenario and every inject kind.
func TestDocs(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "drills.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- example: scenario -->\n```yaml\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/drills.md lacks the example scenario")
	}
	sc, d := Parse("docs/drills.md", m[1])
	if d.HasErrors() || len(d) > 0 {
		t.Fatalf("the example scenario in docs/drills.md: %v", d)
	}
	if len(sc.Injects) != 2 || len(sc.Ideal) != 3 || len(sc.World.Unlisted) != 1 {
		t.Errorf("the example scenario lost parts: %+v", sc)
	}
	for _, n := range Names() {
		if !strings.Contains(string(doc), "| `"+n+"` |") {
			t.Errorf("docs/drills.md does not list scenario %s", n)
		}
	}
	for _, k := range InjectKinds {
		if !strings.Contains(string(doc), "| `"+k.Kind+"` |") {
			t.Errorf("docs/drills.md does not list inject kind %s", k.Kind)
		}
	}
}

// The weights table in docs/drills.md is the rubrics': the default one,
// and every built-in scenario that changes it.
func TestDocsWeights(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "drills.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	i := strings.Index(text, "| measure | default |")
	if i < 0 {
		t.Fatal("docs/drills.md has no weights table")
	}
	lines := strings.Split(text[i:], "\n")
	cols := strings.Split(strings.Trim(lines[0], "| "), " | ")[1:]
	labels := map[string]string{"time to contain": MeasureContain, "attacker spend": MeasureAttackerCost, "downtime": MeasureDowntime,
		"targets left stale": MeasureStale, "orphaned keys": MeasureOrphans, "alert resolved with a comment": MeasureAlert, "report written": MeasureReport}
	rubrics := map[string]Rubric{"default": DefaultRubric()}
	all, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range all {
		rubrics["`"+sc.Name+"`"] = sc.Rubric
		changed := false
		for _, m := range Measures {
			changed = changed || sc.Rubric[m].Weight != DefaultRubric()[m].Weight
		}
		if changed && !slices.Contains(cols, "`"+sc.Name+"`") {
			t.Errorf("the weights table has no column for %s, which changes the weights", sc.Name)
		}
	}
	rows := 0
	for _, l := range lines[2:] {
		if !strings.HasPrefix(l, "| ") {
			break
		}
		cells := strings.Split(strings.Trim(l, "| "), " | ")
		m, ok := labels[cells[0]]
		if !ok || len(cells) != len(cols)+1 {
			t.Fatalf("weights table row %q", l)
		}
		rows++
		for j, c := range cols {
			if want := fmt.Sprint(rubrics[c][m].Weight); cells[j+1] != want {
				t.Errorf("docs: %s weighs %s in %s, the rubric %s", cells[0], cells[j+1], c, want)
			}
		}
	}
	if rows != len(Measures) {
		t.Errorf("the weights table has %d rows, want %d", rows, len(Measures))
	}
}
