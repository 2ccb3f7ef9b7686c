// Package dotenv reads and updates one variable of a .env file while
// keeping everything else in the file byte for byte.
//
// The dialect is the common one that docker compose, python-dotenv,
// godotenv, the Node dotenv package and `set -a; . ./.env` agree on:
//
//	# a comment
//	NAME=value              # unquoted; a " #" starts a comment
//	export NAME=value       # "export " is allowed and kept
//	NAME='literal value'    # single quotes: no escapes, no interpolation
//	NAME="a\nb \"quoted\""  # double quotes: \n \r \t \\ \" \$ escapes; may span lines
//
// Set replaces every definition of the variable (see Set for why), keeps the
// original `export` and quoting style where the new value allows it, and
// writes the file atomically with its mode (and owner, where possible). A
// line it cannot read is kept as it is.
package dotenv

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/respondhq/respond/internal/atomicfile"
	"github.com/respondhq/respond/internal/secret"
)

// nameRe is what a variable name may look like.
var nameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// ValidName reports whether name can be used as a variable name: a letter
// or _, then letters, digits, _, . or -.
func ValidName(name string) bool { return nameRe.MatchString(name) }

// NewFileMode is the mode of a .env file that Set creates.
const NewFileMode fs.FileMode = 0o600

// bom is a UTF-8 byte order mark, which some editors put at the start of a
// file.
const bom = "\ufeff"

// assignment is one NAME=value found in a file.
type assignment struct {
	name     string
	export   bool
	line     int  // 1-based line of the name
	valStart int  // byte offset of the raw value (quotes included)
	valEnd   int  // byte offset just after it
	quote    byte // 0 (unquoted), or the quote character
	value    string
	// unterminated: the value opens a quote that nothing closes; loaders
	// disagree on what it means.
	unterminated bool
}

// parse finds every assignment in src, in order. Lines that are not
// assignments (comments, blank lines, anything else) are skipped; a quoted
// value without its closing quote is read as an unquoted one, to the end
// of its line.
func parse(src string) []assignment {
	var out []assignment
	line := 1
	i := 0
	if strings.HasPrefix(src, bom) {
		i = len(bom) // a byte order mark is not part of the first name
	}
	for i < len(src) {
		end := lineEnd(src, i)
		a, next, ok := parseAssignment(src, i, end)
		if ok {
			a.line = line
			out = append(out, a)
		} else {
			next = end
		}
		// Skip to the start of the next line after next, counting lines.
		line += strings.Count(src[i:next], "\n")
		j := lineEnd(src, next)
		i = skipEOL(src, j)
		if i > j {
			line++
		}
	}
	return out
}

// lineEnd returns the offset of the line ending ("\n" or "\r\n") at or after
// i, or len(src).
func lineEnd(src string, i int) int {
	n := strings.IndexByte(src[i:], '\n')
	if n < 0 {
		return len(src)
	}
	if n > 0 && src[i+n-1] == '\r' {
		return i + n - 1
	}
	return i + n
}

// skipEOL returns the offset just after the line ending at i.
func skipEOL(src string, i int) int {
	if i < len(src) && src[i] == '\r' && i+1 < len(src) && src[i+1] == '\n' {
		return i + 2
	}
	if i < len(src) && src[i] == '\n' {
		return i + 1
	}
	return i
}

// parseAssignment reads an assignment on the line [i, end) of src. next is
// the offset just after the value (after a closing quote on a later line,
// for a multi-line value).
func parseAssignment(src string, i, end int) (a assignment, next int, ok bool) {
	p := skipBlanks(src, i, end)
	if rest, found := strings.CutPrefix(src[p:end], "export"); found && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
		a.export = true
		p = skipBlanks(src, p+len("export"), end)
	}
	n := p
	for n < end && isNameByte(src[n], n == p) {
		n++
	}
	if n == p {
		return a, 0, false
	}
	a.name = src[p:n]
	q := skipBlanks(src, n, end)
	if q >= end || src[q] != '=' {
		return a, 0, false
	}
	v := skipBlanks(src, q+1, end)
	a.valStart = v
	if v < end && (src[v] == '\'' || src[v] == '"') {
		if close := closingQuote(src, v); close >= 0 {
			a.quote = src[v]
			a.valEnd = close + 1
			raw := src[v+1 : close]
			if a.quote == '"' {
				a.value = unescapeDouble(raw)
			} else {
				a.value = raw
			}
			return a, a.valEnd, true
		}
		a.unterminated = true
	}
	// Unquoted: to a " #" comment or the end of the line, without trailing
	// blanks.
	e := end
	for k := v; k < end; k++ {
		if src[k] == '#' && k > v && (src[k-1] == ' ' || src[k-1] == '\t') {
			e = k
			break
		}
	}
	for e > v && (src[e-1] == ' ' || src[e-1] == '\t') {
		e--
	}
	a.valEnd = e
	a.value = src[v:e]
	return a, e, true
}

