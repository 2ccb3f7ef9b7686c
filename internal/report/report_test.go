package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/respondhq/respond/internal/journal"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixtureID is the incident ID of the hand-written journals.
const fixtureID = "INC-20261127-161200-ab12"

// fixtures are hand-written journals (testdata/*.jsonl) of the built-in
// leaked-key playbook with fixed timestamps.
var fixtures = []string{"success", "failed-targets", "interrupted", "provider-disabled"}

func loadFixture(t *testing.T, name string) ([]journal.Record, *Report) {
	t.Helper()
	recs, err := journal.ReadFile(filepath.Join("testdata", name+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	pb, err := os.ReadFile(filepath.Join("testdata", "leaked-key.playbook.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := FromJournal(fixtureID, recs, pb)
	if err != nil {
		t.Fatal(err)
	}
	return recs, r
}

func render(t *testing.T, r *Report, f Format) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, r, f, ""); err != nil {
		t.Fatalf("render %s: %v", f, err)
	}
	return b.Bytes()
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./internal/report -update` to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output; run `go test ./internal/report -update` and review the diff.\n--- got ---\n%s", path, got)
	}
}

func TestGolden(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			_, r := loadFixture(t, name)
			golden(t, filepath.Join("testdata", name+".md.golden"), render(t, r, Markdown))
			golden(t, filepath.Join("testdata", name+".json.golden"), render(t, r, JSON))
		})
	}
}
