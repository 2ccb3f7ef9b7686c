package dotenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/joho/godotenv"

	"github.com/respondhq/respond/internal/target"
	"github.com/respondhq/respond/internal/target/conformance"
)

// TestConformance runs the target conformance suite against this
// machine's file system: the world is the files under a temporary
// directory, read with godotenv (not with the writer's own parser). Every
// place is a variable of places/.env, which starts with a comment and a
// variable that every write must keep.
func TestConformance(t *testing.T) {
	root := t.TempDir()
	inv := filepath.Join(root, "places") // the inventory's directory
	if err := os.Mkdir(inv, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(inv, ".env"), []byte("# kept as it is\nKEEP=kept\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	spec, _ := target.Lookup(Type)
	conformance.Run(t, conformance.Harness{
		Spec:   spec,
		Writer: spec.New(nil),
		Place: func(t testing.TB, name string) target.Target {
			return target.Resolve(target.New(Type, map[string]any{"path": ".env", "var": name}), inv)
		},
		Holds: func(t testing.TB, tg target.Target) (string, bool) {
			vars, err := godotenv.Read(filepath.Clean(tg.Str("path")))
			if err != nil {
				return "", false
			}
			v, ok := vars[tg.Str("var")]
			return v, ok
		},
		World: func(t testing.TB) map[string]string { return envWorld(t, root) },
		Denied: func(t testing.TB, name string) target.Target {
			return target.Resolve(target.New(Type, map[string]any{"path": "missing/.env", "var": name}), inv)
		},
	})
}

// envWorld lists every variable of every file under root ("FILE VAR"),
// and each file's comments ("FILE #"), as godotenv reads them.
func envWorld(t testing.TB, root string) map[string]string {
	t.Helper()
	w := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		vars, err := godotenv.UnmarshalBytes(b)
		if err != nil {
			w[rel] = "unreadable: " + err.Error()
			return nil
		}
		for k, v := range vars {
			w[rel+" "+k] = v
		}
		var comments []string
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				comments = append(comments, line)
			}
		}
		if len(comments) > 0 {
			w[rel+" #"] = strings.Join(comments, "\n")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("list the files under %s: %v", root, err)
	}
	return w
}
