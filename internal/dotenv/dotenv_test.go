package dotenv

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/respondhq/respond/internal/secret"
)

const key = "sk-proj-NEWVALUE_0123456789abcdefXYZ"

func TestUpdate(t *testing.T) {
	for _, tc := range []struct {
		name, src, value, want string
		lines                  []int
	}{
		{"unquoted", "A=1\nOPENAI_API_KEY=old\nB=2\n", key, "A=1\nOPENAI_API_KEY=" + key + "\nB=2\n", []int{2}},
		{"export kept", "export OPENAI_API_KEY=old # prod\n", key, "export OPENAI_API_KEY=" + key + " # prod\n", []int{1}},
		{"blanks around =", "  OPENAI_API_KEY =  old\n", key, "  OPENAI_API_KEY =  " + key + "\n", []int{1}},
		{"single quotes kept", "OPENAI_API_KEY='old'\n", key, "OPENAI_API_KEY='" + key + "'\n", []int{1}},
		{"double quotes kept", "OPENAI_API_KEY=\"old\"  # c\n", key, "OPENAI_API_KEY=\"" + key + "\"  # c\n", []int{1}},
		{"unquoted needs quotes", "OPENAI_API_KEY=old\n", "a b#c$d", "OPENAI_API_KEY='a b#c$d'\n", []int{1}},
		{"single needs double", "OPENAI_API_KEY='old'\n", `it's "x" $y \z`, `OPENAI_API_KEY="it's \"x\" \$y \\z"` + "\n", []int{1}},
		{"newline escaped", "OPENAI_API_KEY=old\n", "a\nb", `OPENAI_API_KEY="a\nb"` + "\n", []int{1}},
		{"multi-line value replaced", "A=1\nOPENAI_API_KEY=\"line1\nline2\"\nB=2\n", key, "A=1\nOPENAI_API_KEY=\"" + key + "\"\nB=2\n", []int{2}},
		{"comments, blanks and order kept", "# head\n\nA=1 # one\n\n# OPENAI_API_KEY=commented\nOPENAI_API_KEY=old\n\n# tail\n", key,
			"# head\n\nA=1 # one\n\n# OPENAI_API_KEY=commented\nOPENAI_API_KEY=" + key + "\n\n# tail\n", []int{6}},
		{"CRLF kept", "A=1\r\nOPENAI_API_KEY=old\r\nB=2\r\n", key, "A=1\r\nOPENAI_API_KEY=" + key + "\r\nB=2\r\n", []int{2}},
		{"duplicates all replaced", "OPENAI_API_KEY=old1\nA=1\nexport OPENAI_API_KEY='old2'\n", key, "OPENAI_API_KEY=" + key + "\nA=1\nexport OPENAI_API_KEY='" + key + "'\n", []int{1, 3}},
		{"empty value", "OPENAI_API_KEY=\nA=1\n", key, "OPENAI_API_KEY=" + key + "\nA=1\n", []int{1}},
		{"appended", "A=1\n", key, "A=1\nOPENAI_API_KEY=" + key + "\n", nil},
		{"appended after missing newline", "A=1", key, "A=1\nOPENAI_API_KEY=" + key + "\n", nil},
		{"appended CRLF", "A=1\r\nB=2", key, "A=1\r\nB=2\r\nOPENAI_API_KEY=" + key + "\r\n", nil},
		{"appended to empty", "", key, "OPENAI_API_KEY=" + key + "\n", nil},
		{"prefix name not matched", "OPENAI_API_KEY_2=x\nXOPENAI_API_KEY=y\n", key, "OPENAI_API_KEY_2=x\nXOPENAI_API_KEY=y\nOPENAI_API_KEY=" + key + "\n", nil},
		{"garbage lines kept", "not an assignment\n=x\n  \t\nOPENAI_API_KEY=old\n", key, "not an assignment\n=x\n  \t\nOPENAI_API_KEY=" + key + "\n", []int{4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, lines, err := update(tc.src, "OPENAI_API_KEY", tc.value)
			if err != nil {
				t.Fatalf("update: %v", err)
			}
			if got != tc.want {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
			if !equalInts(lines, tc.lines) {
				t.Errorf("replaced lines %v, want %v", lines, tc.lines)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestUpdateRefusesAmbiguousQuotes(t *testing.T) {
	// A's opening quote is never closed, so it is read to the end of its
	// line; appending a double-quoted value would close it and swallow the
	// lines in between.
	src := "A=\"open\nB=2\n"
	if _, _, err := update(src, "C", "x y\"z"); err == nil {
		t.Fatal("update of a file with an unterminated quote succeeded; it would change A and B")
	}
}

func TestParseValues(t *testing.T) {
	src := "A=plain # c\nexport B='lit $x \\n'\nC=\"esc \\\" \\n \\$ \\q\"\nD=a#b\n E = spaced \nF=\"multi\nline\"\nG=after\n"
	want := map[string]string{"A": "plain", "B": `lit $x \n`, "C": "esc \" \n $ \\q", "D": "a#b", "E": "spaced", "F": "multi\nline", "G": "after"}
	got := lastValues(parse(src))
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("parsed %v, want %v", got, want)
	}
	lines := map[string]int{}
	for _, a := range parse(src) {
		lines[a.name] = a.line
	}
	if lines["F"] != 6 || lines["G"] != 8 {
		t.Errorf("lines %v: F must be on line 6 and G on 8", lines)
	}
}

func writeFile(t *testing.T, path, content string, mode fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func TestSetKeepsModeAndLeavesNoTempFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".env")
	writeFile(t, path, "# config\nA=1\nOPENAI_API_KEY=old\n", 0o640)
	created, err := Set(path, "OPENAI_API_KEY", secret.New(key))
	if err != nil {
		t.Fatalf("Set: %v", err)
	}
	if created {
		t.Error("created = true for a replaced variable")
	}
	b, _ := os.ReadFile(path)
	if string(b) != "# config\nA=1\nOPENAI_API_KEY="+key+"\n" {
		t.Errorf("file is %q", b)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only .env (no temporary files left)", len(ents))
	}
	// Setting the same value again leaves the same bytes (idempotent).
	if _, err := Set(path, "OPENAI_API_KEY", secret.New(key)); err != nil {
		t.Fatal(err)
	}
	b2, _ := os.ReadFile(path)
	if string(b2) != string(b) {
		t.Errorf("second Set changed the file: %q", b2)
	}
	v, found, err := Lookup(path, "OPENAI_API_KEY")
	if err != nil || !found || v != key {
		t.Errorf("Lookup = %q, %v, %v", v, found, err)
	}
}

func TestSetCreatesFile0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.env")
	created, err := Set(path, "OPENAI_API_KEY", secret.New(key))
	if err != nil || !created {
		t.Fatalf("Set = %v, %v; want created", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != NewFileMode {
		t.Errorf("new file mode %v, want %v", fi.Mode().Perm(), NewFileMode)
	}
	if has, _ := Has(path, "OPENAI_API_KEY"); !has {
		t.Error("Has = false after Set")
	}
}

func TestSetFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.env")
	writeFile(t, real, "A=1\n", 0o600)
	link := filepath.Join(dir, ".env")
	if err := os.Symlink("real.env", link); err != nil {
		t.Skip("symlinks not supported:", err)
	}
	if _, err := Set(link, "B", secret.New(key)); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&fs.ModeSymlink == 0 {
		t.Error("the symbolic link was replaced by a file")
	}
	if v, _, _ := Lookup(real, "B"); v != key {
		t.Errorf("the link's target holds B=%q", v)
	}
}

func TestSetErrorsNeverHoldTheValue(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]func() error{
		"missing directory": func() error {
			_, err := Set(filepath.Join(dir, "nope", ".env"), "A", secret.New(key))
			return err
		},
		"a directory": func() error {
			_, err := Set(dir, "A", secret.New(key))
			return err
		},
		"bad name": func() error {
			_, err := Set(filepath.Join(dir, ".env"), "1A", secret.New(key))
			return err
		},
		"ambiguous file": func() error {
			p := filepath.Join(dir, "amb.env")
			writeFile(t, p, "A=\"open\nB=2\n", 0o600)
			_, err := Set(p, "C", secret.New(key+"\" x"))
			return err
		},
		"empty value": func() error {
			_, err := Set(filepath.Join(dir, ".env"), "A", secret.Value{})
			return err
		},
	}
	for name, f := range cases {
		err := f()
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "NEWVALUE") {
			t.Errorf("%s: the error holds the value: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "amb.env")); err == nil {
		b, _ := os.ReadFile(filepath.Join(dir, "amb.env"))
		if string(b) != "A=\"open\nB=2\n" {
			t.Errorf("a refused update changed the file: %q", b)
		}
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	if err := Check(filepath.Join(dir, ".env")); err != nil {
		t.Errorf("absent file in a writable directory: %v", err)
	}
	err := Check(filepath.Join(dir, "missing", ".env"))
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing directory: %v", err)
	}
	if err := Check(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a directory as the file: %v", err)
	}
	if os.Geteuid() == 0 {
		t.Skip("permission checks do not apply to root")
	}
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(ro, 0o700) })
	if err := Check(filepath.Join(ro, ".env")); err == nil || !strings.Contains(err.Error(), "not writable") {
		t.Errorf("read-only directory: %v", err)
	}
	f := filepath.Join(dir, "ro.env")
	writeFile(t, f, "A=1\n", 0o400)
	if err := Check(f); err == nil || !strings.Contains(err.Error(), "not writable") {
		t.Errorf("read-only file: %v", err)
	}
	if _, err := Set(filepath.Join(ro, ".env"), "A", secret.New(key)); err == nil {
		t.Error("Set in a read-only directory succeeded")
	}
}

func TestLookupMissingFile(t *testing.T) {
	_, _, err := Lookup(filepath.Join(t.TempDir(), "none"), "A")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want not-exist", err)
	}
	if has, err := Has(filepath.Join(t.TempDir(), "none"), "A"); has || err != nil {
		t.Errorf("Has on a missing file = %v, %v", has, err)
	}
}

func TestSetConcurrentVariablesOfOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	writeFile(t, path, "# shared\n", 0o600)
	const n = 16
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := Set(path, fmt.Sprintf("VAR_%d", i), secret.New(fmt.Sprintf("value-%d", i)))
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if v, found, _ := Lookup(path, fmt.Sprintf("VAR_%d", i)); !found || v != fmt.Sprintf("value-%d", i) {
			t.Errorf("VAR_%d = %q, %v: a concurrent write lost it", i, v, found)
		}
	}
}