func skipBlanks(src string, i, end int) int {
	for i < end && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	return i
}

func isNameByte(c byte, first bool) bool {
	switch {
	case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c == '_':
		return true
	case c >= '0' && c <= '9', c == '.', c == '-':
		return !first
	}
	return false
}

// closingQuote returns the offset of the quote closing the one at open, or
// -1. Double-quoted values honour backslash escapes; both may span lines.
func closingQuote(src string, open int) int {
	q := src[open]
	for k := open + 1; k < len(src); k++ {
		switch src[k] {
		case '\\':
			if q == '"' {
				k++
			}
		case q:
			return k
		}
	}
	return -1
}

// unescapeDouble decodes the escapes of a double-quoted value. Unknown
// escapes are kept as written.
func unescapeDouble(raw string) string {
	if !strings.Contains(raw, `\`) {
		return raw
	}
	var b strings.Builder
	for k := 0; k < len(raw); k++ {
		c := raw[k]
		if c != '\\' || k+1 == len(raw) {
			b.WriteByte(c)
			continue
		}
		k++
		switch raw[k] {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case '\\', '"', '$', '\'', '`':
			b.WriteByte(raw[k])
		default:
			b.WriteByte('\\')
			b.WriteByte(raw[k])
		}
	}
	return b.String()
}

