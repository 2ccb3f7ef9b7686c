package drill

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden files")

// TestGolden renders the diagnostics of each testdata/*.yaml scenario
// and compares them with the .golden file beside it (go test -update
// rewrites them): every problem at its file:line:col, all at once.
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
			sc, d := Parse(name, src)
			if sc != nil {
				t.Errorf("a scenario with errors must not be returned")
			}
			var got bytes.Buffer
			d.Render(&got, map[string][]byte{name: src}, false)
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
			if n := strings.Count(got.String(), ": error: "); n < 20 {
				t.Errorf("only %d errors; the golden scenario shows at least 20 kinds of problem", n)
			}
			for _, line := range strings.Split(got.String(), "\n") {
				if strings.Contains(line, ": error: ") && !strings.HasPrefix(line, name+":") {
					t.Errorf("a diagnostic without its position: %s", line)
				}
			}
		})
	}
}
