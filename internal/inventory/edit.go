package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"

	"github.com/respondhq/respond/internal/atomicfile"
	"github.com/respondhq/respond/internal/yamlsrc"
)

// Update is what a response changes in the inventory: the credential now
// names the replacement, so the next incident finds its targets.
type Update struct {
	Credential string // the credential's name
	// What the credential named before the response: a file that names
	// something else was changed by someone else meanwhile, and is not
	// overwritten.
	OldKeyID, OldKeyName string
	// Accept lists other key IDs the credential may name: replacements
	// this response wrote earlier (a resumed response writes again).
	Accept      []string
	KeyID       string // the replacement's ID
	Fingerprint string // the replacement's fingerprint (sha256:…)
	// Note is a comment put after the new key_id, e.g. "set by respond
	// INC-…; replaced key_A". A comment of the user's is kept instead.
	Note string
}

// Instructions is the edit a person makes by hand when respond cannot.
func (u Update) Instructions(file string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "in %s, under credential %q:", file, u.Credential)
	if u.OldKeyName != "" && u.OldKeyID == "" {
		fmt.Fprintf(&b, " replace `key_name: %s` with `key_id: %s`", u.OldKeyName, u.KeyID)
	} else {
		fmt.Fprintf(&b, " set `key_id: %s`", u.KeyID)
	}
	if u.Fingerprint != "" {
		fmt.Fprintf(&b, " and `fingerprint: %s`", u.Fingerprint)
	}
	return b.String()
}

// ErrConflict: the credential in the file no longer names the key the
// response started from (someone edited it meanwhile).
var ErrConflict = errors.New("the inventory changed since the response started")

// edit replaces the runes [from, to) of a line (1-based line, 1-based
// columns) with text.
type edit struct {
	line, from, to int
	text           string
}