// plainSafe reports whether v can be written unquoted and read back the
// same by every common loader.
func plainSafe(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case strings.IndexByte("_-./+:=@%,~^", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// render writes v as a value in the quoting style quote (0 for none, or
// the quote character) when v allows it, and otherwise in the closest style
// that does.
func render(v string, quote byte) string {
	switch quote {
	case 0:
		if plainSafe(v) {
			return v
		}
		fallthrough
	case '\'':
		if !strings.ContainsAny(v, "'\n\r") {
			return "'" + v + "'"
		}
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\\', '"', '$', '`':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// update returns src with every definition of name set to value, or with
// NAME=value appended when there is none. lines are the lines replaced.
func update(src, name, value string) (out string, lines []int, err error) {
	as := parse(src)
	// A quote that nothing closes: loaders disagree on where the value
	// ends, so any change could alter what they read. Refused, whatever the
	// new value.
	for _, a := range as {
		if a.unterminated {
			return "", nil, fmt.Errorf("%w (line %d: %s opens a quote that is never closed)", errConfusing, a.line, a.name)
		}
	}
	var b strings.Builder
	b.Grow(len(src) + len(name) + len(value) + 8)
	last := 0
	for _, a := range as {
		if a.name != name {
			continue
		}
		b.WriteString(src[last:a.valStart])
		b.WriteString(render(value, a.quote))
		last = a.valEnd
		lines = append(lines, a.line)
	}
	b.WriteString(src[last:])
	if len(lines) == 0 {
		eol := "\n"
		if i := strings.IndexByte(src, '\n'); i > 0 && src[i-1] == '\r' {
			eol = "\r\n"
		}
		if src != "" && !strings.HasSuffix(src, "\n") {
			b.WriteString(eol)
		}
		b.WriteString(name + "=" + render(value, 0) + eol)
	}
	out = b.String()

	// What a loader reads back must be the new value for name and the old
	// values for everything else; a file whose quotes confuse that (an
	// unterminated quote, say) is refused rather than damaged.
	before, after := lastValues(as), lastValues(parse(out))
	if after[name] != value {
		return "", nil, errConfusing
	}
	for k, v := range before {
		if k != name && after[k] != v {
			return "", nil, errConfusing
		}
	}
	if len(after) != len(before)+btoi(len(lines) == 0) {
		return "", nil, errConfusing
	}
	return out, lines, nil
}

var errConfusing = errors.New("its quoting is ambiguous (an unterminated quote?) and changing it could alter other variables")

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func lastValues(as []assignment) map[string]string {
	m := make(map[string]string, len(as))
	for _, a := range as {
		m[a.name] = a.value
	}
	return m
}

// Set sets the variable name to value in the .env file at path and reports
// whether the variable was added (created) rather than replaced.
//
// Every definition of name is replaced, not only the last: loaders differ
// on which one wins (most take the last, `set -a` scripts with guards or
// tools that stop at the first take the first), and a leaked value left on
// an earlier line would still be in the file. Each replaced line keeps its
// `export` and, where the value allows, its quoting; a new variable is
// appended as NAME=value with the file's line ending (CRLF if its first
// line uses it). Every other byte of the file is kept.
//
// The file is replaced atomically: a temporary file in the same directory
// gets the content, the original mode and owner (where permitted), is
// fsynced and renamed over the original, and the directory is fsynced. A
// symbolic link is followed and its target replaced. A file that does not
// exist is created with mode 0600; its directory must exist. Concurrent
// calls on one file within the process are serialized.
//
// Errors name the file and the variable, never the value.
func Set(path, name string, value secret.Value) (created bool, err error) {
	if !ValidName(name) {
		return false, fmt.Errorf("cannot set %q in %s: not a valid variable name (letters, digits and _, not starting with a digit)", name, path)
	}
	v := value.Reveal()
	if v == "" {
		return false, fmt.Errorf("refusing to set %s in %s to an empty value; check the step that produced it", name, path)
	}
	if strings.IndexByte(v, 0) >= 0 {
		return false, fmt.Errorf("cannot set %s in %s: the value contains a NUL byte, which a .env file cannot hold", name, path)
	}
	real, err := resolveLink(path)
	if err != nil {
		return false, err
	}
	// Two variables of one file written at once (a deploy fan-out) must not
	// lose each other's update: writes to a file are serialized.
	unlock := lockFile(real)
	defer unlock()
	mode := NewFileMode
	var src []byte
	fi, err := os.Stat(real)
	switch {
	case err == nil:
		if !fi.Mode().IsRegular() {
			return false, fmt.Errorf("cannot write %s: it is not a regular file; check the path", path)
		}
		mode = fi.Mode().Perm()
		if src, err = os.ReadFile(real); err != nil {
			return false, fmt.Errorf("cannot read %s to update %s: %w", path, name, err)
		}
	case errors.Is(err, fs.ErrNotExist):
		fi = nil
	default:
		return false, fmt.Errorf("cannot update %s in %s: %w", name, path, err)
	}
	// A crash between writing a temporary file and renaming it left one
	// holding a value: it goes now, before the next is written.
	removeStaleTemps(real)
	out, lines, err := update(string(src), name, v)
	if err != nil {
		return false, fmt.Errorf("not updating %s in %s: %w; fix the file by hand, then run again", name, path, err)
	}
	if err := atomicfile.WriteMode(real, []byte(out), mode, fi); err != nil {
		return false, fmt.Errorf("cannot write %s: %w", path, err)
	}
	return len(lines) == 0, nil
}

// fileLocks serializes Set calls on the same file within the process.
var fileLocks sync.Map // absolute path -> *sync.Mutex

// lockFile locks path for one read-modify-write and returns the unlock.
func lockFile(path string) func() {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	m, _ := fileLocks.LoadOrStore(path, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// resolveLink follows symbolic links at path, so that the rename replaces
// the file they point to rather than the link. A path that does not exist
// is returned as it is.
func resolveLink(path string) (string, error) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return path, nil
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s is a symbolic link to a file that does not exist; fix the link or the path", path)
		}
		return "", fmt.Errorf("cannot follow the symbolic link %s: %w", path, err)
	}
	return real, nil
}

// removeStaleTemps removes temporary files that an interrupted Set of path
// left behind (they may hold a secret). Set calls for one file are
// serialized, so none is in use.
func removeStaleTemps(path string) {
	matches, _ := filepath.Glob(atomicfile.Pattern(path))
	for _, m := range matches {
		if fi, err := os.Lstat(m); err == nil && fi.Mode().IsRegular() {
			_ = os.Remove(m)
		}
	}
}

// Lookup returns the value of name in the .env file at path, as loaders
// read it (the last definition wins). found is false when the file has no
// definition; a file that does not exist is an error.
func Lookup(path, name string) (value string, found bool, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false, err
	}
	for _, a := range parse(string(b)) {
		if a.name == name {
			value, found = a.value, true
		}
	}
	return value, found, nil
}

// Has reports whether the file at path defines name, without reading its
// value into the caller's hands. A missing file has no variables.
func Has(path, name string) (bool, error) {
	_, found, err := Lookup(path, name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return found, err
}

// Check says whether Set could write the file at path, without writing:
// its directory exists and is writable (Set writes a temporary file there
// and renames it), and the file, if present, is a regular file that can be
// read and written. The error says what is wrong and what to do.
func Check(path string) error {
	real, err := resolveLink(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(real)
	di, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("directory %s does not exist; create it or fix the path", dir)
	case err != nil:
		return fmt.Errorf("cannot inspect directory %s: %w", dir, err)
	case !di.IsDir():
		return fmt.Errorf("%s is not a directory; fix the path", dir)
	}
	if err := writable(dir); err != nil {
		return fmt.Errorf("directory %s is not writable (respond writes a temporary file there and renames it over %s): %v; fix its permissions", dir, filepath.Base(real), err)
	}
	fi, err := os.Stat(real)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil // created on write
	case err != nil:
		return fmt.Errorf("cannot inspect %s: %w", path, err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file; fix the path", path)
	}
	if err := readable(real); err != nil {
		return fmt.Errorf("%s is not readable (respond keeps its other lines): %v; fix its permissions", path, err)
	}
	if err := writable(real); err != nil {
		return fmt.Errorf("%s is not writable: %v; fix its permissions", path, err)
	}
	return nil
}
