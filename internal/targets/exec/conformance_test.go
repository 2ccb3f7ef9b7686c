package exec

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/childproc/childtest"
	"github.com/respondhq/respond/internal/target"
	"github.com/respondhq/respond/internal/target/conformance"
)

// TestConformance runs the target conformance suite with the test binary
// as the command (childtest's recorder): a place is the file its first
// argument names, and what it holds is what the child read on its
// standard input, as the child recorded it, not as the writer reports.
// A command cannot tell a first write from a replacement (BlindWrite).
func TestConformance(t *testing.T) {
	t.Setenv(childtest.DumpVar, "dump")
	root := t.TempDir()
	places := filepath.Join(root, "places")
	if err := os.Mkdir(places, 0o700); err != nil {
		t.Fatal(err)
	}
	bin := childtest.Binary(t)
	spec, _ := target.Lookup(Type)
	conformance.Run(t, conformance.Harness{
		Spec:   spec,
		Writer: spec.New(nil),
		Place: func(t testing.TB, name string) target.Target {
			return target.New(Type, map[string]any{"command": []string{bin, filepath.Join(places, name+".json")}})
		},
		Holds: func(t testing.TB, tg target.Target) (string, bool) {
			cmd := tg.List("command")
			d, ok := dumpOf(filepath.Clean(cmd[len(cmd)-1]))
			if ok && d.Stdin != "" {
				// The value went to stdin only: never argv or the environment.
				for _, where := range [][]string{d.Args, d.Env, {d.ProcCmd, d.ProcEnv}} {
					for _, s := range where {
						if strings.Contains(s, d.Stdin) {
							t.Errorf("the child's argv or environment holds the value it read on stdin")
						}
					}
				}
			}
			return d.Stdin, ok
		},
		World: func(t testing.TB) map[string]string {
			w := map[string]string{}
			err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					rel, _ := filepath.Rel(root, p)
					d, _ := dumpOf(p)
					w[rel] = d.Stdin
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return w
		},
		Denied: func(t testing.TB, name string) target.Target {
			return target.New(Type, map[string]any{"command": []string{filepath.Join(root, "no-such-program"), filepath.Join(places, name+".json")}})
		},
		BlindWrite: true,
	})
}

// dumpOf is what the recorder at path recorded (its standard input,
// argv and environment).
func dumpOf(path string) (childtest.Dump, bool) {
	var d childtest.Dump
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &d) != nil {
		return childtest.Dump{}, false
	}
	return d, true
}
