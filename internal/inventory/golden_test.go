package inventory

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/provider"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden files")

// TestGolden renders the diagnostics of each testdata/*.yaml inventory and
// compares them with the .golden file beside it (go test -update rewrites
// them).
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Base(file)
			inv, d := Parse(name, src)
			if inv != nil {
				t.Errorf("an inventory with errors must not be returned")
			}
			var out bytes.Buffer
			d.Render(&out, map[string][]byte{name: src}, false)
			// The registered providers, as hints list them, read $PROVIDERS
			// in the golden file: a new plug-in needs no edit here.
			got := bytes.NewBufferString(strings.ReplaceAll(out.String(), strings.Join(provider.Names(), ", "), "$PROVIDERS"))
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("diagnostics differ from %s (go test -update rewrites it)\n--- got ---\n%s\n--- want ---\n%s", golden, got.String(), want)
			}
			if n := strings.Count(got.String(), ": error: "); n < 10 {
				t.Errorf("only %d errors; the golden inventory must show at least 10 kinds of problem", n)
			}
		})
	}
}