// Edit returns src with the update applied, keeping everything else of the
// file as it is: comments, order, quoting, flow or block style, line
// endings. changed is false when the file already says what u says. The
// result is parsed again and compared with the original: only the
// credential's key_id, key_name and fingerprint may differ.
func Edit(file string, src []byte, u Update) (out []byte, changed bool, err error) {
	// The YAML library miscounts lines after a comment in CRLF files:
	// edit with LF endings and put the CRLFs back.
	if crlf := bytes.Count(src, []byte("\r\n")); crlf > 0 {
		if crlf != bytes.Count(src, []byte("\n")) {
			return nil, false, fmt.Errorf("cannot edit %s in place: it mixes CRLF and LF line endings", file)
		}
		out, changed, err := Edit(file, bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n")), u)
		if err != nil || !changed {
			return src, changed, err
		}
		return bytes.ReplaceAll(out, []byte("\n"), []byte("\r\n")), true, nil
	}
	before, diags := Parse(file, src)
	if diags.HasErrors() {
		return nil, false, fmt.Errorf("%s does not parse any more (%s): fix it first", file, firstError(diags.Err()))
	}
	cred, ok := before.Credential(u.Credential)
	if !ok {
		return nil, false, fmt.Errorf("%w: %s has no credential %q any more", ErrConflict, file, u.Credential)
	}
	if cred.KeyID == u.KeyID && cred.Fingerprint == u.Fingerprint && cred.KeyName == "" {
		return src, false, nil
	}
	switch {
	case cred.KeyID != "" && cred.KeyID != u.OldKeyID && !slices.Contains(u.Accept, cred.KeyID):
		return nil, false, fmt.Errorf("%w: credential %q of %s names key_id %s, not %s (the key this response replaced)",
			ErrConflict, u.Credential, file, cred.KeyID, orDash(u.OldKeyID))
	case cred.KeyName != "" && u.OldKeyName != "" && cred.KeyName != u.OldKeyName:
		return nil, false, fmt.Errorf("%w: credential %q of %s names key_name %q, not %q (the key this response replaced)",
			ErrConflict, u.Credential, file, cred.KeyName, u.OldKeyName)
	}

	d := yamlsrc.New(file, src, docKind)
	body := d.Parse()
	m := findCredentialNode(d, body, u.Credential)
	if m == nil {
		return nil, false, fmt.Errorf("cannot find credential %q in %s to edit it", u.Credential, file)
	}
	kvs := map[string]*ast.MappingValueNode{}
	var entries []*ast.MappingValueNode
	flow := false
	switch n := m.(type) {
	case *ast.MappingNode:
		entries, flow = n.Values, n.IsFlowStyle
	case *ast.MappingValueNode:
		entries = []*ast.MappingValueNode{n}
	}
	for _, kv := range entries {
		kvs[yamlsrc.KeyText(kv)] = kv
	}
	var edits []edit
	var anchor *ast.MappingValueNode // the entry after which fingerprint goes
	// key_id (or key_name, which becomes key_id).
	idKV, nameKV := kvs["key_id"], kvs["key_name"]
	switch {
	case idKV != nil:
		e, err := valueEdit(d, idKV, u.KeyID)
		if err != nil {
			return nil, false, err
		}
		edits = append(edits, e)
		anchor = idKV
	case nameKV != nil:
		kpos, kend := d.Span(nameKV.Key)
		if kend == 0 {
			return nil, false, fmt.Errorf("cannot edit key_name of credential %q in %s in place", u.Credential, file)
		}
		e, err := valueEdit(d, nameKV, u.KeyID)
		if err != nil {
			return nil, false, err
		}
		if e.line != kpos.Line {
			return nil, false, fmt.Errorf("cannot edit key_name of credential %q in %s in place: its value is not on the key's line", u.Credential, file)
		}
		// One edit from the key to the end of the value: "key_id: NEW".
		edits = append(edits, edit{line: kpos.Line, from: kpos.Col, to: e.to, text: "key_id: " + u.KeyID})
		anchor = nameKV
	case kvs["fingerprint"] != nil:
		// Named by its fingerprint alone (a provider whose keys have no
		// ID a person would write, a GitHub token say): the new key_id
		// goes on a line of its own before the new fingerprint.
		return insertKeyID(d, file, src, before, kvs["fingerprint"], flow, u)
	default:
		return nil, false, fmt.Errorf("credential %q in %s has neither key_id, key_name nor fingerprint to update", u.Credential, file)
	}
	// After the new key_id: the note, unless the line has a comment of the
	// user's (respond's own earlier notes are replaced); then, in block
	// style, the fingerprint on a line of its own when there is none.
	last := edits[len(edits)-1]
	line := d.Lines[last.line-1]
	lineEnd := utf8.RuneCountInString(line) + 1
	rest := runeSlice(line, last.to, lineEnd)
	tail, replaceRest := "", false
	if trimmed := strings.TrimSpace(rest); u.Note != "" && !flow &&
		(trimmed == "" || strings.HasPrefix(trimmed, "# respond:") || strings.HasPrefix(trimmed, "# set by respond")) {
		tail, replaceRest = "  # "+u.Note, true
	}
	if u.Fingerprint != "" {
		if fkv := kvs["fingerprint"]; fkv != nil {
			e, err := valueEdit(d, fkv, u.Fingerprint)
			if err != nil {
				return nil, false, err
			}
			edits = append(edits, e)
		} else if flow {
			tail = ", fingerprint: " + u.Fingerprint
			edits = append(edits, edit{line: last.line, from: last.to, to: last.to, text: tail})
			tail = ""
		} else {
			if !replaceRest {
				tail = rest
				replaceRest = true
			}
			tail += "\n" + strings.Repeat(" ", d.Pos(anchor.Key).Col-1) + "fingerprint: " + u.Fingerprint
		}
	}
	if replaceRest {
		edits = append(edits, edit{line: last.line, from: last.to, to: lineEnd, text: tail})
	}
	out, err = apply(src, d.Lines, edits)
	if err != nil {
		return nil, false, err
	}
	if err := checkEdit(file, before, out, u); err != nil {
		return nil, false, err
	}
	return out, true, nil
}

// insertKeyID updates a credential named only by its fingerprint: key_id
// before it (with respond's note in block style), the fingerprint's value
// replaced.
func insertKeyID(d *yamlsrc.Doc, file string, src []byte, before *Inventory, fkv *ast.MappingValueNode, flow bool, u Update) ([]byte, bool, error) {
	kpos, _ := d.Span(fkv.Key)
	fp := u.Fingerprint
	if fp == "" {
		fp = d.Unwrap(fkv.Value).String() // unchanged
	}
	e, err := valueEdit(d, fkv, fp)
	if err != nil {
		return nil, false, err
	}
	text := "key_id: " + u.KeyID + ", "
	if !flow {
		note := ""
		if u.Note != "" {
			note = "  # " + u.Note
		}
		text = "key_id: " + u.KeyID + note + "\n" + strings.Repeat(" ", kpos.Col-1)
	}
	edits := []edit{{line: kpos.Line, from: kpos.Col, to: kpos.Col, text: text}, e}
	out, err := apply(src, d.Lines, edits)
	if err != nil {
		return nil, false, err
	}
	if err := checkEdit(file, before, out, u); err != nil {
		return nil, false, err
	}
	return out, true, nil
}

// Rewrite applies u to the inventory file at path, atomically (the file is
// replaced whole, keeping its mode and owner). changed is false when the
// file already said it. Errors say why; Update.Instructions says what to
// do by hand.
func Rewrite(path string, u Update) (changed bool, err error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return false, fmt.Errorf("read inventory %s: %w", path, err)
	}
	out, changed, err := Edit(path, src, u)
	if err != nil || !changed {
		return false, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return false, err
	}
	if err := atomicfile.Write(path, out, fi); err != nil {
		return false, fmt.Errorf("write inventory %s: %w", path, err)
	}
	return true, nil
}