// TestBOMDoesNotHideFirstVariable: a UTF-8 byte order mark before the first
// variable is not part of its name (it was: a second definition was
// appended, the old value kept, and the change reported as "added").
func TestBOMDoesNotHideFirstVariable(t *testing.T) {
	src := "\ufeffOPENAI_API_KEY=old\nOTHER=1\n"
	out, lines, err := update(src, "OPENAI_API_KEY", "new")
	if err != nil {
		t.Fatal(err)
	}
	if want := "\ufeffOPENAI_API_KEY=new\nOTHER=1\n"; out != want || len(lines) != 1 {
		t.Fatalf("got %q (lines %v), want %q replaced on line 1", out, lines, want)
	}
}

// TestUnterminatedQuoteIsRefused: a file with a quote that is never closed
// is refused whatever the new value, as the docs say (it was rewritten, and
// refusal of A='oops depended on the new value).
func TestUnterminatedQuoteIsRefused(t *testing.T) {
	for _, src := range []string{"A='oops\n", "A=\"oops\nB=2\n", "X=1\nA='oops", "B=2\nC=\"never closed"} {
		for _, name := range []string{"A", "B", "NEW"} {
			for _, value := range []string{"plain", "with space", "quo'te", `dq"x`} {
				if out, _, err := update(src, name, value); err == nil {
					t.Errorf("update(%q, %s, %q) = %q, want a refusal", src, name, value, out)
				}
			}
		}
	}
}

// TestSetRemovesStaleTemporaryFiles: a temporary file left by a crash
// between writing it and renaming it (it holds a key) is removed by the
// next Set of that file, as on resume.
func TestSetRemovesStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".env")
	if err := os.WriteFile(path, []byte("K=old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "..env.respond-123456.tmp") // as writeAtomic names them
	other := filepath.Join(dir, ".other.respond-1.tmp")
	for _, p := range []string{stale, other} {
		if err := os.WriteFile(p, []byte("K=sk-proj-leftover\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Set(path, "K", secret.New("new")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the stale temporary file is still there (%v)", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another file's temporary file was removed: %v", err)
	}
}