// findCredentialNode returns the mapping of the credential named name.
func findCredentialNode(d *yamlsrc.Doc, body ast.Node, name string) ast.Node {
	if body == nil {
		return nil
	}
	var top []*ast.MappingValueNode
	switch n := d.Unwrap(body).(type) {
	case *ast.MappingNode:
		top = n.Values
	case *ast.MappingValueNode:
		top = []*ast.MappingValueNode{n}
	}
	for _, kv := range top {
		if yamlsrc.KeyText(kv) != "credentials" {
			continue
		}
		seq, ok := d.Unwrap(kv.Value).(*ast.SequenceNode)
		if !ok {
			return nil
		}
		for _, item := range seq.Values {
			var entries []*ast.MappingValueNode
			switch m := d.Unwrap(item).(type) {
			case *ast.MappingNode:
				entries = m.Values
			case *ast.MappingValueNode:
				entries = []*ast.MappingValueNode{m}
			}
			for _, e := range entries {
				if yamlsrc.KeyText(e) == "name" {
					if s, ok := d.ScalarText(e.Value, "name"); ok && s == name {
						return d.Unwrap(item)
					}
				}
			}
		}
	}
	return nil
}

// valueEdit is an edit replacing the one-line scalar value of kv by text.
func valueEdit(d *yamlsrc.Doc, kv *ast.MappingValueNode, text string) (edit, error) {
	v := d.Unwrap(kv.Value)
	pos, end := d.Span(v)
	if end == 0 || v == nil {
		return edit{}, fmt.Errorf("cannot edit %s at %s in place: write it as a plain value on one line", yamlsrc.KeyText(kv), pos)
	}
	return edit{line: pos.Line, from: pos.Col, to: end, text: text}, nil
}

// apply makes the edits (rune columns) on src, last first.
func apply(src []byte, lines []string, edits []edit) ([]byte, error) {
	starts := lineStarts(src)
	type span struct {
		from, to int
		text     string
	}
	spans := make([]span, 0, len(edits))
	for _, e := range edits {
		if e.line < 1 || e.line > len(lines) || e.line > len(starts) {
			return nil, fmt.Errorf("internal error: edit on line %d of %d", e.line, len(lines))
		}
		line := lines[e.line-1]
		from := starts[e.line-1] + runeOffset(line, e.from)
		to := starts[e.line-1] + runeOffset(line, e.to)
		if from > to || to > len(src) {
			return nil, fmt.Errorf("internal error: bad edit columns %d..%d on line %d", e.from, e.to, e.line)
		}
		spans = append(spans, span{from, to, e.text})
	}
	slices.SortFunc(spans, func(a, b span) int { return b.from - a.from })
	out := slices.Clone(src)
	for i, s := range spans {
		if i > 0 && s.to > spans[i-1].from {
			return nil, errors.New("internal error: overlapping edits")
		}
		out = slices.Concat(out[:s.from], []byte(s.text), out[s.to:])
	}
	return out, nil
}

// lineStarts are the byte offsets where each line of src starts.
func lineStarts(src []byte) []int {
	starts := []int{0}
	for i, c := range src {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// runeOffset is the byte offset of 1-based rune column col in line (the
// line's length past its end).
func runeOffset(line string, col int) int {
	n := 1
	for i := range line {
		if n == col {
			return i
		}
		n++
	}
	return len(line)
}

// runeSlice is line's runes [from, to) (1-based columns).
func runeSlice(line string, from, to int) string {
	a, b := runeOffset(line, from), runeOffset(line, to)
	if a > b {
		return ""
	}
	return line[a:b]
}

// checkEdit parses the edited source and makes sure only the credential's
// key_id, key_name and fingerprint changed.
func checkEdit(file string, before *Inventory, out []byte, u Update) error {
	after, diags := Parse(file, out)
	if diags.HasErrors() {
		return fmt.Errorf("internal error: the edited inventory does not parse (%s); %s was not changed", firstError(diags.Err()), file)
	}
	if len(after.Credentials) != len(before.Credentials) {
		return fmt.Errorf("internal error: the edit changed the number of credentials; %s was not changed", file)
	}
	for i := range before.Credentials {
		b, a := before.Credentials[i].Map(), after.Credentials[i].Map()
		if before.Credentials[i].Name == u.Credential {
			for _, k := range []string{"key_id", "key_name", "fingerprint"} {
				delete(b, k)
			}
			if a["key_id"] != u.KeyID || (u.Fingerprint != "" && a["fingerprint"] != u.Fingerprint) || a["key_name"] != nil {
				return fmt.Errorf("internal error: the edit did not set key_id and fingerprint of credential %q; %s was not changed", u.Credential, file)
			}
			for _, k := range []string{"key_id", "key_name", "fingerprint"} {
				delete(a, k)
			}
		}
		if !reflect.DeepEqual(b, a) {
			keys := slices.Sorted(maps.Keys(a))
			return fmt.Errorf("internal error: the edit changed more than credential %q (%v); %s was not changed", u.Credential, keys, file)
		}
	}
	return nil
}

func firstError(d error) string {
	s := d.Error()
	if i := strings.IndexByte(s, '\n'); i > 0 {
		s = s[:i]
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
